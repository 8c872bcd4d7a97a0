"""Where a notebook calls its checks, read from its source without running it.

The pytest plugin names its items from this static reading, so collection
never starts a kernel (``pytest --collect-only`` is what IDEs run on save):
each check a notebook calls becomes one item, ``train.ipynb::check_shift``,
and ``train.ipynb::check_shift@cell7`` when the same check is called in
several cells. Why static reading and not the alternatives:

- *names from the last run* change when the data does (``check_shift[age]``
  exists only while ``age`` is a column) and do not exist on a fresh clone,
  so CI history, ``-k`` and xdist's "every worker collects the same items"
  would depend on what ran before;
- *one item per notebook with per-check subtests* hides the checks from
  ``-k``, ``-m`` and JUnit XML, where subtests share their item's test case.

A call counts when the called name (``mc.check_shift(...)``,
``check_shift(...)``) is a registered check. Calls inside functions or loops
count once, at the cell that holds them. A check called from somewhere the
reading cannot see (a helper module, a name bound at run time) is still
reported, under the notebook's ``execute`` item; a call that never ran (a
branch not taken) is a skipped item.

Cell numbers are the user's: the 1-based position among the notebook's own
code cells, empty ones included, markdown and injected cells not
(:func:`mlcheck.runs.outcome.cell_number` is the same rule on an executed notebook).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CheckSite",
    "cell_source",
    "check_sites",
    "item_names",
    "read_sites",
    "user_cell_sources",
]

# Cell magics whose body is Python that runs in the user's namespace.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
_LINE_MAGIC = re.compile(r"^(\s*)(%{1,2}|!{1,2})(\w*)(.*)$")


@dataclass(frozen=True)
class CheckSite:
    """A check called in a cell: ``name`` (``check_shift``) and the cell's user number (1-based)."""

    name: str
    cell: int


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def user_cell_sources(cells: Sequence[Mapping[str, Any]]) -> list[str]:
    """The sources of a notebook's own code cells, in order: element ``n - 1`` is cell ``n``.

    Examples
    --------
    >>> cells = [{"cell_type": "markdown", "source": "# Title"},
    ...          {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["injected-parameters"]}},
    ...          {"cell_type": "code", "source": ["import mlcheck as mc\\n", "mc.check_coverage([1.0])"]},
    ...          {"cell_type": "code", "source": ""}]
    >>> user_cell_sources(cells)
    ['import mlcheck as mc\\nmc.check_coverage([1.0])', '']
    """
    # the one rule of what a user's cell is, imported when first needed (not when pytest loads the
    # plugin), and after jobs_api() has imported nbformat the cheap way
    from mlcheck.pytest.config import jobs_api

    jobs_api()
    from mlcheck.runs.outcome import user_code_cell

    return [cell_source(cell) for cell in cells if user_code_cell(cell)]


def _python(source: str) -> str:
    """IPython syntax made plain Python for :mod:`ast`; line numbers are kept.

    Line magics and shell escapes become ``pass`` (``%time expr`` becomes
    ``expr``: it runs ``expr``); a Python cell magic's first line is dropped;
    another cell magic (``%%bash``) is not Python and reads as empty.
    """
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in _PYTHON_CELL_MAGICS:
            return ""
        lines[0] = ""
    out = []
    for line in lines:
        match = _LINE_MAGIC.match(line)
        if match is None:
            out.append(line)
            continue
        indent, sigil, name, rest = match.groups()
        if sigil == "%" and name in ("time", "timeit", "prun") and rest.strip():
            out.append(indent + re.sub(r"^\s*(-\S+\s+)*", "", rest))  # options like -n 3 go
        else:
            out.append(f"{indent}pass")
    return "\n".join(out)


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(_python(source))
    except (SyntaxError, ValueError):
        pass
    try:  # rarer IPython syntax (``x = !ls``, ``df?``): IPython's own transformer, loaded only now
        from IPython.core.inputtransformer2 import TransformerManager

        manager: Any = TransformerManager  # IPython's transformer is untyped
        python: str = manager().transform_cell(source)
        return ast.parse(python)
    except Exception:  # noqa: BLE001 - the run reports a broken cell; the reading just skips it
        return None


def _called_names(source: str) -> Iterable[str]:
    tree = _parse(source)
    if tree is None:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                yield node.func.id
            elif isinstance(node.func, ast.Attribute):
                yield node.func.attr


def check_sites(cells: Sequence[Mapping[str, Any]], checks: Collection[str]) -> list[CheckSite]:
    """Each (check, cell) pair the notebook's cells call, in the order of the notebook.

    Parameters
    ----------
    cells : sequence of mappings
        The notebook's cells as in its JSON (``cell_type``, ``source``, ``metadata``).
    checks : collection of str
        The names that count as checks (the registered ones).

    Returns
    -------
    list of CheckSite
        One per check and cell; two calls of one check in one cell are one site.

    Examples
    --------
    >>> cells = [{"cell_type": "markdown", "source": "# Shift"},
    ...          {"cell_type": "code", "source": "import mlcheck as mc"},
    ...          {"cell_type": "code", "source": "for col in cols:\\n    mc.check_shift(a[col], b[col])"},
    ...          {"cell_type": "code", "source": "%time mc.check_coverage(result, min=0.9)"},
    ...          {"cell_type": "code", "source": "%%bash\\ncheck_shift x"},
    ...          {"cell_type": "code", "source": "def check_data(): pass\\ncheck_data()"}]
    >>> check_sites(cells, {"check_shift", "check_coverage"})
    [CheckSite(name='check_shift', cell=2), CheckSite(name='check_coverage', cell=3)]
    """
    sites: list[CheckSite] = []
    for number, source in enumerate(user_cell_sources(cells), start=1):
        for name in _called_names(source):
            site = CheckSite(name, number)
            if name in checks and site not in sites:
                sites.append(site)
    return sites


def read_sites(path: Path, checks: Collection[str]) -> list[CheckSite]:
    """:func:`check_sites` of the notebook at ``path`` (plain JSON; an unreadable one has none)."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook.get("cells", [])
    except (OSError, ValueError, AttributeError):
        return []
    return check_sites([c for c in cells if isinstance(c, dict)], checks)


def item_names(sites: Sequence[CheckSite]) -> list[str]:
    """Item names for ``sites``: the check's name, with ``@cell<n>`` when it is called in several cells.

    Examples
    --------
    >>> item_names([CheckSite("check_shift", 3), CheckSite("check_coverage", 4), CheckSite("check_shift", 7)])
    ['check_shift@cell3', 'check_coverage', 'check_shift@cell7']
    """
    names = [site.name for site in sites]
    return [site.name if names.count(site.name) == 1 else f"{site.name}@cell{site.cell}" for site in sites]
