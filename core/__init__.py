"""The kernel every layer stands on: settings and the clock, the warehouse connection, the fault hook,
the failure log and the analysts' snapshot. It imports nothing of the product's other packages."""
