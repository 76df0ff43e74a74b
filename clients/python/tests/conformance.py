"""Checks every answer the client gets against the type the OpenAPI document gives it: a
missing required field or a value of another type fails the test (the document is wrong,
so the typed clients are); a field the document does not name is collected as a warning.
"""

from __future__ import annotations

import collections.abc
import functools
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin, is_typeddict

from ironloom_client import IronloomClient, _generated

WARNINGS: set[str] = set()


class Mismatch(AssertionError):
    pass


def conform(value: Any, tp: Any, where: str) -> None:
    if tp is Any:
        return
    if tp is None or tp is type(None):
        if value is not None:
            raise Mismatch(f"{where}: {value!r} where the document says null")
        return
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        errors = []
        for alt in args:
            try:
                conform(value, alt, where)
                return
            except Mismatch as e:
                errors.append(str(e))
        raise Mismatch(" / ".join(errors))
    if origin is Literal:
        if value not in args:
            raise Mismatch(f"{where}: {value!r} is not one of {args}")
        return
    if origin in (list, typing.List):
        if not isinstance(value, list):
            raise Mismatch(f"{where}: {type(value).__name__} where the document says an array")
        for i, item in enumerate(value):
            conform(item, args[0], f"{where}[{i}]")
        return
    if origin in (dict, typing.Dict):
        if not isinstance(value, dict):
            raise Mismatch(f"{where}: {type(value).__name__} where the document says an object")
        for k, v in value.items():
            conform(v, args[1], f"{where}.{k}")
        return
    if is_typeddict(tp):
        if not isinstance(value, dict):
            raise Mismatch(f"{where}: {type(value).__name__} where the document says {tp.__name__}")
        hints = typing.get_type_hints(tp)
        for key in tp.__required_keys__:
            if key not in value:
                raise Mismatch(f"{where}: required field {key} of {tp.__name__} is missing")
        for key, v in value.items():
            if key in hints:
                conform(v, hints[key], f"{where}.{key}")
            else:
                WARNINGS.add(f"{tp.__name__}.{key} is not in the document")
        return
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(tp, type):
        ok = isinstance(value, tp)
    else:
        return  # a construct the generator does not emit
    if not ok:
        raise Mismatch(f"{where}: {value!r} is not {getattr(tp, '__name__', tp)}")


class CheckedClient(IronloomClient):
    """An IronloomClient whose every answer is checked against the document's type."""


def _checked(name: str, fn):
    hints = typing.get_type_hints(fn, vars(_generated))
    result = hints["return"]

    @functools.wraps(fn)
    def call(self, *args, **kwargs):
        answer = fn(self, *args, **kwargs)
        if get_origin(result) is not collections.abc.Iterator:
            conform(answer, result, name)
        return answer

    return call


for _name in _generated.OPERATIONS:
    setattr(CheckedClient, _name, _checked(_name, getattr(_generated.GeneratedApi, _name)))
