"""How a parameter value written as text becomes a Python value: one rule per source, no YAML 1.1.

Values reach a notebook from three kinds of source, and each keeps its meaning:

* **text** typed by a person: ``mlcheck run -p NAME VALUE``, the JupyterLab
  panel's form, ``pytest --mlcheck-param``, a file entry tagged ``!text``
  (``name: !text "0123"``, how the panel hands its form to a job). Marked
  :class:`TextValue`.
* **raw text**: ``mlcheck run -r NAME VALUE`` (papermill's ``-r``), a ``str``
  that is never interpreted. Marked :class:`RawText`.
* **typed values**: a ``-f`` YAML or JSON file, ``[tool.mlcheck.parameters]``
  in ``pyproject.toml``, a Python call. Quoted strings stay strings; an
  *unquoted* scalar of a file (``store_id: 02142``) is kept as the text written
  (:class:`PlainScalar`) until the parameter's type says what it is, so a file
  is parsed once and ``02142`` reaches a ``str`` parameter as ``'02142'``,
  exactly as ``-p store_id 02142`` does.

A parameter with a declared or default type (``n: int = 5``, ``alpha = 0.1``)
reads text by that type (``-p size 640,480`` is a tuple when the default is
one; ``-p cols id`` a list of one); ``None`` (papermill's spelling, or a file's
``null``) gives None unless an annotation without ``| None`` excludes it. A parameter without one (default ``None``, papermill's
most common style) reads text by :func:`resolve_untyped`, papermill's rule made
safe:

=====================================================  =====================
text                                                   value
=====================================================  =====================
``None`` ``null`` ``Null`` ``NULL`` ``~``              ``None``
``True`` ``true`` ``TRUE`` / ``False`` ``false`` ...   ``True`` / ``False``
``42`` ``-7`` (decimal, no leading zero, <= 100        ``int``
digits)
``0.5`` ``1e-3`` ``-2.5E+3`` ``nan`` ``inf`` ``-inf``  ``float``
``.inf`` ``.nan``
``[a, 1]`` ``{k: 2}`` (a whole flow collection)        ``list`` / ``dict``
``0123`` ``0x1F`` ``0o17`` ``0b101`` ``1_000``         refused: ambiguous
``yes`` ``no`` ``on`` ``off`` (files only)             refused: ambiguous
anything else (``NO``, ``Hello: world``, ``''``,       the text, as given
``#tag``, ``2024-01-31``)
=====================================================  =====================

Ambiguous means two readings a user may have meant disagree: ``0123`` is 83 to
YAML 1.1, 123 to YAML 1.2 and papermill, and ``'0123'`` to whoever wrote a store
id; ``no`` in a YAML file is ``False`` to YAML 1.1 and ``'no'`` to YAML 1.2.
Such a value is refused (exit 2) with the forms that say which was meant: quote
it in a file, ``-r`` on a command line, or declare the parameter's type. On a
command line ``yes``/``no``/``on``/``off`` are text, as papermill reads them.

Sizes are bounded before anything is built: text of at most 1,000,000
characters, 32 levels of nesting, 100,000 items, numbers of at most 100
digits; YAML aliases are refused (an alias bomb expands 600 bytes to millions
of items).
"""

from __future__ import annotations

import ast
import datetime
import math
import numbers
import re
from collections.abc import Callable
from typing import Any

MAX_TEXT = 1_000_000
MAX_DEPTH = 32
MAX_ITEMS = 100_000
MAX_DIGITS = 100


_PLAIN_TAG = "tag:mlcheck,plain"  # an unquoted scalar, before its parameter types it

#: a parameter file's tag for text to read as a command line's ``-p`` reads it (the JupyterLab panel writes it)
TEXT_TAG = "!text"


class TextValue(str):
    """A value typed as text (``-p``, a form field, ``--mlcheck-param``): read by the parameter's type."""

    __slots__ = ()


class RawText(str):
    """Text passed as a ``str`` and never interpreted (``mlcheck run -r``, papermill's ``-r``)."""

    __slots__ = ()


class PlainScalar(str):
    """An unquoted scalar of a YAML/JSON file or a flow collection: the text as written, typed later."""

    __slots__ = ()


class ValueRefused(ValueError):
    """A value that cannot be used; the message says why and, where it helps, which form to write."""


_NULL_WORDS = frozenset({"None", "null", "Null", "NULL", "~"})
_TRUE_WORDS = frozenset({"True", "true", "TRUE"})
_FALSE_WORDS = frozenset({"False", "false", "FALSE"})
_YAML11_BOOLS = frozenset({"yes", "no", "on", "off"})
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?")
_NON_FINITE = re.compile(r"[-+]?\.?(?:nan|inf|infinity)", re.IGNORECASE)
_AMBIGUOUS_NUMBER = re.compile(
    r"[-+]?(?:0[0-9]+|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*_[0-9_]*(?:\.[0-9_]*)?)"
)


def _number_text(text: str) -> str:
    digits = sum(ch.isdigit() for ch in text)
    if digits > MAX_DIGITS:
        raise ValueRefused(f"a number of {digits} digits; mlcheck takes numbers of up to {MAX_DIGITS} digits")
    return text


def parse_float(text: str) -> float:
    """``text`` as a float: decimal or exponent notation, ``nan``, ``inf``; never a silent overflow."""
    stripped = text.strip()
    if _NON_FINITE.fullmatch(stripped):
        return float(stripped.replace(".", "", 1) if "." in stripped[:2] else stripped)
    if not _FLOAT.fullmatch(stripped):
        # no examples here: the parameter's accepted forms follow, built from its type and range
        raise ValueRefused(f"{text!r} is not a number")
    value = float(_number_text(stripped))
    if math.isinf(value):
        raise ValueRefused(
            f"{text!r} is too large for a float (at most about 1.8e308; write inf for infinity)"
        )
    if value == 0.0 and re.search(r"[1-9]", stripped.lower().split("e")[0]):  # 1e-400 is not 0 to its writer
        raise ValueRefused(f"{text!r} is too small for a float: it would become 0.0 (write 0 if 0 is meant)")
    return value


def parse_int(text: str) -> int:
    """``text`` as an int: decimal digits (leading zeros allowed, the type says it is a number), or 1e3, 5.0."""
    stripped = text.strip()
    if re.fullmatch(r"[-+]?[0-9]+", stripped):
        return int(_number_text(stripped))
    if not _FLOAT.fullmatch(stripped):
        raise ValueRefused(f"{text!r} is not a whole number")
    number = float(_number_text(stripped))  # '1e3' and '5.0' are whole numbers too, '1.5' is not
    if math.isinf(number):
        raise ValueRefused(f"{text!r} is too large: whole numbers take up to {MAX_DIGITS} digits")
    if not number.is_integer():
        raise ValueRefused(f"{text!r} is not a whole number")
    return int(number)


_TRUE_TEXT = frozenset({"true", "yes", "on", "1", "y", "t"})
_FALSE_TEXT = frozenset({"false", "no", "off", "0", "n", "f"})


def parse_bool(text: str) -> bool:
    """``text`` as a bool: true/false, yes/no, on/off, 1/0 in any case (the type says it is a bool)."""
    lowered = text.strip().lower()
    if lowered in _TRUE_TEXT:
        return True
    if lowered in _FALSE_TEXT:
        return False
    raise ValueRefused(f"{text!r} is not true or false (write true, false, yes, no, 1 or 0)")


def is_null_text(text: str, *, lenient: bool) -> bool:
    """Whether ``text`` spells None; ``lenient`` also takes ``none`` and an empty file scalar."""
    if text in _NULL_WORDS:
        return True
    return lenient and text.strip().lower() in ("none", "null")


def _why_ambiguous(text: str) -> str:
    digits = text.lstrip("+-")
    if digits[:2].lower() in ("0x", "0o", "0b"):
        return f"some YAML readers take it as the number {int(digits.replace('_', ''), 0)}, papermill as text"
    if "_" in digits:
        return f"Python, papermill and YAML 1.1 read it as {digits.replace('_', '')}, YAML 1.2 as text"
    yaml11 = f"the octal number {int(digits, 8)}" if set(digits) <= set("01234567") else "text"
    return (
        f"YAML 1.1 reads it as {yaml11}, YAML 1.2 and papermill as {int(digits)}, "
        "and an identifier such as a store id keeps its zeros"
    )


def resolve_untyped(text: str, *, from_file: bool) -> Any:
    """The value of ``text`` for a parameter without a type (the table in this module's docstring).

    Raises
    ------
    ValueRefused
        For ambiguous text, malformed collections and values over the size bounds.
    """
    if from_file and text == "":
        return None  # `x:` with nothing after it is YAML's null
    if text in _NULL_WORDS:
        return None
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    stripped = text.strip()
    if _AMBIGUOUS_NUMBER.fullmatch(stripped):
        raise ValueRefused(f"{text!r} is ambiguous: {_why_ambiguous(stripped)}")
    if from_file and stripped.lower() in _YAML11_BOOLS:
        raise ValueRefused(f"{text!r} is ambiguous: YAML 1.1 reads it as a boolean, YAML 1.2 as text")
    if _INT.fullmatch(stripped):
        return int(_number_text(stripped))
    if _FLOAT.fullmatch(stripped) or _NON_FINITE.fullmatch(stripped):
        return parse_float(stripped)
    # a list or mapping cut short ('[1, 2', '{k: [1}') is a typo, refused as '{a: [}' is; a text
    # that only starts with a bracket ('[draft] note') has as many closing brackets and stays text
    opened = stripped[:1] == "[" or (stripped[:1] == "{" and ":" in stripped)
    if opened and (stripped.count("[") != stripped.count("]") or stripped.count("{") != stripped.count("}")):
        raise ValueRefused(
            f"{text!r} opens a list or mapping it does not close; close it, or pass the text with -r"
        )
    # a whole flow collection is one; '{name}' (a format string, no colon) stays text
    if (stripped.startswith("[") and stripped.endswith("]")) or (
        stripped.startswith("{") and stripped.endswith("}") and ":" in stripped
    ):
        return resolve_tree(parse_flow(stripped), from_file=True)
    return str(text)


def resolve_tree(value: Any, *, from_file: bool = True) -> Any:
    """``value`` with every :class:`PlainScalar` in it resolved by :func:`resolve_untyped`."""
    if isinstance(value, PlainScalar):
        return resolve_untyped(str(value), from_file=from_file)
    if isinstance(value, list):
        return [resolve_tree(item, from_file=from_file) for item in value]
    if isinstance(value, tuple):
        return tuple(resolve_tree(item, from_file=from_file) for item in value)
    if isinstance(value, dict):
        resolved: dict[Any, Any] = {}
        for key, item in value.items():
            key = resolve_tree(key, from_file=from_file)
            if isinstance(key, (list, dict)):
                raise ValueRefused(f"a mapping key must be a scalar, got {key!r}")
            if key in resolved:
                raise ValueRefused(f"the key {key!r} appears twice")
            resolved[key] = resolve_tree(item, from_file=from_file)
        return resolved
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value


# -- text and values by type ----------------------------------------------------
def _coerce_scalar(value: Any, base: str) -> Any:
    """A scalar for an item of a typed list or tuple."""
    if isinstance(value, str):
        text = str(value)
        parsers: dict[str, Callable[[str], Any]] = {
            "str": str,
            "int": parse_int,
            "float": parse_float,
            "bool": parse_bool,
        }
        return parsers[base](text)
    return from_value(value, base, None)


def _item(value: Any, item_type: str | None) -> Any:
    if item_type is None:
        if isinstance(value, TextValue):
            return resolve_untyped(str(value), from_file=False)
        return resolve_tree(value)
    return _coerce_scalar(value, item_type)


def _sequencefrom_text(text: str, item_type: str | None) -> list[Any]:
    """``a,b`` or ``[a, b]`` or ``(320, 320)``; one bare word is a list of one."""
    stripped = text.strip()
    if stripped == "":
        return []
    if stripped[0] in "[({":
        if stripped[0] == "(" and stripped.endswith(")"):
            stripped = "[" + stripped[1:-1] + "]"  # Python's tuple display is not YAML
        parsed = parse_flow(stripped)
        if not isinstance(parsed, list):
            raise ValueRefused(f"{text!r} is a mapping, not a list")
        return [_item(item, item_type) for item in parsed]
    parts = [part.strip() for part in stripped.split(",")]
    if any(part == "" for part in parts):
        raise ValueRefused(
            f"{text!r} has an empty item; for an item holding a comma, write a list: '[\"a, b\", c]'"
        )
    return [_item(TextValue(part), item_type) for part in parts]


def _mappingfrom_text(text: str) -> dict[Any, Any]:
    if len(text) > MAX_TEXT:
        raise ValueRefused(f"{len(text):,} characters; parameters take up to {MAX_TEXT:,}")
    parsed = load_yaml(text)
    if not isinstance(parsed, dict):
        raise ValueRefused(f"{text!r} is not a mapping")
    return dict(resolve_tree(parsed))


def from_text(text: str, base: str, item_type: str | None) -> Any:
    """Text (a command line's, a file's unquoted scalar) as a parameter of type ``base``."""
    if base == "str":
        return text
    if base == "int":
        return parse_int(text)
    if base == "float":
        return parse_float(text)
    if base == "bool":
        return parse_bool(text)
    if base in ("list", "tuple"):
        items = _sequencefrom_text(text, item_type)
        return tuple(items) if base == "tuple" else items
    return _mappingfrom_text(text)


def from_value(value: Any, base: str, item_type: str | None) -> Any:
    """A typed value (a file's quoted string, TOML, Python) as ``base``."""
    if isinstance(value, (datetime.date, datetime.time)):  # TOML and Python dates arrive as ISO text
        if base in ("str", "any"):
            return value.isoformat()
        raise ValueRefused(f"a date ({value.isoformat()}) is not a {base}")
    if base == "any":
        resolved = resolve_tree(value)
        check_plain_types(resolved)
        return resolved
    if isinstance(value, str):
        return from_text(str(value), base, item_type)
    if base == "str":
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):  # 1.10 was already 1.1
            raise ValueRefused(f"{value!r} is a number, and its text may not be what was written; quote it")
        raise ValueRefused(f"{value!r} is not text")
    if base == "bool":
        if isinstance(value, bool):
            return value
        raise ValueRefused(f"{value!r} is not true or false")
    if base == "int":
        if isinstance(value, bool):
            raise ValueRefused(f"{value!r} is a boolean, not a whole number")
        if isinstance(value, numbers.Integral):
            return int(value)
        if isinstance(value, numbers.Real) and float(value).is_integer():
            return int(float(value))
        raise ValueRefused(f"{value!r} is not a whole number")
    if base == "float":
        if isinstance(value, bool):
            raise ValueRefused(f"{value!r} is a boolean, not a number")
        if isinstance(value, numbers.Real):
            return float(value)
        raise ValueRefused(f"{value!r} is not a number")
    if base in ("list", "tuple"):
        if not isinstance(value, (list, tuple)):
            raise ValueRefused(f"{value!r} is not a {base}")
        items = [_item(item, item_type) for item in value]
        return tuple(items) if base == "tuple" else items
    if not isinstance(value, dict):
        raise ValueRefused(f"{value!r} is not a mapping")
    return resolve_tree(value)


def check_plain_types(value: Any) -> None:
    """Only values a notebook can be given as Python literals (and run.json can hold)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (bool, int, float, str)):
            continue
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            raise ValueRefused(
                f"a {type(item).__name__} cannot be written into a notebook; give text, a number, "
                "true/false, None, a list or a mapping"
            )


# -- defaults written as arithmetic ---------------------------------------------------
_MAX_POWER = 10_000  # 2 ** 10_000 has 3,011 digits: bounded work for any constant expression of a cell


def constant_number(node: ast.expr) -> int | float | None:
    """The value of a constant arithmetic expression of numbers (``-1/3``, ``2 ** 10``, ``1e-3 * 5``), else None.

    Only numeric literals, unary ``+``/``-`` and the binary operators ``+ - * /
    // % **`` are evaluated, walking the tree with :mod:`ast` (never ``eval``);
    a power is bounded (exponent and result) so no cell can make this slow;
    division by zero, overflow and anything else (names, calls) give None.
    """
    operators: dict[type[ast.AST], Any] = {
        ast.Add: lambda a, b: a + b,
        ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b,
        ast.FloorDiv: lambda a, b: a // b,
        ast.Mod: lambda a, b: a % b,
    }

    def value(expr: ast.expr, depth: int) -> int | float:
        if depth > 50:
            raise ValueError("too deep")
        if (
            isinstance(expr, ast.Constant)
            and isinstance(expr.value, (int, float))
            and not isinstance(expr.value, bool)
        ):
            return expr.value
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, (ast.USub, ast.UAdd)):
            operand = value(expr.operand, depth + 1)
            return -operand if isinstance(expr.op, ast.USub) else +operand
        if isinstance(expr, ast.BinOp):
            left, right = value(expr.left, depth + 1), value(expr.right, depth + 1)
            if isinstance(expr.op, ast.Pow):
                if abs(right) > _MAX_POWER or (
                    isinstance(left, int)
                    and isinstance(right, int)
                    and abs(left) > 1
                    and abs(right) * math.log2(abs(left)) > _MAX_POWER
                ):
                    raise ValueError("too large")
                result = left**right
                if not isinstance(result, (int, float)):  # (-8) ** (1/3) is complex
                    raise ValueError("not real")
                return result
            operator = operators.get(type(expr.op))
            if operator is not None:
                result = operator(left, right)
                if isinstance(result, int) and abs(result).bit_length() > _MAX_POWER:
                    raise ValueError("too large")
                return result  # type: ignore[no-any-return]
        raise ValueError("not a constant number")

    try:
        result = value(node, 0)
    except (ValueError, ArithmeticError, TypeError):
        return None
    return result if not isinstance(result, float) or math.isfinite(result) else None


# -- bounded YAML: built from the parser's events, aliases refused, scalars kept as text --
_STR_TAGS = frozenset({"tag:yaml.org,2002:str", "!"})
_COLLECTION_TAGS = frozenset({None, "!", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})


class _Frame:
    """A sequence or mapping being built from events (an explicit stack: no recursion, no depth limit to hit)."""

    __slots__ = ("items", "key", "has_key", "line")

    def __init__(self, items: list[Any] | dict[Any, Any], line: int) -> None:
        self.items = items
        self.key: Any = None
        self.has_key = False
        self.line = line

    def add(self, value: Any, line: int) -> None:
        if isinstance(self.items, list):
            self.items.append(value)
        elif not self.has_key:
            if isinstance(value, (list, dict)):
                raise ValueRefused(f"line {line}: a mapping key must be a scalar")
            if isinstance(value, PlainScalar) and value == "<<":
                raise ValueRefused(f"line {line}: YAML merge keys (<<) are not supported")
            if value in self.items:
                raise ValueRefused(f"line {line}: the key {str(value)!r} appears twice")
            self.key, self.has_key = value, True
        else:
            self.items[self.key] = value
            self.has_key = False


def _scalar(event: Any, line: int) -> Any:
    if event.tag is None and event.implicit[0]:  # unquoted: typed later, by the parameter that receives it
        return PlainScalar(event.value)
    if event.tag is None or event.tag in _STR_TAGS:  # quoted or a block scalar: text
        return str(event.value)
    if event.tag == TEXT_TAG:  # `name: !text "0123"` reads as `-p name 0123` does
        return TextValue(event.value)
    raise ValueRefused(
        f"line {line}: the tag {event.tag} is not supported; write the value plainly or quote it"
    )


def load_yaml(text: str) -> Any:
    """One YAML 1.2 document (JSON included) with unquoted scalars as :class:`PlainScalar`.

    Quoted scalars are ``str``; sequences and mappings are lists and dicts;
    ``None`` for an empty document. Built from the events of PyYAML's parser (its
    C parser when installed), so no YAML 1.1 resolution happens, an alias is
    refused when it is met (before anything expands) and depth and size are
    counted as the document is read.

    Raises
    ------
    ValueRefused
        For invalid YAML, aliases, unsupported tags, duplicate keys, more than
        one document and text over the size bounds, with the line where it happened.
    """
    import yaml

    if len(text) > MAX_TEXT:
        raise ValueRefused(f"{len(text):,} characters; parameters take up to {MAX_TEXT:,}")
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    stack: list[_Frame] = []
    root: Any = None
    documents = values = 0
    try:
        for event in yaml.parse(text, Loader=loader_class):
            line = event.start_mark.line + 1 if event.start_mark is not None else 0
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ValueRefused(f"line {line}: a second YAML document; parameters are one mapping")
                continue
            if isinstance(event, yaml.AliasEvent):
                raise ValueRefused(
                    f"line {line}: YAML aliases (*{event.anchor}) are not expanded in parameters; write the value out"
                )
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                done = stack.pop()
                value = done.items
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                if event.tag not in _COLLECTION_TAGS:
                    raise ValueRefused(f"line {line}: the tag {event.tag} is not supported")
                if len(stack) >= MAX_DEPTH:
                    raise ValueRefused(f"line {line}: nested deeper than {MAX_DEPTH} levels")
                stack.append(_Frame([] if isinstance(event, yaml.SequenceStartEvent) else {}, line))
                values += 1
                continue
            elif isinstance(event, yaml.ScalarEvent):
                value = _scalar(event, line)
                values += 1
            else:  # stream and document boundaries
                continue
            if values > MAX_ITEMS:
                raise ValueRefused(f"more than {MAX_ITEMS:,} values; parameters are settings, not data")
            if stack:
                stack[-1].add(value, line)
            else:
                root = value
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        if "nesting depth" in problem:  # libyaml's own bound (1,000 levels) met while it reads ahead
            problem = f"nested deeper than {MAX_DEPTH} levels"
        raise ValueRefused(f"{where}{problem}") from None
    return root


def parse_flow(text: str) -> Any:
    """A whole flow collection (``[a, 1]``, ``{k: 2}``, JSON) written on a command line."""
    try:
        value = load_yaml(text)
    except ValueRefused as error:
        raise ValueRefused(
            f"{text[:60]!r}{'...' if len(text) > 60 else ''} is not a valid list or mapping ({error})"
        ) from None
    if not isinstance(value, (list, dict)):
        raise ValueRefused(f"{text!r} is not a list or mapping")
    return value


def check_bounds(value: Any) -> None:
    """Refuse values nested deeper than :data:`MAX_DEPTH` or holding more than :data:`MAX_ITEMS` items."""
    count = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        count += 1
        if count > MAX_ITEMS:
            raise ValueRefused(f"more than {MAX_ITEMS:,} values; parameters are settings, not data")
        if isinstance(item, (list, tuple, set, frozenset, dict)):
            if depth > MAX_DEPTH:
                raise ValueRefused(f"nested deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else list(item)
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and len(item) > MAX_TEXT:
            raise ValueRefused(f"a text of {len(item):,} characters; parameters take up to {MAX_TEXT:,}")
