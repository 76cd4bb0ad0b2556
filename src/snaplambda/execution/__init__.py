"""Execution environments: how they start, their limits, admission and the pool."""
