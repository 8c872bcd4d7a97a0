"""mlcheck.registry: one registry shape; checks, commands, readers and explorers use it.

Third-party entry points are tested for real: a distribution's metadata
(``*.dist-info`` with ``entry_points.txt``) is written into a folder put on
``sys.path``, as an installed plugin is.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import mlcheck as mc
from mlcheck.contracts import BUILTIN_CHECKS, CHECKS
from mlcheck.errors import MlcheckError, Reason, RegistryError, UsageError
from mlcheck.registry import Registry

PLUGIN = '''
from mlcheck import CheckResult

def check_even(values, *, severity="error"):
    """Every value is even.

    Parameters
    ----------
    values : list of int
    severity : {"error", "warning"}
    """
    odd = [v for v in values if v % 2]
    return CheckResult("check_even", passed=not odd, severity=severity, observed=len(odd), threshold=0)
'''


def write_distribution(site: Path, name: str, entry_points: str, modules: dict[str, str]) -> None:
    """An installed distribution: its modules and its metadata, as pip leaves them."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for module, source in modules.items():
        (site / f"{module}.py").write_text(source)


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder on sys.path for plugin distributions; what they registered is forgotten afterwards."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    before = set(CHECKS.names(load=False))
    yield folder
    for name in set(CHECKS.names(load=False)) - before:
        CHECKS.unregister(name)
    for module in [m for m in sys.modules if m.startswith("mlcheck_plugin_")]:
        del sys.modules[module]


# -- the registry shape ---------------------------------------------------------------------------
def test_register_get_and_decorator() -> None:
    readers = Registry("reader")
    readers.register("csv", "CSV")

    @readers.register("tsv")
    def tsv() -> str:
        return "TSV"

    assert readers.get("csv") == "CSV" and readers.get("tsv") is tsv and tsv() == "TSV"
    assert readers.names() == ["csv", "tsv"] and "csv" in readers and "xml" not in readers


def test_a_duplicate_name_is_refused_unless_replaced_on_purpose() -> None:
    registry = Registry("reader")
    registry.register("csv", "first")
    with pytest.raises(RegistryError) as caught:
        registry.register("csv", "second")
    assert caught.value.reason is Reason.DUPLICATE_NAME and caught.value.parameter == "name"
    assert "already registered" in str(caught.value) and "replace=True" in str(caught.value)
    assert registry.get("csv") == "first"  # the first registration stands
    registry.register("csv", "second", replace=True)
    assert registry.get("csv") == "second"


def test_an_unknown_name_lists_the_known_ones() -> None:
    registry = Registry("data reader")
    registry.register("parquet", 1)
    registry.register("csv", 2)
    with pytest.raises(RegistryError) as caught:
        registry.get("xlsx")
    assert str(caught.value) == "unknown data reader 'xlsx'; known data readers: csv, parquet"
    with pytest.raises(RegistryError, match=r"unknown data reader 'parquett' \(did you mean 'parquet'\?\)"):
        registry.get("parquett")
    assert caught.value.reason is Reason.UNKNOWN_NAME and caught.value.value == "xlsx"
    assert isinstance(caught.value, UsageError)  # the command line prints it and exits 2


def test_builtins_load_their_module_on_first_use() -> None:
    registry = Registry("check", builtins={"check_x": "mlcheck.nonexistent_module"})
    assert registry.names(load=False) == ["check_x"]
    with pytest.raises(ModuleNotFoundError):
        registry.get("check_x")


def test_re_importing_a_module_is_not_a_duplicate() -> None:
    registry = Registry("check")

    def make():
        def check_same():
            return 1

        return check_same

    registry.register("check_same", make())
    registry.register("check_same", make())  # same module and qualname: the module was imported again
    assert registry.get("check_same")() == 1


def test_bad_names_and_objects_are_refused() -> None:
    registry = Registry("check")
    with pytest.raises(RegistryError, match="name"):
        registry.register("", 1)
    with pytest.raises(RegistryError, match="name"):
        registry.register("has space", 1)
    with pytest.raises(RegistryError, match="must be a function"):
        CHECKS.register("check_not_callable", 42)
    assert "check_not_callable" not in CHECKS


# -- the six registries ---------------------------------------------------------------------------
def test_each_extension_point_is_a_registry() -> None:
    from mlcheck.io import READERS
    from mlcheck.cli.main import COMMANDS
    from mlcheck.display.cards import CARDS
    from mlcheck.display.explore import EXPLORERS

    for registry, group, some in (
        (CHECKS, "mlcheck.checks", "check_shift"),
        (COMMANDS, "mlcheck.commands", "run"),
        (READERS, "mlcheck.readers", "parquet"),
        (EXPLORERS, "mlcheck.explorers", "check_performance"),
        (CARDS, "mlcheck.cards", "check_shift"),
    ):
        assert isinstance(registry, Registry) and registry.group == group and some in registry
        with pytest.raises(RegistryError, match="known"):
            registry.get("no-such-name")
    with pytest.raises(RegistryError, match="already registered"):
        COMMANDS.register("run", COMMANDS.get("params"))
    with pytest.raises(RegistryError, match="already registered"):
        READERS.register("csv", READERS.get("csv").__class__("csv", (".x",), READERS.get("csv").open_batches))


def test_the_builtin_check_names_are_the_public_ones() -> None:
    public = {name for name in mc.__all__ if name.startswith("check_")}
    assert public == set(BUILTIN_CHECKS) == set(mc._CHECKS)
    assert set(mc.__all__) >= set(mc._LAZY)


def test_an_unknown_check_is_an_attribute_error_listing_the_known_ones() -> None:
    with pytest.raises(AttributeError, match="check_shift"):
        mc.chek_shift  # noqa: B018
    assert not hasattr(mc, "_repr_html_")
    with pytest.raises(
        RegistryError, match=r"unknown check 'chek_shift' \(did you mean 'check_shift'\?\); known checks: "
    ):
        CHECKS.get("chek_shift")


# -- third parties: entry points ------------------------------------------------------------------
def test_an_entry_point_check_is_served_as_mc_name_and_listed_by_dir(site) -> None:
    write_distribution(
        site,
        "mlcheck_plugin_even",
        "[mlcheck.checks]\ncheck_even = mlcheck_plugin_even:check_even\n",
        {"mlcheck_plugin_even": PLUGIN},
    )
    assert "check_even" in dir(mc)
    result = mc.check_even([2, 4, 5])
    assert result.name == "check_even" and result.failed and result.observed == 1
    assert mc.recorded_results()[-1] is result  # recorded like a built-in check
    assert CHECKS.source("check_even") == "entry point mlcheck_plugin_even (mlcheck_plugin_even:check_even)"
    with pytest.raises(MlcheckError) as caught:  # a validated boundary even though the plugin declared none
        mc.check_even([2], severity="fatal")
    assert caught.value.parameter == "severity" and caught.value.reason is Reason.NOT_AN_OPTION


def test_an_entry_point_check_conforms(site) -> None:
    from mlcheck.testing import Example, check_conformance

    write_distribution(
        site,
        "mlcheck_plugin_even",
        "[mlcheck.checks]\ncheck_even = mlcheck_plugin_even:check_even\n",
        {"mlcheck_plugin_even": PLUGIN},
    )
    check_conformance("check_even", [Example(([2, 4],)), Example(([1],))])


def test_an_entry_point_check_in_a_fresh_interpreter(site) -> None:
    write_distribution(
        site,
        "mlcheck_plugin_even",
        "[mlcheck.checks]\ncheck_even = mlcheck_plugin_even:check_even\n",
        {"mlcheck_plugin_even": PLUGIN},
    )
    code = "import mlcheck as mc; print(mc.check_even([2, 3]).observed, 'check_even' in dir(mc))"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["1", "True"]


def test_two_distributions_claiming_one_name_are_refused(site) -> None:
    for owner in ("mlcheck_plugin_a", "mlcheck_plugin_b"):
        write_distribution(
            site, owner, f"[mlcheck.checks]\ncheck_twice = {owner}:check_even\n", {owner: PLUGIN}
        )
    with pytest.raises(RegistryError) as caught:
        CHECKS.get("check_twice")
    message = str(caught.value)
    assert (
        "mlcheck_plugin_a" in message and "mlcheck_plugin_b" in message and "uninstall or rename" in message
    )
    assert caught.value.reason is Reason.DUPLICATE_NAME


def test_an_entry_point_may_not_take_a_builtin_name(site) -> None:
    write_distribution(
        site,
        "mlcheck_plugin_shadow",
        "[mlcheck.checks]\ncheck_shift = mlcheck_plugin_shadow:check_even\n",
        {"mlcheck_plugin_shadow": PLUGIN},
    )
    with pytest.raises(RegistryError, match="the name of a built-in check; rename it"):
        CHECKS.load_entry_points(refresh=True)
    assert mc.check_shift.__wrapped_check__ is CHECKS.get("check_shift")  # the built-in still serves


def test_a_broken_entry_point_names_its_distribution(site) -> None:
    write_distribution(
        site,
        "mlcheck_plugin_broken",
        "[mlcheck.checks]\ncheck_broken = mlcheck_plugin_broken:missing\n",
        {"mlcheck_plugin_broken": "x = 1\n"},
    )
    with pytest.raises(RegistryError, match="mlcheck_plugin_broken .*Reinstall or uninstall"):
        CHECKS.get("check_broken")


def test_an_entry_point_command_runs_from_the_command_line(site) -> None:
    write_distribution(
        site,
        "mlcheck_plugin_hello",
        "[mlcheck.commands]\nhello = mlcheck_plugin_hello:COMMAND\n",
        {
            "mlcheck_plugin_hello": textwrap.dedent(
                """
                from mlcheck.cli.main import Command

                COMMAND = Command("say hello", "mlcheck_plugin_hello")

                def add_arguments_hello(parser):
                    parser.add_argument("who")

                def run_hello(args):
                    print("hello", args.who)
                    return 0
                """
            )
        },
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "mlcheck", "hello", "world"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "hello world\n")
    helped = subprocess.run(
        [sys.executable, "-m", "mlcheck", "--help"], capture_output=True, text=True, env=env, check=True
    )
    assert "say hello" in helped.stdout


def test_an_entry_point_reader_reads_its_format(site, tmp_path) -> None:
    from mlcheck.io import READERS, reader_for

    write_distribution(
        site,
        "mlcheck_plugin_lines",
        "[mlcheck.readers]\nlines = mlcheck_plugin_lines:READER\n",
        {
            "mlcheck_plugin_lines": textwrap.dedent(
                """
                import pyarrow as pa
                from mlcheck.io import Reader

                def batches(path, batch_rows):
                    values = [float(line) for line in path.read_text().split()]
                    yield pa.RecordBatch.from_pydict({"x": values})

                READER = Reader("lines", (".lines",), batches)
                """
            )
        },
    )
    data = tmp_path / "values.lines"
    data.write_text("1\n2\n3\n")
    try:
        assert reader_for(data).name == "lines"
    finally:
        READERS.unregister("lines")


def test_attribute_probes_do_not_rescan_the_installed_distributions(site, monkeypatch) -> None:
    # IPython and Jedi probe module attributes often; each probe must not read every dist-info
    import importlib.metadata

    real = importlib.metadata.entry_points
    calls: list[object] = []

    def counted(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(importlib.metadata, "entry_points", counted)
    assert not hasattr(mc, "not_a_check_at_all")
    calls.clear()
    for _ in range(20):
        assert not hasattr(mc, "not_a_check_at_all")
    dir(mc)
    assert calls == []
    write_distribution(
        site.parent / "more",
        "mlcheck_plugin_late",
        "[mlcheck.checks]\ncheck_late = mlcheck_plugin_late:check_even\n",
        {"mlcheck_plugin_late": PLUGIN},
    )
    monkeypatch.syspath_prepend(str(site.parent / "more"))  # a new folder of distributions: looked at again
    assert mc.check_late([2]).passed
    assert len(calls) == 1


def test_import_mlcheck_loads_no_registry_and_no_metadata() -> None:
    # import mlcheck runs in every kernel: the registries load when a check is first asked for
    code = (
        "import sys, mlcheck\n"
        "from mlcheck import errors\n"
        "heavy = ['numpy', 'pandas', 'importlib.metadata', 'mlcheck.registry', 'mlcheck.contracts']\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_record_defined_again_is_the_same_registration_but_a_different_one_is_refused() -> None:
    from mlcheck.cli.main import Command

    registry = Registry("command")
    registry.register("hello", Command("say hello", "plugin.cli"))
    registry.register("hello", Command("say hello", "plugin.cli"))  # its module imported again
    with pytest.raises(RegistryError, match="already registered"):
        registry.register("hello", Command("say goodbye", "other.cli"))


def test_find_is_get_without_the_error() -> None:
    registry = Registry("card")
    registry.register("check_x", 1)
    assert registry.find("check_x") == 1 and registry.find("check_y") is None


def test_a_check_without_a_card_body_gets_the_shared_frame_and_a_duplicate_card_is_refused() -> None:
    from mlcheck.display.cards import CARDS, register_card, render_html

    assert CARDS.find("check_coverage") is None  # the shared frame and outcome table only
    assert 'data-check="check_coverage"' in render_html(mc.check_coverage([1.0, 2.0]).to_dict())
    with pytest.raises(RegistryError, match="card 'check_shift' is already registered"):
        register_card("check_shift", lambda view: "")


def test_a_broken_command_plugin_is_one_clear_line_not_a_traceback(site) -> None:
    write_distribution(
        site,
        "mlcheck_plugin_badcli",
        "[mlcheck.commands]\nbroken = mlcheck_plugin_badcli:MISSING\n",
        {"mlcheck_plugin_badcli": "x = 1\n"},
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-m", "mlcheck", "--help"], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "mlcheck_plugin_badcli" in done.stderr and "Reinstall or uninstall" in done.stderr
