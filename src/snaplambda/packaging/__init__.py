"""Archive validation and extraction, and the content-addressed code store."""
