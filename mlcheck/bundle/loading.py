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

Anything else refuses the load with an error that names the types and shows
the ``trusted=`` argument to pass. The types the file needs must also be the
ones recorded at export (``MANIFEST.json``); a file asking for more is refused
as tampered. Nothing is ever trusted silently, and ``trusted`` is never
passed to skops beyond exactly the types the file needs.

The manifest detects damage and edits of the bundle's files; it is not a
signature (whoever can rewrite the files can rewrite it too). That is why no
trust decision is taken from it: the types allowed come from the rule above
and from the caller, never from the bundle.
"""

from __future__ import annotations

import importlib
import io
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mlcheck.bundle import store
from mlcheck.bundle.scoring import ScoreResult, score_frame
from mlcheck.results import CheckResult
from mlcheck.contracts.schema import Schema
from mlcheck.errors import BundleIntegrityError, UsageError

__all__ = ["GOLDEN_PREFIX", "SAFE_TYPE_ROOTS", "Bundle", "BundleVersionWarning", "load"]

MODEL_FILE, SCHEMA_FILE, PROFILE_FILE = "model.skops", "schema.json", "profile.json"
GOLDEN_FILE, CONTRACTS_FILE, PROVENANCE_FILE = "golden.parquet", "contracts.json", "provenance.json"
REQUIRED_FILES = (MODEL_FILE, SCHEMA_FILE, GOLDEN_FILE, CONTRACTS_FILE, PROVENANCE_FILE)
#: Expected outputs in golden.parquet carry this prefix: ``golden:prediction``, ``golden:score_1``.
GOLDEN_PREFIX = "golden:"
#: Classes from these packages are trusted without being named (see the module docstring).
SAFE_TYPE_ROOTS = ("sklearn", "numpy", "scipy")


class BundleVersionWarning(UserWarning):
    """The bundle was exported with another scikit-learn than the one installed."""


def is_safe_type(type_name: str) -> bool:
    """True when ``type_name`` is a class defined in scikit-learn, NumPy or SciPy."""
    module_name, _, attribute = type_name.rpartition(".")
    if not module_name or module_name.split(".")[0] not in SAFE_TYPE_ROOTS:
        return False
    try:
        value = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError):
        return False
    return isinstance(value, type)


def _needed_types(
    model_bytes: bytes, recorded: Sequence[str], trusted: Sequence[str] | None, path: Path
) -> list[str]:
    import skops.io as sio

    needed = sorted(sio.get_untrusted_types(data=model_bytes))
    unrecorded = sorted(set(needed) - set(recorded))
    if unrecorded:
        raise BundleIntegrityError(
            f"{MODEL_FILE} in {path} needs types its manifest does not record: {unrecorded}; "
            "the bundle was altered after export"
        )
    allowed = set(trusted or ())
    refused = [name for name in needed if name not in allowed and not is_safe_type(name)]
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
        The columns, dtypes, ranges and levels of the reference frame.
    profile : mlcheck.Profile or None
        The reference profile for drift checks (``mc.check_shift(bundle.profile, batch)``).
    golden : pandas.DataFrame
        The golden rows: inputs, and the training-time outputs as ``golden:<column>``.
    contracts : list of CheckResult
        The checks that gated the export.
    provenance : dict
        Run, parameters, input hashes, git commit, package versions.
    manifest : dict
    """

    def __init__(
        self,
        *,
        path: Path,
        manifest: dict[str, Any],
        model: Any,
        schema: Schema,
        profile: Any,
        golden_bytes: bytes,
        contracts: list[CheckResult],
        provenance: dict[str, Any],
    ) -> None:
        self.path = path
        self.manifest = manifest
        self.name = str(manifest.get("name") or path.name)
        self.model = model
        self.schema = schema
        self.profile = profile
        self.contracts = contracts
        self.provenance = provenance
        self._golden_bytes = golden_bytes
        self._golden: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return (
            f"Bundle(name={self.name!r}, path={str(self.path)!r}, model={type(self.model).__name__}, "
            f"columns={len(self.schema.columns)}, golden_rows={len(self.golden)})"
        )

    @property
    def golden(self) -> pd.DataFrame:
        if self._golden is None:
            self._golden = pd.read_parquet(io.BytesIO(self._golden_bytes), engine="pyarrow")
        return self._golden

    @property
    def golden_inputs(self) -> pd.DataFrame:
        """The golden rows as the model's input (the schema's columns)."""
        return self.golden[list(self.schema.names)]

    @property
    def golden_outputs(self) -> pd.DataFrame:
        """The training-time outputs of the golden rows: ``prediction`` and ``score_*``."""
        columns = [c for c in self.golden.columns if str(c).startswith(GOLDEN_PREFIX)]
        return self.golden[columns].rename(columns=lambda c: str(c)[len(GOLDEN_PREFIX) :])

    def score(
        self,
        frame: pd.DataFrame,
        *,
        fallback: Any = None,
        batch_size: int | None = None,
        key: str | Sequence[str] | None = None,
        scores: bool = False,
    ) -> ScoreResult:
        """Score a batch; rows that cannot be scored go to ``rejects`` with a reason.

        The frame is checked against the schema first: a missing column raises
        :class:`~mlcheck.errors.UsageError`; extra columns are dropped with an
        ``ExtraColumnsWarning`` (key columns are kept); dtypes are coerced when
        that loses nothing; a value that does not parse, is missing where the
        training data never was, is infinite or is an unseen category makes
        its row a reject. Rows the model itself raises on are found by
        bisection and rejected with the model's error. ``n_rows == n_scored +
        n_rejected`` always.

        Parameters
        ----------
        frame : pandas.DataFrame or dask.dataframe.DataFrame
            The batch; its index is kept on predictions and rejects. A Dask
            frame is scored partition by partition (only the predictions and
            rejects are gathered), and ``row`` in rejects counts positions in
            the whole frame.
        fallback : scalar, optional
            A prediction for the rows that cannot be scored; they then also
            appear in ``predictions`` with ``fallback=True`` (and still in ``rejects``).
        batch_size : int, optional
            Score this many rows at a time (bounds memory); default all at once.
        key : str or list of str, optional
            Columns that identify a row; copied to predictions and rejects.
        scores : bool, default False
            Also return ``score_<class>`` columns from ``predict_proba``.

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
        """
        return score_frame(
            self.model, self.schema, frame, fallback=fallback, batch_size=batch_size, key=key, scores=scores
        )


def load(path: str | Path, *, trusted: Sequence[str] | None = None) -> Bundle:
    """Load a bundle written by :func:`export`, verifying every file first.

    Every file is checked against ``MANIFEST.json`` (a missing, changed or
    unlisted file raises :class:`~mlcheck.errors.BundleIntegrityError` naming
    it); the model is loaded with skops, allowing only the types described in
    this module's trust policy plus those named in ``trusted``; a bundle
    exported with another scikit-learn version loads with a
    :class:`BundleVersionWarning`.

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
    if trusted is not None and (
        isinstance(trusted, (str, bytes)) or not all(isinstance(t, str) for t in trusted)
    ):
        raise UsageError(
            f"trusted must be a list of type names like ['mypackage.module.MyTransformer'], got {trusted!r}"
        )
    folder = Path(path)
    manifest, files = store.read_verified(folder)
    missing = [name for name in REQUIRED_FILES if name not in files]
    if missing:
        raise BundleIntegrityError(
            f"the manifest of {folder} does not list {missing}; it is not a complete bundle, export it again"
        )
    model_info = manifest.get("model") or {}
    _warn_on_version_change(model_info, folder)
    needed = _needed_types(files[MODEL_FILE], model_info.get("untrusted_types") or (), trusted, folder)
    import skops.io as sio

    model = sio.loads(files[MODEL_FILE], trusted=needed)
    try:
        schema = Schema.from_dict(json.loads(files[SCHEMA_FILE]))
        contracts = [CheckResult.from_dict(r) for r in json.loads(files[CONTRACTS_FILE]).get("results", [])]
        provenance = json.loads(files[PROVENANCE_FILE])
        profile = None
        if PROFILE_FILE in files:
            from mlcheck.profiling.model import Profile

            profile = Profile.from_dict(json.loads(files[PROFILE_FILE]))
    except (ValueError, KeyError, TypeError) as error:
        raise BundleIntegrityError(f"a file in the bundle at {folder} is malformed: {error!r}") from None
    return Bundle(
        path=folder,
        manifest=manifest,
        model=model,
        schema=schema,
        profile=profile,
        golden_bytes=files[GOLDEN_FILE],
        contracts=contracts,
        provenance=provenance,
    )


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
