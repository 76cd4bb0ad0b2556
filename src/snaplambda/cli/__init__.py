"""The ``snaplambda`` command line: ``app`` is the Typer app, ``main`` runs it."""

from .app import app, main

__all__ = ["app", "main"]
