"""The ``mlcheck`` command line.

Subcommands are registered by name in :data:`COMMANDS`; each names a module in
:mod:`mlcheck.cli` that defines ``add_arguments_<name>(parser)`` and
``run_<name>(args) -> int``. Modules import their heavy dependencies inside
``run_*`` so ``mlcheck --help`` stays instant. A user mistake prints one clear
message and exits 2; it never prints a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from mlcheck import __version__
from mlcheck.errors import ContractViolation, MlcheckError

#: subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("mlcheck.cli.jobs", "execute a notebook as a job into a new run directory"),
    "params": ("mlcheck.cli.jobs", "list a notebook's parameters"),
    "report": ("mlcheck.cli.jobs", "render the HTML report of a run again"),
    "history": ("mlcheck.cli.jobs", "list the runs of a notebook, newest first"),
    "profile": ("mlcheck.cli.data", "profile a CSV or Parquet data set into a JSON profile"),
    "shift": ("mlcheck.cli.data", "check a current data set for drift against a reference"),
    "parity": ("mlcheck.cli.bundle", "run a scoring notebook on a bundle's golden rows and compare"),
    "demo": ("mlcheck.cli.demo", "run the whole journey on real data: train, gate, export, score"),
    "new": ("mlcheck.cli.demo", "start a train or score notebook from a template"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlcheck",
        description="Notebooks as jobs, models with contracts, export behind a gate.",
    )
    parser.add_argument("--version", action="version", version=f"mlcheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        getattr(module, f"add_arguments_{name}")(sub)
        sub.set_defaults(_run=getattr(module, f"run_{name}"))
    return parser


def _skip_unused_format_checker() -> None:
    # jsonschema (imported by nbformat) compiles a grammar for its optional "iri"
    # format checker at import when rfc3987-syntax is installed: over a second
    # here, for a format no notebook schema uses. The CLI never validates IRIs.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    _skip_unused_format_checker()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args))
    except ContractViolation as error:
        print(f"mlcheck {args.command}: {error}", file=sys.stderr)
        return 1
    except MlcheckError as error:
        print(f"mlcheck {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mlcheck {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
