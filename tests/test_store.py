"""The bundle on disk: every malformed file is a BundleIntegrityError naming it; the manifest is protected."""

from __future__ import annotations

import io
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import mlcheck as mc
from mlcheck.bundle import store
from mlcheck.errors import BundleIntegrityError, MlcheckError


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(["a", "b"], 200)})
    X["c"] = X["c"].astype("category")
    model = LogisticRegression().fit(X[["x"]], X["x"] > 0)
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["c"]), remainder="passthrough"), LogisticRegression()
    ).fit(X, X["x"] > 0)
    return mc.export(model, tmp_path_factory.mktemp("store") / "b", reference=X).path


def _copy(exported: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(exported, target)
    return target


def _replace(path: Path, name: str, data: bytes) -> None:
    """Replace a file and rewrite the manifest and its checksum to match: a malformed file that passes hashing."""
    (path / name).write_bytes(data)
    manifest = json.loads((path / store.MANIFEST).read_text())
    manifest["files"][name] = {"sha256": store.sha256_bytes(data), "size": len(data)}
    _manifest(path, manifest)


def _manifest(path: Path, manifest: object) -> None:
    raw = json.dumps(manifest).encode()
    (path / store.MANIFEST).write_bytes(raw)
    (path / store.MANIFEST_CHECKSUM).write_bytes(store.manifest_checksum(raw))


def _zip(**members: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


MALFORMED = {
    "model.skops": [pickle.dumps(LogisticRegression()), _zip(**{"readme.txt": b"hello"}), b"", b"PK\x03\x04"],
    "schema.json": [b"[]", b"{}", b"not json", b'{"format": "mlcheck-schema", "version": 2, "columns": {}}'],
    "contracts.json": [b"[]", b'{"results": [1]}', b'{"results": "x"}'],
    "provenance.json": [b"[]", b"nul"],
    "profile.json": [b"[]", b'{"format": "mlcheck-profile", "version": 1, "n_rows": 1, "columns": [1]}'],
    "golden.parquet": [b"PAR1", b"", _zip(a=b"1")],
}


@pytest.mark.parametrize(
    ("name", "case"), [(name, i) for name, cases in MALFORMED.items() for i in range(len(cases))]
)
def test_a_malformed_file_with_a_matching_hash_is_an_integrity_error_naming_it(
    exported, tmp_path, name, case
):
    path = _copy(exported, tmp_path)
    _replace(path, name, MALFORMED[name][case])
    with pytest.raises(BundleIntegrityError, match=name.replace(".", r"\.")):
        mc.load(path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(files=[]),
        lambda m: m.update(files={"schema.json": "abc"}),
        lambda m: m["files"]["schema.json"].update(size="12"),
        lambda m: m["files"]["schema.json"].update(sha256=12),
        lambda m: m.update(model=None),
        lambda m: m["model"].update(untrusted_types="sklearn.Thing"),
        lambda m: m["model"].update(sklearn_version=1.5),
        lambda m: m.update(version="1"),
        lambda m: m.update(name=["x"]),
        lambda m: m["files"].update({"../escape": m["files"]["schema.json"]}),
    ],
)
def test_manifest_fields_of_the_wrong_type_are_integrity_errors(exported, tmp_path, edit) -> None:
    path = _copy(exported, tmp_path)
    manifest = json.loads((path / store.MANIFEST).read_text())
    edit(manifest)
    _manifest(path, manifest)
    with pytest.raises(BundleIntegrityError, match=r"MANIFEST\.json"):
        mc.load(path)


def test_every_single_byte_edit_of_the_manifest_is_caught(exported, tmp_path) -> None:
    path = _copy(exported, tmp_path)
    original = (path / store.MANIFEST).read_bytes()
    loaded_silently = []
    for position in range(len(original)):
        edited = bytearray(original)
        edited[position] ^= 0x01  # was: 195 of 1,018 such edits loaded silently
        (path / store.MANIFEST).write_bytes(bytes(edited))
        try:
            mc.load(path)
        except BundleIntegrityError:
            continue
        loaded_silently.append(position)
    assert loaded_silently == [] and len(original) > 500


def test_the_manifest_checksum_itself_is_checked(exported, tmp_path) -> None:
    path = _copy(exported, tmp_path)
    (path / store.MANIFEST_CHECKSUM).write_text("0" * 64 + "  MANIFEST.json\n")
    with pytest.raises(BundleIntegrityError, match=r"MANIFEST\.json differs from its checksum"):
        mc.load(path)
    (path / store.MANIFEST_CHECKSUM).unlink()
    with pytest.raises(BundleIntegrityError, match=r"MANIFEST\.sha256 is missing"):
        mc.load(path)


def test_a_recorded_size_that_differs_is_caught(exported, tmp_path) -> None:
    path = _copy(exported, tmp_path)
    manifest = json.loads((path / store.MANIFEST).read_text())
    manifest["files"]["schema.json"]["size"] += 1
    _manifest(path, manifest)
    with pytest.raises(BundleIntegrityError, match=r"schema\.json .* bytes, its manifest says"):
        mc.load(path)


def test_integrity_errors_are_mlcheck_errors_and_a_good_copy_loads(exported, tmp_path) -> None:
    assert issubclass(BundleIntegrityError, MlcheckError)
    assert mc.load(_copy(exported, tmp_path)).schema.names == ("x", "c")
