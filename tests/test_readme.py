"""Every command README.md shows works: its fenced bash/console blocks, run in order with CliRunner.

The commands run in a temporary folder holding a copy of the bundled samples, the scenarios and
the held-out labelled sets, so an example that names a file that does not exist fails here. As
the README says, the long ones run with smaller sizes (``SMALLER``). The block over the real
third-party logs runs when they are present (``real_logs``).
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from flowkit.cli import main
from tests.conftest import ROOT

README = ROOT / "README.md"
FENCE = re.compile(r"^```(?:bash|console)\n(.*?)^```", re.M | re.S)
ASSIGNMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\S+)")
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
SMALLER = {"--replications": 2, "--contacts": 2000, "--n": 20}  # what the README says its test uses


def command_blocks(text: str) -> list[tuple[int, list[list[str]], dict[str, str]]]:
    """(line, commands, shell variables) per fenced block holding ``flowkit`` commands.

    A command's words follow the shell: continuations joined, ``# comments`` dropped; a line of
    ``NAME=value`` assignments sets variables that later commands use as ``$NAME``."""
    found = []
    for m in FENCE.finditer(text):
        commands, variables = [], {}
        for line in m.group(1).replace("\\\n", " ").splitlines():
            words = shlex.split(line.strip().removeprefix("$ "), comments=True)
            if words and words[0] == "flowkit":
                commands.append(words[1:])
            elif words and all(ASSIGNMENT.fullmatch(w.rstrip(";")) for w in words):
                variables.update(w.rstrip(";").split("=", 1) for w in words)
        if commands:
            found.append((text[: m.start()].count("\n") + 1, commands, variables))
    return found


def runnable(args: list[str], variables: dict[str, str]) -> list[str]:
    """The words with ``$NAME`` filled in (paths relative to the clone) and the README's smaller sizes."""
    out = [VARIABLE.sub(lambda v: str(ROOT / variables[v.group(1)]), a) for a in args]
    for i, word in enumerate(out[:-1]):
        if word in SMALLER and out[i + 1].isdigit():
            out[i + 1] = str(min(int(out[i + 1]), SMALLER[word]))
    return out


BLOCKS = command_blocks(README.read_text(encoding="utf-8"))
REAL = [b for b in BLOCKS if b[2]]  # the block that reads ../shared (through its variables)
OWN = [b for b in BLOCKS if not b[2]]


def test_the_readme_blocks_are_found_and_say_how_they_are_tested():
    text = README.read_text(encoding="utf-8")
    assert len(OWN) >= 9 and REAL, [b[0] for b in BLOCKS]
    assert any(c[:1] == ["ingest"] for _, cs, _ in OWN for c in cs)
    assert "tests/test_readme.py" in text and all(f"`{k} {v}`" in text for k, v in SMALLER.items())
    assert "DESIGN.md" not in text  # the design is not in the repository


def _workspace(tmp: Path) -> Path:
    shutil.copytree(ROOT / "samples", tmp / "samples")
    shutil.copytree(ROOT / "simulations", tmp / "simulations")
    (tmp / "tests" / "data").mkdir(parents=True)
    for f in (ROOT / "tests" / "data").glob("heldout_*.csv"):
        shutil.copy(f, tmp / "tests" / "data" / f.name)
    return tmp


def _run_blocks(blocks, monkeypatch) -> None:
    runner = CliRunner(env={"FLOWKIT_PSEUDONYM_KEY": "readme-test-key"})
    for line, commands, variables in blocks:
        for args in commands:
            words = runnable(args, variables)
            result = runner.invoke(main, words)
            assert result.exit_code == 0, f"README.md:{line}: flowkit {shlex.join(words)}\n{result.output}"
            assert "Traceback" not in result.output


@pytest.mark.slow
def test_every_readme_command_runs_on_the_bundled_samples(tmp_path, monkeypatch):
    monkeypatch.chdir(_workspace(tmp_path))
    _run_blocks(OWN, monkeypatch)
    assert (tmp_path / "out" / "classified.parquet").is_file() and (tmp_path / "reports" / "client").is_dir()
    assert (tmp_path / "out" / "big" / "contacts.csv").is_file()  # written inside the working folder


@pytest.mark.slow
def test_the_readme_real_log_commands_run(real_logs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _run_blocks(REAL, monkeypatch)
    assert (tmp_path / "out" / "bank.yaml").is_file()
