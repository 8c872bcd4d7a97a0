"""The errors mlcheck raises.

Every user mistake raises a subclass of :class:`MlcheckError` whose message
says what was checked, what was expected, what was seen and how to fix it.
The command line prints such a message without a traceback.

Each error also carries what a program needs to react without parsing the
message (pandera's reason codes are the model): ``reason``, a :class:`Reason`,
and, when one argument is to blame, ``parameter`` (its name) and ``value``
(what was passed).

>>> from mlcheck.errors import OptionError, Reason
>>> error = OptionError("check_coverage: min must be in [0, 1], got 2", parameter="min", value=2,
...                     reason=Reason.OUT_OF_RANGE)
>>> error.reason, error.parameter, error.value
(<Reason.OUT_OF_RANGE: 'out_of_range'>, 'min', 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from mlcheck.results import CheckResult

__all__ = [
    "BundleIntegrityError",
    "ContractViolation",
    "MlcheckError",
    "NotebookError",
    "OptionError",
    "ParameterError",
    "Reason",
    "RegistryError",
    "UsageError",
    "WriteError",
    "PathNotWritable",
]

_UNSET: Any = object()


class Reason(str, Enum):
    """Why an :class:`MlcheckError` was raised: a stable code for programs.

    The values are plain strings, so ``error.reason == "out_of_range"`` holds
    and a code survives JSON.
    """

    #: an argument has the wrong type ("x" where a number was expected)
    INVALID_TYPE = "invalid_type"
    #: a number lies outside its allowed interval
    OUT_OF_RANGE = "out_of_range"
    #: a string is not one of the allowed options
    NOT_AN_OPTION = "not_an_option"
    #: a keyword the function does not take
    UNEXPECTED_ARGUMENT = "unexpected_argument"
    #: a required argument was not given
    MISSING_ARGUMENT = "missing_argument"
    #: options that are each valid but not together (e.g. neither max_kl nor max_psi)
    CONFLICTING_OPTIONS = "conflicting_options"
    #: the data passed in cannot be checked (wrong shape, empty, unknown labels)
    INVALID_DATA = "invalid_data"
    #: a name that no registry knows (check, reader, command, card, explorer)
    UNKNOWN_NAME = "unknown_name"
    #: a second registration under a name already taken
    DUPLICATE_NAME = "duplicate_name"
    #: any other misuse of a command, option or argument
    USAGE = "usage"
    #: a notebook parameter is unknown or cannot be coerced to its type
    NOTEBOOK_PARAMETER = "notebook_parameter"
    #: a notebook file is missing, unreadable or not a notebook
    NOTEBOOK = "notebook"
    #: the export gate refused because an error-severity check failed
    CONTRACT_FAILED = "contract_failed"
    #: a bundle's files do not match its manifest
    BUNDLE_INTEGRITY = "bundle_integrity"
    #: a file could not be written (folder read-only or missing, disk full)
    CANNOT_WRITE = "cannot_write"


class MlcheckError(Exception):
    """Root of every error mlcheck raises on purpose.

    Parameters
    ----------
    message : str
        What was checked, what was expected, what was seen, and the fix.
    reason : Reason, optional
        The code of the mistake; each class has a default.
    parameter : str, optional
        The name of the argument or option to blame, when there is one.
    value : object, optional
        The offending value as passed (absent when there is none to show).
    """

    #: the reason of an instance raised without one
    default_reason: ClassVar[Reason] = Reason.USAGE

    def __init__(
        self,
        message: str = "",
        *,
        reason: Reason | None = None,
        parameter: str | None = None,
        value: Any = _UNSET,
    ) -> None:
        super().__init__(message)
        self.reason: Reason = reason if reason is not None else type(self).default_reason
        self.parameter: str | None = parameter
        self._value = value

    @property
    def value(self) -> Any:
        """The offending value, or None when the error names none."""
        return None if self._value is _UNSET else self._value

    @property
    def has_value(self) -> bool:
        """Whether the error carries an offending value (``None`` can be one)."""
        return self._value is not _UNSET


class UsageError(MlcheckError):
    """A command, function, option or argument was used wrongly (exit code 2)."""


class OptionError(UsageError, ValueError, TypeError):
    """An argument of a public function has a wrong type or value.

    Raised by the declarative validation at every public boundary
    (:mod:`mlcheck._validation`). It is also a ``ValueError`` and a
    ``TypeError``, as scikit-learn's ``InvalidParameterError`` is, so code
    written against Python's own errors keeps catching it.
    """

    default_reason = Reason.INVALID_TYPE


class RegistryError(UsageError):
    """A registry refused a name: unknown (``Reason.UNKNOWN_NAME``) or taken (``Reason.DUPLICATE_NAME``)."""

    default_reason = Reason.UNKNOWN_NAME


class ParameterError(UsageError):
    """A notebook parameter is unknown or cannot be coerced to its type."""

    default_reason = Reason.NOTEBOOK_PARAMETER


class NotebookError(UsageError):
    """A notebook file is missing, unreadable or not a valid notebook."""

    default_reason = Reason.NOTEBOOK


class ContractViolation(MlcheckError):
    """The export gate refused: error-severity checks failed.

    Attributes
    ----------
    results : tuple of CheckResult
        The failed checks that made the gate refuse.
    """

    default_reason = Reason.CONTRACT_FAILED

    def __init__(self, message: str, results: Sequence[CheckResult] = ()) -> None:
        super().__init__(message)
        self.results = tuple(results)


class BundleIntegrityError(MlcheckError):
    """A bundle's files do not match its manifest."""

    #: exit code of the command line: tampered or damaged, not worth a retry (mlcheck.runs.rundir.Status.INTEGRITY)
    exit_code = 7

    default_reason = Reason.BUNDLE_INTEGRITY


class WriteError(MlcheckError, OSError):
    """A file could not be written: its folder is missing or read-only, or the disk is full.

    Raised by every atomic write (:mod:`mlcheck._atomic`) with the path and
    the system's reason. The machine's problem or a path to fix, never a
    failed contract: exit code 6, as the runner's infrastructure errors. It
    is also an ``OSError`` (with the original ``errno`` and ``filename``), so
    code that handles the system's own error keeps handling it.
    """

    #: exit code of the command line (mlcheck.runs.rundir.Status.INFRASTRUCTURE)
    exit_code = 6

    default_reason = Reason.CANNOT_WRITE

    def __str__(self) -> str:  # the message, not OSError's "[Errno 13] ..." once errno is set
        return str(self.args[0]) if self.args else ""


class PathNotWritable(WriteError, UsageError):
    """A file could not be written because of its path: the folder is missing, read-only or not yours.

    Raised by every atomic write (:mod:`mlcheck._atomic`) for a refused path
    (``EACCES``, ``EPERM``, ``EROFS``, ``ENOENT``, ``ENOTDIR``, ``EISDIR``).
    Retrying the same path never helps, so it is a usage error (exit code 2,
    no retry), unlike a full disk or an I/O error (:class:`WriteError`, exit
    code 6, worth a retry once the machine is mended). Still a ``WriteError``
    and an ``OSError``, so handlers of either keep working.
    """

    #: exit code of the command line (mlcheck.runs.rundir.Status.USAGE)
    exit_code = 2
