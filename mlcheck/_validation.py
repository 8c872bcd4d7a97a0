"""Declarative option constraints, checked once at each public boundary.

A public function declares what each option may be and is wrapped by
:func:`validate_options` (scikit-learn's ``validate_params`` is the model)::

    @validate_options({"min": [Interval(Real, 0, 1)], "severity": [SEVERITY]})
    def check_coverage(values, *, min=0.99, severity="error"): ...

Before the body runs, the arguments are bound to the signature and every
declared option that was passed is held to its constraints; a value passes
when it satisfies at least one of them. A mistake raises
:class:`~mlcheck.errors.OptionError` naming the function, the option, what it
may be and what it got, with ``reason`` (:class:`~mlcheck.errors.Reason`),
``parameter`` and ``value`` set. Unknown keywords and missing arguments raise
it too, with a suggestion for a misspelt keyword. Defaults are not checked:
they are the function's own.

Options whose validity depends on each other or on the data (a metric name
known only for the data's task) stay in the function body, raising the same
error with ``Reason.CONFLICTING_OPTIONS`` or ``Reason.NOT_AN_OPTION``.

>>> from numbers import Real
>>> @validate_options({"alpha": [Interval(Real, 0, 1, closed="neither")]})
... def test(*, alpha: float = 0.05) -> float:
...     return alpha
>>> test(alpha=1.5)
Traceback (most recent call last):
...
mlcheck.errors.OptionError: test: alpha must be a number in (0, 1), got 1.5
>>> test(alpah=0.1)
Traceback (most recent call last):
...
mlcheck.errors.OptionError: test: unexpected keyword argument 'alpah' (did you mean 'alpha'?); it takes: alpha
"""

from __future__ import annotations

import abc
import functools
import inspect
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from numbers import Integral, Real
from typing import Any, Literal, ParamSpec, TypeVar

from mlcheck.errors import OptionError, Reason

__all__ = [
    "RANDOM_STATE",
    "SEVERITY",
    "SequenceOf",
    "Constraint",
    "HasMethods",
    "InstanceOf",
    "Interval",
    "NAME",
    "MappingOf",
    "PATH",
    "Options",
    "constraints_of",
    "option_error",
    "validate_options",
]

P = ParamSpec("P")
R = TypeVar("R")


class Constraint(abc.ABC):
    """What one option may be: a test, a description, and values that break it (an abstract base)."""

    #: the reason reported when a value fails this constraint and no closer one
    reason: Reason = Reason.INVALID_TYPE

    @abc.abstractmethod
    def is_satisfied_by(self, value: Any) -> bool:
        """Whether ``value`` passes."""

    @abc.abstractmethod
    def __str__(self) -> str:
        """What the option may be, in words for messages ("a number in [0, 1]")."""

    def failure_reason(self, value: Any) -> Reason | None:
        """The reason when ``value`` has the right type but a wrong value, else None."""
        return None

    def invalid_examples(self) -> list[Any]:
        """Values that break this constraint (the conformance suite passes them)."""
        return []


def _is_real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_integral(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


class Interval(Constraint):
    """A real or integral number between ``left`` and ``right`` (either may be None: unbounded).

    ``closed`` says which ends belong: ``"both"`` (default), ``"left"``,
    ``"right"`` or ``"neither"``. Booleans and NaN never pass; an integral
    interval refuses floats such as 3.0 (a count is an int); a real one refuses
    infinities (``None`` switches a bound off). ``description``
    replaces the generated one in messages ("a fraction in [0, 1]").
    """

    def __init__(
        self,
        kind: type[Real | Integral],
        left: float | None,
        right: float | None,
        *,
        closed: Literal["both", "left", "right", "neither"] = "both",
        description: str | None = None,
    ) -> None:
        if kind not in (Real, Integral):
            raise TypeError("Interval kind must be numbers.Real or numbers.Integral")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed
        self.description = description

    def _typed(self, value: Any) -> bool:
        # A bound of infinity is never meant: None switches a bound off, so inf and NaN fail.
        return _is_integral(value) if self.kind is Integral else _is_real(value) and math.isfinite(value)

    def _inside(self, value: Any) -> bool:
        left_open, right_open = self.closed in ("right", "neither"), self.closed in ("left", "neither")
        if self.left is not None and (value < self.left or (value == self.left and left_open)):
            return False
        return not (self.right is not None and (value > self.right or (value == self.right and right_open)))

    def is_satisfied_by(self, value: Any) -> bool:
        return self._typed(value) and self._inside(value)

    def failure_reason(self, value: Any) -> Reason | None:
        return Reason.OUT_OF_RANGE if self._typed(value) else None

    def __str__(self) -> str:
        if self.description:
            return self.description
        noun = "an integer" if self.kind is Integral else "a number"
        if self.left is not None and self.right is not None:
            opening = "[" if self.closed in ("both", "left") else "("
            closing = "]" if self.closed in ("both", "right") else ")"
            return f"{noun} in {opening}{_number(self.left)}, {_number(self.right)}{closing}"
        if self.left is not None:
            return f"{noun} {'>=' if self.closed in ('both', 'left') else '>'} {_number(self.left)}"
        if self.right is not None:
            return f"{noun} {'<=' if self.closed in ('both', 'right') else '<'} {_number(self.right)}"
        return "a finite number" if self.kind is Real else noun

    def invalid_examples(self) -> list[Any]:
        examples: list[Any] = ["x"]
        if self.left is not None:
            examples.append(self.left - 1 if self.closed in ("both", "left") else self.left)
        if self.right is not None:
            examples.append(self.right + 1 if self.closed in ("both", "right") else self.right)
        if self.kind is Integral:
            examples.append(1.5)
        return examples


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


class Options(Constraint):
    """One of a fixed set of values (option strings: ``Options("error", "warning")``)."""

    reason = Reason.NOT_AN_OPTION

    def __init__(self, *options: Any) -> None:
        self.options = tuple(options)

    def is_satisfied_by(self, value: Any) -> bool:
        # bool(1 == True) would let True pass for an option 1; compare types as well.
        return any(value == option and type(value) is type(option) for option in self.options)

    def failure_reason(self, value: Any) -> Reason | None:
        types = {type(option) for option in self.options}
        return Reason.NOT_AN_OPTION if type(value) in types else None

    def __str__(self) -> str:
        shown = [repr(option) for option in self.options]
        if len(shown) == 1:
            return shown[0]
        return f"one of {', '.join(shown[:-1])} or {shown[-1]}"

    def invalid_examples(self) -> list[Any]:
        return ["__not_an_option__"]


class InstanceOf(Constraint):
    """An instance of one of ``types`` (``description`` names them for a person)."""

    def __init__(self, *types: type, description: str | None = None) -> None:
        self.types = types
        self.description = description

    def is_satisfied_by(self, value: Any) -> bool:
        if bool not in self.types and isinstance(value, bool) and not any(t is object for t in self.types):
            return False  # True is an int to Python, never to a user
        return isinstance(value, self.types)

    def __str__(self) -> str:
        if self.description:
            return self.description
        names = [t.__name__ for t in self.types]
        return f"an instance of {' or '.join(names)}"

    def invalid_examples(self) -> list[Any]:
        return [object()]


class _IsNone(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


class _Boolean(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, bool) or type(value).__name__ == "bool_"  # numpy.bool_ without numpy

    def __str__(self) -> str:
        return "True or False"

    def invalid_examples(self) -> list[Any]:
        return ["yes"]


class _Callable(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return callable(value)

    def __str__(self) -> str:
        return "a callable"

    def invalid_examples(self) -> list[Any]:
        return [42]


class HasMethods(Constraint):
    """An object with these methods (a fitted model: ``HasMethods("predict")``)."""

    def __init__(self, *methods: str, description: str | None = None) -> None:
        self.methods = methods
        self.description = description

    def is_satisfied_by(self, value: Any) -> bool:
        return all(callable(getattr(value, method, None)) for method in self.methods)

    def __str__(self) -> str:
        return self.description or f"an object with {', '.join('.' + m + '()' for m in self.methods)}"

    def invalid_examples(self) -> list[Any]:
        return [object()]


class MappingOf(Constraint):
    """A mapping whose keys are strings and whose values satisfy ``values`` (``{"recall": 0.6}``)."""

    def __init__(self, values: Constraint, *, example: str = "") -> None:
        self.values = values
        self.example = example

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, Mapping) and all(
            isinstance(key, str) and self.values.is_satisfied_by(item) for key, item in value.items()
        )

    def failure_reason(self, value: Any) -> Reason | None:
        if isinstance(value, Mapping):
            for item in value.values():
                if not self.values.is_satisfied_by(item):
                    return self.values.failure_reason(item)
        return None

    def __str__(self) -> str:
        return f"a dict of name to {self.values}" + (f", e.g. {self.example}" if self.example else "")

    def invalid_examples(self) -> list[Any]:
        return [[("x", 1)]]


class SequenceOf(Constraint):
    """A list or tuple whose items satisfy ``items`` (a lone string is not a sequence of names)."""

    def __init__(self, items: Constraint, *, description: str | None = None) -> None:
        self.items = items
        self.description = description

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, (list, tuple)) and all(self.items.is_satisfied_by(item) for item in value)

    def __str__(self) -> str:
        return self.description or f"a list of {self.items}"

    def invalid_examples(self) -> list[Any]:
        return ["a lone string", [object()]]


class _NonEmptyString(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value)

    def __str__(self) -> str:
        return "a non-empty string"

    def invalid_examples(self) -> list[Any]:
        return ["", 3]


#: a name: a str with at least one character
NAME = _NonEmptyString()
#: a file or folder path
PATH = InstanceOf(str, os.PathLike, description="a path (a str or a pathlib.Path)")
#: the severity every check takes
SEVERITY = Options("error", "warning")
ConstraintSpec = Constraint | type | str | None


def _normalize(spec: ConstraintSpec) -> Constraint:
    if isinstance(spec, Constraint):
        return spec
    if spec is None:
        return _IsNone()
    if spec == "boolean":
        return _Boolean()
    if spec == "callable":
        return _Callable()
    if spec == "random_state":
        return _Generator()
    if isinstance(spec, type):
        return InstanceOf(spec)
    raise TypeError(f"not a constraint: {spec!r}")


class _Generator(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        cls = type(value)
        return cls.__name__ == "Generator" and cls.__module__.startswith("numpy")

    def __str__(self) -> str:
        return "a numpy Generator"


#: a seed or a numpy Generator (never numpy's global generator)
RANDOM_STATE: list[ConstraintSpec] = [None, Interval(Integral, 0, None), "random_state"]


def constraints_of(function: Callable[..., Any]) -> dict[str, tuple[Constraint, ...]]:
    """The declared constraints of a validated function (empty for any other)."""
    return dict(getattr(function, "__mlcheck_constraints__", {}))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def option_error(where: str, parameter: str, value: Any, constraints: Sequence[Constraint]) -> OptionError:
    """The error for ``value`` failing every one of ``constraints``."""
    reason = Reason.INVALID_TYPE
    for constraint in constraints:
        specific = constraint.failure_reason(value)
        if specific is not None:
            reason = specific
            break
    # "a number >= 0 or None" reads better than "None or a number >= 0": None goes last
    ordered = sorted(constraints, key=lambda constraint: isinstance(constraint, _IsNone))
    descriptions = [str(constraint) for constraint in ordered]
    allowed = (
        descriptions[0]
        if len(descriptions) == 1
        else ", ".join(descriptions[:-1]) + " or " + descriptions[-1]
    )
    got = _shown(value)
    if reason is Reason.INVALID_TYPE and not isinstance(value, (str, int, float, type(None))):
        got += f" (a {type(value).__name__})"
    return OptionError(
        f"{where}: {parameter} must be {allowed}, got {got}",
        reason=reason,
        parameter=parameter,
        value=value,
    )


def _binding_error(
    where: str, signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any], error: TypeError
) -> OptionError:
    import difflib

    parameters = signature.parameters
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    names = [name for name, p in parameters.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if not takes_kwargs:
        for key, value in kwargs.items():
            if key not in parameters:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                return OptionError(
                    f"{where}: unexpected keyword argument {key!r}{hint}; it takes: {', '.join(names)}",
                    reason=Reason.UNEXPECTED_ARGUMENT,
                    parameter=key,
                    value=value,
                )
    try:
        partial = signature.bind_partial(*args, **kwargs)
    except TypeError:
        partial = None
    if partial is not None:
        for name, p in parameters.items():
            if (
                name not in partial.arguments
                and p.default is p.empty
                and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ):
                return OptionError(
                    f"{where}: missing the required argument {name!r}",
                    reason=Reason.MISSING_ARGUMENT,
                    parameter=name,
                )
    return OptionError(f"{where}: {error}", reason=Reason.UNEXPECTED_ARGUMENT)


def validate_options(
    constraints: Mapping[str, Iterable[ConstraintSpec]], *, name: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Wrap a public function so its arguments are held to ``constraints`` before it runs.

    Parameters
    ----------
    constraints : mapping of str to list of constraints
        Option name -> what it may be; a value passes when any one holds.
        A constraint is a :class:`Constraint`, a type (an instance of it),
        ``None`` (the value None), ``"boolean"``, ``"callable"`` or
        ``"random_state"`` (a numpy Generator).
    name : str, optional
        The function's name in messages (default: its ``__name__``).

    Returns
    -------
    decorator
        It keeps the function's signature (for ``inspect`` and type checkers)
        and stores the constraints as ``__mlcheck_constraints__``.

    Raises
    ------
    TypeError
        At decoration, when a constraint names no parameter of the function
        (a programming error, not a user's).
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(function)
        normalized = {
            option: tuple(_normalize(spec) for spec in specs) for option, specs in constraints.items()
        }
        undeclared = set(normalized) - set(signature.parameters)
        if undeclared:
            raise TypeError(f"{function.__qualname__} has no parameter {sorted(undeclared)}")
        where = name or function.__name__

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError as error:
                raise _binding_error(where, signature, args, kwargs, error) from None
            arguments = bound.arguments
            for option, rules in normalized.items():
                if option in arguments:
                    value = arguments[option]
                    if not any(rule.is_satisfied_by(value) for rule in rules):
                        raise option_error(where, option, value, rules)
            return function(*args, **kwargs)

        wrapper.__mlcheck_constraints__ = normalized  # type: ignore[attr-defined]
        return wrapper

    return decorate
