"""The printed JSON Schemas agree with the loaders: every bundled file passes both, bad files fail both.

An editor validates with ``flowkit schema``'s output, flowkit with the pydantic models; a schema
that accepted what flowkit refuses (or the reverse) would send a user in circles.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from flowkit.cli import main
from flowkit.errors import MappingError, ScenarioError
from flowkit.ingest import load_mapping, mapping_from_dict
from flowkit.ingest.mapping_file import Columns, Constants
from flowkit.schema import COLUMNS
from flowkit.sim import load_scenario, scenario_from_dict
from flowkit.synth.exports import MAPPINGS

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_MAPPINGS = sorted((ROOT / "samples" / "mappings").glob("*.yaml"))
BUNDLED_SCENARIOS = sorted((ROOT / "simulations").glob("*.yaml"))


def printed_schema(kind: str) -> dict:
    result = CliRunner().invoke(main, ["schema", kind])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def validators():
    out = {}
    for kind in ("scenario", "mapping"):
        schema = printed_schema(kind)
        jsonschema.Draft202012Validator.check_schema(schema)
        out[kind] = jsonschema.Draft202012Validator(schema)
    return out


def _yaml(path: Path):
    """As an editor sees the file: JSON data, so YAML's ``true:`` key is the text "true"."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("path", BUNDLED_MAPPINGS, ids=lambda p: p.name)
def test_bundled_mappings_pass_the_schema_and_the_loader(path, validators):
    validators["mapping"].validate(_yaml(path))
    load_mapping(path)


@pytest.mark.parametrize("name", sorted(MAPPINGS))
def test_generated_sample_mappings_pass_the_schema(name, validators):
    validators["mapping"].validate(json.loads(json.dumps(MAPPINGS[name])))


@pytest.mark.parametrize("path", BUNDLED_SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenarios_pass_the_schema_and_the_loader(path, validators):
    validators["scenario"].validate(_yaml(path))
    load_scenario(path)


def test_a_calibrated_scenario_passes_the_schema(validators, tmp_path):
    """The scenario ``flowkit calibrate`` and ``demo`` write is a scenario file like any other."""
    from flowkit.ingest import ingest_file
    from flowkit.sim.calibrate import calibrate

    log = ingest_file(ROOT / "samples/exports/bank_calls.tsv", ROOT / "samples/mappings/bank_calls.yaml").contacts
    text = calibrate(log, name="bank", replications=2).to_yaml()
    validators["scenario"].validate(json.loads(json.dumps(yaml.safe_load(text))))
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    load_scenario(tmp_path / "s.yaml")


def _scenario(**changes) -> dict:
    doc = {
        "name": "t",
        "agents": [{"team": "front", "count": 2, "channels": ["phone"]}],
        "demand": [
            {"type": "x", "channel": "phone", "rate_per_hour": 10, "handle": {"dist": "exponential", "mean_s": 60}}
        ],
    }
    doc.update(changes)
    return doc


BAD_SCENARIOS = [
    ({"horizon_hours": 1e12}, "horizon_hours"),
    ({"horizon_hours": -1}, "horizon_hours"),
    ({"replications": 1_000_000}, "replications"),
    ({"agents": [{"team": "front", "count": 10**9, "channels": ["phone"]}]}, "agents[0].count"),
    ({"agents": [{"team": "front", "count": 2, "channels": ["pigeon"]}]}, "agents[0].channels[0]"),
    ({"agents": {"front": 2}}, "agents"),
    ({"seed": "seven"}, "seed"),
    ({"service_level_s": -5}, "service_level_s"),
    ({"horizon": 5}, "horizon"),
    ({"patience": {"dist": "gamma", "mean_s": 1}}, "patience.dist"),
    ({"patience": {"dist": "lognormal", "mean_s": 10, "cv": 0}}, "patience.cv"),
    ({"demand": [{"type": "x", "channel": "phone", "handle": {"dist": "fixed", "mean_s": 1}}]}, "demand[0]"),
]


@pytest.mark.parametrize("changes,key", BAD_SCENARIOS, ids=[k for _, k in BAD_SCENARIOS])
def test_bad_scenarios_fail_the_schema_and_the_loader_names_the_key(changes, key, validators):
    doc = _scenario(**changes)
    assert not validators["scenario"].is_valid(doc)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(doc, "bad.yaml")
    assert str(err.value).startswith(f"bad.yaml: {key}:"), err.value
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(value):
    with pytest.raises(ScenarioError, match="horizon_hours: must be a finite number"):
        scenario_from_dict(_scenario(horizon_hours=value), "s.yaml")


BAD_MAPPINGS = [
    ({"columns": ["contact_id", "id"]}, "columns"),
    ({"columns": {"kolor": "x"}}, "columns.kolor"),
    ({"channels": {"Phone": "pigeon"}}, "channels.Phone"),
    ({"received_at": {"format": "%Y"}}, "received_at"),
    ({"delimiter": ";;"}, "delimiter"),
    ({"booleans": {"abandoned": ["HANG"]}}, "booleans.abandoned"),
    ({"format": "docx"}, "format"),
    ({"pad_short_rows": "yes"}, "pad_short_rows"),
]


@pytest.mark.parametrize("doc,key", BAD_MAPPINGS, ids=[k for _, k in BAD_MAPPINGS])
def test_bad_mappings_fail_the_schema_and_the_loader_names_the_key(doc, key, validators):
    assert not validators["mapping"].is_valid(doc)
    with pytest.raises(MappingError) as err:
        mapping_from_dict(doc, "m.yaml")
    assert str(err.value).startswith(f"m.yaml: {key}:"), err.value


def test_a_mapping_may_name_every_contact_table_column_and_nothing_else():
    mappable = {c for c in COLUMNS if c not in ("source", "source_file", "source_line")}  # provenance is flowkit's
    assert set(Columns.model_fields) == mappable
    assert set(Constants.model_fields) == mappable - {"received_at"}


def test_unknown_encoding_is_named(tmp_path):
    with pytest.raises(MappingError, match=r"m\.yaml: encoding: 'klingon' is not an encoding"):
        mapping_from_dict({"encoding": "klingon"}, "m.yaml")


def test_the_schema_says_the_bounds():
    schema = printed_schema("scenario")
    horizon = schema["properties"]["horizon_hours"]
    assert horizon["maximum"] == 5 * 365 * 24 and horizon["exclusiveMinimum"] == 0
    assert schema["properties"]["replications"]["maximum"] == 1000
    assert "description" in horizon


@pytest.mark.parametrize(
    "doc,start",
    [
        ({"\x1d": None}, "m.yaml: ['\\x1d']: unknown key"),
        ({"columns": {"a.b": "x"}}, "m.yaml: columns['a.b']: not a contact-table column"),
        ({1: "x"}, "m.yaml: [1]: keys must be text"),
    ],
)
def test_odd_keys_are_quoted_so_the_error_stays_one_line(doc, start):
    with pytest.raises(MappingError) as err:
        mapping_from_dict(doc, "m.yaml")
    assert str(err.value).startswith(start) and len(str(err.value).splitlines()) == 1, err.value


def test_a_header_with_control_characters_stays_on_one_line(tmp_path):
    from flowkit.ingest import ingest

    path = tmp_path / "x.csv"
    path.write_bytes(b"a\x0bb,c\n1,2\n")
    with pytest.raises(MappingError) as err:
        ingest(path, mapping_from_dict({"received_at": "when"}, "m.yaml"))
    assert "'a\\x0bb', c" in str(err.value) and len(str(err.value).splitlines()) == 1, err.value
