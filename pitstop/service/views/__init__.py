"""The service pages, one module per job; each module lists its own routes."""
