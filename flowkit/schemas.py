"""The JSON Schemas of the files users write, from the same models that check them.

``flowkit schema scenario > scenario.schema.json`` gives an editor (VS Code's YAML extension,
any JSON Schema validator) what flowkit itself enforces: keys, types, bounds, descriptions.
"""

from __future__ import annotations

from flowkit.contract import json_schema

__all__ = ["KINDS", "schema_json"]

KINDS = ("scenario", "mapping")


def schema_json(kind: str) -> str:
    """The JSON Schema for a ``scenario`` or ``mapping`` file, as indented JSON text."""
    if kind == "scenario":
        from flowkit.sim.scenario_file import ScenarioFile

        return json_schema(ScenarioFile, "flowkit scenario")
    if kind == "mapping":
        from flowkit.ingest.mapping_file import MappingFile

        return json_schema(MappingFile, "flowkit source mapping")
    raise ValueError(f"no schema {kind!r}; use one of {', '.join(KINDS)}")
