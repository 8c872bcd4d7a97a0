"""mlcheck: notebooks as jobs, models with contracts, export behind a gate.

``import mlcheck`` stays cheap: every public name below loads its module on
first use. The public ``check_*`` functions are the pure checks of
:mod:`mlcheck.contracts` wrapped to record and display their result.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlcheck.errors import (
    BundleIntegrityError,
    ContractViolation,
    MlcheckError,
    ParameterError,
    UsageError,
)

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "CheckResult": "mlcheck.results",
    "Outcome": "mlcheck.results",
    "record": "mlcheck.kernel",
    "recorded_results": "mlcheck.kernel",
    "profile": "mlcheck.profiling.model",
    "Profile": "mlcheck.profiling.model",
    "shift_report": "mlcheck.contracts.shift",
    "evaluate": "mlcheck.contracts.performance",
    "ab_sample_size": "mlcheck.contracts.comparison",
    "export": "mlcheck.bundle",
    "load": "mlcheck.bundle",
    "Bundle": "mlcheck.bundle",
    "ScoreResult": "mlcheck.bundle",
}
_CHECKS = (
    "check_performance",
    "check_improvement",
    "check_shift",
    "check_parity",
    "check_schema",
    "check_coverage",
    "check_latency",
    "check_repeatable",
)

__all__ = [
    "__version__",
    "MlcheckError",
    "UsageError",
    "ParameterError",
    "ContractViolation",
    "BundleIntegrityError",
    *_LAZY,
    *_CHECKS,
]


def __getattr__(name: str) -> Any:
    if name in _CHECKS:
        from mlcheck.contracts import get_check
        from mlcheck.kernel import recorded

        value = recorded(get_check(name))
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'mlcheck' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from mlcheck.results import CheckResult, Outcome
    from mlcheck.kernel import record, recorded_results
