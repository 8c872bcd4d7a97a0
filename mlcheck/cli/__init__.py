"""The ``mlcheck`` command: :mod:`mlcheck.cli.main` parses, one module per command group does the work."""

from mlcheck.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
