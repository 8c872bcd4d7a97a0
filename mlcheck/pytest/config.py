"""Configuration of the pytest plugin: ``[tool.mlcheck]`` and ``--mlcheck-*``, read and checked once.

Paths in ``[tool.mlcheck]`` are relative to the folder of the pyproject.toml
that holds it (the rootdir's). A mistake there (an unknown key, a glob that
matches no notebook, a parameter the notebook does not declare or cannot take)
is a usage error before anything runs, not a crash.
"""

from __future__ import annotations

import glob
import hashlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CONFIG_KEYS = ("notebooks", "runs_dir", "timeout", "cell_timeout", "parameters", "notebook")
NOTEBOOK_KEYS = ("scoring", "bundle", "timeout", "cell_timeout", "rtol", "trust")


@dataclass(frozen=True)
class Job:
    """One run of one notebook with one set of parameters."""

    notebook: Path
    parameters: dict[str, Any]
    timeout: float | None
    label: str | None = None  # "[sample=0.1]" for a parameter set of a list
    cell_timeout: float | None = None

    @property
    def key(self) -> str:
        return run_key("run", str(self.notebook), self.parameters, self.timeout, self.cell_timeout)


@dataclass
class NotebookSettings:
    """What ``[tool.mlcheck]`` and the command line say about one notebook."""

    path: Path
    parameter_sets: list[dict[str, Any]] = field(default_factory=lambda: [{}])
    listed: bool = False  # parameters given as a list of tables: one collector per set
    #: where its parameters are written, for messages: '[tool.mlcheck.parameters."nb.ipynb"] in .../pyproject.toml'
    table: str = ""
    scoring: Path | None = None
    bundle: Path | None = None
    timeout: float | None = None
    cell_timeout: float | None = None
    rtol: float = 1e-9
    trust: list[str] | None = None


def run_key(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _usage(message: str) -> pytest.UsageError:
    return pytest.UsageError(f"mlcheck: {message}")


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise _usage(f"cannot read {path}: {error}") from None
    return data


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise _usage(f"{where} must be a positive number of seconds, got {value!r}")
    return float(value)


def set_label(values: Mapping[str, Any]) -> str:
    return "[" + ",".join(f"{name}={value}" for name, value in values.items()) + "]"


def collectible(path: Path, runs_dir: Path) -> bool:
    """Notebooks only: never checkpoints, hidden files, or executed outputs in run directories."""
    if path.suffix != ".ipynb" or any(part.startswith(".") for part in path.parts[-3:]):
        return False
    if path == runs_dir or runs_dir in path.parents:
        return False
    return not any(
        (folder / "run.json").exists() or (folder / "status.json").exists() for folder in path.parents[:3]
    )


class Settings:
    """``[tool.mlcheck]`` of the rootdir's pyproject.toml, with the command line's overrides."""

    def __init__(self, config: pytest.Config) -> None:
        inipath = config.inipath
        self.source = (
            inipath
            if inipath is not None and inipath.name == "pyproject.toml"
            else config.rootpath / "pyproject.toml"
        )
        self.root = self.source.parent  # paths in [tool.mlcheck] are relative to its file
        table = _read_toml(self.source).get("tool", {}).get("mlcheck", {}) if self.source.is_file() else {}
        where = f"[tool.mlcheck] in {self.source}"
        if not isinstance(table, dict):
            raise _usage(f"{where} must be a table")
        unknown = sorted(set(table) - set(CONFIG_KEYS))
        if unknown:
            raise _usage(
                f"unknown key(s) {', '.join(map(repr, unknown))} in {where}; known keys: {', '.join(CONFIG_KEYS)}"
            )
        runs_option = config.getoption("mlcheck_runs_dir")
        if runs_option:
            self.runs_dir = (config.invocation_params.dir / runs_option).resolve()
        else:
            self.runs_dir = (self.root / str(table.get("runs_dir", "runs"))).resolve()
        given = config.getoption("mlcheck_timeout")
        self.cli_timeout = _number(given, "--mlcheck-timeout") if given is not None else None
        self.timeout = _number(table["timeout"], f"timeout in {where}") if "timeout" in table else None
        self.cell_timeout = (
            _number(table["cell_timeout"], f"cell_timeout in {where}") if "cell_timeout" in table else None
        )
        self.no_run: bool = bool(config.getoption("mlcheck_no_run"))
        self.notebooks = self._expand(table.get("notebooks", []), where)
        self.by_path: dict[Path, NotebookSettings] = {}
        self._read_parameters(table.get("parameters", {}), where)
        self._read_options(table.get("notebook", {}), where)
        self._read_cli(config.getoption("mlcheck_param") or [], config.invocation_params.dir)
        for settings in self.by_path.values():
            _validate_parameters(settings)

    def _resolve(self, name: str, what: str, *, near: Path | None = None) -> Path:
        tried = [(self.root / name).resolve()]
        if near is not None:
            tried.append((near / name).resolve())
        for path in tried:
            if path.exists():
                return path
        raise _usage(f"{what} {name!r} does not exist (looked for {' and '.join(map(str, tried))})")

    def _expand(self, patterns: Any, where: str) -> list[Path]:
        if (
            isinstance(patterns, str)
            or not isinstance(patterns, list)
            or not all(isinstance(p, str) for p in patterns)
        ):
            raise _usage(f"notebooks in {where} must be a list of glob strings, got {patterns!r}")
        found: list[Path] = []
        for pattern in patterns:
            matches = [Path(p).resolve() for p in glob.glob(str(self.root / pattern), recursive=True)]
            matches = sorted(p for p in matches if p.is_file() and collectible(p, self.runs_dir))
            if not matches:
                raise _usage(
                    f"the glob {pattern!r} in notebooks of {where} matches no notebook under {self.root} "
                    "(checkpoints and executed outputs in run directories do not count); fix the pattern"
                )
            found.extend(p for p in matches if p not in found)
        return found

    def settings_for(self, path: Path) -> NotebookSettings:
        return self.by_path.setdefault(path, NotebookSettings(path))

    def _read_parameters(self, tables: Any, where: str) -> None:
        if not isinstance(tables, dict):
            raise _usage(f"parameters in {where} must be a table of notebook paths")
        for name, value in tables.items():
            settings = self.settings_for(
                self._resolve(name, f"the notebook of [tool.mlcheck.parameters.{name!r}]")
            )
            sets = value if isinstance(value, list) else [value]
            if not sets or not all(isinstance(s, dict) for s in sets):
                raise _usage(
                    f'[tool.mlcheck.parameters."{name}"] must be a table or a non-empty list of tables'
                )
            settings.parameter_sets = [dict(s) for s in sets]
            settings.listed = isinstance(value, list)
            brackets = ("[[", "]]") if settings.listed else ("[", "]")
            settings.table = f'{brackets[0]}tool.mlcheck.parameters."{name}"{brackets[1]} in {self.source}'

    def _read_options(self, tables: Any, where: str) -> None:
        if not isinstance(tables, dict):
            raise _usage(f"notebook in {where} must be a table of notebook paths")
        for name, options in tables.items():
            label = f'[tool.mlcheck.notebook."{name}"]'
            path = self._resolve(name, f"the notebook of {label}")
            if not isinstance(options, dict):
                raise _usage(f"{label} must be a table with keys {', '.join(NOTEBOOK_KEYS)}")
            unknown = sorted(set(options) - set(NOTEBOOK_KEYS))
            if unknown:
                raise _usage(
                    f"unknown key(s) {', '.join(map(repr, unknown))} in {label}; known keys: {', '.join(NOTEBOOK_KEYS)}"
                )
            settings = self.settings_for(path)
            if "scoring" in options:
                settings.scoring = self._resolve(
                    str(options["scoring"]), f"scoring of {label}", near=path.parent
                )
            if "bundle" in options:  # written by the run: need not exist yet
                settings.bundle = (self.root / str(options["bundle"])).resolve()
            if "timeout" in options:
                settings.timeout = _number(options["timeout"], f"timeout in {label}")
            if "cell_timeout" in options:
                settings.cell_timeout = _number(options["cell_timeout"], f"cell_timeout in {label}")
            if "rtol" in options:
                rtol = options["rtol"]
                if isinstance(rtol, bool) or not isinstance(rtol, (int, float)) or not rtol >= 0:
                    raise _usage(f"rtol in {label} must be a number >= 0, got {rtol!r}")
                settings.rtol = float(rtol)
            if "trust" in options:
                trust = options["trust"]
                if not isinstance(trust, list) or not all(isinstance(t, str) for t in trust):
                    raise _usage(f"trust in {label} must be a list of type names, got {trust!r}")
                settings.trust = list(trust)

    def _read_cli(self, given: list[str], invocation_dir: Path) -> None:
        for text in given:
            head, equals, value = text.partition("=")
            notebook, colon, name = head.rpartition(":")
            if not (equals and colon and notebook and name):
                raise _usage(
                    f"--mlcheck-param expects NB:NAME=VALUE (e.g. train.ipynb:sample=0.1), got {text!r}"
                )
            candidates = [(base / notebook).resolve() for base in (invocation_dir, self.root)]
            path = next((p for p in candidates if p.is_file()), None)
            if path is None:
                named = [p for p in {*self.notebooks, *self.by_path} if p.name == notebook]
                if len(named) != 1:
                    raise _usage(
                        f"--mlcheck-param {text!r}: no notebook {notebook!r} (give its path or the file name of a configured one)"
                    )
                path = named[0]
            from mlcheck.runs.parameter_values import TextValue  # read as `mlcheck run -p` reads it

            for parameter_set in self.settings_for(path).parameter_sets:
                parameter_set[name.strip()] = TextValue(value)

    def job_timeout(self, settings: NotebookSettings | None) -> float | None:
        """The command line's timeout, else the notebook's, else ``[tool.mlcheck]``'s."""
        for timeout in (self.cli_timeout, settings.timeout if settings else None, self.timeout):
            if timeout is not None:
                return timeout
        return None

    def job_cell_timeout(self, settings: NotebookSettings | None) -> float | None:
        """Seconds for any one cell: the notebook's, else ``[tool.mlcheck]``'s."""
        if settings is not None and settings.cell_timeout is not None:
            return settings.cell_timeout
        return self.cell_timeout

    def jobs(self, path: Path) -> list[Job]:
        """The runs a notebook needs: one per parameter set."""
        jobs = jobs_api()
        settings = self.by_path.get(path) or NotebookSettings(path)
        declared = jobs.read_parameters(path)
        labels = [set_label(s) if settings.listed else None for s in settings.parameter_sets]
        for index, label in enumerate(labels):
            if label is not None and labels.count(label) > 1:
                labels[index] = f"{label[:-1]}#{index}]"
        return [
            Job(
                path,
                jobs.coerce_parameters(declared, values, notebook=path.name, **_forms(settings)),
                self.job_timeout(settings),
                label,
                self.job_cell_timeout(settings),
            )
            for values, label in zip(settings.parameter_sets, labels)
        ]


def _validate_parameters(settings: NotebookSettings) -> None:
    """Unknown or ill-typed CI parameters are a usage error before anything runs."""
    from mlcheck.errors import MlcheckError

    jobs = jobs_api()
    try:
        declared = jobs.read_parameters(settings.path)
        for values in settings.parameter_sets:
            jobs.coerce_parameters(declared, values, notebook=settings.path.name, **_forms(settings))
    except MlcheckError as error:
        raise _usage(f"parameters for {settings.path.name}: {error}") from None


def _forms(settings: NotebookSettings) -> dict[str, Any]:
    """A refusal's examples as written where each value came from: TOML in the table, or --mlcheck-param."""
    from mlcheck.runs.parameters import Forms

    return {
        "file_forms": Forms("toml", where=settings.table),
        "text_forms": Forms(option=f"--mlcheck-param {settings.path.name}:"),
    }


def jobs_api() -> Any:
    """:mod:`mlcheck.runs`, imported as ``mlcheck run`` imports it.

    jsonschema (under nbformat) compiles a grammar for its optional "iri" format
    checker at import when rfc3987-syntax is installed: seconds, for a format no
    notebook schema uses. When this session is the first to import jsonschema,
    it is imported without that checker (as the ``mlcheck`` command does).
    """
    import sys

    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
        try:
            import nbformat  # noqa: F401
        finally:
            if "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"] is None:
                del sys.modules["rfc3987_syntax"]
    import mlcheck.runs

    return mlcheck.runs
