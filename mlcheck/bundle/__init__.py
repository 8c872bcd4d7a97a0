"""The bundle: a model with everything scoring needs, exported behind a gate.

``mc.export(model, path, reference=X_train)`` writes it only when every
recorded contract holds; ``mc.load(path)`` verifies it and loads it safely;
``bundle.score(batch)`` scores a batch without losing a row (a Dask batch
lazily, on its cluster: :class:`DaskScoreResult`).

Layout of a bundle directory::

    model.skops       the model, persisted with skops (no pickle)
    schema.json       columns, dtypes, nullability, ranges, levels
    profile.json      reference profile for drift checks
    golden.parquet    golden inputs with the training-time predictions and scores
    contracts.json    every check recorded before the export
    provenance.json   run, parameters, input hashes, git commit, package versions
    importance.json   permutation importance on held-out rows (optional: export(held_out=(X, y)))
    MANIFEST.json     sha256 and size of every file, the types the model needs, its input form
    MANIFEST.sha256   the manifest's own checksum (sha256sum format)
"""

from mlcheck.bundle.distributed import DaskScoreResult
from mlcheck.bundle.gate import export, provenance
from mlcheck.bundle.loading import Bundle, BundleVersionWarning, load
from mlcheck.bundle.scoring import ScoreResult

__all__ = ["Bundle", "BundleVersionWarning", "DaskScoreResult", "ScoreResult", "export", "load", "provenance"]
