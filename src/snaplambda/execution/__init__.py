"""Execution environments, their limits, the pool and scheduler."""
