"""The ``mlcheck`` command line.

Subcommands are registered by name in :data:`COMMANDS` (one
:class:`~mlcheck.registry.Registry`); each is a :class:`Command` naming a
module that defines ``add_arguments_<name>(parser)`` and ``run_<name>(args) ->
int``. Third parties add commands through the ``mlcheck.commands`` entry-point
group, each entry point naming a :class:`Command`. Modules import their heavy
dependencies inside ``run_*`` so ``mlcheck --help`` stays instant. A user
mistake prints one clear message and exits 2; it never prints a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from mlcheck import __version__
from mlcheck.errors import ContractViolation, MlcheckError, Reason, RegistryError
from mlcheck.registry import Registry


@dataclass(frozen=True)
class Command:
    """A subcommand: its one-line help and the module that defines it.

    The module defines ``add_arguments_<name>(parser)`` and
    ``run_<name>(args) -> int`` (the exit code), ``<name>`` being the
    command's name with ``-`` replaced by ``_``.
    """

    help: str
    module: str


def _as_command(name: str, command: object) -> Command:
    if not isinstance(command, Command):
        raise RegistryError(
            f"command {name!r} must be a mlcheck.cli.main.Command, got {type(command).__name__}",
            reason=Reason.INVALID_TYPE,
            parameter="name",
            value=name,
        )
    return command


#: subcommand -> Command; the order of registration is the order of ``mlcheck --help``
COMMANDS: Registry[Command] = Registry("command", group="mlcheck.commands", prepare=_as_command)
_BUILTINS = (
    ("run", "mlcheck.cli.jobs", "execute a notebook as a job into a new run directory"),
    ("params", "mlcheck.cli.jobs", "list a notebook's parameters"),
    ("report", "mlcheck.cli.jobs", "render the HTML report of a run again"),
    ("history", "mlcheck.cli.jobs", "list the runs of a notebook, newest first"),
    ("profile", "mlcheck.cli.data", "profile a CSV or Parquet data set into a JSON profile"),
    ("shift", "mlcheck.cli.data", "check a current data set for drift against a reference"),
    ("monitor", "mlcheck.cli.monitor", "watch a notebook's runs over time: drift and metrics, anomalies, breakouts, alerts"),
    ("parity", "mlcheck.cli.bundle", "run a scoring notebook on a bundle's golden rows and compare"),
    ("demo", "mlcheck.cli.demo", "run the whole journey on real data: train, gate, export, score, monitor"),
    ("new", "mlcheck.cli.demo", "start a train or score notebook from a template"),
)
for _name, _module, _help in _BUILTINS:
    COMMANDS.register(_name, Command(_help, _module))
_BUILTIN_ORDER = tuple(name for name, _, _ in _BUILTINS)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``mlcheck`` parser; with ``only``, just that subcommand gets its arguments.

    Every subcommand is listed (``mlcheck --help`` reads the registry's help
    lines), but a command's module is imported only to give it its arguments:
    ``mlcheck shift`` then never imports the job runner's modules (nbformat,
    jsonschema) nor the monitor's, a tenth of a second of its start-up.
    """
    parser = argparse.ArgumentParser(
        prog="mlcheck",
        description="Notebooks as jobs, models with contracts, export behind a gate.",
    )
    parser.add_argument("--version", action="version", version=f"mlcheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = dict(COMMANDS.items())
    # mlcheck's own commands in their documented order, then the plugins' by name
    for name in [*_BUILTIN_ORDER, *sorted(set(commands) - set(_BUILTIN_ORDER))]:
        command = commands[name]
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        if only is not None and name != only:
            continue
        module = importlib.import_module(command.module)
        function = name.replace("-", "_")
        getattr(module, f"add_arguments_{function}")(sub)
        sub.set_defaults(_run=getattr(module, f"run_{function}"))
    return parser


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names (its first word that is not an option), when it is a known one."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def _skip_unused_format_checker() -> None:
    # jsonschema (imported by nbformat) compiles a grammar for its optional "iri"
    # format checker at import when rfc3987-syntax is installed: over a second
    # here, for a format no notebook schema uses. The CLI never validates IRIs.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    _skip_unused_format_checker()
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(_chosen_command(words))
    except MlcheckError as error:  # a broken plugin's command: say which, no traceback
        print(f"mlcheck: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM while the commands load
        print("mlcheck: interrupted", file=sys.stderr)
        return 130
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        code = int(args._run(args))
        sys.stdout.flush()  # here, not at exit: a reader gone away is then a BrokenPipeError we catch
        return code
    except ContractViolation as error:
        print(f"mlcheck {args.command}: {error}", file=sys.stderr)
        return 1
    except MlcheckError as error:
        print(f"mlcheck {args.command}: error: {error}", file=sys.stderr)
        # 2 for a user mistake; an error class may say otherwise (6 infrastructure, 7 bundle integrity:
        # the table of mlcheck.runs.rundir.Status)
        return int(getattr(error, "exit_code", 2))
    except KeyboardInterrupt:
        print(f"mlcheck {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """The reader of stdout closed it (``mlcheck history | head``): stop quietly, as Unix tools do.

    Python would otherwise print a traceback, and another "Exception ignored"
    when it flushes stdout at exit; pointing stdout at /dev/null stops both.
    The exit code is the shell's for a command killed by SIGPIPE (128 + 13).
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured in a test): nothing to flush
        pass
    finally:
        os.close(devnull)
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
