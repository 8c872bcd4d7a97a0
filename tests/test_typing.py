"""The public API as type checkers see it: every name with its real signature.

``mlcheck`` serves its names lazily (``__getattr__``); the ``TYPE_CHECKING``
imports at the end of ``mlcheck/__init__.py`` and ``ParamSpec`` in
``mlcheck.kernel.recorded`` are what make them visible. mypy runs on a small
user program from a folder outside the repository, as a user's project would.
"""

from __future__ import annotations

import re
import textwrap

import pytest

import mlcheck as mc

mypy_api = pytest.importorskip("mypy.api", reason="mypy is not installed")

PROBE = textwrap.dedent(
    """
    import mlcheck as mc
    from mlcheck import CheckResult

    ok: CheckResult = mc.check_coverage([1.0, 2.0], min=0.5)
    n: int = mc.ab_sample_size(0.1, 0.02)
    report: dict[str, object] = mc.evaluate([0, 1], y_pred=[0, 1])
    mc.check_shift([1], [2], max_kl="no", nonsense=3)  # E: arg-type call-arg
    mc.check_coverage([1.0], severity="fatal")  # E: arg-type
    mc.check_performance([0], [0], min={"recall": "high"})  # E: dict-item
    mc.evaluate([0], y_pred=[0], task="clustering")  # E: arg-type
    mc.check_latency(object(), [[1.0]], p95_ms=1.0, repeats="5")  # E: arg-type
    text: str = mc.check_parity  # E: assignment
    """
)


def _mypy(tmp_path, source: str) -> list[tuple[int, str, str]]:
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    stdout, stderr, _ = mypy_api.run(
        [str(probe), "--cache-dir", str(tmp_path / ".mypy_cache"), "--no-error-summary", "--show-error-codes"]
    )
    assert not stderr, stderr
    found = []
    for line in stdout.splitlines():
        match = re.match(r".*probe\.py:(\d+): (error|note): (.*?)(?:  \[([a-z-]+)\])?$", line)
        if match:
            found.append((int(match.group(1)), match.group(2), match.group(4) or match.group(3)))
    return found


@pytest.mark.slow
def test_mypy_sees_the_real_signatures(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a user's project, not this repository
    expected = {
        (number, code)
        for number, line in enumerate(PROBE.splitlines(), start=1)
        if "# E:" in line
        for code in line.split("# E:")[1].split()
    }
    errors = {(number, code) for number, kind, code in _mypy(tmp_path, PROBE) if kind == "error"}
    assert errors == expected


@pytest.mark.slow
def test_no_public_name_is_any_to_type_checkers(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    names = [name for name in mc.__all__ if name != "__version__"]
    source = "import mlcheck as mc\n" + "".join(f"reveal_type(mc.{name})\n" for name in names)
    revealed = [text for _, kind, text in _mypy(tmp_path, source) if kind == "note"]
    assert len(revealed) == len(names)
    untyped = [name for name, text in zip(names, revealed) if text == 'Revealed type is "Any"']
    assert untyped == []
