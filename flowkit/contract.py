"""Declared contracts for the files users write (scenarios, mappings), as pydantic v2 models.

A model states the shape, the types and the bounds once; the same declaration checks a file
and prints the JSON Schema an editor validates against. This module holds what every
contract shares: the strict base model, and turning pydantic's error list into flowkit's
one line that names the file and the key path (``baseline.yaml: demand[2].handle.cv: …``).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from flowkit.errors import FlowkitError

__all__ = ["Contract", "check", "explained", "json_schema", "key_path"]

M = TypeVar("M", bound=BaseModel)


class Contract(BaseModel):
    """Every key known (a typo is an error, not a silently ignored setting); no type guessing."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, hide_input_in_errors=True)
    #: what an unknown key under this model is called in messages
    unknown_key: ClassVar[str] = "unknown key"


def explained(message: str) -> WrapValidator:
    """Replace pydantic's errors for one value (a union's per-member list, a literal's quoted
    alternatives) by one sentence a user can act on; ``{got}`` in it is the value given."""

    def wrap(value: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("explained", message, {"got": _short(value)}) from None

    return WrapValidator(wrap)


def check(model: type[M], doc: Any, origin: str, error: type[FlowkitError]) -> M:
    """``doc`` validated as ``model``; the first problem becomes ``error("origin: key.path: what to do")``."""
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = key_path(doc, first["loc"], named_last=first["type"] in ("missing", "extra_forbidden"))
        if first["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field = first["ctx"]["discriminator"].strip("'")
            path = f"{path}.{field}" if path else field
        text = _say(first, doc, first["loc"])
        if first["type"] == "extra_forbidden":
            says, allowed = _allowed_keys(model, first["loc"][:-1])
            text = f"{says}; use one of {', '.join(allowed)}" if allowed else text
        raise error(f"{origin}: {path}: {text}" if path else f"{origin}: {text}") from None


def key_path(doc: Any, loc: tuple[int | str, ...], named_last: bool = False) -> str:
    """``('demand', 0, 'handle', 'lognormal', 'cv')`` as ``demand[0].handle.cv``: parts that are not
    in the document (pydantic's names for union members) are left out by walking the document,
    except a last part that names a missing or unknown key (``named_last``)."""
    out, node = "", doc
    for i, part in enumerate(loc):
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            out, node = f"{out}[{part}]", node[part]
        elif isinstance(node, dict) and part in node:
            out, node = _join(out, part), node[part]
        elif named_last and i == len(loc) - 1:
            out = _join(out, part)
    return out


def _join(path: str, key: int | str) -> str:
    """``a.b``; a key that is empty, not text, or holds control characters (a line break) as ``a[…]``."""
    if isinstance(key, str) and key and key.isprintable() and not set(key) & set(".[]"):
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, list[str]]:
    """The keys the model allows at ``loc`` (followed through lists, dicts and unions)."""
    candidates: list[type[BaseModel]] = [model]
    for part in loc:
        inner = [
            m for c in candidates if isinstance(part, str) and part in _fields(c) for m in _models_in(_fields(c)[part])
        ]
        if inner:
            candidates = inner
        elif isinstance(part, str) and any(c.__name__.lower() == part for c in candidates):
            candidates = [c for c in candidates if c.__name__.lower() == part]  # a union member's tag
    if not candidates:
        return "unknown key", []
    return candidates[0].unknown_key, sorted({k for c in candidates for k in _fields(c)})  # type: ignore[attr-defined]


def _fields(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict:
        args = args[1:]
    elif origin not in (list, tuple, typing.Union, types.UnionType, typing.Annotated):
        return []
    if origin is typing.Annotated:
        args = args[:1]
    return [m for a in args for m in _models_in(a)]


def _short(value: Any) -> str:
    return repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."


def _value_at(doc: Any, loc: tuple[int | str, ...]) -> Any:
    node = doc
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict):
            node = node.get(part, node)
    return node


def _say(err: Any, doc: Any, loc: tuple[int | str, ...]) -> str:
    """pydantic's error in flowkit's words: what is wrong and what to write instead."""
    kind, ctx = err["type"], err.get("ctx") or {}
    shown = _short(loc[-2] if loc and loc[-1] == "[key]" else _value_at(doc, loc))
    if kind == "extra_forbidden":
        return "unknown key; check the spelling (`flowkit schema` lists every key)"
    if kind == "invalid_key":
        return "keys must be text"
    if kind in ("missing", "union_tag_not_found"):
        return "is required"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign, bound = {
            "greater_than_equal": (">=", "ge"),
            "greater_than": (">", "gt"),
            "less_than_equal": ("<=", "le"),
            "less_than": ("<", "lt"),
        }[kind]
        limit = ctx[bound]
        limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
        return f"must be {sign} {limit:,}, got {shown}"
    if kind == "finite_number":
        return f"must be a finite number, got {shown}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"must be a whole number, got {shown}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number, got {shown}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false, got {shown}"
    if kind in ("string_type", "string_too_short"):
        return f"must be non-empty text, got {shown}"
    if kind == "string_too_long":
        n = ctx["max_length"]
        return f"must be at most {n:,} character{'' if n == 1 else 's'}, got {shown}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {shown}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys, got {shown}"
    if kind == "literal_error":
        return f"{shown}: use {ctx['expected']}"
    if kind == "union_tag_invalid":
        return f"{ctx['tag']!r}: use {ctx['expected_tags']}"
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"has {ctx.get('actual_length')} items; {'at least' if kind == 'too_short' else 'at most'} {limit:,}"
    if kind == "string_pattern_mismatch":
        return f"{shown} is not in the expected form"
    if kind == "explained":
        return err["msg"]
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"])


def json_schema(model: type[BaseModel], title: str) -> str:
    """The model's JSON Schema (draft 2020-12) as indented text, for editors and validators."""
    schema = model.model_json_schema()
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": title}
    return json.dumps(schema, indent=2, ensure_ascii=False)
