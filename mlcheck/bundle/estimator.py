"""What the bundle must know about a fitted model, read from the model itself.

- :func:`unloadable_types`: the types a model is built of that another
  process cannot import (classes and functions defined in the notebook, lambdas,
  functions defined inside functions). Export refuses such a model before
  writing anything; the fix is always the same: move the code into a module
  the scoring process can import, and name its types in ``mc.load(...,
  trusted=[...])``. ``templates/features.py`` is a worked example.
- :func:`is_safe_type`: the trust rule of :func:`mlcheck.load`, decided from a
  type's name and the source of its module, never by importing it.
- :func:`input_form`: whether the model is fed a frame (with column names) or
  an array, the form it was fit on.
- :func:`unknown_level_handling`: which input columns' unseen levels the model
  handles itself (``OneHotEncoder(handle_unknown="ignore")`` and the like), so
  scoring passes them to the model instead of rejecting the rows.
"""

from __future__ import annotations

import ast
import importlib
import importlib.machinery
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np

from mlcheck.contracts.conform import as_input, input_form

__all__ = [
    "FREE_TEXT",
    "SAFE_TYPE_ROOTS",
    "as_input",
    "input_form",
    "is_safe_type",
    "unknown_level_handling",
    "unloadable_types",
]

#: Classes from these packages are trusted without being named (see :mod:`mlcheck.bundle.loading`).
SAFE_TYPE_ROOTS = ("sklearn", "numpy", "scipy")
#: How a column consumed as free text is described: its values are not levels at all.
FREE_TEXT = "(text: a new value is made of words, or hashed, not looked up)"


# -- trust, decided without importing -------------------------------------------------
def _module_file(module_name: str) -> str | None:
    """The source file of ``module_name``, located without running any of its code.

    Only the root package (scikit-learn, NumPy or SciPy: the model's runtime)
    is imported; each submodule is found on its parent's search path by the
    import system's path finder, which reads directories and runs nothing.
    """
    parts = module_name.split(".")
    root = sys.modules.get(parts[0]) or importlib.import_module(parts[0])
    search = list(getattr(root, "__path__", []) or [])
    spec = None
    for depth in range(1, len(parts)):
        spec = importlib.machinery.PathFinder.find_spec(".".join(parts[: depth + 1]), search)
        if spec is None:
            return None
        search = list(spec.submodule_search_locations or [])
        if depth < len(parts) - 1 and not search:
            return None  # a module is not a package: nothing can sit below it
    origin = spec.origin if spec is not None else getattr(root, "__file__", None)
    return origin if origin and origin.endswith(".py") else None


def _defines_class(source_file: str, name: str) -> bool:
    try:
        with open(source_file, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return False
    return any(isinstance(node, ast.ClassDef) and node.name == name for node in tree.body)


def is_safe_type(type_name: str) -> bool:
    """True when ``type_name`` is a class defined in scikit-learn, NumPy or SciPy.

    Decided without importing the module the name points to: a module
    already imported is looked up; any other is located on disk and its
    source read for a top-level ``class`` statement. A crafted name such as
    ``numpy.f2py.__main__.x`` is therefore refused without running a line of
    it. Functions are never safe: a function stored in a model is later called.

    Examples
    --------
    >>> from mlcheck.bundle.estimator import is_safe_type
    >>> is_safe_type("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor")
    True
    >>> is_safe_type("numpy.f2py.__main__.main"), is_safe_type("numpy.log1p"), is_safe_type("os.system")
    (False, False, False)
    """
    module_name, _, attribute = type_name.rpartition(".")
    parts = module_name.split(".")
    if not module_name or parts[0] not in SAFE_TYPE_ROOTS or not attribute.isidentifier():
        return False
    if any(not part.isidentifier() or part == "__main__" for part in parts):
        return False
    module = sys.modules.get(module_name)
    if module is not None:  # already imported: looking a name up in it runs nothing
        return isinstance(getattr(module, attribute, None), type)
    try:
        source = _module_file(module_name)
    except (ImportError, ValueError):
        return False
    return source is not None and _defines_class(source, attribute)


# -- what another process cannot import -------------------------------------------------------
def _why_unloadable(type_name: str) -> str:
    module_name, _, qualname = type_name.partition(".")
    # skops names a type module.qualname; split at the module the process knows
    for candidate in sorted((m for m in sys.modules if type_name.startswith(m + ".")), key=len, reverse=True):
        module_name, qualname = candidate, type_name[len(candidate) + 1 :]
        break
    if module_name == "__main__" or type_name.startswith("__main__."):
        what = "a lambda" if "<lambda>" in qualname else "defined in the notebook (or script) itself"
        return f"{what}: another process cannot import it from __main__"
    if "<lambda>" in qualname:
        return "a lambda: it has no importable name"
    if "<locals>" in qualname:
        return "defined inside a function: it has no importable name"
    module = sys.modules.get(module_name)
    if module is None:
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # noqa: BLE001 - any failure means the scorer cannot import it either
            return f"its module {module_name} cannot be imported ({type(error).__name__}: {error})"
    value: Any = module
    for part in qualname.split("."):
        value = getattr(value, part, None)
        if value is None:
            return f"{module_name} has no attribute {qualname}"
    return ""


def unloadable_types(untrusted: Iterable[str]) -> dict[str, str]:
    """Type name -> why a fresh process cannot load it, for each of ``untrusted`` that it cannot.

    ``untrusted`` is what ``skops.io.get_untrusted_types`` reports for the
    model's bytes: every type beyond skops' own trusted set.

    Examples
    --------
    >>> from mlcheck.bundle.estimator import unloadable_types
    >>> unloadable_types(["__main__.<lambda>", "sklearn.preprocessing.StandardScaler"])
    {'__main__.<lambda>': 'a lambda: another process cannot import it from __main__'}
    """
    found = {}
    for name in untrusted:
        why = _why_unloadable(name)
        if why:
            found[name] = why
    return found


# -- unknown levels ---------------------------------------------------------------------------
def _resolve_columns(columns: Any, names: list[str]) -> list[str]:
    if isinstance(columns, str):
        return [columns]
    if isinstance(columns, slice):
        return names[columns] if names else []
    if isinstance(columns, (int, np.integer)):
        return [names[int(columns)]] if names else []
    try:
        items = list(columns)
    except TypeError:  # a callable selector: what it chose is not recorded in a form we can read
        return []
    if items and all(isinstance(item, (bool, np.bool_)) for item in items):
        return [name for name, chosen in zip(names, items) if chosen]
    resolved = []
    for item in items:
        if isinstance(item, str):
            resolved.append(item)
        elif isinstance(item, (int, np.integer)) and names:
            resolved.append(names[int(item)])
    return resolved


def _handling(step: Any) -> str:
    """How a step treats an unseen level of its input, when it takes one without failing."""
    name = type(step).__name__
    unknown = getattr(step, "handle_unknown", None)
    if name == "OneHotEncoder" and unknown in ("ignore", "infrequent_if_exist", "warn"):
        return f"OneHotEncoder(handle_unknown={unknown!r})"
    if name == "OrdinalEncoder" and unknown == "use_encoded_value":
        return f"OrdinalEncoder(handle_unknown='use_encoded_value', unknown_value={step.unknown_value!r})"
    if name == "TargetEncoder":
        return "TargetEncoder (unseen levels get the target mean)"
    if name in ("CountVectorizer", "TfidfVectorizer", "HashingVectorizer", "FeatureHasher"):
        return f"{name} {FREE_TEXT}"
    return ""


def _visit(step: Any, columns: list[str], found: dict[str, str]) -> None:
    if hasattr(step, "transformers_"):  # a fitted ColumnTransformer
        names = [str(name) for name in getattr(step, "feature_names_in_", [])]
        for _, transformer, selected in step.transformers_:
            if isinstance(transformer, str):  # "drop" or "passthrough"
                continue
            _visit(transformer, _resolve_columns(selected, names), found)
        return
    steps = getattr(step, "steps", None)
    if isinstance(steps, list) and steps:
        _visit(steps[0][1], columns, found)  # only the first step sees the raw columns
        return
    if hasattr(step, "transformer_list"):  # FeatureUnion: every part sees them
        for _, part in step.transformer_list:
            if not isinstance(part, str):
                _visit(part, columns, found)
        return
    how = _handling(step)
    if how:
        for column in columns:
            found.setdefault(column, how)
        return
    if (
        type(step).__name__.startswith("HistGradientBoosting")
        and getattr(step, "is_categorical_", None) is not None
    ):
        names = [str(name) for name in getattr(step, "feature_names_in_", columns)]
        for name, categorical in zip(names, step.is_categorical_):
            if categorical:
                found.setdefault(name, f"{type(step).__name__} (unseen categories are treated as missing)")


def unknown_level_handling(model: Any, columns: Iterable[str]) -> dict[str, str]:
    """Input column -> how the model handles a level it never saw, for the columns it handles.

    Read from the fitted model: ``OneHotEncoder(handle_unknown="ignore" |
    "infrequent_if_exist")``, ``OrdinalEncoder(handle_unknown=
    "use_encoded_value")``, ``TargetEncoder``, text vectorizers and hashers,
    and the native categorical support of ``HistGradientBoosting*`` take
    unseen levels; every other column's unseen levels make scoring reject the row.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> X = pd.DataFrame({"city": ["a", "b"], "plan": ["x", "y"]})
    >>> ct = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city"]),
    ...                              (OneHotEncoder(), ["plan"])).fit(X)
    >>> unknown_level_handling(ct, X.columns)
    {'city': "OneHotEncoder(handle_unknown='ignore')"}
    """
    wanted = [str(column) for column in columns]
    found: dict[str, str] = {}
    _visit(model, wanted, found)
    return {column: found[column] for column in wanted if column in found}
