"""Settings: base plus one module per environment (embedded default, server, test)."""
