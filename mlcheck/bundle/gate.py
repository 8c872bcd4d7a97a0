"""The export gate: a model leaves the notebook only when its contracts hold.

:func:`export` refuses (raising :class:`~mlcheck.errors.ContractViolation`,
writing nothing) when any error-severity check recorded in this process or
kernel has failed. Otherwise it writes the bundle into a hidden directory
beside ``path`` and moves it into place in one step (see
:mod:`mlcheck.bundle.store`), so a crash or a kill at any moment leaves either
the old bundle or the new one.
"""

from __future__ import annotations

import json
import platform
import shutil
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from mlcheck._validation import PATH, HasMethods, InstanceOf, SequenceOf, validate_options
from mlcheck.bundle import store
from mlcheck.bundle.loading import (
    CONTRACTS_FILE,
    GOLDEN_FILE,
    GOLDEN_PREFIX,
    IMPORTANCE_FILE,
    MODEL_FILE,
    PROFILE_FILE,
    PROVENANCE_FILE,
    SCHEMA_FILE,
    Bundle,
    load,
    with_unknown_handling,
)
from mlcheck.bundle.estimator import as_input, input_form, unloadable_types
from mlcheck.contracts.parity import model_outputs
from mlcheck.contracts.schema import Schema, conform, infer_schema
from mlcheck.results import to_jsonable
from mlcheck.errors import ContractViolation, Reason, UsageError

__all__ = ["export", "provenance"]

GOLDEN_ROWS = 1000
_PACKAGES = ("mlcheck", "scikit-learn", "numpy", "scipy", "pandas", "pyarrow", "skops", "hypothesis")


def _package_versions() -> dict[str, str]:
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _run_parameters(run_dir: Path) -> dict[str, Any]:
    """The job's parameters as this kernel holds them: declared in the notebook, valued in its namespace."""
    import sys

    from mlcheck.runs.rundir import read_status

    status = read_status(run_dir)  # the job's status.json names the notebook it runs
    if status is None:
        return {}
    notebook = Path(status.notebook)
    if "IPython" not in sys.modules or not notebook.is_file():
        return {}
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return {}
    try:
        from mlcheck.runs.parameters import read_parameters

        names = [parameter.name for parameter in read_parameters(notebook)]
    except Exception:  # noqa: BLE001 - provenance is best effort; the run's run.json has them too
        return {}
    values = {}
    for name in names:
        if name in shell.user_ns:
            value = shell.user_ns[name]
            if value is None or isinstance(value, (bool, int, float, str, list, dict)):
                values[name] = to_jsonable(value)
    return values


def provenance(*, inputs: Sequence[str | Path] | Mapping[str, str | Path] = ()) -> dict[str, Any]:
    """Where an export comes from: run, parameters, input hashes, git state, versions, recorded values.

    Examples
    --------
    >>> from mlcheck.bundle.gate import provenance
    >>> sorted(provenance())[:3]
    ['created', 'git', 'inputs']
    """
    from mlcheck.runs.provenance import git_state, sha256_file
    from mlcheck.kernel import recorded_values, run_context

    named = dict(inputs) if isinstance(inputs, Mapping) else {str(p): p for p in inputs}
    hashes = {}
    for label, file in named.items():
        candidate = Path(file)
        if not candidate.is_file():
            raise UsageError(f"export: input file {str(candidate)!r} (given in inputs=) does not exist")
        hashes[label] = {"path": str(candidate), "sha256": sha256_file(candidate)}
    run = run_context()
    parameters = _run_parameters(Path(run["run_dir"])) if run and run.get("run_dir") else {}
    for label, value in parameters.items():  # a parameter naming a file is an input: hash it too
        if isinstance(value, str) and value and len(value) < 4096 and Path(value).is_file():
            hashes.setdefault(label, {"path": value, "sha256": sha256_file(Path(value))})
    record: dict[str, Any] = {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git": git_state(Path.cwd()),
        "inputs": hashes,
        "packages": _package_versions(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "run": run,
        "parameters": parameters,
        "values": recorded_values(),
    }
    return record


def _golden(model: Any, golden: pd.DataFrame, schema: Any) -> tuple[pd.DataFrame, str]:
    conformed = conform(golden, schema, warn=False)
    if conformed.bad.any():
        warnings.warn(
            f"export: {int(conformed.bad.sum())} golden row(s) do not fit the schema and were left out "
            f"(first: {next(iter(conformed.reasons.values()))})",
            UserWarning,
            stacklevel=3,
        )
    features = conformed.features.loc[~conformed.bad]
    if not len(features):
        raise UsageError(
            "export: no golden row fits the schema inferred from reference; pass other golden rows"
        )
    form = input_form(model)
    try:
        outputs = model_outputs(model, as_input(features, form))
    except Exception as error:  # noqa: BLE001 - try the other form once, then report the model's own error
        other: Literal["frame", "array"] = "array" if form == "frame" else "frame"
        try:
            outputs = model_outputs(model, as_input(features, other))
        except Exception:  # noqa: BLE001
            raise UsageError(
                f"export: the model cannot predict the golden rows given as a {form} "
                f"({type(error).__name__}: {error}); pass golden= rows it can score, in the columns it was fit on"
            ) from None
        form = other
    outputs = outputs.set_axis(features.index).rename(columns=lambda c: f"{GOLDEN_PREFIX}{c}")
    return pd.concat([features, outputs], axis=1), form


#: A level column with a distinct value on every row is flagged from this many rows on.
ID_LIKE_ROWS = 50


def _warn_on_ids(schema: Schema) -> None:
    """Warn about a feature with a distinct value on every reference row: an id, most likely.

    The schema keeps every level, so such a column makes every new row an
    unseen level (rejected unless the model's encoder takes it) and makes
    schema.json as long as the training data.
    """
    n_rows = schema.n_reference_rows
    for column in schema.columns:
        n_present = round(n_rows * (1.0 - column.null_fraction))
        if column.levels is not None and n_present >= ID_LIKE_ROWS and len(column.levels) == n_present:
            warnings.warn(
                f"export: column {column.name!r} holds a different value on each of its {n_present} rows, "
                "as an id does: every new row will be an unseen level. If it identifies rows, train "
                f"without it and pass key={column.name!r}; if it is text, feed it to a text vectorizer",
                UserWarning,
                stacklevel=3,
            )


def _model_bytes(model: Any) -> tuple[bytes, list[str]]:
    """The model as skops bytes and the types it needs; refused whole when another process cannot load it."""
    import skops.io as sio

    try:
        model_bytes = sio.dumps(model)
    except Exception as error:  # noqa: BLE001 - skops names what it cannot persist
        raise UsageError(
            f"export: skops cannot persist this {type(model).__name__} ({type(error).__name__}: {error}); "
            "nothing was written"
        ) from None
    untrusted = sorted(sio.get_untrusted_types(data=model_bytes))
    unloadable = unloadable_types(untrusted)
    if unloadable:
        listed = "; ".join(f"{name}: {why}" for name, why in unloadable.items())
        raise UsageError(
            f"export refused: the model is built of {len(unloadable)} type(s) that a scoring process cannot "
            f"load ({listed}). Nothing was written. Fix: move that code into a module the scoring process "
            "can import (a .py file next to the notebooks, or a package), import it from there in the "
            "training notebook, refit, and load the bundle with mc.load(path, trusted=['module.Name']). "
            "Instead of FunctionTransformer(lambda ...), pass a function defined in that module. "
            "See templates/features.py for a worked example"
        )
    return model_bytes, untrusted


@validate_options(
    {
        "model": [HasMethods("predict", description="a fitted model with .predict()")],
        "path": [PATH],
        "reference": [InstanceOf(pd.DataFrame, description="a pandas DataFrame of the training features")],
        "golden": [None, InstanceOf(pd.DataFrame, description="a pandas DataFrame")],
        "name": [None, str],
        "overwrite": ["boolean"],
        "key": [None, str, SequenceOf(InstanceOf(str), description="a list of column names")],
        "held_out": [None, InstanceOf(tuple, description="a tuple (X_held_out, y_held_out)")],
        "importance": [None, InstanceOf(pd.DataFrame, description="a table from mc.importance")],
    }
)
def export(
    model: Any,
    path: str | Path,
    *,
    reference: pd.DataFrame,
    golden: pd.DataFrame | None = None,
    name: str | None = None,
    overwrite: bool = False,
    inputs: Sequence[str | Path] | Mapping[str, str | Path] = (),
    key: str | Sequence[str] | None = None,
    held_out: tuple[Any, Any] | None = None,
    importance: pd.DataFrame | None = None,
) -> Bundle:
    """Export ``model`` as a bundle, the gate: only when every recorded contract holds.

    Refuses with :class:`~mlcheck.errors.ContractViolation`, writing nothing,
    when an error-severity check recorded in this process (kernel) failed;
    refuses with :class:`~mlcheck.errors.UsageError`, writing nothing, when
    the model is built of types another process cannot load (a class defined
    in the notebook, a lambda), naming each type and the fix.
    Otherwise writes ``model.skops`` (skops, no pickle), ``schema.json``
    (inferred from ``reference``), ``profile.json`` (the reference profile),
    ``golden.parquet`` (golden inputs with the model's predictions and scores),
    ``contracts.json`` (the recorded checks), ``provenance.json`` and
    ``MANIFEST.json`` (sha256 of every file, and the types the model needs
    beyond skops' defaults) into a temporary directory, then moves it into
    place atomically.

    Parameters
    ----------
    model : fitted estimator
    path : str or Path
        The bundle's directory.
    reference : pandas.DataFrame
        The training features: the schema and the profile come from it.
    golden : pandas.DataFrame, optional
        Rows whose predictions scoring must reproduce; default a sample of up
        to 1000 reference rows (seed 0).
    name : str, optional
        Default: the directory's name.
    overwrite : bool, default False
        Replace an existing bundle at ``path``.
    inputs : list of paths or mapping of label to path, optional
        Input files (training data) to hash into the provenance.
    key : str or list of str, optional
        Columns that identify a row in scoring batches (ids). They are not
        features: scoring copies them to predictions and rejects, and
        ``check_schema`` does not count them as extra columns.
    held_out : tuple (X, y), optional
        Held-out rows and their labels: the model's permutation importance on
        them (``mc.importance(model, X, y, random_state=0)``) is stored as
        ``importance.json`` and read back as ``bundle.importance`` (for
        ``check_importance`` and ``check_shift(importance=)`` later).
    importance : pandas.DataFrame, optional
        A table already computed with ``mc.importance``; stored instead.

    Returns
    -------
    Bundle
        The bundle as :func:`load` reads it back.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd, mlcheck as mc
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> bundle = mc.export(model, pathlib.Path(tempfile.mkdtemp()) / "credit", reference=X)
    >>> sorted(p.name for p in bundle.path.iterdir())[:3]
    ['MANIFEST.json', 'MANIFEST.sha256', 'contracts.json']
    """
    from mlcheck.kernel import recorded_results

    if reference.empty:
        raise UsageError(
            "export needs reference=, a non-empty DataFrame of the training features",
            reason=Reason.INVALID_DATA,
            parameter="reference",
        )
    recorded = recorded_results()
    blocking = [result for result in recorded if result.blocking]
    if blocking:
        listed = "; ".join(f"{r.name}: {r.message or 'failed'}" for r in blocking)
        raise ContractViolation(
            f"export refused: {len(blocking)} failed check(s) block it ({listed}). Fix the model or the data "
            "and run the checks again; nothing was written. The gate reads the results recorded in this "
            "kernel: a notebook cell run again replaces its earlier results; to forget the others (from "
            "a deleted or changed cell, or outside JupyterLab), call mc.clear() and run the checks again",
            blocking,
        )
    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"export: the folder {target.parent} does not exist; create it first")
    store.recover(target)
    if target.exists():
        if not overwrite:
            raise UsageError(f"export: {target} already exists; pass overwrite=True to replace that bundle")
        if not (target / store.MANIFEST).is_file():
            raise UsageError(f"export: {target} exists and is not an mlcheck bundle; refusing to replace it")

    model_bytes, untrusted = _model_bytes(model)
    schema = infer_schema(reference)
    keys = (key,) if isinstance(key, str) else tuple(key or ())
    features_named = [name for name in keys if name in schema.names]
    if features_named:
        raise UsageError(
            f"export: key column(s) {features_named} are in reference=, as features; a key is not a feature"
        )
    from mlcheck.bundle.scoring import check_output_names

    check_output_names(schema.names, keys, where="export")  # a clash with scoring's own columns, refused now
    schema = with_unknown_handling(Schema(schema.columns, schema.n_reference_rows, {}, keys), model)
    _warn_on_ids(schema)
    if golden is None:
        golden = reference.sample(n=min(GOLDEN_ROWS, len(reference)), random_state=0)
    golden_frame, form = _golden(model, golden, schema)
    if importance is None and held_out is not None:
        if len(held_out) != 2:
            raise UsageError("export: held_out= takes a tuple (X_held_out, y_held_out)", parameter="held_out")
        from mlcheck.contracts.importance import importance as permutation_importance

        importance = permutation_importance(model, held_out[0], held_out[1], random_state=0)
    record = provenance(inputs=inputs)
    record["model"] = {"class": f"{type(model).__module__}.{type(model).__qualname__}"}
    record["reference"] = {"n_rows": len(reference), "n_columns": reference.shape[1]}

    import sklearn

    files: dict[str, bytes] = {
        MODEL_FILE: model_bytes,
        SCHEMA_FILE: _json(schema.to_dict()),
        GOLDEN_FILE: _parquet(golden_frame),
        CONTRACTS_FILE: _json({"results": [result.to_dict() for result in recorded]}),
        PROVENANCE_FILE: _json(record),
    }
    if importance is not None:
        from mlcheck.contracts.importance import importance_to_dict

        files[IMPORTANCE_FILE] = _json(importance_to_dict(importance))
    profile = _profile(reference)
    if profile is not None:
        files[PROFILE_FILE] = _json(profile)

    from mlcheck._atomic import refused_writes

    with refused_writes(target):  # a full disk or a read-only folder: WriteError naming the bundle, not OSError
        staging = store.new_staging_dir(target)
    try:
        with refused_writes(target):
            entries = {file_name: store.write_file(staging, file_name, data) for file_name, data in files.items()}
        manifest = {
            "format": store.FORMAT,
            "version": store.FORMAT_VERSION,
            "name": name or target.name,
            "created": record["created"],
            "files": entries,
            "model": {
                "file": MODEL_FILE,
                "class": record["model"]["class"],
                "untrusted_types": untrusted,
                "sklearn_version": sklearn.__version__,
                "skops_version": record["packages"].get("skops"),
                "input": form,
            },
        }
        manifest_bytes = _json(manifest)
        with refused_writes(target):
            store.write_file(staging, store.MANIFEST, manifest_bytes)
            store.write_file(staging, store.MANIFEST_CHECKSUM, store.manifest_checksum(manifest_bytes))
            store.move_into_place(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    # we just wrote these types from the caller's own in-memory model
    return load(target, trusted=untrusted)


def _json(data: Any) -> bytes:
    return json.dumps(to_jsonable(data), indent=1, sort_keys=False, allow_nan=False).encode()


def _parquet(frame: pd.DataFrame) -> bytes:
    import io

    import pyarrow as pa

    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, engine="pyarrow")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
        raise UsageError(
            f"export: the golden rows cannot be stored as Parquet ({str(error).splitlines()[0]}); a column "
            "that mixes value types (numbers and text) must be made one type before training, for example "
            "frame[column].astype(str). Nothing was written"
        ) from None
    return buffer.getvalue()


def _profile(reference: pd.DataFrame) -> dict[str, Any] | None:
    try:
        from mlcheck.profiling.model import profile
    except ImportError:  # the profile module is optional for a bundle; drift checks then need the data
        return None
    return profile(reference).to_dict()
