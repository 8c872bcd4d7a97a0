"""Loading a bundle: verify every file, trust only what is safe or named, then score.

Trust policy
------------
A skops file can only build the types it is allowed to; skops reports the
types a file needs beyond its own default trusted set
(``skops.io.get_untrusted_types``). :func:`load` allows such a type when

- it is a *class* defined in scikit-learn, NumPy or SciPy (for example the
  tree predictors of ``HistGradientBoostingClassifier``): these libraries are
  already the model's runtime, and skops builds an instance of the class from
  data without calling arbitrary code; functions from these libraries are not
  covered, because a function stored in a model is later *called*; or
- the caller names it in ``trusted=[...]``.

The rule is decided from the type's name alone, before anything is imported
(:func:`mlcheck.bundle.estimator.is_safe_type` reads the module's source for
a ``class`` statement instead of importing it), so a crafted file naming a
module with side effects at import (``numpy.f2py.__main__``) runs nothing.
A type defined in the exporting notebook (``__main__``) or a lambda can be
loaded by no other process whatever ``trusted`` says; such a file is refused
with the fix (export refuses to write one in the first place).

Anything else refuses the load with an error that names the types and shows
the ``trusted=`` argument to pass. The types the file needs must also be the
ones recorded at export (``MANIFEST.json``); a file asking for more is refused
as tampered. Nothing is ever trusted silently, and ``trusted`` is never
passed to skops beyond exactly the types the file needs.

Every file is checked against ``MANIFEST.json`` (sha256 and size) and the
manifest against ``MANIFEST.sha256``; a file whose checksum matches but whose
content is malformed (a pickle as the model, ``[]`` as the schema, a manifest
field of the wrong type) is a :class:`~mlcheck.errors.BundleIntegrityError`
naming the file. The manifest detects damage and edits of the bundle's files; it is not a
signature (whoever can rewrite the files can rewrite it too). That is why no
trust decision is taken from it: the types allowed come from the rule above
and from the caller, never from the bundle.
"""

from __future__ import annotations

import io
import json
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from numbers import Integral
from pathlib import Path
from typing import Any, Literal, TypeVar

import pandas as pd

from mlcheck._validation import PATH, InstanceOf, Interval, Options, SequenceOf, validate_options
from mlcheck.bundle import store
from mlcheck.bundle.distributed import DaskScoreResult
from mlcheck.bundle.estimator import (
    FREE_TEXT,
    SAFE_TYPE_ROOTS,
    input_form,
    is_safe_type,
    unknown_level_handling,
)
from mlcheck.bundle.scoring import ScoreResult, score_frame
from mlcheck.contracts.schema import Schema
from mlcheck.errors import BundleIntegrityError, UsageError
from mlcheck.results import CheckResult

__all__ = ["GOLDEN_PREFIX", "SAFE_TYPE_ROOTS", "Bundle", "BundleVersionWarning", "is_safe_type", "load"]

MODEL_FILE, SCHEMA_FILE, PROFILE_FILE = "model.skops", "schema.json", "profile.json"
GOLDEN_FILE, CONTRACTS_FILE, PROVENANCE_FILE = "golden.parquet", "contracts.json", "provenance.json"
#: Optional: the permutation importance on held-out rows (``export(held_out=(X, y))``).
IMPORTANCE_FILE = "importance.json"
REQUIRED_FILES = (MODEL_FILE, SCHEMA_FILE, GOLDEN_FILE, CONTRACTS_FILE, PROVENANCE_FILE)
#: Expected outputs in golden.parquet carry this prefix: ``golden:prediction``, ``golden:score_1``.
GOLDEN_PREFIX = "golden:"
T = TypeVar("T")


class BundleVersionWarning(UserWarning):
    """The bundle was exported with another scikit-learn than the one installed."""


def _parsed(folder: Path, name: str, data: bytes, build: Callable[[Any], T], *, raw: bool = False) -> T:
    """``build`` applied to a bundle file's content; any failure names the file."""
    try:
        return build(data if raw else json.loads(data))
    except Exception as error:  # noqa: BLE001 - whatever a malformed file raises, the user needs its name
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BundleIntegrityError(
            f"{name} in the bundle at {folder} is malformed ({type(error).__name__}: {detail}); "
            "its checksum matches the manifest, so it was written this way: export the bundle again"
        ) from None


def _contracts(data: Any) -> list[CheckResult]:
    if not isinstance(data, Mapping) or not isinstance(data.get("results", []), list):
        raise TypeError(f"expected an object with a list of results, got {type(data).__name__}")
    return [CheckResult.from_dict(result) for result in data.get("results", [])]


def _provenance(data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected an object, got {type(data).__name__}")
    return dict(data)


def _profile(data: Any) -> Any:
    from mlcheck.profiling.model import Profile

    return Profile.from_dict(data)


def _golden(schema: Schema) -> Callable[[bytes], pd.DataFrame]:
    def read(data: bytes) -> pd.DataFrame:
        frame = pd.read_parquet(io.BytesIO(data), engine="pyarrow")
        missing = [name for name in schema.names if name not in frame.columns]
        if missing:
            raise ValueError(f"it lacks the schema's columns {missing[:10]}")
        return frame

    return read


def _needed_types(
    model_bytes: bytes, recorded: Sequence[str], trusted: Sequence[str] | None, path: Path
) -> list[str]:
    """The types the model file needs beyond skops' own, each allowed by rule or by the caller.

    Decided from the file's names alone: nothing it names is imported here.
    """
    import skops.io as sio

    try:
        needed = sorted(sio.get_untrusted_types(data=model_bytes))
    except Exception as error:  # noqa: BLE001 - a pickle, a foreign zip, a damaged skops file
        raise BundleIntegrityError(
            f"{MODEL_FILE} in the bundle at {path} is not a skops model file ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}); export the bundle again"
        ) from None
    unrecorded = sorted(set(needed) - set(recorded))
    if unrecorded:
        raise BundleIntegrityError(
            f"{MODEL_FILE} in {path} needs types its manifest does not record: {unrecorded}; "
            "the bundle was altered after export"
        )
    allowed = set(trusted or ())
    refused = [name for name in needed if name not in allowed and not is_safe_type(name)]
    homeless = [
        name for name in needed if name.startswith("__main__.") or "<lambda>" in name or "<locals>" in name
    ]
    if homeless:  # no trusted= can help: the code is not in any module this process can import
        raise BundleIntegrityError(
            f"the model in {path} is built of {homeless}, defined in the exporting notebook or as lambdas; "
            "no other process can import them. Move that code into an importable module (see "
            "templates/features.py), refit and export again"
        )
    if refused:
        raise UsageError(
            f"the model in {path} needs {len(refused)} type(s) that are not trusted: {refused}. "
            "Loading builds these types from the file, so load it only if you trust where it came from, "
            f"and then name them: mc.load({str(path)!r}, trusted={refused!r})"
        )
    return needed


class Bundle:
    """An exported model with everything scoring needs; made by :func:`export` and :func:`load`.

    Attributes
    ----------
    path : pathlib.Path
    name : str
    model : estimator
        The model, loaded with skops.
    schema : Schema
        The columns, kinds, dtypes, ranges and levels of the reference frame,
        its key columns, and which columns' unseen levels the model handles.
    profile : mlcheck.Profile or None
        The reference profile for drift checks (``mc.check_shift(bundle.profile, batch)``).
    golden : pandas.DataFrame
        The golden rows: inputs, and the training-time outputs as ``golden:<column>``.
    contracts : list of CheckResult
        The checks that gated the export.
    provenance : dict
        Run, parameters, input hashes, git commit, package versions.
    manifest : dict
    input_form : {"frame", "array"}
        The form the model is fed: the one it was fit on.
    importance : pandas.DataFrame or None
        Permutation importance on held-out rows (``mc.importance``), when the
        bundle was exported with them (``importance.json``).
    """

    def __init__(
        self,
        *,
        path: Path,
        manifest: dict[str, Any],
        model: Any,
        schema: Schema,
        profile: Any,
        golden: pd.DataFrame,
        contracts: list[CheckResult],
        provenance: dict[str, Any],
        importance: pd.DataFrame | None = None,
    ) -> None:
        self.path = path
        self.importance = importance
        self.manifest = manifest
        self.name = str(manifest.get("name") or path.name)
        self.model = model
        self.schema = schema
        self.profile = profile
        self.contracts = contracts
        self.provenance = provenance
        self.golden = golden
        form = (manifest.get("model") or {}).get("input")
        self.input_form: str = form if form in ("frame", "array") else input_form(model)

    def __repr__(self) -> str:
        return (
            f"Bundle(name={self.name!r}, path={str(self.path)!r}, model={type(self.model).__name__}, "
            f"columns={len(self.schema.columns)}, golden_rows={len(self.golden)})"
        )

    @property
    def golden_inputs(self) -> pd.DataFrame:
        """The golden rows as the model's input (the schema's columns)."""
        return self.golden[list(self.schema.names)]

    @property
    def golden_outputs(self) -> pd.DataFrame:
        """The training-time outputs of the golden rows: ``prediction`` and ``score_*``."""
        columns = [c for c in self.golden.columns if str(c).startswith(GOLDEN_PREFIX)]
        return self.golden[columns].rename(columns=lambda c: str(c)[len(GOLDEN_PREFIX) :])

    @validate_options(
        {
            "batch_size": [None, Interval(Integral, 1, None)],
            "key": [None, str, SequenceOf(InstanceOf(str), description="a list of column names")],
            "scores": ["boolean"],
            "unseen": [Options("model", "reject", "accept")],
            "explain": [None, Interval(Integral, 1, None, description="a number of drivers >= 1, or None")],
        },
        name="Bundle.score",
    )
    def score(
        self,
        frame: pd.DataFrame,
        *,
        fallback: Any = None,
        batch_size: int | None = None,
        key: str | Sequence[str] | None = None,
        scores: bool = False,
        unseen: Literal["model", "reject", "accept"] = "model",
        explain: int | None = None,
    ) -> ScoreResult | DaskScoreResult:
        """Score a batch; rows that cannot be scored go to ``rejects`` with a reason and a reason code.

        The frame goes through the same conform step as :func:`mlcheck.check_schema`
        (so the two never disagree on a row): a missing column rejects every
        row with reason code ``missing_column`` (the reason names the column and
        its near match in the batch, ``did you mean 'MAUT1 '?``), so
        ``check_coverage`` fails (an empty batch missing one raises
        :class:`~mlcheck.errors.UsageError`: it has no row to reject); extra columns are dropped with an
        ``ExtraColumnsWarning`` (key columns are kept); casts that lose nothing
        are made (whole-valued floats into integer columns, ``"True"``/``"False"``
        into boolean ones, nullable dtypes), and ``result.notes`` says which; a
        value that does not parse, is missing where the training data never
        was, is infinite or is an unseen level the model cannot take makes its
        row a reject. Rows the model itself raises on are found by bisection
        and rejected with the model's error. ``n_rows == n_scored +
        n_rejected`` always. The model receives a frame with the training
        column names, or an array, as it was fit (``bundle.input_form``).

        Parameters
        ----------
        frame : pandas.DataFrame or dask.dataframe.DataFrame
            The batch; its index is kept on predictions and rejects (also when
            every row is rejected). A Dask frame gives a lazy
            :class:`~mlcheck.bundle.distributed.DaskScoreResult`: predictions
            and rejects as Dask frames with the input's divisions, counts from
            per-partition summaries, ``write`` to a Parquet data set from the
            workers; ``row`` in rejects counts positions in the whole frame.
        fallback : scalar, optional
            A prediction for the rows that cannot be scored; they then also
            appear in ``predictions`` with ``fallback=True`` (and still in ``rejects``).
        batch_size : int, optional
            Score this many rows at a time (bounds memory). Default: batches of
            about 16 MiB of the input (:func:`mlcheck.bundle.scoring.default_batch_size`),
            so the pipeline's working memory stays bounded whatever the frame's
            size; a Dask frame is batched within each partition.
        key : str or list of str, optional
            Columns that identify a row; copied to predictions and rejects.
            Default: the key columns recorded at export (``export(key=...)``)
            that the batch has.
        scores : bool, default False
            Also return ``score_<class>`` columns from ``predict_proba``.
        unseen : {"model", "reject", "accept"}, default "model"
            Rows with a level training never saw: ``"model"`` follows the
            model's own encoder (read at export, listed in
            ``bundle.schema.metadata["unknown_levels"]``): passed to it where it
            handles unknown levels (``OneHotEncoder(handle_unknown="ignore")``),
            rejected elsewhere; ``"reject"`` rejects them all; ``"accept"``
            passes them all to the model.
        explain : int, optional
            Add the ``explain`` largest contributions of each row (by absolute
            value, from :meth:`explain`) as reason codes in ``driver_1`` ...
            ``driver_<k>``: ``"credit_history_months = 10: +0.14"`` (the value
            and its contribution to the score named in ``result.notes``). A
            row the schema rejected (shown with ``fallback=``) has no
            explanation: its ``driver_1`` says why. Pandas frames only.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd, mlcheck as mc
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
        >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
        >>> bundle = mc.export(model, pathlib.Path(tempfile.mkdtemp()) / "m", reference=X)
        >>> result = bundle.score(pd.DataFrame({"x": [0.5, None, 2.5]}))
        >>> result.n_scored, result.n_rejected, result.rejects["reason"].tolist()
        (2, 1, ['x: missing value (none in the training data)'])
        >>> result.rejects["reason_code"].tolist()
        ['missing_value']
        """
        if explain is not None and not isinstance(frame, pd.DataFrame):
            raise UsageError(
                f"Bundle.score(explain=) needs a pandas DataFrame, got {type(frame).__name__}; "
                "score the batch without explain=, or explain a computed part of it"
            )
        schema = self.schema
        if unseen != "model":
            policy = "reject" if unseen == "reject" else "model"
            schema = schema.replace_columns(
                [replace(column, unknown=policy) for column in schema.columns]  # type: ignore[arg-type]
            )
        started = time.perf_counter()
        result = score_frame(
            self.model,
            schema,
            frame,
            fallback=fallback,
            batch_size=batch_size,
            # the recorded keys the batch carries (golden rows replayed by `mlcheck parity` carry none)
            key=tuple(k for k in schema.keys if k in getattr(frame, "columns", ())) if key is None else key,
            scores=scores,
            form=self.input_form,
            unseen_how=dict((schema.metadata or {}).get("unknown_levels") or {})
            if unseen == "model"
            else {name: "unseen=" + repr(unseen) for name in schema.names},
            sample=None if isinstance(frame, pd.DataFrame) else self.golden_inputs,
        )
        # a Dask result is lazy: its rows are not counted (nor timed) until it is computed
        n_rows = result.n_rows if isinstance(result, ScoreResult) else 0
        result = replace(result, log=self._log_fields(n_rows, time.perf_counter() - started))
        if explain is None or not isinstance(result, ScoreResult):
            return result
        from mlcheck.bundle.explain import with_drivers

        explained: ScoreResult = with_drivers(result, frame, int(explain), self.explain)
        return explained

    def _log_fields(self, n_rows: int, elapsed: float) -> dict[str, Any]:
        """The prediction log's batch-wide fields (see :attr:`ScoreResult.log`)."""
        import hashlib
        import os
        from datetime import datetime, timezone

        from mlcheck.kernel import RUN_ID_ENV

        manifest = self.path / "MANIFEST.json"
        try:
            identity = hashlib.sha256(manifest.read_bytes()).hexdigest()
        except OSError:
            identity = None  # a bundle built in memory: no manifest to name it by
        return {
            "run_id": os.environ.get(RUN_ID_ENV),
            "bundle": identity,
            "bundle_path": str(self.path),
            "scored_at": datetime.now(timezone.utc).isoformat(),
            "latency": elapsed / n_rows if n_rows else None,
        }

    def explain(self, frame: pd.DataFrame, *, target: Any = None, random_state: int = 0) -> pd.DataFrame:
        """Why each row gets its score: the signed contribution of every input column.

        ``base_value + sum(contributions)`` equals the model's score for the
        row (to rounding): the log-odds of the positive class for linear and
        gradient-boosted classifiers, the class probability for forests and
        for models explained by the model-agnostic path, the prediction for
        regressors; ``result.attrs["scale"]`` names it. Linear pipelines are
        explained exactly through their fitted transformers, tree ensembles
        exactly with shap's TreeExplainer, anything else with shap's
        PermutationExplainer (sampled Shapley values; ``attrs["approximation"]``
        says so). The golden rows are the background. See
        :mod:`mlcheck.bundle.explain`.

        Parameters
        ----------
        frame : pandas.DataFrame
            A batch, conformed to the schema as :meth:`score` does.
        target : class label, optional
            The class explained; default the last of ``classes_`` (the positive class).
        random_state : int, default 0
            Seed of the model-agnostic explainer.

        Returns
        -------
        pandas.DataFrame
            Same index as ``frame``: one column per schema column (its
            contribution), ``base_value``, and ``not_explained`` (None, or why
            the row has no explanation: the schema's reasons; its
            contributions are NaN).

        Raises
        ------
        UsageError
            A column of the schema is missing, ``frame`` is not a pandas
            DataFrame, or shap is needed and not installed (``mlcheck[explain]``).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd, mlcheck as mc
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = pd.DataFrame({"months": [1.0, 5.0, 20.0, 40.0]})
        >>> model = LogisticRegression().fit(X, [1, 1, 0, 0])
        >>> bundle = mc.export(model, pathlib.Path(tempfile.mkdtemp()) / "m", reference=X)
        >>> table = bundle.explain(pd.DataFrame({"months": [10.0, None]}))
        >>> list(table.columns)
        ['months', 'base_value', 'not_explained']
        >>> table["not_explained"].tolist()
        [None, 'rejected by the schema: months: missing value (none in the training data)']
        >>> result = bundle.score(pd.DataFrame({"months": [10.0]}), explain=1)
        >>> result.predictions["driver_1"].str.startswith("months = 10: +").tolist()
        [True]
        """
        from mlcheck.bundle.explain import explain_frame

        return explain_frame(
            self.model,
            self.schema,
            frame,
            background=self.golden_inputs,
            form=self.input_form,
            target=target,
            random_state=random_state,
        )


def with_unknown_handling(schema: Schema, model: Any) -> Schema:
    """``schema`` with each column's unseen-level handling read from ``model``'s encoders."""
    handled = unknown_level_handling(model, schema.names)
    columns = [
        replace(column, unknown="model" if column.name in handled else "reject") for column in schema.columns
    ]
    # a column the model reads as free text has no levels to check: every batch brings new text
    columns = [
        replace(column, levels=None) if FREE_TEXT in handled.get(column.name, "") else column
        for column in columns
    ]
    metadata = {**dict(schema.metadata), "unknown_levels": handled}
    return Schema(tuple(columns), schema.n_reference_rows, metadata, schema.keys)


@validate_options(
    {
        "path": [PATH],
        "trusted": [
            None,
            SequenceOf(
                InstanceOf(str),
                description="a list of type names like ['mypackage.module.MyTransformer']",
            ),
        ],
    }
)
def load(path: str | Path, *, trusted: Sequence[str] | None = None) -> Bundle:
    """Load a bundle written by :func:`export`, verifying every file first.

    The manifest is checked against its own checksum (``MANIFEST.sha256``),
    and every file against the manifest (sha256 and size): a missing, changed,
    malformed or unlisted file raises
    :class:`~mlcheck.errors.BundleIntegrityError` naming it. Whether the
    model's types may be built is decided from their names before anything
    is imported (see this module's trust policy); only then is the model
    loaded with skops, allowing those types plus the ones named in
    ``trusted``. A bundle exported with another scikit-learn version loads
    with a :class:`BundleVersionWarning`. Bundles written by earlier mlcheck
    versions (no ``MANIFEST.sha256``, schema version 1) still load.

    Parameters
    ----------
    path : str or Path
        The bundle's directory.
    trusted : list of str, optional
        Fully qualified names of further types to allow (for example your own
        transformer ``"mypackage.features.Clipper"``). The error for an untrusted
        type prints the exact list to pass.

    Returns
    -------
    Bundle

    Raises
    ------
    BundleIntegrityError
        A file is missing, changed, malformed or unlisted, or the model needs
        types no process but the exporting one can import.
    UsageError
        No bundle at ``path``, or the model needs types that are not trusted.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd, mlcheck as mc
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m"
    >>> _ = mc.export(LogisticRegression().fit(X, [0, 0, 1, 1]), path, reference=X)
    >>> mc.load(path).model.predict(X).tolist()
    [0, 0, 1, 1]
    """
    folder = Path(path)
    manifest, files = store.read_verified(folder)
    missing = [name for name in REQUIRED_FILES if name not in files]
    if missing:
        raise BundleIntegrityError(
            f"the manifest of {folder} does not list {missing}; it is not a complete bundle, export it again"
        )
    schema = _parsed(folder, SCHEMA_FILE, files[SCHEMA_FILE], Schema.from_dict)
    contracts = _parsed(folder, CONTRACTS_FILE, files[CONTRACTS_FILE], _contracts)
    provenance = _parsed(folder, PROVENANCE_FILE, files[PROVENANCE_FILE], _provenance)
    profile = _parsed(folder, PROFILE_FILE, files[PROFILE_FILE], _profile) if PROFILE_FILE in files else None
    golden = _parsed(folder, GOLDEN_FILE, files[GOLDEN_FILE], _golden(schema), raw=True)
    importance = (
        _parsed(folder, IMPORTANCE_FILE, files[IMPORTANCE_FILE], _importance)
        if IMPORTANCE_FILE in files
        else None
    )
    model_info = manifest["model"]
    _warn_on_version_change(model_info, folder)
    needed = _needed_types(files[MODEL_FILE], model_info["untrusted_types"], trusted, folder)
    import skops.io as sio

    try:
        model = sio.loads(files[MODEL_FILE], trusted=needed)
    except Exception as error:  # noqa: BLE001 - the types were allowed; what fails now is the file
        raise BundleIntegrityError(
            f"{MODEL_FILE} in the bundle at {folder} cannot be loaded ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}); export the bundle again with the "
            "scikit-learn and skops installed here"
        ) from None
    if "unknown_levels" not in (schema.metadata or {}):  # written before the model's handling was recorded
        schema = with_unknown_handling(schema, model)
    return Bundle(
        path=folder,
        manifest=manifest,
        model=model,
        schema=schema,
        profile=profile,
        golden=golden,
        contracts=contracts,
        provenance=provenance,
        importance=importance,
    )


def _importance(data: Any) -> pd.DataFrame:
    from mlcheck.contracts.importance import importance_from_dict

    return importance_from_dict(data)


def _warn_on_version_change(model_info: dict[str, Any], folder: Path) -> None:
    import sklearn

    exported = model_info.get("sklearn_version")
    if exported and exported != sklearn.__version__:
        warnings.warn(
            f"the bundle at {folder} was exported with scikit-learn {exported}, this is {sklearn.__version__}; "
            "predictions may differ: run `mlcheck parity` on it, or install the exporting version",
            BundleVersionWarning,
            stacklevel=3,
        )
