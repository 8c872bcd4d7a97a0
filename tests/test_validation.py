"""mlcheck._validation: declarative option constraints at every public boundary."""

from __future__ import annotations

import inspect
import math
import pickle
from numbers import Integral, Real

import numpy as np
import pytest

import mlcheck as mc
from mlcheck._validation import (
    SEVERITY,
    HasMethods,
    Interval,
    MappingOf,
    Options,
    constraints_of,
    validate_options,
)
from mlcheck.errors import MlcheckError, OptionError, Reason, UsageError


# -- wrong today: these escaped as a bare ValueError -------------------------------------------
def test_check_coverage_refuses_an_unknown_severity_with_an_option_error() -> None:
    with pytest.raises(OptionError) as caught:
        mc.check_coverage([1.0, 2.0], severity="fatal")
    error = caught.value
    assert isinstance(error, MlcheckError) and isinstance(error, UsageError)
    assert (error.reason, error.parameter, error.value) == (Reason.NOT_AN_OPTION, "severity", "fatal")
    assert str(error) == "check_coverage: severity must be one of 'error' or 'warning', got 'fatal'"
    assert mc.recorded_results() == []  # nothing ran, nothing was recorded


def test_check_coverage_refuses_a_non_numeric_min_with_an_option_error() -> None:
    with pytest.raises(OptionError) as caught:
        mc.check_coverage([1.0, 2.0], min="x")
    assert (caught.value.reason, caught.value.parameter, caught.value.value) == (
        Reason.INVALID_TYPE,
        "min",
        "x",
    )
    assert "min must be a fraction in [0, 1], got 'x'" in str(caught.value)
    with pytest.raises(OptionError) as caught:
        mc.check_coverage([1.0], min=1.5)
    assert caught.value.reason is Reason.OUT_OF_RANGE


def test_an_option_error_is_also_what_python_code_catches() -> None:
    # scikit-learn's InvalidParameterError is both; code written against them keeps working
    with pytest.raises(ValueError):
        mc.check_coverage([1.0], min=2.0)
    with pytest.raises(TypeError):
        mc.check_coverage([1.0], nonsense=3)


def test_unknown_and_missing_arguments() -> None:
    with pytest.raises(OptionError) as caught:
        mc.check_shift([1.0], [2.0], max_kl=0.1, nonsense=3)
    assert (caught.value.reason, caught.value.parameter) == (Reason.UNEXPECTED_ARGUMENT, "nonsense")
    assert "max_kl" in str(caught.value)  # lists what it takes
    with pytest.raises(OptionError, match=r"did you mean 'max_psi'\?"):
        mc.check_shift([1.0], [2.0], max_pis=0.1)
    with pytest.raises(OptionError) as caught:
        mc.check_latency(object(), [[1.0]])
    assert (caught.value.reason, caught.value.parameter) == (Reason.MISSING_ARGUMENT, "p95_ms")


def test_errors_pickle_with_their_fields() -> None:
    # pytest-xdist and multiprocessing move errors between processes
    with pytest.raises(OptionError) as caught:
        mc.check_coverage([1.0], min=-1)
    again = pickle.loads(pickle.dumps(caught.value))
    assert (again.reason, again.parameter, again.value, str(again)) == (
        Reason.OUT_OF_RANGE,
        "min",
        -1,
        str(caught.value),
    )


def test_every_error_class_has_a_reason() -> None:
    from mlcheck import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, MlcheckError):
            error = cls("message") if cls is not errors.ContractViolation else cls("message", ())
            assert isinstance(error.reason, Reason) and error.parameter is None and not error.has_value
    assert Reason.OUT_OF_RANGE == "out_of_range"  # plain strings, for JSON and programs


# -- the constraints -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (
            Interval(Real, 0, 1),
            [0, 0.5, 1, np.float32(0.25), np.int64(1)],
            [-0.1, 1.1, True, "0.5", math.nan, None],
        ),
        (Interval(Real, 0, 1, closed="neither"), [0.5], [0, 1]),
        (Interval(Real, 0, None), [0, 1e9], [-1, math.inf]),
        (Interval(Integral, 1, None), [1, np.int32(5)], [0, 1.0, 2.5, False]),
        (Interval(Real, None, 0, closed="right"), [-3, 0], [0.1]),
        (Options("error", "warning"), ["error", "warning"], ["fatal", "Error", None, 1]),
        (Options(1, 2), [1, 2], [True, 1.0]),
        (HasMethods("predict"), [np.poly1d([1]).__class__], [object(), 3]),
        (
            MappingOf(Interval(Real, 0, 1)),
            [{}, {"recall": 0.6}],
            [{"recall": 2}, {1: 0.5}, [("recall", 0.6)]],
        ),
    ],
)
def test_constraints_accept_and_refuse(constraint, good, bad) -> None:
    if isinstance(constraint, HasMethods):
        good = [type("Model", (), {"predict": lambda self, X: X})()]
    for value in good:
        assert constraint.is_satisfied_by(value), value
    for value in bad:
        assert not constraint.is_satisfied_by(value), value
    for value in constraint.invalid_examples():
        assert not constraint.is_satisfied_by(value), value


def test_descriptions_read_like_the_math() -> None:
    assert str(Interval(Real, 0, 1)) == "a number in [0, 1]"
    assert str(Interval(Real, 0, 1, closed="left")) == "a number in [0, 1)"
    assert str(Interval(Integral, 100, None)) == "an integer >= 100"
    assert str(Interval(Real, 0, None, closed="neither")) == "a number > 0"
    assert str(SEVERITY) == "one of 'error' or 'warning'"


def test_the_decorator_keeps_the_signature_and_checks_only_what_was_passed() -> None:
    @validate_options({"alpha": [Interval(Real, 0, 1)], "label": [None, str]})
    def function(values: list[float], *, alpha: float = 0.05, label: str | None = None) -> float:
        """Doc."""
        return alpha

    assert inspect.signature(function) == inspect.signature(function.__wrapped__)
    assert function.__doc__ == "Doc." and function.__name__ == "function"
    assert set(constraints_of(function)) == {"alpha", "label"}
    assert function([1.0]) == 0.05 and function([1.0], alpha=1) == 1
    with pytest.raises(OptionError, match=r"function: label must be an instance of str or None, got 3"):
        function([1.0], label=3)


def test_a_constraint_on_a_missing_parameter_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="has no parameter"):

        @validate_options({"nope": [str]})
        def function(*, yes: str = "") -> None: ...


# -- every public boundary -----------------------------------------------------------------------
def _public_functions_with_options() -> list[str]:
    """Every public function of mlcheck that takes an option (a parameter with a default)."""
    names = []
    for name in mc.__all__:
        value = getattr(mc, name)
        if inspect.isclass(value) or not callable(value):
            continue
        parameters = inspect.signature(value).parameters.values()
        if any(parameter.default is not parameter.empty for parameter in parameters):
            names.append(name)
    return names


PUBLIC_FUNCTIONS = _public_functions_with_options()


def test_the_public_functions_are_found() -> None:
    assert {"check_coverage", "evaluate", "shift_report", "profile", "export", "load", "record"} <= set(
        PUBLIC_FUNCTIONS
    )


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_every_public_function_declares_its_options(name) -> None:
    function = getattr(mc, name)
    constraints = constraints_of(function)
    assert constraints, f"mc.{name} declares no option constraints"
    if "severity" in inspect.signature(function).parameters:
        assert constraints["severity"] == (SEVERITY,)


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "parameter"),
    [
        ("check_performance", ([0, 1], [0, 1]), {"min": {"recall": 0.5}, "confidence": 95}, "confidence"),
        ("check_performance", ([0, 1], [0, 1]), {"min": "recall"}, "min"),
        ("check_improvement", ([0, 1], [0, 1], [1, 0]), {"n_resamples": 10}, "n_resamples"),
        ("check_improvement", ([0, 1], [0, 1], [1, 0]), {"confidence": None}, "confidence"),
        ("check_shift", ([1.0], [2.0]), {"max_kl": "no"}, "max_kl"),
        ("check_shift", ([1.0], [2.0]), {"alpha": 1.0}, "alpha"),
        ("shift_report", ([1.0], [2.0]), {"multiplicity": "bonferroni"}, "multiplicity"),
        ("check_schema", ([[1.0]], None), {}, "frame"),
        ("check_coverage", ([1.0],), {"min": math.inf}, "min"),
        ("check_latency", (object(), [[1.0]]), {"p95_ms": 10}, "model"),
        ("check_latency", (type("M", (), {"predict": len})(), [[1.0]]), {"p95_ms": 0}, "p95_ms"),
        ("check_repeatable", (42, [[1.0]]), {"seed": 1}, "train_fn"),
        ("check_parity", (type("M", (), {"predict": len})(), [[1.0]]), {"n_single": -1}, "n_single"),
        ("evaluate", ([0, 1],), {"y_pred": [0, 1], "task": "clustering"}, "task"),
        ("evaluate", ([0, 1],), {"y_pred": [0, 1], "threshold": 2}, "threshold"),
        ("ab_sample_size", (0.1, 0.02), {"alternative": "less"}, "alternative"),
        ("ab_sample_size", (1.5, 0.02), {}, "baseline_rate"),
        ("export", (object(), "bundle"), {"reference": None}, "model"),
        ("export", (type("M", (), {"predict": len})(), "bundle"), {"reference": [[1.0]]}, "reference"),
        ("load", (3.5,), {}, "path"),
        ("load", ("bundle",), {"trusted": "mypackage.Transformer"}, "trusted"),
    ],
)
def test_public_functions_name_the_offending_option(name, args, kwargs, parameter) -> None:
    with pytest.raises(OptionError) as caught:
        getattr(mc, name)(*args, **kwargs)
    assert caught.value.parameter == parameter
    assert str(caught.value).startswith(f"{name}: {parameter}")


def test_hypothesis_strategies_refuse_a_bad_mode_with_an_option_error() -> None:
    # was a bare ValueError
    import pandas as pd

    from mlcheck.contracts.schema import infer_schema
    from mlcheck.contracts.strategies import column_values, frames

    schema = infer_schema(pd.DataFrame({"x": [0.0, 1.0]}))
    with pytest.raises(OptionError) as caught:
        column_values(schema.columns[0], mode="crazy")
    assert (caught.value.reason, caught.value.parameter) == (Reason.NOT_AN_OPTION, "mode")
    with pytest.raises(OptionError) as caught:
        frames(schema, min_rows=5, max_rows=2)
    assert (caught.value.reason, caught.value.parameter) == (Reason.CONFLICTING_OPTIONS, "min_rows")


def test_data_mistakes_name_the_argument_to_blame() -> None:
    with pytest.raises(UsageError) as caught:
        mc.check_performance([], [], min={"recall": 0.5})
    assert (caught.value.reason, caught.value.parameter) == (Reason.INVALID_DATA, "y_true")
    with pytest.raises(UsageError) as caught:
        mc.evaluate([0, None, 1], y_pred=[0, 1, 1])
    assert (caught.value.reason, caught.value.parameter) == (Reason.INVALID_DATA, "y_true")
    with pytest.raises(UsageError) as caught:
        mc.evaluate([0, 1, 1], y_pred=[0, 1, 1], sample_weight=[1.0, -1.0, 1.0])
    assert (caught.value.reason, caught.value.parameter) == (Reason.INVALID_DATA, "sample_weight")
