"""Property: whatever file a user hands any command, flowkit ends with exit 0 or one clean ``Error:`` line.

Hypothesis makes the hostile files: random bytes, the bundled exports truncated and garbled, and
the bundled mappings and scenarios with keys, values and types swapped at random. Every command
that reads a user's file is driven through the real CLI (click's runner, in process). Ingest must
also say its ledger ``reconciles``. Sizes are small and the number of examples is set by
``FLOWKIT_FUZZ_EXAMPLES`` (default 5 per test, a fixed sequence) so the file runs in about a minute;
for a hunt set it higher and ``FLOWKIT_FUZZ_RANDOM=1`` for new examples each run. A failing example
is printed by hypothesis and can be replayed.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowkit.cli import main
from flowkit.errors import FlowkitError
from flowkit.sim import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "samples" / "exports"
MAPPINGS = ROOT / "samples" / "mappings"
EXAMPLES = int(os.environ.get("FLOWKIT_FUZZ_EXAMPLES", "5"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FLOWKIT_FUZZ_RANDOM"),  # the same examples every run unless hunting
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)

#: export -> its bundled mapping (text exports are cut to their first lines to keep runs short)
PAIRS = {
    "phone_calls.csv": "phone_calls.yaml",
    "bank_calls.tsv": "bank_calls.yaml",
    "chat_ru.tsv": "chat_ru.yaml",
    "email_tickets.xlsx": "email_tickets.yaml",
}
HEAD_LINES = 25


def head(name: str) -> bytes:
    data = (EXPORTS / name).read_bytes()
    if name.endswith((".csv", ".tsv")):
        return b"\n".join(data.split(b"\n")[:HEAD_LINES]) + b"\n"
    return data


HEADS = {name: head(name) for name in PAIRS}
NASTY = [b'"', b"\x00", b";;", b"\r", b"\n", b"\t", b"=cmd|' /C calc'!A0", b"\xff\xfe", b"\xef\xbb\xbf", b",,,,", b"\\"]


@st.composite
def garbled(draw: st.DrawFn, name: str | None = None) -> tuple[str, bytes]:
    """(file name, bytes): a bundled export cut and damaged, or plain noise under an export's name."""
    name = name or draw(st.sampled_from(sorted(PAIRS)))
    if draw(st.integers(0, 5)) == 0:
        return name, draw(st.binary(max_size=2000))
    data = bytearray(HEADS[name])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "repeat"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(NASTY)) * draw(st.integers(1, 3))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 300))]
    return name, bytes(data)


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 1e12, 1e9, 0.5, "", "auto", "oldest", "phone", "Mon-Fri 08:00-18:00", "08:00"]),
    st.text(max_size=12),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def _paths(doc, prefix=()):
    """Every place in a parsed YAML document a value can be swapped."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


def _set(doc, path, value):
    if not path:
        return value
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: dict) -> dict:
    """``base`` with one to three places changed: a value swapped, a key added or removed."""
    doc = yaml.safe_load(yaml.safe_dump(base))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["swap", "swap", "add", "drop"]))
        if op == "swap":
            doc = _set(doc, path, draw(VALUES))
        elif op == "add":
            target = doc
            for part in path:
                target = target[part]
            if isinstance(target, dict):
                target[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
        elif path:
            parent = doc
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and len(parent) > path[-1]:
                parent.pop(path[-1])
    return doc


def dump(doc) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def run(args: list[str]) -> Result:
    """The command, with the property every outcome must have: success, or exactly one clean error line."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    out = result.output
    assert "Traceback" not in out, out
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"flowkit {' '.join(map(str, args))}: uncaught exception") from result.exception
    if result.exit_code != 0:
        lines = [line for line in out.splitlines() if line.strip()]
        errors = [i for i, line in enumerate(lines) if line.startswith("Error:")]
        assert errors and errors[0] == len(lines) - 1, f"not one clean error line:\n{out}"
    return result


def assert_reconciles(result: Result) -> None:
    if result.exit_code == 0:
        assert "[reconciles]" in result.output and "DOES NOT RECONCILE" not in result.output, result.output


@FUZZ
@given(garbled())
def test_ingest_survives_garbled_exports(case):
    name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        assert_reconciles(run(["ingest", path, "--mapping", MAPPINGS / PAIRS[name], "--out", Path(tmp) / "c.csv"]))
        assert_reconciles(run(["ingest", path, "--out", Path(tmp) / "c.parquet"]))  # no mapping: recognised


def _mapping_docs() -> dict[str, dict]:
    return {name: yaml.safe_load((MAPPINGS / m).read_text(encoding="utf-8")) for name, m in PAIRS.items()}


MAPPING_DOCS = _mapping_docs()


@st.composite
def export_with_mapping(draw: st.DrawFn) -> tuple[str, dict]:
    name = draw(st.sampled_from(sorted(PAIRS)))
    return name, draw(mutated(MAPPING_DOCS[name]))


@FUZZ
@given(export_with_mapping())
def test_ingest_survives_hostile_mappings(case):
    name, doc = case
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_bytes(HEADS[name])
        (Path(tmp) / "m.yaml").write_text(dump(doc), encoding="utf-8")
        assert_reconciles(
            run(["ingest", Path(tmp) / name, "--mapping", Path(tmp) / "m.yaml", "--out", Path(tmp) / "c.csv"])
        )


SMALL_SCENARIO = {
    "name": "fuzz",
    "seed": 3,
    "horizon_hours": 4,
    "warmup_hours": 1,
    "replications": 2,
    "open_hours": {"phone": "Mon-Fri 08:00-18:00"},
    "agents": [{"team": "front", "count": 2, "channels": ["phone", "email"]}],
    "patience": {"dist": "exponential", "mean_s": 120},
    "demand": [
        {
            "type": "sales",
            "channel": "phone",
            "rate_per_hour": 20,
            "handle": {"dist": "lognormal", "mean_s": 180, "cv": 0.8},
        },
        {
            "type": "chasing",
            "demand": "failure",
            "failure_type": "progress_chasing",
            "channel": "email",
            "rate_per_hour": 5,
            "handle": {"dist": "fixed", "mean_s": 60},
            "resolve_p": 0.7,
            "needs": ["crm"],
        },
    ],
    "data_fields": {"crm": {"available": True, "handle_factor": 0.8}},
    "recontact": {"p": 0.3, "delay": {"dist": "exponential", "mean_s": 3600}},
}
SCENARIO_BASES = [SMALL_SCENARIO] + [
    yaml.safe_load((ROOT / "simulations" / n).read_text(encoding="utf-8")) for n in ("mmc_check.yaml", "baseline.yaml")
]


def _quick(doc):
    """A scenario that loads is run short (the bounds allow five years, the test has a minute)."""
    try:
        sc = scenario_from_dict(doc)
    except FlowkitError:
        return doc  # refused: exactly what the command must report cleanly
    if not isinstance(doc, dict):
        return doc
    doc = dict(doc, horizon_hours=min(sc.horizon_hours, 4.0), warmup_hours=1, replications=2)
    if sum(s.mean_rate_per_hour() for s in sc.demand) > 400:
        doc["demand"] = [dict(s, rate_per_hour=5) for s in doc["demand"] if isinstance(s, dict)]
        for s in doc["demand"]:
            s.pop("profile_per_hour", None)
            s.pop("by_weekday", None)
    return doc


@st.composite
def nudged(draw: st.DrawFn, base: dict) -> dict:
    """``base`` with its numbers moved (often still valid: the success path gets driven too)."""
    doc = yaml.safe_load(yaml.safe_dump(base))
    numbers = [
        p for p in _paths(doc) if p and isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)
    ]
    for path in draw(st.lists(st.sampled_from(numbers), min_size=1, max_size=4)):
        old = _get(doc, path)
        new = draw(st.floats(0, 2 * abs(old) + 1)) if isinstance(old, float) else draw(st.integers(0, 2 * abs(old) + 1))
        doc = _set(doc, path, new)
    return doc


def _get(doc, path):
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def hostile_scenario(draw: st.DrawFn):
    base = draw(st.sampled_from(SCENARIO_BASES))
    return _quick(draw(st.one_of(mutated(base), nudged(base))))


@FUZZ
@given(hostile_scenario(), st.sampled_from(["simulate", "compare", "data-value"]))
def test_scenario_commands_survive_hostile_scenarios(doc, command):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(dump(doc), encoding="utf-8")
        if command == "simulate":
            run(["simulate", path, "--replications", 2, "--workers", 1, "--json"])
        elif command == "compare":
            base = Path(tmp) / "base.yaml"
            base.write_text(dump(SMALL_SCENARIO), encoding="utf-8")
            run(["compare", base, path, "--replications", 2, "--workers", 1])
        else:
            try:
                scenario_from_dict(doc)
            except FlowkitError:
                run(["experiment", "data-value", path, "--replications", 2, "--workers", 1])
            # a valid one runs one simulation per data field: covered by tests/test_whatif.py


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["s.yaml", "m.yaml"]))
def test_yaml_readers_survive_random_bytes(data, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        export = Path(tmp) / "x.csv"
        export.write_bytes(HEADS["phone_calls.csv"])
        if name == "s.yaml":
            run(["simulate", path, "--replications", 2, "--workers", 1])
        else:
            run(["ingest", export, "--mapping", path, "--out", Path(tmp) / "c.csv"])


#: commands that read a contact log; each is driven with files that are damaged or mis-mapped
CONTACT_COMMANDS = {
    "cases": lambda p, m, out: ["cases", p, "--mapping", m],
    "effects": lambda p, m, out: ["effects", p, "--mapping", m],
    "pilot design": lambda p, m, out: ["pilot", "design", p, "--mapping", m, "--field", "account", "--out", out],
    "pilot analyse": lambda p, m, out: ["pilot", "analyse", p, "--mapping", m, "--field", "account"],
    "calibrate": lambda p, m, out: ["calibrate", p, "--mapping", m, "--out", out / "s.yaml", "--replications", 2],
    "classify": lambda p, m, out: ["classify", p, "--mapping", m, "--out", out / "c.csv"],
    "label": lambda p, m, out: ["label", p, "--mapping", m, "--out", out / "l.csv"],
    "analyze": lambda p, m, out: ["analyze", p, "--mapping", m, "--out", out / "report"],
}
#: these run the whole classifier or report (minutes on a loaded machine): driven only with files they
#: must refuse, so the error path is fuzzed; their success path is tested end to end elsewhere
SLOW = {"classify", "label", "analyze", "calibrate"}


@st.composite
def contact_command_case(draw: st.DrawFn):
    command = draw(st.sampled_from(sorted(CONTACT_COMMANDS)))
    name = "phone_calls.csv"
    if command in SLOW:
        kind = draw(st.sampled_from(["noise", "mapping"]))
        if kind == "noise":
            return command, name, draw(st.binary(max_size=500)), MAPPING_DOCS[name]
        doc = draw(mutated(MAPPING_DOCS[name]))
        if isinstance(doc, dict):
            doc["received_at"] = {"columns": "no such column"}  # refused once the mutation passes
        return command, name, HEADS[name], doc
    _, data = draw(garbled(name)) if draw(st.booleans()) else (name, HEADS[name])
    doc = draw(mutated(MAPPING_DOCS[name])) if draw(st.booleans()) else MAPPING_DOCS[name]
    return command, name, data, doc


@FUZZ
@given(contact_command_case())
def test_contact_log_commands_survive_hostile_inputs(case):
    command, name, data, doc = case
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / name).write_bytes(data)
        (tmp / "m.yaml").write_text(dump(doc), encoding="utf-8")
        run(CONTACT_COMMANDS[command](tmp / name, tmp / "m.yaml", tmp / "out"))


@pytest.mark.parametrize("kind", ["scenario", "mapping"])
def test_schema_command_prints_json(kind):
    import json

    assert json.loads(run(["schema", kind]).output)["title"].startswith("flowkit")


def test_the_mutations_reach_deep_keys():
    """The generator is not idle: mutating the small scenario reaches nested keys and changes values."""
    paths = list(_paths(SMALL_SCENARIO))
    assert ("demand", 1, "handle", "mean_s") in paths and ("data_fields", "crm", "handle_factor") in paths
    assert math.isnan(_set({"a": {"b": 1}}, ("a", "b"), math.nan)["a"]["b"])
