"""snapstart."""
