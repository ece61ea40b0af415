"""The one YAML loader refuses hostile YAML quickly, with one line naming the file (and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowkit.errors import MappingError, ScenarioError
from flowkit.ingest import load_mapping
from flowkit.sim import load_scenario
from flowkit.yamlfile import MAX_ALIASES, MAX_BYTES, load_yaml, parse_yaml


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    """The classic: each level refers ``width`` times to the one before; 10**9 values from 90 aliases."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def refused(text: str) -> str:
    with pytest.raises(ScenarioError) as err:  # a bomb that got through would exhaust memory here
        parse_yaml(text, "s.yaml", ScenarioError)
    message = str(err.value)
    assert message.startswith("s.yaml: ") and "\n" not in message, message
    return message


def test_billion_laughs_is_refused_before_it_expands():
    assert billion_laughs().count("*") < MAX_ALIASES  # under the alias limit: the expanded size catches it
    # level k holds 1 + 10 * (level k-1) values; the top mapping adds itself and its 9 keys
    levels = [(10 ** (k + 2) - 1) // 9 for k in range(9)]
    assert f"expands to {1 + 9 + sum(levels):,} values" in refused(billion_laughs())


def test_many_aliases_are_refused():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    assert f"more than {MAX_ALIASES} aliases" in refused(text)


def test_a_few_anchors_are_fine():
    assert parse_yaml("d: &d {dist: fixed, mean_s: 1}\ne: *d\n", "s.yaml", ScenarioError)["e"] == {
        "dist": "fixed",
        "mean_s": 1,
    }


@pytest.mark.parametrize(
    "text,needle",
    [
        ("name: a\nname: b\n", "line 2: key 'name' is given twice (first on line 1)"),
        ("c: {a: 1, a: 2}\n", "key 'a' is given twice"),
        ("- name: a\n", "is a list; it should be a mapping of keys"),
        ("just words\n", "is a single value"),
        ("? [1, 2]\n: x\n", "a key must be text or a number"),
        ("a: [" * 3000, "nested too deeply"),
        ("a: !!python/object/apply:os.system [ls]\n", "not valid YAML"),
        ("a: [unclosed\n", "not valid YAML: line 2"),
        ("\x00", "unacceptable character #x0000"),
        ("a: 1\x07\n", "unacceptable character #x0007"),
    ],
)
def test_hostile_yaml_is_one_line(text, needle):
    assert needle in refused(text)


def test_an_empty_file_is_an_empty_mapping():
    assert parse_yaml("", "m.yaml", MappingError) == {}
    assert parse_yaml("# only a comment\n", "m.yaml", MappingError) == {}


def test_files_are_read_safely(tmp_path: Path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    with pytest.raises(MappingError, match="is at most"):
        load_yaml(big, MappingError, "mapping file")
    (tmp_path / "latin.yaml").write_bytes("name: Łódź\n".encode("cp1250"))
    with pytest.raises(ScenarioError, match="is not UTF-8 text"):
        load_scenario(tmp_path / "latin.yaml")
    with pytest.raises(MappingError, match="is a folder"):
        load_mapping(tmp_path)
    (tmp_path / "bom.yaml").write_bytes("\ufeffreceived_at: when\n".encode())
    assert load_mapping(tmp_path / "bom.yaml").received_at.columns == ("when",)
