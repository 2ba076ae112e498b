"""Usage events, usage metrics and their calculation (docs/usage.md)."""
