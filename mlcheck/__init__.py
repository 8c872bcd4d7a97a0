"""mlcheck: notebooks as jobs, models with contracts, export behind a gate.

``import mlcheck`` stays cheap: every public name below loads its module on
first use. Every check registered in :data:`mlcheck.contracts.CHECKS` (the
built-in ones and those of the ``mlcheck.checks`` entry-point group) is served
as ``mlcheck.<name>``: the pure check wrapped to record and display its result.
Type checkers see each public name with its real signature through the
``TYPE_CHECKING`` imports at the end of this module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mlcheck.errors import (
    BundleIntegrityError,
    ContractViolation,
    MlcheckError,
    OptionError,
    ParameterError,
    Reason,
    RegistryError,
    UsageError,
)

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "CheckResult": "mlcheck.results",
    "Outcome": "mlcheck.results",
    "record": "mlcheck.kernel",
    "clear": "mlcheck.kernel",
    "recorded_results": "mlcheck.kernel",
    "profile": "mlcheck.profiling.model",
    "Profile": "mlcheck.profiling.model",
    "shift_report": "mlcheck.contracts.shift",
    "evaluate": "mlcheck.contracts.performance",
    "ab_sample_size": "mlcheck.contracts.comparison",
    "importance": "mlcheck.contracts.importance",
    "scorecard": "mlcheck.display.importance",
    "anomalies": "mlcheck.monitoring.detectors",
    "breakouts": "mlcheck.monitoring.detectors",
    "monitor": "mlcheck.monitoring.series",
    "export": "mlcheck.bundle",
    "load": "mlcheck.bundle",
    "Bundle": "mlcheck.bundle",
    "ScoreResult": "mlcheck.bundle",
}
# The built-in checks, listed here (not read from the registry) so that
# ``import mlcheck`` imports no registry and ``from mlcheck import *`` sees them.
_CHECKS = (
    "check_performance",
    "check_improvement",
    "check_shift",
    "check_parity",
    "check_schema",
    "check_coverage",
    "check_latency",
    "check_repeatable",
    "check_importance",
    "check_leakage",
    "check_realized",
)

__all__ = [
    "Bundle",
    "BundleIntegrityError",
    "CheckResult",
    "ContractViolation",
    "MlcheckError",
    "OptionError",
    "Outcome",
    "ParameterError",
    "Profile",
    "Reason",
    "RegistryError",
    "ScoreResult",
    "UsageError",
    "__version__",
    "ab_sample_size",
    "anomalies",
    "breakouts",
    "check_coverage",
    "check_importance",
    "check_improvement",
    "check_latency",
    "check_leakage",
    "check_parity",
    "check_performance",
    "check_realized",
    "check_repeatable",
    "check_schema",
    "check_shift",
    "clear",
    "evaluate",
    "export",
    "importance",
    "load",
    "monitor",
    "profile",
    "record",
    "recorded_results",
    "scorecard",
    "shift_report",
]
assert set(__all__) >= set(_LAZY) | set(_CHECKS)

# name -> (the registered pure check, the recorded wrapper served for it). Checks are
# not cached in globals(): a plugin may unregister or replace its check, and the
# name must then serve the new one.
_SERVED: dict[str, tuple[Any, Any]] = {}


def _check(name: str) -> Any:
    from mlcheck.contracts import CHECKS
    from mlcheck.kernel import recorded

    try:
        check = CHECKS.get(name)
    except RegistryError as error:
        raise AttributeError(f"module 'mlcheck' has no attribute {name!r} ({error})") from None
    served = _SERVED.get(name)
    if served is None or served[0] is not check:
        served = (check, recorded(check))
        _SERVED[name] = served
    return served[1]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SERVED:  # served before: one dictionary look-up in the registry
        return _check(name)
    if name.startswith("_") or _is_submodule(name):
        # Dunders, tools' probes (IPython asks for _repr_html_) and submodules not yet
        # imported (``from mlcheck import kernel`` asks first) never name a check;
        # answering them must not load the registry nor read distributions' metadata.
        raise AttributeError(f"module 'mlcheck' has no attribute {name!r}")
    return _check(name)


def _is_submodule(name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(f"{__name__}.{name}") is not None


def __dir__() -> list[str]:
    from mlcheck.contracts import known_checks

    return sorted(set(globals()) | set(__all__) | set(known_checks()))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from mlcheck.bundle import Bundle as Bundle
    from mlcheck.bundle import ScoreResult as ScoreResult
    from mlcheck.bundle import export as export
    from mlcheck.bundle import load as load
    from mlcheck.contracts.comparison import ab_sample_size as ab_sample_size
    from mlcheck.contracts.comparison import check_improvement as check_improvement
    from mlcheck.contracts.importance import check_importance as check_importance
    from mlcheck.contracts.importance import check_leakage as check_leakage
    from mlcheck.contracts.importance import importance as importance
    from mlcheck.display.importance import scorecard as scorecard
    from mlcheck.contracts.operations import check_coverage as check_coverage
    from mlcheck.contracts.operations import check_latency as check_latency
    from mlcheck.contracts.operations import check_repeatable as check_repeatable
    from mlcheck.contracts.parity import check_parity as check_parity
    from mlcheck.contracts.performance import check_performance as check_performance
    from mlcheck.contracts.performance import evaluate as evaluate
    from mlcheck.contracts.schema import check_schema as check_schema
    from mlcheck.contracts.shift import check_shift as check_shift
    from mlcheck.contracts.shift import shift_report as shift_report
    from mlcheck.kernel import clear as clear
    from mlcheck.kernel import record as record
    from mlcheck.monitoring.detectors import anomalies as anomalies
    from mlcheck.monitoring.detectors import breakouts as breakouts
    from mlcheck.monitoring.labels import check_realized as check_realized
    from mlcheck.monitoring.series import monitor as monitor
    from mlcheck.kernel import recorded_results as recorded_results
    from mlcheck.profiling.model import Profile as Profile
    from mlcheck.profiling.model import profile as profile
    from mlcheck.results import CheckResult as CheckResult
    from mlcheck.results import Outcome as Outcome
