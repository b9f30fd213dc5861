"""One small registry type shared by datasets, models, attacks, saliency methods and detectors.

Adding an attack, saliency method or detector is one module in its package that calls
``REGISTRY.register("name")`` (the package imports every module it holds:
:func:`import_modules`) and a config entry; nothing else dispatches on names.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """Raised for a name that no module registered; the message lists what is known."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want a plain sentence
        return str(self.args[0])


class Registry(Generic[T]):
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = obj
            return obj

        return deco

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(sorted(self._entries)) or "none"
            raise UnknownNameError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


def import_modules(package: str, path: Iterable[str]) -> list[str]:
    """Import every module of ``package`` (its ``__path__``), so that each one's
    ``register`` calls run: a new module registers itself by being there. Sorted by name, so
    the registration order does not depend on the file system."""
    names = sorted(m.name for m in pkgutil.iter_modules(list(path)) if not m.ispkg)
    for name in names:
        importlib.import_module(f"{package}.{name}")
    return names
