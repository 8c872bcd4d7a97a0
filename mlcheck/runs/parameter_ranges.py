"""A numeric parameter's range, declared in its comment: ``sample = 0.1  # fraction of rows, in (0, 1]``.

The syntax is interval notation after the word ``in``, as a data scientist
writes it in prose: ``[`` and ``]`` include a bound, ``(`` and ``)`` exclude it,
``inf`` and ``-inf`` leave a side open (``n_trees = 100  # in [1, inf)``).
papermill reads the line's comment as a comment, so a notebook with ranges runs
under papermill unchanged.

:func:`mlcheck.runs.parameters.parse_parameters` gives each parameter its
range (:func:`parse_range`), and :func:`mlcheck.runs.parameters.coerce_parameter`
refuses a value outside it: one parser for ``mlcheck run``, the pytest plugin
and the JupyterLab panel (which also receives it as ``range`` to set the
field's ``min`` and ``max``).
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlcheck.errors import NotebookError

if TYPE_CHECKING:
    from mlcheck.runs.parameters import Parameter

__all__ = [
    "Range",
    "RangeWarning",
    "checked_range",
    "inside",
    "intervals",
    "outside",
    "parse_range",
    "unread_range",
]

_BOUND = r"[+-]?(?:inf(?:inity)?|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:e[+-]?\d+)?)"
#: `in [0, 1]`, `in (0, 1]`, `in [1, inf)`: the word "in" (not the end of "within"), then an interval of two numbers
_RANGE = re.compile(
    rf"(?:^|(?<=[\s,;:(]))in\s*(?P<open>[\[(])\s*(?P<low>{_BOUND})\s*,\s*(?P<high>{_BOUND})\s*(?P<close>[\])])",
    re.IGNORECASE,
)
#: where an author may have begun a range: the word "in", then an opening bracket; what follows is judged by
#: :func:`_looks_like_range`
_RANGE_START = re.compile(r"(?:^|(?<=[\s,;:(]))in\s*[\[(]", re.IGNORECASE)
#: typography that word processors, Markdown and LaTeX copies give, read as the ASCII it stands for:
#: U+2212 MINUS SIGN, U+221E INFINITY; every Unicode space (no-break, thin) is a space to ``\s`` already
_TYPOGRAPHY = str.maketrans({"\u2212": "-", "\u221e": "inf"})


class RangeWarning(UserWarning):
    """A comment that looks like a range (``in [0, 1`` unclosed, ``in [0; 1]``) but is read as help text."""


@dataclass(frozen=True)
class Range:
    """The interval a numeric parameter's values must fall in, from its comment (``in (0, 1]``).

    ``low`` and ``high`` are ints or floats, ``-inf`` and ``inf`` for an open
    side; ``low_closed`` and ``high_closed`` say whether each bound is allowed.
    """

    low: float
    high: float
    low_closed: bool
    high_closed: bool

    def __str__(self) -> str:
        def bound(value: float) -> str:
            if math.isinf(value):
                return "-inf" if value < 0 else "inf"
            if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
                return str(int(value))  # `in [1, 1e3]` shows as [1, 1000], as an int parameter's values do
            return repr(value)

        return (
            f"{'[' if self.low_closed else '('}{bound(self.low)}, {bound(self.high)}"
            f"{']' if self.high_closed else ')'}"
        )

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            return False
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above and below

    def to_dict(self) -> dict[str, Any]:
        """For JSON: infinite bounds as None; ``text`` as :func:`str` writes it."""
        return {
            "low": None if math.isinf(self.low) else self.low,
            "high": None if math.isinf(self.high) else self.high,
            "low_closed": self.low_closed,
            "high_closed": self.high_closed,
            "text": str(self),
        }


def _number(text: str, *, name: str, where: str) -> float:
    text = text.replace("_", "").lower()
    if "inf" in text:
        return -math.inf if text.startswith("-") else math.inf
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    value = float(text)
    if math.isinf(value):  # 1e400: a float cannot hold it, and inf would make a one-point range at infinity
        raise NotebookError(
            f"{where}: the range of {name!r} has the bound {text}, too large for a float (at most about 1.8e308); "
            "write inf (or -inf) for a side without a bound, or a smaller number"
        )
    return value


def _normalized(comment: str) -> str:
    return comment.translate(_TYPOGRAPHY)


def intervals(comment: str) -> list[str]:
    """Every interval of the comment as written after ``in`` (``['[0.1, 0.3]', '[0, 1]']``); the first is the range."""
    return [match.group(0)[2:].strip() for match in _RANGE.finditer(_normalized(comment))]


def _looks_like_range(text: str) -> bool:
    """Whether the text after ``in [`` reads as an attempt at two numbers: a number, then a separator."""
    inside_text = re.split(r"[\])]", text, maxsplit=1)[0][:60]
    has_number = re.search(r"\d|inf", inside_text, re.IGNORECASE) is not None
    has_separator = re.search(r",|;|\.\.|\bto\b|\u2026|\u2013", inside_text) is not None
    return has_number and has_separator


def unread_range(comment: str) -> str | None:
    """The text of a would-be range that :func:`parse_range` reads as help (``in [0; 1]``), or None.

    ``in [0, 1`` unclosed, ``in [0; 1]``, ``in [0 .. 1]``, ``in [0, 1, 2]``,
    ``in [0, 1e]``: an author writing them probably meant a range, and nothing
    would be enforced; callers warn (:class:`RangeWarning`) naming the
    parameter. ``in [a, b]`` (no number) and ``in (1e-3 is typical)`` (no
    separator) are prose and give None.
    """
    text = _normalized(comment)
    if _RANGE.search(text):
        return None
    for start in _RANGE_START.finditer(text):
        rest = text[start.end() :]
        if _looks_like_range(rest):
            closing = re.search(r"[\])]", rest[:60])
            return text[start.start() : start.end() + (closing.end() if closing else min(len(rest), 40))]
    return None


def parse_range(
    comment: str, *, name: str = "the parameter", where: str = "the parameters cell"
) -> Range | None:
    """The range a parameter's comment declares, or None when it declares none.

    A range is the word ``in`` followed by an interval of two numbers:
    ``[low, high]``, ``(low, high]``, ``[low, high)`` or ``(low, high)``; square
    brackets include the bound, round ones exclude it. Bounds are integers or
    decimals (``-1``, ``0.5``, ``1e-3``, ``1_000``) or ``inf``/``-inf`` for a
    side without a bound; the typographic minus ``−`` and ``∞`` read
    as ``-`` and ``inf`` (``in [−1, 1]``, ``in [0, ∞)``), and any
    Unicode space (a no-break space) is a space. The first such interval in the
    comment counts (:func:`intervals` lists them all).

    Text that is not such an interval (``in [a, b]``, ``in [0, 1`` without its
    closing bracket, ``within [0, 1]``, ``0 to 1``) is help text like any
    other, as papermill reads it: no range, no error here
    (:func:`unread_range` finds the ones that look meant as a range, for a
    warning). An interval that no value can meet is an error, not silence.

    Raises
    ------
    NotebookError
        When the interval is empty (``[1, 0]``, ``(1, 1]``): no value could be
        given; when a bound overflows a float (``1e400``).

    Examples
    --------
    >>> str(parse_range("fraction of rows, in (0, 1]"))
    '(0, 1]'
    >>> 1 in parse_range("in [0, 1)"), 0.0 in parse_range("in (0, 1]")
    (False, False)
    >>> parse_range("rows kept in [a, b] order") is None
    True
    """
    match = _RANGE.search(_normalized(comment))
    if match is None:
        return None
    low = _number(match["low"], name=name, where=where)
    high = _number(match["high"], name=name, where=where)
    found = Range(low, high, match["open"] == "[", match["close"] == "]")
    if low > high or (low == high and not (found.low_closed and found.high_closed)):
        raise NotebookError(
            f"{where}: the range of {name!r}, {match.group(0)[2:].strip()}, holds no value "
            f"(a range is written low first: in [0, 1]; '[' and ']' include a bound, '(' and ')' exclude it); "
            "fix the comment"
        )
    return found


def outside(found: Range, value: Any) -> bool:
    """Whether ``value`` (a number, or a list or tuple of numbers) has anything that is not a number in ``found``."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return any(item not in found for item in items)


def inside(found: Range, *, whole: bool) -> str:
    """A value in ``found`` to show as an example (the middle, else a bound or one step inside)."""
    middle = (found.low + found.high) / 2
    candidates = [middle, *((math.floor(middle), math.ceil(middle)) if math.isfinite(middle) else ())]
    candidates += [found.low, found.high, found.low + 1, found.high - 1, 0, 1]
    for value in candidates:
        if math.isfinite(value) and value in found and (not whole or float(value).is_integer()):
            return str(int(value)) if whole or float(value).is_integer() else f"{value:g}"
    return str(found.low)


# -- a parameter and its range --------------------------------------------------------
def _not_a_number(item: Any) -> bool:
    return isinstance(item, bool) or not isinstance(item, (int, float))


def _holds_a_whole_number(found: Range) -> bool:
    if math.isinf(found.low):
        return True
    first = math.ceil(found.low)
    return first in found or first + 1 in found


def checked_range(parameter: Parameter, where: str, *, evaluated: bool) -> Parameter:
    """``parameter`` with its range, refusing a range on a type that holds no number or a default outside it.

    ``evaluated`` says whether the default is known (a literal or a constant
    expression); an expression mlcheck cannot evaluate before the run leaves
    the default unchecked, which the parameter's ``note`` (and a warning) says.
    A comment that looks like a range but is not one is help text, with a note too.
    """
    name = parameter.name
    found = parse_range(parameter.comment, name=name, where=where)
    if found is None:
        unread = unread_range(parameter.comment)
        if unread is None:
            return parameter
        note = (
            f"{where}: the comment of {name!r} has {unread!r}, which is not a range mlcheck reads, so it is "
            "help text and no range is enforced; write the range as 'in [low, high]' (two numbers, "
            "'[' ']' include a bound, '(' ')' exclude it, inf for an open side), or reword the text"
        )
        warnings.warn(note, RangeWarning, stacklevel=4)
        return dataclasses.replace(parameter, note=note)
    numbers_of = parameter.item_type if parameter.base_type in ("list", "tuple") else parameter.base_type
    if numbers_of in ("str", "bool", "dict"):
        raise NotebookError(
            f"{where}: {name!r} is {parameter.type_name}, and its comment gives it the range {found}; "
            "a range applies to numbers (int, float, or lists of them). Fix the comment or the type"
        )
    if numbers_of == "int" and not _holds_a_whole_number(found):
        raise NotebookError(
            f"{where}: {name!r} takes whole numbers ({parameter.type_name}), and its range {found} holds none; "
            "fix the comment or the type"
        )
    default = parameter.default
    items = default if isinstance(default, (list, tuple)) else [default]
    strangers = [item for item in items if item is not None and _not_a_number(item)]
    if default is not None and strangers:
        kind = type(strangers[0]).__name__
        raise NotebookError(
            f"{where}: the default of {name!r}, {parameter.default_source}, holds "
            f"{'a ' + kind if not isinstance(default, (list, tuple)) else kind + ' items'} "
            f"({strangers[0]!r}), and its comment gives it the range {found}: a range applies to a number or to "
            "a list or tuple of numbers, each of which must lie in it (not to lists of lists). "
            "Fix the default or the comment"
        )
    if default is not None and outside(found, default):
        texts = intervals(parameter.comment)
        which = (
            f" (the first 'in [..]' of the comment is the range: {texts[0]}; the comment also has "
            f"{', '.join(texts[1:])}: reword the text before the range so it has no 'in' and brackets, "
            "e.g. 'tried 0.1 to 0.3', or put the range first)"
            if len(texts) > 1
            else ""
        )
        raise NotebookError(
            f"{where}: the default of {name!r}, {parameter.default_source}, is outside its range {found}{which}; "
            "fix the default or the range"
        )
    note = ""
    if not evaluated:
        note = (
            f"{where}: the default of {name!r}, {parameter.default_source}, is an expression mlcheck does not "
            f"evaluate before the run, so it is not checked against the range {found} (values given are); "
            "write the default as a number to have it checked"
        )
        warnings.warn(note, RangeWarning, stacklevel=4)
    return dataclasses.replace(parameter, range=found, note=note)
