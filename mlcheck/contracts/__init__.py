"""Contracts: pure checks, arrays and frames in, :class:`CheckResult` out.

Every check is registered by name (``register_check``); third parties add
theirs through the ``mlcheck.checks`` entry-point group. Checks never do I/O,
never record and never display: :mod:`mlcheck.kernel` wraps them for that.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Callable, TypeVar

from mlcheck.errors import UsageError

CheckFunction = Callable[..., "object"]
F = TypeVar("F", bound=Callable[..., object])

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
}
ENTRY_POINT_GROUP = "mlcheck.checks"

_REGISTRY: dict[str, Callable[..., object]] = {}


def register_check(name: str) -> Callable[[F], F]:
    """Register a pure check function under ``name`` (a decorator)."""

    def decorate(function: F) -> F:
        _REGISTRY[name] = function
        return function

    return decorate


def load_check_module(name: str) -> None:
    """Import the module that defines the built-in check ``name``, if any."""
    module = BUILTIN_CHECKS.get(name)
    if module is not None:
        importlib.import_module(module)


def _load_entry_points() -> None:
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name not in _REGISTRY:
            _REGISTRY[entry_point.name] = entry_point.load()


def get_check(name: str) -> Callable[..., object]:
    """The pure check registered as ``name``; unknown names list the known ones."""
    if name not in _REGISTRY:
        load_check_module(name)
    if name not in _REGISTRY:
        _load_entry_points()
    if name not in _REGISTRY:
        known = sorted(set(BUILTIN_CHECKS) | set(_REGISTRY))
        raise UsageError(f"unknown check {name!r}; known checks: {', '.join(known)}")
    return _REGISTRY[name]


def known_checks() -> list[str]:
    _load_entry_points()
    return sorted(set(BUILTIN_CHECKS) | set(_REGISTRY))
