"""Log capture and store, platform lines, metrics and traces."""
