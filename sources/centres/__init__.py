"""Industry IP centres (004): the registry and the annual summaries."""
