"""One registry shape for every extension point: checks, cards, readers, commands, explorers.

A :class:`Registry` maps names to objects (papermill's engine registry and
pandera's check registry are the models):

- ``register(name, obj)`` adds an entry, or ``@register(name)`` as a decorator;
  a name already taken is refused with a :class:`~mlcheck.errors.RegistryError`
  (``Reason.DUPLICATE_NAME``) unless ``replace=True`` says so on purpose;
- built-in entries are declared by the module that registers them, so that
  module loads on first use and ``import mlcheck`` stays cheap;
- third parties add entries through an entry-point group of their
  distribution's metadata; those load when a name is asked for that no
  built-in has, or when the names are listed;
- an unknown name fails with the list of the known ones
  (``Reason.UNKNOWN_NAME``).

The registries themselves live beside what they register:

========================  ====================  ==============================================
registry                  entry-point group     where
========================  ====================  ==============================================
checks                    ``mlcheck.checks``    :data:`mlcheck.contracts.CHECKS`
card bodies               ``mlcheck.cards``     :data:`mlcheck.display.cards.CARDS`
data readers              ``mlcheck.readers``   :data:`mlcheck.io.READERS`
commands                  ``mlcheck.commands``  :data:`mlcheck.cli.main.COMMANDS`
explorers                 ``mlcheck.explorers`` :data:`mlcheck.display.explore.EXPLORERS`
========================  ====================  ==============================================

Examples
--------
>>> from mlcheck.registry import Registry
>>> greetings = Registry("greeting")
>>> @greetings.register("hello")
... def hello() -> str:
...     return "hello"
>>> greetings.get("hello")()
'hello'
>>> greetings.register("hello", print)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
mlcheck.errors.RegistryError: greeting 'hello' is already registered (...hello); pick another name, or pass replace=True to replace it on purpose
>>> greetings.get("helo")
Traceback (most recent call last):
...
mlcheck.errors.RegistryError: unknown greeting 'helo' (did you mean 'hello'?); known greetings: hello
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from types import FunctionType, MethodType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from mlcheck.errors import Reason, RegistryError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["Registry"]

T = TypeVar("T")
Obj = TypeVar("Obj")


def _origin(obj: object) -> str:
    """Where an object was defined, for messages: ``module.qualname`` or its type."""
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if module and qualname:
        return f"{module}.{qualname}"
    return f"a {type(obj).__name__}"


def _definition(obj: object) -> object:
    """What identifies where an object was defined: a function's or class's module and
    qualified name; a dataclass record's type and the definitions of its fields; else itself."""
    if isinstance(obj, (type, FunctionType, MethodType)) or (callable(obj) and hasattr(obj, "__qualname__")):
        return ("def", getattr(obj, "__module__", None), getattr(obj, "__qualname__", None))
    if dataclasses.is_dataclass(obj):
        fields = tuple(_definition(getattr(obj, field.name)) for field in dataclasses.fields(obj))
        return ("record", type(obj).__module__, type(obj).__qualname__, fields)
    if isinstance(obj, (str, bytes, int, float, bool, type(None), tuple)):
        return ("value", obj)
    return ("object", id(obj))


def _same_definition(old: object, new: object) -> bool:
    # A module imported twice (importlib.reload, a test re-importing a plugin) defines
    # its objects again: that is the same registration, not a clash.
    return old is new or _definition(old) == _definition(new)


class Registry(Generic[T]):
    """Named objects of one kind, from built-in modules and third-party entry points.

    Parameters
    ----------
    kind : str
        What the registry holds, singular ("check", "data reader"); used in messages.
    group : str, optional
        The entry-point group third parties register under (``mlcheck.checks``).
    builtins : mapping of str to str, optional
        Built-in name -> module that registers it when imported (loaded on first use).
    prepare : callable, optional
        ``prepare(name, obj) -> obj`` runs on every entry as it is registered: to
        refuse an object of the wrong kind (raise :class:`RegistryError`) or to
        wrap it (checks get their validated boundary here).
    plural : str, optional
        The plural of ``kind`` in messages; ``kind + "s"`` by default.

    Raises
    ------
    RegistryError
        From :meth:`register` for a name already taken, from :meth:`get` for an
        unknown name, and when two entry points claim one name.
    """

    def __init__(
        self,
        kind: str,
        *,
        group: str | None = None,
        builtins: Mapping[str, str] | None = None,
        prepare: Callable[[str, Any], T] | None = None,
        plural: str | None = None,
    ) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self.group = group
        self.builtins: dict[str, str] = dict(builtins or {})
        self._prepare = prepare
        self._entries: dict[str, T] = {}
        self._from_entry_points: dict[str, str] = {}  # name -> "distribution (module:attr)"
        self._loaded_for: tuple[str, ...] | None = None  # sys.path when the entry points were loaded
        self._listing: tuple[tuple[str, ...], list[EntryPoint]] | None = None  # (sys.path, entry points)
        # A check may be first asked for from two threads (a kernel's comm thread and its
        # main thread); module imports and entry-point loading must not interleave.
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, group={self.group!r}, names={self.names(load=False)})"

    # -- registering ------------------------------------------------------------
    @overload
    def register(self, name: str, obj: None = None, *, replace: bool = False) -> Callable[[Obj], Obj]: ...

    @overload
    def register(self, name: str, obj: Obj, *, replace: bool = False) -> Obj: ...

    def register(self, name: str, obj: Any = None, *, replace: bool = False) -> Any:
        """Register ``obj`` under ``name``; without ``obj``, a decorator that does.

        Returns what was registered (after ``prepare``), so ``@register(name)``
        puts the registered object in the module. A name already taken raises
        :class:`RegistryError` with ``Reason.DUPLICATE_NAME``, unless the new
        object is the same definition (a module imported again) or
        ``replace=True``.
        """
        if not isinstance(name, str) or not _plain_name(name):
            raise RegistryError(
                f"a {self.kind} name must be a non-empty string of letters, digits, '_', '-' or '.', "
                f"got {name!r}",
                reason=Reason.INVALID_TYPE if not isinstance(name, str) else Reason.USAGE,
                parameter="name",
                value=name,
            )
        if obj is None:

            def decorate(function: Obj) -> Obj:
                return self._add(name, function, replace=replace, source=None)  # type: ignore[no-any-return]

            return decorate
        return self._add(name, obj, replace=replace, source=None)

    def _add(self, name: str, obj: Any, *, replace: bool, source: str | None) -> Any:
        with self._lock:
            module = self.builtins.get(name)
            if module is not None and name not in self._entries and module not in sys.modules:
                # A built-in name registered before its module loaded: load it first, so
                # the clash is refused now rather than when the built-in arrives.
                importlib.import_module(module)
            if name in self._entries and not replace:
                old = self._entries[name]
                raw_old = getattr(old, "__wrapped_check__", old)
                raw_new = getattr(obj, "__wrapped_check__", obj)
                if _same_definition(raw_old, raw_new) and source is None:
                    pass  # re-imported module: the newer object wins, quietly
                else:
                    where = self._from_entry_points.get(name) or _origin(raw_old)
                    raise RegistryError(
                        f"{self.kind} {name!r} is already registered ({where}); pick another name, "
                        "or pass replace=True to replace it on purpose",
                        reason=Reason.DUPLICATE_NAME,
                        parameter="name",
                        value=name,
                    )
            prepared = self._prepare(name, obj) if self._prepare is not None else obj
            self._entries[name] = prepared
            if source is not None:
                self._from_entry_points[name] = source
            else:
                self._from_entry_points.pop(name, None)
            return prepared

    def unregister(self, name: str) -> None:
        """Forget ``name`` (tests and plugins that replace themselves); unknown names fail."""
        with self._lock:
            if name not in self._entries:
                raise self._unknown(name)
            del self._entries[name]
            self._from_entry_points.pop(name, None)

    # -- looking up -------------------------------------------------------------
    def get(self, name: str) -> T:
        """The object registered as ``name``: built-in, registered, or from an entry point."""
        found = self._entries.get(name)
        if found is not None:
            return found
        with self._lock:
            self._load_builtin(name)
            if name not in self._entries:
                # Rescan: a distribution may have been installed since the last look.
                self.load_entry_points(refresh=True)
            if name not in self._entries:
                raise self._unknown(name)
            return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def names(self, *, load: bool = True) -> list[str]:
        """Every known name, sorted: built-in, registered and (with ``load``) entry points.

        Listing names reads the entry points' metadata but imports no module.
        """
        names = set(self.builtins) | set(self._entries)
        if load and self.group is not None:
            names |= {entry_point.name for entry_point in self._entry_points()}
        return sorted(names)

    def items(self) -> list[tuple[str, T]]:
        """Every (name, object) in registration order, loading every built-in and entry point (a cold path)."""
        with self._lock:
            for name in self.builtins:
                self._load_builtin(name)
            self.load_entry_points()
            return list(self._entries.items())

    def find(self, name: str) -> T | None:
        """Like :meth:`get`, but None for an unknown name (for optional extensions such as cards)."""
        found = self._entries.get(name)
        if found is not None:
            return found
        with self._lock:
            self._load_builtin(name)
            if name not in self._entries:
                self.load_entry_points(refresh=True)
            return self._entries.get(name)

    def registered(self) -> list[T]:
        """The objects registered so far, in registration order, loading nothing (a hot path)."""
        return list(self._entries.values())

    def values(self) -> list[T]:
        """Every registered object, in registration order (loads everything, as :meth:`items`)."""
        return [obj for _, obj in self.items()]

    def source(self, name: str) -> str:
        """Where ``name`` comes from: ``"builtin"``, ``"registered"`` or the entry point."""
        self.get(name)
        if name in self._from_entry_points:
            return f"entry point {self._from_entry_points[name]}"
        return "builtin" if name in self.builtins else "registered"

    # -- loading ----------------------------------------------------------------
    def _load_builtin(self, name: str) -> None:
        module = self.builtins.get(name)
        if module is not None and name not in self._entries:
            importlib.import_module(module)
            if name not in self._entries:
                raise RegistryError(
                    f"{module} was expected to register the {self.kind} {name!r} but did not",
                    reason=Reason.UNKNOWN_NAME,
                    parameter="name",
                    value=name,
                )

    def _entry_points(self) -> list[EntryPoint]:
        # Reading every distribution's metadata takes ~10 ms; tools probe module attributes
        # often (IPython, Jedi), so the listing is kept until sys.path changes (a new folder
        # of distributions, as a test or a plugin installed into a new path makes).
        if self.group is None:
            return []
        key = tuple(sys.path)
        if self._listing is None or self._listing[0] != key:
            from importlib.metadata import entry_points

            self._listing = (key, list(entry_points(group=self.group)))
        return self._listing[1]

    def load_entry_points(self, *, refresh: bool = False) -> None:
        """Load every entry point of the group; a name claimed twice is refused.

        Loaded once; ``refresh=True`` looks again when ``sys.path`` has changed
        since (a distribution installed into a new folder).

        An entry point may not take a built-in name, nor a name another
        distribution's entry point has: either raises :class:`RegistryError`
        naming both sides, so the clash is fixed where it is made (uninstall or
        rename one) instead of one silently winning.
        """
        with self._lock:
            if self._loaded_for is not None and (not refresh or self._loaded_for == tuple(sys.path)):
                return
            claimed: dict[str, str] = {}
            for entry_point in self._entry_points():
                where = _describe(entry_point)
                if entry_point.name in claimed and claimed[entry_point.name] != where:
                    raise RegistryError(
                        f"two entry points in group {self.group!r} register the {self.kind} "
                        f"{entry_point.name!r}: {claimed[entry_point.name]} and {where}; "
                        "uninstall or rename one",
                        reason=Reason.DUPLICATE_NAME,
                        parameter="name",
                        value=entry_point.name,
                    )
                claimed[entry_point.name] = where
                if entry_point.name in self.builtins:
                    raise RegistryError(
                        f"the entry point {where} in group {self.group!r} registers {entry_point.name!r}, "
                        f"the name of a built-in {self.kind}; rename it",
                        reason=Reason.DUPLICATE_NAME,
                        parameter="name",
                        value=entry_point.name,
                    )
                if self._from_entry_points.get(entry_point.name) == where:
                    continue
                try:
                    obj = entry_point.load()
                except Exception as error:  # a broken plugin must say which one it is
                    raise RegistryError(
                        f"cannot load the {self.kind} {entry_point.name!r} from the entry point {where}: "
                        f"{type(error).__name__}: {error}. Reinstall or uninstall that distribution",
                        reason=Reason.UNKNOWN_NAME,
                        parameter="name",
                        value=entry_point.name,
                    ) from error
                if entry_point.name in self._entries:
                    existing = self._entries[entry_point.name]
                    if _same_definition(getattr(existing, "__wrapped_check__", existing), obj):
                        # The plugin's module registered itself on import as well.
                        self._from_entry_points[entry_point.name] = where
                        continue
                self._add(entry_point.name, obj, replace=False, source=where)
            self._loaded_for = tuple(sys.path)

    def _unknown(self, name: str) -> RegistryError:
        import difflib

        known = self.names()
        listed = ", ".join(known) if known else f"none (no {self.kind} is registered)"
        close = difflib.get_close_matches(name, known, n=1) if isinstance(name, str) else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return RegistryError(
            f"unknown {self.kind} {name!r}{hint}; known {self.plural}: {listed}",
            reason=Reason.UNKNOWN_NAME,
            parameter="name",
            value=name,
        )


def _plain_name(name: str) -> bool:
    return bool(name) and all(character.isalnum() or character in "_-." for character in name)


def _describe(entry_point: EntryPoint) -> str:
    distribution = getattr(entry_point, "dist", None)
    owner = getattr(distribution, "name", None) or "an unknown distribution"
    return f"{owner} ({entry_point.value})"
