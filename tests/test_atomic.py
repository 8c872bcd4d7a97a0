"""One atomic write: readers see the old file or the new one; a write cut short leaves nothing behind."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from mlcheck._atomic import atomic_copy, atomic_write_json, atomic_write_text, atomic_writer, strict_json

ROOT = Path(__file__).resolve().parents[1]


def test_a_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "run.json"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["run.json"]


@pytest.mark.parametrize("interruption", [ValueError("disk full"), KeyboardInterrupt()])
def test_a_write_cut_short_keeps_the_old_file_and_no_temporary(tmp_path, interruption):
    target = tmp_path / "predictions.parquet"
    target.write_text("old")
    with pytest.raises(type(interruption)):
        with atomic_writer(target, fsync=True) as temporary:
            temporary.write_text("half")
            raise interruption
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["predictions.parquet"]


def test_json_is_strict_with_non_finite_numbers_spelled_out(tmp_path):
    target = tmp_path / "x.json"
    atomic_write_json(target, {"nan": float("nan"), "inf": float("-inf"), "n": 1})
    data = json.loads(target.read_text(), parse_constant=lambda name: pytest.fail(f"bare {name}"))
    assert data == {"nan": "nan", "inf": "-inf", "n": 1}
    assert strict_json([float("inf")], indent=None) == '["inf"]'


def test_a_copy_without_overwrite_never_replaces_a_file(tmp_path):
    source, target = tmp_path / "a", tmp_path / "b"
    source.write_text("new")
    atomic_copy(source, target, overwrite=False)
    assert target.read_text() == "new"
    source.write_text("newer")
    with pytest.raises(FileExistsError):
        atomic_copy(source, target, overwrite=False)
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
    atomic_copy(source, target)
    assert target.read_text() == "newer"


def test_no_other_module_writes_files_atomically_on_its_own():
    """Temporary-file-and-rename lives in mlcheck/_atomic.py only (bundle/store.py swaps whole folders)."""
    pattern = re.compile(r"os\.replace\(|tempfile\.mkstemp\(|NamedTemporaryFile\(")
    allowed = {ROOT / "mlcheck" / "_atomic.py", ROOT / "mlcheck" / "bundle" / "store.py"}
    sources = [*(ROOT / "mlcheck").rglob("*.py"), *(ROOT / "jupyter_ext" / "mlcheck_jupyter").rglob("*.py")]
    copies = [
        str(path.relative_to(ROOT))
        for path in sources
        if path not in allowed and pattern.search(path.read_text())
    ]
    assert copies == []


def test_atomic_directory_replaces_a_folder_whole_or_not_at_all(tmp_path) -> None:
    from mlcheck._atomic import atomic_directory

    target = tmp_path / "data.parquet"
    target.mkdir()
    (target / "part.0.parquet").write_text("old")
    with atomic_directory(target) as folder:
        (folder / "part.0.parquet").write_text("new")
        (folder / "part.1.parquet").write_text("new")
        assert (target / "part.0.parquet").read_text() == "old"  # nothing visible until the block ends
    assert sorted(p.name for p in target.iterdir()) == ["part.0.parquet", "part.1.parquet"]
    try:
        with atomic_directory(target) as folder:
            (folder / "part.0.parquet").write_text("half")
            raise OSError("disk full")
    except OSError:
        pass
    assert (target / "part.0.parquet").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet"]  # no temporary folder left


UNWRITABLE = Path("/proc/mlcheck-test/out.json")  # /proc takes no new files, even for root


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, a folder no one can write to")
def test_a_write_the_system_refuses_is_a_write_error_with_the_path_not_a_bare_oserror():
    """F14/F16: an unwritable path was a raw FileNotFoundError traceback (exit 1, 'a check failed')."""
    from mlcheck.errors import MlcheckError, PathNotWritable, WriteError

    target = Path("/proc") / "mlcheck-test.json"
    for write in (
        lambda: atomic_write_text(target, "x"),
        lambda: atomic_write_json(target, {"a": 1}),
        lambda: atomic_copy(__file__, target, overwrite=False),
    ):
        with pytest.raises(WriteError) as raised:
            write()
        assert isinstance(raised.value, MlcheckError) and isinstance(raised.value, OSError)
        # a path the system refuses is the user's to fix: exit 2 (no retry), not the machine's exit 6
        assert isinstance(raised.value, PathNotWritable)
        assert raised.value.exit_code == 2 and raised.value.reason == "cannot_write"
        assert str(raised.value).startswith(f"cannot write {target}: ") and "[Errno" not in str(raised.value)


def test_a_missing_folder_is_a_write_error_that_says_so(tmp_path):
    from mlcheck.errors import WriteError

    with pytest.raises(WriteError, match=r"the folder .*missing does not exist"):
        atomic_write_text(tmp_path / "missing" / "out.txt", "x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_commands_writing_to_an_unwritable_path_exit_2_with_a_message(tmp_path, capsys):
    from mlcheck.cli import main

    data = tmp_path / "a.csv"
    data.write_text("a,b\n1,2\n3,4\n5,6\n")
    # was a traceback, exit 1; then exit 6 (retry), though retrying a refused path never helps
    assert main(["profile", str(data), "-o", "/proc/x.json"]) == 2
    assert main(["shift", str(data), str(data), "-o", "/proc/r.json"]) == 2  # the check passed: never 1
    err = capsys.readouterr().err
    assert "cannot write /proc/x.json" in err and "cannot write /proc/r.json" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "kind", "exit_code"),
    [("EACCES", "PathNotWritable", 2), ("EROFS", "PathNotWritable", 2), ("ENOENT", "PathNotWritable", 2),
     ("ENOSPC", "WriteError", 6), ("EIO", "WriteError", 6)],
)  # fmt: skip
def test_a_refused_path_is_usage_and_a_full_disk_is_the_machines(tmp_path, name, kind, exit_code):
    """A scheduler retries exit 6: right for a full disk, never useful for a path no one can write."""
    import errno
    import os

    from mlcheck._atomic import cannot_write
    from mlcheck.errors import WriteError

    code = getattr(errno, name)
    raised = cannot_write(tmp_path / "out.json", OSError(code, os.strerror(code)))
    assert type(raised).__name__ == kind and isinstance(raised, WriteError) and isinstance(raised, OSError)
    assert raised.exit_code == exit_code and raised.errno == code


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path):
    """F11 (session 3): the link was replaced by a regular file and its target left stale."""
    target = tmp_path / "target.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "target.json"]


def _device(path, major, minor):  # noqa: ANN001, ANN202
    """A character device node at ``path`` (as /dev/null or /dev/full), or skip where mknod is not allowed."""
    import stat

    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    except (PermissionError, AttributeError, OSError) as error:
        pytest.skip(f"cannot make a device node here: {error}")
    return path


def test_a_device_is_written_into_not_replaced(tmp_path):
    """F11: `-o /dev/null` as root turned /dev/null into a regular file for every process."""
    import stat

    null = _device(tmp_path / "null", 1, 3)
    atomic_write_text(null, "discarded")
    atomic_write_json(null, {"a": 1})
    assert stat.S_ISCHR(null.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary left beside it


def test_a_full_device_is_the_machines_write_error_and_stays_a_device(tmp_path):
    import stat

    from mlcheck.errors import PathNotWritable, WriteError

    full = _device(tmp_path / "full", 1, 7)
    with pytest.raises(WriteError) as raised:
        atomic_write_text(full, "x" * 10_000)
    assert not isinstance(raised.value, PathNotWritable) and raised.value.exit_code == 6
    assert stat.S_ISCHR(full.stat().st_mode)


def test_a_fifo_is_written_into_for_its_reader(tmp_path):
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    atomic_write_text(fifo, "through the pipe")
    reader.join(timeout=30)
    assert received == ["through the pipe"] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_data_set_is_never_written_over_a_device(tmp_path):
    import stat

    from mlcheck._atomic import atomic_directory
    from mlcheck.errors import PathNotWritable

    null = _device(tmp_path / "null", 1, 3)
    with pytest.raises(PathNotWritable, match="a device or pipe, not a folder"):
        with atomic_directory(null) as folder:
            (folder / "part.0.parquet").write_text("rows")
    assert stat.S_ISCHR(null.stat().st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_copy_onto_a_full_disk_is_the_machines_write_error(tmp_path):
    """`mlcheck new` on a full disk said exit 2 ("fix the path"); a full disk is exit 6."""
    import subprocess
    import sys

    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 100_000)
    script = (
        "import resource, signal, sys\n"
        "from mlcheck._atomic import atomic_copy\n"
        "from mlcheck.errors import WriteError\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (5000, 5000))\n"
        "for overwrite in (True, False):\n"
        "    try:\n"
        f"        atomic_copy({str(source)!r}, {str(tmp_path / 'copy.bin')!r}, overwrite=overwrite)\n"
        "    except WriteError as error:\n"
        "        print(type(error).__name__, error.exit_code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["WriteError", "6", "WriteError", "6"], done.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]
