"""The result of a check: a small immutable record, plain JSON on the wire."""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mlcheck.results.format import result_text

Severity = Literal["error", "warning"]

#: MIME type of every output mlcheck emits; the payload carries its own version.
MIME_TYPE = "application/vnd.mlcheck.result+json"
PAYLOAD_VERSION = 1

__all__ = ["MIME_TYPE", "PAYLOAD_VERSION", "CheckResult", "Outcome", "install_presenter", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Turn numpy scalars, arrays, frames and non-finite floats into plain JSON values."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)  # 'nan', 'inf' stay readable
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(item) for item in value]
    # numpy and pandas without importing them: both have .tolist() / .item()
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and hasattr(value, "columns"):
        return to_jsonable(to_dict(orient="records"))
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return to_jsonable(tolist())
    item = getattr(value, "item", None)
    if callable(item):
        return to_jsonable(item())
    return str(value)


@dataclass(frozen=True)
class Outcome:
    """The verdict on one subject of a check: one metric, one feature, one column."""

    subject: str
    passed: bool
    observed: Any = None
    threshold: Any = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {
            "subject": self.subject,
            "passed": bool(self.passed),
            "observed": to_jsonable(self.observed),
            "threshold": to_jsonable(self.threshold),
        }
        if self.message:  # most outcomes pass silently; a check may have hundreds
            data["message"] = self.message
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            subject=str(data["subject"]),
            passed=bool(data["passed"]),
            observed=data.get("observed"),
            threshold=data.get("threshold"),
            message=str(data.get("message", "")),
        )


@dataclass(frozen=True)
class CheckResult:
    """What a check found.

    A check is a pure function that returns one of these; it never raises for a
    failed contract. ``outcomes`` holds the per-subject verdicts (one per metric
    threshold, per feature, per column); a result with outcomes passes exactly
    when all its error-severity outcomes pass.

    Parameters
    ----------
    name : str
        The check's name, e.g. ``"check_coverage"``.
    passed : bool
        Whether the contract held.
    severity : {"error", "warning"}
        Whether a failure blocks the export gate (``"error"``) or only warns.
    observed, threshold
        The headline value and the bound it was held to (JSON-able).
    details : dict
        Everything else a card or a report may show (JSON-able).
    message : str
        One sentence for a person: what held or what broke.
    outcomes : tuple of Outcome
        Per-subject verdicts.

    Examples
    --------
    >>> from mlcheck import CheckResult
    >>> r = CheckResult("check_coverage", passed=True, observed=1.0, threshold=0.99)
    >>> r.passed, r.failed
    (True, False)
    """

    name: str
    passed: bool
    severity: Severity = "error"
    observed: Any = None
    threshold: Any = None
    details: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""
    outcomes: tuple[Outcome, ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in ("error", "warning"):
            raise ValueError(f"severity must be 'error' or 'warning', not {self.severity!r}")
        object.__setattr__(self, "passed", bool(self.passed))
        object.__setattr__(self, "outcomes", tuple(self.outcomes))

    @property
    def failed(self) -> bool:
        return not self.passed

    @property
    def blocking(self) -> bool:
        """True when this failure must stop the export gate."""
        return self.failed and self.severity == "error"

    def with_(self, **changes: Any) -> CheckResult:
        """A copy with some fields changed (results are immutable)."""
        return replace(self, **changes)

    # -- serialization -----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "severity": self.severity,
            "observed": to_jsonable(self.observed),
            "threshold": to_jsonable(self.threshold),
            "details": to_jsonable(dict(self.details)),
            "message": self.message,
            "outcomes": [outcome.to_dict() for outcome in self.outcomes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            name=str(data["name"]),
            passed=bool(data["passed"]),
            severity=data.get("severity", "error"),
            observed=data.get("observed"),
            threshold=data.get("threshold"),
            details=dict(data.get("details") or {}),
            message=str(data.get("message", "")),
            outcomes=tuple(Outcome.from_dict(o) for o in data.get("outcomes") or ()),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    # -- display -------------------------------------------------------------
    def __str__(self) -> str:
        return result_text(self.to_dict())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return _presenter("bundle")(self)  # type: ignore[no-any-return]

    def explore(self) -> Any:
        """An interactive ipywidgets view of a shift or performance result (see :mod:`mlcheck.display.explore`)."""
        return _presenter("explore")(self)

    def _ipython_display_(self) -> None:
        # A check called as the last line of a cell has already shown its card.
        _presenter("show")(self)


# This module is a leaf: it imports neither the display layer nor the kernel. They
# present results through these hooks, which mlcheck.kernel installs when it loads;
# the first display of a result loads it by name (as a registry loads a built-in
# entry), so a result shows as a card whichever module computed it.
_PRESENTER_MODULE = "mlcheck.kernel"
_PRESENTER: dict[str, Callable[[CheckResult], Any]] = {}


def install_presenter(
    *,
    show: Callable[[CheckResult], Any],
    bundle: Callable[[CheckResult], dict[str, Any]],
    explore: Callable[[CheckResult], Any],
) -> None:
    """Say how results are shown in a notebook, drawn as a MIME bundle and explored (the kernel does)."""
    _PRESENTER.update(show=show, bundle=bundle, explore=explore)


def _presenter(hook: str) -> Callable[[CheckResult], Any]:
    if hook not in _PRESENTER:
        importlib.import_module(_PRESENTER_MODULE)
    return _PRESENTER[hook]
