"""Server routes that are not visitor channels (health checks, the action guard)."""
