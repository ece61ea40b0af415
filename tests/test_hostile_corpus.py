"""The hostile-input corpus: every case ends in reconciled rows or one clean error, never a traceback.

Each folder under ``tests/data/hostile/`` is one case: the input file(s) and a ``case.yaml``::

    about: what is hostile about it (one line)
    command: [ingest, "{case}/input.csv", --out, "{out}/contacts.csv"]   # {case}, {out} are filled in
    expect: ok            # or: error
    read: 5               # ok: the file's own records (not parser rows) ...
    kept: 3               # ... and where each went
    dropped: 0
    quarantined: 2
    error: "input.csv"    # error: a substring of the one-line message (name the file, row or key)
    output_lacks: ["=cmd"]  # optional: strings that must not appear in any file written to {out}

A new hostile input is a new folder; nothing here changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from flowkit.cli import main

CORPUS = Path(__file__).parent / "data" / "hostile"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "case.yaml").is_file())
TOTAL = re.compile(
    r"TOTAL: read ([\d,]+) = kept ([\d,]+) \+ dropped ([\d,]+) \+ quarantined ([\d,]+).*\[(reconciles|DOES NOT RECONCILE)\]"
)


def _num(s: str) -> int:
    return int(s.replace(",", ""))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case(case: Path, tmp_path: Path) -> None:
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    args = [str(a).format(case=case, out=tmp_path) for a in spec["command"]]
    result = CliRunner().invoke(main, args)
    output = result.output
    assert "Traceback" not in output, output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{case.name}: uncaught {type(result.exception).__name__}: {result.exception}")
    if spec["expect"] == "error":
        assert result.exit_code != 0, f"{case.name}: expected a clean error, got exit 0:\n{output}"
        message = [line for line in output.splitlines() if line.strip()]
        assert message and message[-1].startswith("Error:"), output
        assert spec["error"] in output, f"{case.name}: error should mention {spec['error']!r}:\n{output}"
    else:
        assert result.exit_code == 0, f"{case.name}: expected success:\n{output}"
        if "read" in spec:
            m = TOTAL.search(output)
            assert m, f"{case.name}: no ledger in output:\n{output}"
            read, kept, dropped, quarantined = (_num(g) for g in m.groups()[:4])
            assert m.group(5) == "reconciles", output
            assert (read, kept, dropped, quarantined) == (
                spec["read"],
                spec["kept"],
                spec["dropped"],
                spec["quarantined"],
            ), f"{case.name}: ledger {read}={kept}+{dropped}+{quarantined}:\n{output}"
    for needle in spec.get("output_lacks", []):
        for written in tmp_path.rglob("*"):
            if written.is_file():
                text = written.read_bytes().decode("utf-8", errors="replace")
                assert needle not in text, f"{case.name}: {needle!r} leaked into {written.name}"
