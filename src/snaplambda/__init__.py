"""snaplambda: a self-hosted, AWS-Lambda-compatible function platform for Python."""

__version__ = "0.1.0"
