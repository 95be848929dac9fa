"""Reports: definitions and writer of the Excel returns to higher authorities."""
