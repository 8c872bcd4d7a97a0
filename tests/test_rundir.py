"""Run directories: run ids, the status table, the records, scanning; Python and TypeScript agree."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from mlcheck.errors import UsageError
from mlcheck.runs import rundir
from mlcheck.runs.rundir import (
    DamagedRun,
    InfrastructureError,
    RunRecord,
    Status,
    StatusRecord,
    create_run_dir,
    find_run,
    json_schema,
    latest,
    new_run_id,
    read_run,
    scan,
    write_record,
)

ROOT = Path(__file__).resolve().parents[1]


def test_run_ids_are_unique_and_sortable(tmp_path):
    ids = [new_run_id() for _ in range(200)]
    assert len(set(ids)) == 200
    stamps = [run_id.split("-")[0] for run_id in ids]  # the time part sorts; the suffix only breaks ties
    assert stamps == sorted(stamps) and stamps[0].endswith("Z") and len(stamps[0]) == 22


def test_each_final_status_has_its_own_exit_code_and_retry_advice():
    final = [member for member in Status if member.final]
    codes = [member.exit_code for member in final]
    assert len(set(codes)) == len(codes)  # one code per failure class
    assert Status.SUCCEEDED.exit_code == 0 and Status.FAILED.exit_code == 1 and Status.USAGE.exit_code == 2
    # infrastructure never shares the code of a broken contract, and is worth a retry
    assert Status.INFRASTRUCTURE.exit_code not in (0, 1, 2) and Status.INFRASTRUCTURE.retry
    assert not Status.INTEGRITY.retry and Status.INTEGRITY.exit_code not in (1, 3)  # tampered: never "retry"
    assert not Status.FAILED.retry and not Status.USAGE.retry and Status.TIMEOUT.retry
    assert all(member.exit_code is None for member in Status if not member.final)
    assert Status.from_exit_code(130) is Status.CANCELLED
    table = rundir.exit_code_table()
    assert all(
        re.search(rf"^\s*{m.exit_code}\s+{m.value}\s+{'yes' if m.retry else 'no'}\s", table, re.MULTILINE)
        for m in final
    )


def test_the_command_line_exit_codes_come_from_the_table():
    from mlcheck.errors import BundleIntegrityError

    assert InfrastructureError.exit_code == Status.INFRASTRUCTURE.exit_code
    assert BundleIntegrityError.exit_code == Status.INTEGRITY.exit_code


def test_records_round_trip_as_strict_json(tmp_path):
    record = RunRecord(
        run_id="r1", notebook=str(tmp_path / "nb.ipynb"), status=Status.FAILED, exit_code=1,
        parameters={"threshold": float("nan"), "limit": float("inf")}, values={"auc": 0.9},
    )  # fmt: skip
    write_record(tmp_path, record)
    text = (tmp_path / rundir.RUN_FILE).read_text()
    data = json.loads(text, parse_constant=lambda name: pytest.fail(f"non-strict JSON constant {name}"))
    assert data["parameters"] == {"threshold": "nan", "limit": "inf"}  # the documented spelling
    assert (
        data["status"] == "failed"
        and data["retry"] is False
        and data["schema_version"] == rundir.SCHEMA_VERSION
    )
    run = read_run(tmp_path)
    assert run.status == "failed" and run.exit_code == 1 and run.values == {"auc": 0.9}


def test_records_written_before_this_module_still_read(tmp_path):
    old = {
        "run_id": "20260101T000000-abcdef", "notebook": "/x/train.ipynb", "status": "error", "exit_code": 3,
        "failed_cell": {"index": 4, "source": "raise", "ename": "E", "evalue": "", "traceback": []},
    }  # fmt: skip
    (tmp_path / "run.json").write_text(json.dumps(old))
    run = read_run(tmp_path)
    assert run.record.schema_version == 1 and run.record.retry is True and run.failed_cell["cell"] is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"run_id": "x"}', "lacks notebook, status, exit_code"),
        ('{"run_id": "x", "notebook": "n", "status": "great", "exit_code": 0}', "unknown run status 'great'"),
    ],
)
def test_a_damaged_record_is_a_clear_error(tmp_path, content, expected):
    (tmp_path / "run.json").write_text(content)
    with pytest.raises(DamagedRun, match=expected):
        read_run(tmp_path)


def _fake_run(runs_dir: Path, notebook: Path, status: Status, started: str, **extra) -> Path:
    run_id, path = create_run_dir(runs_dir, notebook)
    write_record(path, RunRecord(run_id=run_id, notebook=str(notebook), status=status,
                                 exit_code=int(status.exit_code), started=started, **extra))  # fmt: skip
    return path


def test_scan_lists_damaged_runs_and_latest_keeps_golden_runs_apart(tmp_path):
    notebook = tmp_path / "score.ipynb"
    runs_dir = tmp_path / "runs"
    first = _fake_run(runs_dir, notebook, Status.SUCCEEDED, "2026-01-01T00:00:00")
    second = _fake_run(runs_dir, notebook, Status.FAILED, "2026-01-02T00:00:00")
    golden = _fake_run(runs_dir, notebook, Status.SUCCEEDED, "2026-01-03T00:00:00", kind="golden")
    damaged = runs_dir / "score" / "zzz-damaged"
    damaged.mkdir()
    (damaged / "run.json").write_text("{")
    (runs_dir / ".jobs").mkdir()  # hidden folders are not notebooks
    found = list(scan(runs_dir))
    assert found[0].run_id == "zzz-damaged" and found[0].run is None and "not valid JSON" in found[0].problem
    assert {s.run_dir for s in found} == {first, second, golden, damaged}
    assert latest(runs_dir, notebook).run_dir == second
    assert latest(runs_dir, notebook, kind="golden").run_dir == golden
    assert latest(runs_dir, tmp_path / "other" / "score.ipynb") is None  # same stem, another notebook
    assert find_run(runs_dir, second.name) == second
    # `mlcheck report latest NB`: the newest job, not the pytest plugin's newer golden-parity run ...
    assert find_run(runs_dir, "latest", notebook) == second
    only_golden = tmp_path / "g" / "runs"
    kept = _fake_run(only_golden, notebook, Status.SUCCEEDED, "2026-01-03T00:00:00", kind="golden")
    assert find_run(only_golden, "latest", notebook) == kept  # ... unless no job ever ran
    assert find_run(runs_dir, str(first)) == first
    with pytest.raises(UsageError, match="not a run directory, a run id"):
        find_run(runs_dir, "no-such-run")


def test_run_directories_refuse_bad_ids_and_report_unwritable_places(tmp_path):
    create_run_dir(tmp_path, "nb.ipynb", "mine")
    with pytest.raises(UsageError, match="exists already"):
        create_run_dir(tmp_path, "nb.ipynb", "mine")
    for bad in ("", "../up", ".hidden", "a/b"):
        with pytest.raises(UsageError, match="plain name"):
            create_run_dir(tmp_path, "nb.ipynb", bad)
    blocker = tmp_path / "file"
    blocker.write_text("")
    # a path in the way is the user's to fix (exit 2), a full disk the machine's (exit 6)
    from mlcheck.errors import PathNotWritable

    with pytest.raises(PathNotWritable, match="cannot create the runs folder") as raised:
        create_run_dir(blocker / "runs", "nb.ipynb")
    assert raised.value.exit_code == 2 and not isinstance(raised.value, InfrastructureError)


def test_the_schema_describes_every_field_of_both_records():
    schema = json_schema()
    run, status = schema["$defs"]["run"], schema["$defs"]["status_record"]
    assert set(run["properties"]) == {f.name for f in fields(RunRecord)}
    assert set(status["properties"]) == {f.name for f in fields(StatusRecord)}
    assert schema["$defs"]["status"]["enum"] == [member.value for member in Status]
    assert schema["$defs"]["failed_cell"]["properties"]["cell"] == {"$ref": "#/$defs/cell"}


def test_the_schema_validates_a_real_record(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    record = RunRecord(run_id="r", notebook="n", status=Status.ERROR, exit_code=3,
                       failed_cell={"cell": 2, "cell_id": "abc", "source": "x", "ename": "E", "evalue": "", "traceback": []})  # fmt: skip
    write_record(tmp_path, record)
    schema = {**json_schema(), "$ref": "#/$defs/run"}
    jsonschema.validate(json.loads((tmp_path / "run.json").read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record.to_dict(), "status": "great"}, schema)


def test_the_schema_module_prints_the_schema_and_the_table(capsys):
    assert rundir._main(["--schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()
    assert rundir._main(["--table"]) == 0
    assert "130  cancelled" in capsys.readouterr().out


def _ts_union(source: str, name: str) -> list[str]:
    match = re.search(rf"export type {name} =([^;]+);", source)
    assert match, f"api.ts declares no type {name}"
    return re.findall(r"'([a-z_]+)'", match.group(1))


def test_the_frontend_types_agree_with_the_schema():
    """jupyter_ext/src/api.ts spells the same status words and the same failed-cell fields as run.json."""
    source = (ROOT / "jupyter_ext" / "src" / "api.ts").read_text()
    schema = json_schema()
    assert _ts_union(source, "RunStatus") == schema["$defs"]["status"]["enum"]
    running = re.search(r"export const RUNNING_STATES: RunStatus\[\] = \[([^\]]*)\]", source)
    assert running, "api.ts declares no RUNNING_STATES: RunStatus[]"
    assert sorted(re.findall(r"'([a-z_]+)'", running.group(1))) == sorted(
        m.value for m in Status if not m.final
    )
    body = re.search(r"export interface IFailedCell \{([^}]*)\}", source)
    assert body, "api.ts declares no IFailedCell"
    ts_fields = dict(re.findall(r"^\s*(\w+)\??:\s*([^;]+);", body.group(1), re.MULTILINE))
    assert set(schema["$defs"]["failed_cell"]["properties"]) <= set(ts_fields)  # (+ `index` of older runs)
    assert set(ts_fields["cell"].split(" | ")) == {"number", "null"} and "string" in ts_fields["cell_id"]
    assert re.search(r"^\s*state: RunStatus;", source, re.MULTILINE), "IRun.state must be a RunStatus"


def test_no_other_module_keeps_its_own_list_of_status_words():
    """The vocabulary lives in Status only: a tuple, list, set or dict of three or more status words elsewhere is a copy."""
    import ast

    words = {member.value for member in Status}
    sources = [*(ROOT / "mlcheck").rglob("*.py"), *(ROOT / "jupyter_ext" / "mlcheck_jupyter").rglob("*.py")]
    copies = []
    for path in sources:
        if path.name == "rundir.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
            if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) and items:
                found = {
                    item.value for item in items if isinstance(item, ast.Constant) and item.value in words
                }
                if len(found) >= 3:
                    copies.append(f"{path.relative_to(ROOT)}:{node.lineno} {sorted(found)}")
    assert copies == []


def test_every_producer_of_run_ids_uses_the_one_format():
    pattern = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{6}$")
    assert pattern.match(new_run_id())
    jobs = pytest.importorskip("mlcheck_jupyter.jobs")
    assert pattern.match(jobs.new_run_id())  # the JupyterLab server names its runs the same way
