"""The errors mlcheck raises.

Every user mistake raises a subclass of :class:`MlcheckError` whose message
says what was checked, what was expected, what was seen and how to fix it.
The command line prints such a message without a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from mlcheck.results import CheckResult

__all__ = [
    "MlcheckError",
    "UsageError",
    "ParameterError",
    "NotebookError",
    "ContractViolation",
    "BundleIntegrityError",
]


class MlcheckError(Exception):
    """Root of every error mlcheck raises on purpose."""


class UsageError(MlcheckError):
    """A command, option or argument was used wrongly (exit code 2)."""


class ParameterError(UsageError):
    """A notebook parameter is unknown or cannot be coerced to its type."""


class NotebookError(UsageError):
    """A notebook file is missing, unreadable or not a valid notebook."""


class ContractViolation(MlcheckError):
    """The export gate refused: error-severity checks failed.

    Attributes
    ----------
    results : tuple of CheckResult
        The failed checks that made the gate refuse.
    """

    def __init__(self, message: str, results: Sequence[CheckResult] = ()) -> None:
        super().__init__(message)
        self.results = tuple(results)


class BundleIntegrityError(MlcheckError):
    """A bundle's files do not match its manifest."""
