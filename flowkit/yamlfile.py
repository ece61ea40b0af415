"""Reading the YAML files users write (mappings, manifests, rules, scenarios), one safe way.

Every loader wants the same messages - no such file, not valid YAML - raised as its own error
type so callers can tell a bad mapping from a bad scenario. YAML can also be hostile: a few
lines of anchors and aliases ("billion laughs") expand to more nodes than memory holds, deep
nesting overflows the stack, a repeated key silently wins over the first. So this loader
refuses, with one line each: files over :data:`MAX_BYTES`, more than :data:`MAX_ALIASES`
aliases, documents that would expand beyond :data:`MAX_NODES` values, duplicate keys, and a
top level that is not a mapping of keys.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flowkit.errors import FlowkitError

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_NODES", "load_yaml", "parse_yaml"]

MAX_BYTES = 10_000_000  # a scenario with an empirical distribution is a few hundred KB
MAX_ALIASES = 100  # anchors are a convenience; a few dozen references is already a lot
MAX_NODES = 2_000_000  # values after expanding every alias


class _Refused(Exception):
    """Raised inside the loader; turned into the caller's error type with the file name."""


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and refuses duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise _Refused(
                    f"line {mark.line + 1}: more than {MAX_ALIASES} aliases (*name); "
                    "write the values out instead of referring to anchors"
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            line = key_node.start_mark.line + 1
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise _Refused(f"line {line}: a key must be text or a number") from None
            if first is not None:
                raise _Refused(f"line {line}: key {key!r} is given twice (first on line {first}); keep one")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 (PyYAML) reads 1e12 as text and wants 1.0e12; users write 1e12 and mean a number (as YAML 1.2 does)
_SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """How many values the document holds once every alias is expanded (shared nodes counted each time)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a node reached again while being sized is a cycle: count it once
    size = 1
    if isinstance(node, SequenceNode):
        size += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[id(node)] = size
    return size


def parse_yaml(text: str, origin: str, error: type[FlowkitError], *, top_mapping: bool = True) -> Any:
    """Parsed YAML from ``text``; every refusal is ``error("origin: …")``. An empty document is ``{}``."""
    if len(text) > MAX_BYTES:
        raise error(f"{origin}: {len(text):,} characters; a YAML file flowkit reads is at most {MAX_BYTES:,}")
    try:
        loader = _SafeLoader(text)  # the reader refuses control characters here already
    except yaml.YAMLError as exc:
        raise error(f"{origin}: not valid YAML: {str(exc).splitlines()[0]}") from None
    try:
        node = loader.get_single_node()
        if node is None:
            return {} if top_mapping else None
        size = _expanded_size(node, {})
        if size > MAX_NODES:
            raise _Refused(f"expands to {size:,} values (anchors and aliases); at most {MAX_NODES:,}")
        if top_mapping and not isinstance(node, MappingNode):
            kind = {ScalarNode: "a single value", SequenceNode: "a list"}.get(type(node), "not a mapping")
            raise _Refused(f"is {kind}; it should be a mapping of keys (key: value lines)")
        return loader.construct_document(node)
    except _Refused as exc:
        raise error(f"{origin}: {exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"line {where.line + 1}: " if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{origin}: not valid YAML: {line}{problem}") from None
    except RecursionError:
        raise error(f"{origin}: nested too deeply to be a flowkit file") from None
    finally:
        loader.dispose()


def load_yaml(path: str | Path, error: type[FlowkitError], what: str, *, top_mapping: bool = True) -> Any:
    """Parsed YAML from ``path``; ``error`` names the file for every problem, as one line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise error(f"{path}: {size:,} bytes; a {what} is at most {MAX_BYTES:,} (is this the right file?)")
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, not a {what}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: byte {exc.start:,} is not UTF-8 text; save the {what} as UTF-8") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    return parse_yaml(text, str(path), error, top_mapping=top_mapping)
