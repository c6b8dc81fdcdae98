"""Optional modules: the extension lists (CLI commands, migration sets, HQ routers, tiles, ...) name modules
that a build may leave out. :func:`optional_modules` imports the ones present and re-raises any other error."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType


def import_optional(name: str) -> ModuleType | None:
    """The module, or None when it (or a package on its path) is not installed. A missing dependency *inside*
    the module is a real error and propagates."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


def optional_modules(names: Iterable[str]) -> list[ModuleType]:
    return [m for m in (import_optional(n) for n in names) if m is not None]
