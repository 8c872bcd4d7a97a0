"""The result of a check: a small immutable record, plain JSON on the wire."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Mapping

Severity = Literal["error", "warning"]

#: MIME type of every output mlcheck emits; the payload carries its own version.
MIME_TYPE = "application/vnd.mlcheck.result+json"
PAYLOAD_VERSION = 1

__all__ = ["CheckResult", "Outcome", "MIME_TYPE", "PAYLOAD_VERSION", "to_jsonable"]


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
        from mlcheck.display.cards import render_text

        return render_text(self.to_dict())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from mlcheck.display.cards import result_bundle

        return result_bundle(self.to_dict())

    def explore(self) -> Any:
        """An interactive ipywidgets view of a shift or performance result (see :mod:`mlcheck.display.explore`)."""
        from mlcheck.display.explore import explore

        return explore(self)

    def _ipython_display_(self) -> None:
        # A check called as the last line of a cell has already shown its card.
        from mlcheck import kernel as notebook

        notebook.show(self)
