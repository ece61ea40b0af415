"""The command line: help with examples, one-line errors, the ingest and samples commands."""

import pandas as pd
import pytest
from click.testing import CliRunner

from flowkit.cli import main
from flowkit.store import read_contacts


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("command", ["ingest", "cases", "demo", "samples make"])
def test_every_command_help_has_an_example(run, command):
    result = run(*command.split(), "--help")
    assert result.exit_code == 0 and "Example:" in result.output


def test_ingest_writes_contacts_quarantine_and_a_reconciled_summary(run, tmp_path):
    src = tmp_path / "calls.csv"
    src.write_text("id,date,channel,wait\n1,2026-01-05 10:00,phone,30\n2,bad,phone,5\n\n3,2026-01-05 11:00,phone,-4\n")
    out = tmp_path / "out" / "contacts.parquet"
    result = run("ingest", src, "--out", out)
    assert result.exit_code == 0, result.output
    assert "read 4 = kept 1 + dropped 1 + quarantined 2" in result.output
    assert "[reconciles]" in result.output
    assert len(read_contacts(out)) == 1
    q = pd.read_csv(tmp_path / "out" / "contacts.quarantine.csv")
    assert sorted(q["reason"]) == ["negative duration", "unparseable date"]


@pytest.mark.parametrize("args,needle", [
    (["ingest", "missing.csv", "--out", "x.parquet"], "missing.csv: no such file"),
    (["ingest", "--out", "x.parquet"], "give export files or --manifest"),
])
def test_user_errors_are_one_line_without_traceback(run, tmp_path, args, needle):
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert needle in result.output and "Traceback" not in result.output


def test_bad_mapping_is_one_line(tmp_path):
    (tmp_path / "m.yaml").write_text("colums: {}\n")
    (tmp_path / "a.csv").write_text("date\n2026-01-01\n")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "a.csv"), "--mapping", str(tmp_path / "m.yaml"),
                                       "--out", str(tmp_path / "c.parquet")])
    assert result.exit_code == 1 and "m.yaml: colums: unknown key" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_samples_make_then_ingest_the_manifest_then_stitch(run, tmp_path):
    assert run("samples", "make", "--contacts", 2000, "--seed", 4, "--out", tmp_path / "org").exit_code == 0
    out = tmp_path / "contacts.parquet"
    result = run("ingest", "--manifest", tmp_path / "org" / "manifest.yaml", "--out", out)
    assert "[reconciles]" in result.output
    result = run("cases", out, "--out", tmp_path / "with_cases.parquet", "--cases-out", tmp_path / "cases.csv")
    assert result.exit_code == 0 and "cases;" in result.output
    cases = pd.read_csv(tmp_path / "cases.csv")
    assert cases["n_contacts"].sum() == len(read_contacts(out))


def test_samples_single_layout(run, tmp_path):
    assert run("samples", "make", "--contacts", 500, "--layout", "single", "--out", tmp_path).exit_code == 0
    df = pd.read_csv(tmp_path / "contacts.csv")
    assert len(df) == 500


def test_demo_prints_the_reconciled_summary(run, tmp_path):
    result = run("demo", "--out", tmp_path / "demo")
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1].endswith("[reconciles]")
    assert (tmp_path / "demo" / "contacts.parquet").is_file()
