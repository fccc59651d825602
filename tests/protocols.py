"""Checks that a class keeps the shape a `typing.Protocol` promises its users."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any


def assert_same_signatures(protocol: type, implementation: type, methods: Iterable[str]) -> None:
    """Each method of `protocol` is on `implementation` with exactly its signature (a
    runtime_checkable isinstance only checks that the name exists)."""
    for name in methods:
        wanted = inspect.signature(getattr(protocol, name))
        actual = inspect.signature(getattr(implementation, name))
        where = f"{implementation.__name__}.{name}{actual}"
        assert actual == wanted, f"{where} != {protocol.__name__}.{name}{wanted}"


def assert_values_typed(instance: Any, types: dict[str, type]) -> None:
    """Each named attribute of a live `instance` holds a value of its type."""
    for name, kind in types.items():
        assert isinstance(getattr(instance, name), kind), name
