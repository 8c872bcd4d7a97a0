"""Contracts: pure checks, arrays and frames in, :class:`CheckResult` out.

Every check is registered by name in :data:`CHECKS` (``@register_check(name)``);
third parties add theirs through the ``mlcheck.checks`` entry-point group, and
every registered check is served as ``mlcheck.<name>``. Checks never do I/O,
never record and never display: :mod:`mlcheck.kernel` wraps them for that.

A registered check gets a validated boundary: its arguments are bound to its
signature and its declared option constraints are checked before it runs
(:mod:`mlcheck._validation`); a check that declares none still has its
``severity`` held to ``"error"`` or ``"warning"`` and its keywords checked.
:mod:`mlcheck.testing` is the conformance suite every registered check passes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from mlcheck._validation import SEVERITY, constraints_of, validate_options
from mlcheck.errors import Reason, RegistryError
from mlcheck.registry import Registry

F = TypeVar("F", bound=Callable[..., Any])

#: Where each built-in check lives, so a check's module loads on first use.
BUILTIN_CHECKS: dict[str, str] = {
    "check_shift": "mlcheck.contracts.shift",
    "check_performance": "mlcheck.contracts.performance",
    "check_improvement": "mlcheck.contracts.comparison",
    "check_parity": "mlcheck.contracts.parity",
    "check_schema": "mlcheck.contracts.schema",
    "check_coverage": "mlcheck.contracts.operations",
    "check_latency": "mlcheck.contracts.operations",
    "check_repeatable": "mlcheck.contracts.operations",
    "check_importance": "mlcheck.contracts.importance",
    "check_leakage": "mlcheck.contracts.importance",
    "check_realized": "mlcheck.monitoring.labels",
}
ENTRY_POINT_GROUP = "mlcheck.checks"


def _as_check(name: str, function: Any) -> Callable[..., Any]:
    """A registered check: callable, with a validated boundary (added when the author gave none)."""
    if not callable(function):
        raise RegistryError(
            f"check {name!r} must be a function returning a CheckResult, got {type(function).__name__}",
            reason=Reason.INVALID_TYPE,
            parameter="name",
            value=name,
        )
    check: Callable[..., Any] = function
    if constraints_of(check):
        return check
    try:
        parameters = inspect.signature(check).parameters
    except (TypeError, ValueError):  # a builtin or C callable: nothing to bind against
        return check
    declared = {"severity": [SEVERITY]} if "severity" in parameters else {}
    return validate_options(declared, name=name)(check)


#: Every check, by name: built-in and from the ``mlcheck.checks`` entry points.
CHECKS: Registry[Callable[..., Any]] = Registry(
    "check", group=ENTRY_POINT_GROUP, builtins=BUILTIN_CHECKS, prepare=_as_check
)


def register_check(name: str, *, replace: bool = False) -> Callable[[F], F]:
    """Register a pure check function under ``name`` (a decorator).

    A name already taken raises :class:`~mlcheck.errors.RegistryError`
    unless ``replace=True``.

    Examples
    --------
    >>> from mlcheck import CheckResult
    >>> from mlcheck.contracts import CHECKS, register_check
    >>> @register_check("check_always")
    ... def check_always(values, *, severity="error"):
    ...     return CheckResult("check_always", passed=True, severity=severity)
    >>> import mlcheck as mc
    >>> mc.check_always([1]).passed
    True
    >>> CHECKS.unregister("check_always")
    """
    return CHECKS.register(name, replace=replace)


def load_check_module(name: str) -> None:
    """Import the module that defines the built-in check ``name``, if any."""
    if name in BUILTIN_CHECKS:
        CHECKS.get(name)


def get_check(name: str) -> Callable[..., Any]:
    """The pure check registered as ``name``; unknown names list the known ones."""
    return CHECKS.get(name)


def known_checks() -> list[str]:
    """Every check's name: built-in, registered and from entry points (no module imported)."""
    return CHECKS.names()
