"""The conformance suite every registered check must pass (``mlcheck.testing``).

A check is a pure function that returns an immutable
:class:`~mlcheck.results.CheckResult`. This module says what that means, as
small functions that each test one promise on a check and raise
``AssertionError`` saying which one broke (scikit-learn's ``check_estimator``
is the model). mlcheck runs it over its own checks; write a test like this for
yours::

    from mlcheck.testing import Example, parametrize_with_checks

    @parametrize_with_checks({"check_fairness": [Example(([0, 1, 1], [0, 1, 0]), {"max_gap": 0.2})]})
    def test_conformance(conformance):
        conformance()

The name must be registered (with ``@register_check`` or the ``mlcheck.checks``
entry-point group): the suite asks the registry, as ``mc.<name>`` does. Each
:class:`Example` is one valid call; give a few that pass and fail. The
promises:

- the result is a ``CheckResult`` named as registered, immutable, with a bool
  ``passed`` that agrees with its outcomes, and it survives JSON;
- the check records nothing itself (``mlcheck.<name>`` does) and writes no
  file into its working folder;
- the same call gives the same result (``Example(deterministic=False)`` for a
  check that measures time: then only the shape must agree);
- the inputs are left as they were, and read-only numpy arrays are accepted;
- ``severity="warning"`` is honoured, ``severity="fatal"``, an unknown keyword
  and every value that breaks a declared option constraint raise
  :class:`~mlcheck.errors.OptionError` naming the parameter;
- options are keyword-only, the check is documented (numpydoc
  ``Parameters``), and it is served as ``mlcheck.<name>`` with its signature.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import pickle
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlcheck.errors import MlcheckError, OptionError, Reason

__all__ = [
    "Example",
    "check_conformance",
    "conformance_checks",
    "parametrize_with_checks",
]

#: an option no check takes, to see unknown keywords refused
UNKNOWN_OPTION = "mlcheck_conformance_no_such_option"


@dataclass(frozen=True)
class Example:
    """One valid call of a check: ``check(*args, **kwargs)``.

    Parameters
    ----------
    args : tuple
        Positional arguments (the data).
    kwargs : mapping
        Keyword options.
    deterministic : bool, default True
        False for a check whose observed values vary between identical calls
        (timings): the two results must then agree in shape only.
    """

    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    deterministic: bool = True

    def call(self, check: Callable[..., Any], **overrides: Any) -> Any:
        """``check(*args, **kwargs)`` with some options replaced."""
        return check(*self.args, **{**self.kwargs, **overrides})


Examples = Example | Sequence[Example] | Callable[[], Example | Sequence[Example]]
ConformanceCheck = Callable[[str, Callable[..., Any], Sequence[Example]], None]


def _examples(source: Examples) -> list[Example]:
    produced = source() if callable(source) else source
    examples = [produced] if isinstance(produced, Example) else list(produced)
    if not examples or not all(isinstance(example, Example) for example in examples):
        raise TypeError("give at least one mlcheck.testing.Example (a valid call of the check)")
    return examples


def _result(name: str, check: Callable[..., Any], example: Example, **overrides: Any) -> Any:
    """Call the check; a value that is not a CheckResult breaks every promise at once."""
    from mlcheck.results import CheckResult

    result = example.call(check, **overrides)
    assert isinstance(result, CheckResult), f"{name} returned a {type(result).__name__}, not a CheckResult"
    return result


def _registered(name: str) -> Callable[..., Any]:
    from mlcheck.contracts import CHECKS

    return CHECKS.get(name)


# -- the promises, one function each --------------------------------------------------------------
def returns_a_check_result(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """The result is a CheckResult named as registered, with plain-typed fields."""
    for example in examples:
        result = _result(name, check, example)
        assert result.name == name, f"{name} returned a result named {result.name!r}"
        assert isinstance(result.passed, bool), f"{name}: passed is a {type(result.passed).__name__}"
        assert result.severity in ("error", "warning"), f"{name}: severity {result.severity!r}"
        assert isinstance(result.message, str), f"{name}: message is a {type(result.message).__name__}"
        assert isinstance(result.outcomes, tuple), f"{name}: outcomes is not a tuple"


def result_is_immutable(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """Fields of a result cannot be reassigned (a frozen dataclass)."""
    result = _result(name, check, examples[0])
    for attribute in ("passed", "observed", "details"):
        try:
            setattr(result, attribute, None)
        except dataclasses.FrozenInstanceError:
            continue
        raise AssertionError(f"{name}: result.{attribute} could be reassigned; results are immutable")


def passed_agrees_with_outcomes(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """A result with outcomes passes exactly when every outcome passes."""
    for example in examples:
        result = _result(name, check, example)
        if result.outcomes:
            every = all(outcome.passed for outcome in result.outcomes)
            assert result.passed == every, (
                f"{name}: passed={result.passed} but the outcomes say {every}: "
                f"{[(o.subject, o.passed) for o in result.outcomes][:10]}"
            )


def result_survives_json(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """``to_json()`` is strict JSON (no NaN) and reads back into the same record."""
    from mlcheck.results import CheckResult

    for example in examples:
        result = _result(name, check, example)
        text = result.to_json()
        data = json.loads(text)
        again = CheckResult.from_dict(data).to_dict()
        assert again == data, f"{name}: the result does not read back from its JSON unchanged"


def _shape(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def is_pure(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """The pure check records nothing (``mlcheck.<name>`` records; the check itself never does)."""
    from mlcheck.kernel import recorded_results, recorded_values

    before = (len(recorded_results()), dict(recorded_values()))
    for example in examples:
        _result(name, check, example)
    after = (len(recorded_results()), dict(recorded_values()))
    assert before == after, f"{name} recorded a result or value itself; leave that to mlcheck.{name}"


def writes_no_files(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """Checks do no I/O: run from an empty working folder, they leave it empty."""
    import os
    import tempfile

    before = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="mlcheck-conformance-") as folder:
        os.chdir(folder)
        try:
            for example in examples:
                _result(name, check, example)
            left = sorted(os.listdir(folder))
        finally:
            os.chdir(before)
    assert not left, f"{name} wrote {left[:5]} into the working folder; checks do no I/O"


def is_deterministic(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """The same call twice gives the same result (or, for timings, the same shape)."""
    for example in examples:
        first = _result(name, check, example).to_dict()
        second = _result(name, check, example).to_dict()
        if example.deterministic:
            assert first == second, f"{name}: two identical calls gave different results"
        else:
            assert _shape(first["details"]) == _shape(second["details"]), f"{name}: details changed shape"
            assert [o["subject"] for o in first["outcomes"]] == [o["subject"] for o in second["outcomes"]]


def _fingerprint(value: Any) -> Any:
    """A comparable summary of a value's content (arrays and frames by their bytes)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, np.ndarray):
        return (
            "ndarray",
            value.dtype.str,
            value.shape,
            value.tobytes() if value.dtype != object else repr(value),
        )
    if isinstance(value, (pd.DataFrame, pd.Series)):
        hashed = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        columns = tuple(map(str, value.columns)) if isinstance(value, pd.DataFrame) else value.name
        dtypes = tuple(map(str, value.dtypes)) if isinstance(value, pd.DataFrame) else str(value.dtype)
        return (type(value).__name__, columns, dtypes, hashed)
    if isinstance(value, Mapping):
        return ("mapping", tuple((repr(key), _fingerprint(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_fingerprint(item) for item in value))
    if callable(value) and not hasattr(value, "get_params"):
        return ("callable", id(value))
    try:
        return ("pickle", pickle.dumps(value))
    except Exception:  # noqa: BLE001 - an object pickle refuses: compare what it shows of itself
        return ("repr", repr(value))


def leaves_inputs_unchanged(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """The arguments hold the same content after the call (checks never write to their inputs)."""
    for example in examples:
        before = _fingerprint((example.args, dict(example.kwargs)))
        example.call(check)
        after = _fingerprint((example.args, dict(example.kwargs)))
        assert before == after, f"{name} modified its inputs"


def accepts_read_only_arrays(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """numpy inputs that cannot be written (memory-mapped, shared) are accepted."""
    import numpy as np

    def frozen(value: Any) -> Any:
        if isinstance(value, np.ndarray):
            copy = value.copy()
            copy.flags.writeable = False
            return copy
        return value

    for example in examples:
        read_only = Example(
            tuple(frozen(arg) for arg in example.args),
            {key: frozen(item) for key, item in example.kwargs.items()},
            example.deterministic,
        )
        read_only.call(check)


def honours_severity(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """``severity="warning"`` gives a warning-severity result; the default is an error."""
    assert "severity" in inspect.signature(check).parameters, f"{name} takes no severity option"
    example = examples[0]
    warned = _result(name, check, example, severity="warning")
    assert warned.severity == "warning", f"{name} ignored severity='warning'"
    if "severity" not in example.kwargs:
        default = _result(name, check, example).severity
        assert default == "error", f"{name}: the default severity is not 'error'"


def _refused(
    name: str, call: Callable[[], Any], parameter: str | None, what: str, reasons: set[Reason] | None = None
) -> None:
    try:
        call()
    except MlcheckError as error:
        assert isinstance(error, OptionError), (
            f"{name} refused {what} with {type(error).__name__}, not an OptionError: {error}"
        )
        assert error.parameter == parameter, (
            f"{name} refused {what} but named the parameter {error.parameter!r}, not {parameter!r}"
        )
        assert reasons is None or error.reason in reasons, f"{name}: reason {error.reason} for {what}"
        assert str(error).startswith(f"{name}: "), f"{name}: the message does not name the check: {error}"
        return
    except Exception as error:  # the point is which class escaped
        raise AssertionError(
            f"{name} raised a bare {type(error).__name__} for {what}: {error}; a user mistake must raise "
            "an MlcheckError (declare the option with mlcheck._validation.validate_options)"
        ) from error
    raise AssertionError(f"{name} accepted {what}")


def refuses_a_bad_severity(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """``severity="fatal"`` raises OptionError naming ``severity``."""
    _refused(
        name,
        lambda: examples[0].call(check, severity="fatal"),
        "severity",
        "severity='fatal'",
        {Reason.NOT_AN_OPTION},
    )


def refuses_an_unknown_keyword(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """A misspelt or unknown keyword raises OptionError naming it."""
    _refused(
        name,
        lambda: examples[0].call(check, **{UNKNOWN_OPTION: 3}),
        UNKNOWN_OPTION,
        f"the unknown keyword {UNKNOWN_OPTION}=3",
        {Reason.UNEXPECTED_ARGUMENT},
    )


def refuses_values_its_constraints_forbid(
    name: str, check: Callable[..., Any], examples: Sequence[Example]
) -> None:
    """Each declared option, given a value none of its constraints allows, raises OptionError naming it."""
    from mlcheck._validation import constraints_of

    signature = inspect.signature(check)
    example = examples[0]
    for parameter, constraints in constraints_of(check).items():
        for bad in (bad for constraint in constraints for bad in constraint.invalid_examples()):
            if any(constraint.is_satisfied_by(bad) for constraint in constraints):
                continue
            bound = signature.bind(*example.args, **example.kwargs)
            bound.arguments[parameter] = bad

            def call(bound: inspect.BoundArguments = bound) -> Any:
                return check(*bound.args, **bound.kwargs)

            _refused(name, call, parameter, f"{parameter}={bad!r}")


def options_are_keyword_only(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """Every parameter with a default comes after ``*`` (calls read as ``min=0.99``, not ``0.99``)."""
    positional = [
        parameter.name
        for parameter in inspect.signature(check).parameters.values()
        if parameter.default is not parameter.empty
        and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    ]
    assert not positional, f"{name}: options {positional} may be passed by position; put them after *"


def is_documented(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """A numpydoc docstring with a Parameters section."""
    doc = inspect.getdoc(check) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert "Parameters\n----------" in doc, f"{name}: the docstring has no numpydoc Parameters section"


def is_served_as_an_attribute(name: str, check: Callable[..., Any], examples: Sequence[Example]) -> None:
    """``mlcheck.<name>`` is this check, recorded, with the same signature, and ``dir(mlcheck)`` lists it."""
    import mlcheck

    served = getattr(mlcheck, name)
    assert getattr(served, "__wrapped_check__", None) is check, (
        f"mlcheck.{name} does not serve the registered check"
    )
    assert inspect.signature(served) == inspect.signature(check), f"mlcheck.{name} lost the check's signature"
    assert name in dir(mlcheck), f"dir(mlcheck) does not list {name}"


_CHECKS: tuple[ConformanceCheck, ...] = (
    returns_a_check_result,
    result_is_immutable,
    passed_agrees_with_outcomes,
    result_survives_json,
    is_pure,
    writes_no_files,
    is_deterministic,
    leaves_inputs_unchanged,
    accepts_read_only_arrays,
    honours_severity,
    refuses_a_bad_severity,
    refuses_an_unknown_keyword,
    refuses_values_its_constraints_forbid,
    options_are_keyword_only,
    is_documented,
    is_served_as_an_attribute,
)


def conformance_checks(name: str, examples: Examples) -> Iterator[tuple[str, Callable[[], None]]]:
    """Each promise as ``(id, run)``: ``run()`` raises AssertionError when the check breaks it.

    Parameters
    ----------
    name : str
        A registered check's name.
    examples : Example, list of Example, or a callable returning them
        Valid calls of the check (a callable is called once, when the first
        promise runs, so building them costs nothing at collection).

    Yields
    ------
    (str, callable)
        The promise's name and a function of no arguments that tests it.
    """
    cache: list[list[Example]] = []

    def resolved() -> list[Example]:
        if not cache:
            cache.append(_examples(examples))
        return cache[0]

    for promise in _CHECKS:

        def run(promise: ConformanceCheck = promise) -> None:
            promise(name, _registered(name), resolved())

        functools.update_wrapper(run, promise)
        yield promise.__name__, run


def check_conformance(name: str, examples: Examples) -> None:
    """Run every promise on the registered check ``name``; raise AssertionError listing the broken ones.

    Examples
    --------
    >>> from mlcheck.testing import Example, check_conformance
    >>> check_conformance("check_coverage", Example(([1.0, float("nan")],), {"min": 0.4}))
    """
    failures = []
    for promise, run in conformance_checks(name, examples):
        try:
            run()
        except Exception as error:  # noqa: BLE001 - every broken promise is reported, not the first
            failures.append(f"{promise}: {type(error).__name__}: {error}")
    if failures:
        raise AssertionError(f"{name} breaks {len(failures)} promise(s):\n  " + "\n  ".join(failures))


def parametrize_with_checks(checks: Mapping[str, Examples]) -> Any:
    """A ``pytest.mark.parametrize`` of every promise over every check, as the argument ``conformance``.

    Parameters
    ----------
    checks : mapping of str to examples
        Registered check name -> valid calls (see :func:`conformance_checks`).

    Returns
    -------
    pytest.MarkDecorator
        Each test id reads ``<check>-<promise>``; the argument is a function of
        no arguments that runs the promise.
    """
    import pytest

    cases = [
        pytest.param(run, id=f"{name}-{promise}")
        for name, examples in checks.items()
        for promise, run in conformance_checks(name, examples)
    ]
    return pytest.mark.parametrize("conformance", cases)
