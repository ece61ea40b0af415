"""The command line: help with examples, one-line errors, the ingest and samples commands."""

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from flowkit.cli import main
from flowkit.store import read_contacts


@pytest.fixture
def run():
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def _commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand on the group, found by walking it (a new command is covered)."""
    found = []
    for name in sorted(group.commands):
        found.append((*prefix, name))
        sub = group.commands[name]
        if isinstance(sub, click.Group):
            found.extend(_commands(sub, (*prefix, name)))
    return found


COMMANDS = _commands()


def test_the_commands_are_discovered_from_the_group():
    assert {("ingest",), ("pilot",), ("pilot", "design"), ("pilot", "analyse"), ("experiment", "data-value")} <= set(
        COMMANDS
    )
    assert ("samples", "make") in COMMANDS and len(COMMANDS) >= 17


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_help_has_an_example(run, command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    _, example = result.output.split("Example:", 1)  # ValueError when there is no example
    assert "flowkit " + " ".join(command) in example, f"the example does not show {' '.join(command)}"


def test_a_bug_shows_its_traceback_and_a_user_error_one_line(monkeypatch):
    import flowkit.sim.theory as theory

    args = ["theory", "--rate-per-hour", "200", "--aht", "180", "--agents", "5"]
    user = CliRunner().invoke(main, args)
    assert user.exit_code == 1 and isinstance(user.exception, SystemExit)
    assert user.output.strip().splitlines() == [
        "Error: offered load 10.00 Erlangs needs more than 5 agents: the queue grows without bound"
    ]

    def broken(*_args, **_kwargs):
        raise ValueError("a bug in the library")

    monkeypatch.setattr(theory, "erlang_c", broken)
    bug = CliRunner().invoke(main, args)
    assert isinstance(bug.exception, ValueError) and "Error: a bug" not in bug.output


@pytest.mark.parametrize(
    "args,needle",
    [
        (["cases", "c.parquet", "--window", "banana", "--out", "o.parquet"], "'banana' is not a positive duration"),
        (["cases", "c.parquet", "--window", "-2D", "--out", "o.parquet"], "'-2D' is not a positive duration"),
        (["classify", "--evaluate", "l.csv", "--split", "1.5"], "1.5 is not in the range"),
        (
            ["pilot", "design", "c.parquet", "--field", "f", "--start", "someday", "--out", "o"],
            "'someday' is not a date",
        ),
    ],
)
def test_bad_options_are_usage_errors(args, needle):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and needle in result.output and isinstance(result.exception, SystemExit)


def test_ingest_writes_contacts_quarantine_and_a_reconciled_summary(run, tmp_path):
    src = tmp_path / "calls.csv"
    src.write_text("id,date,channel,wait\n1,2026-01-05 10:00,phone,30\n2,bad,phone,5\n\n3,2026-01-05 11:00,phone,-4\n")
    out = tmp_path / "out" / "contacts.parquet"
    result = run("ingest", src, "--out", out)
    assert result.exit_code == 0, result.output
    assert "read 4 = kept 2 + dropped 1 + quarantined 1" in result.output
    assert "[reconciles]" in result.output and "repaired" in result.output
    assert len(read_contacts(out)) == 2
    q = pd.read_csv(tmp_path / "out" / "contacts.quarantine.csv")
    assert sorted(q["reason"]) == ["unparseable date"]
    fixed = pd.read_csv(tmp_path / "out" / "contacts.repaired.csv")
    assert fixed[["source_file", "source_line", "column", "reason"]].values.tolist() == [
        ["calls.csv", 5, "wait", "negative duration"]
    ]


@pytest.mark.parametrize(
    "args,needle",
    [
        (["ingest", "missing.csv", "--out", "x.parquet"], "missing.csv: no such file"),
        (["ingest", "--out", "x.parquet"], "give export files or --manifest"),
    ],
)
def test_user_errors_are_one_line_without_traceback(run, tmp_path, args, needle):
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0
    assert needle in result.output and "Traceback" not in result.output


def test_bad_mapping_is_one_line(tmp_path):
    (tmp_path / "m.yaml").write_text("colums: {}\n")
    (tmp_path / "a.csv").write_text("date\n2026-01-01\n")
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            str(tmp_path / "a.csv"),
            "--mapping",
            str(tmp_path / "m.yaml"),
            "--out",
            str(tmp_path / "c.parquet"),
        ],
    )
    assert result.exit_code == 1 and "m.yaml: colums: unknown key" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_samples_make_then_ingest_the_manifest_then_stitch(run, tmp_path):
    assert run("samples", "make", "--contacts", 2000, "--seed", 4, "--out", tmp_path / "org").exit_code == 0
    out = tmp_path / "contacts.parquet"
    result = run("ingest", "--manifest", tmp_path / "org" / "manifest.yaml", "--out", out)
    assert "[reconciles]" in result.output
    result = run("cases", out, "--out", tmp_path / "with_cases.parquet", "--cases-out", tmp_path / "cases.csv")
    assert result.exit_code == 0 and "with repeat contacts" in result.output
    cases = pd.read_csv(tmp_path / "cases.csv")
    assert cases["n_contacts"].sum() == len(read_contacts(out))


def test_samples_single_layout(run, tmp_path):
    assert run("samples", "make", "--contacts", 500, "--layout", "single", "--out", tmp_path).exit_code == 0
    df = pd.read_csv(tmp_path / "contacts.csv")
    # 500 customer contacts, plus what the phone switch logs beside them: calls that met the closed
    # line (15 episodes at 900 per 30,000, a quarter more withheld) and the centre's outbound callbacks
    outbound = df["direction"].eq("OUT")
    closed = (
        df["direction"].ne("OUT") & df["agent_id"].isna() & df["channel"].eq("phone") & df["abandoned"].astype(bool)
    )
    assert 500 <= len(df) <= 500 * 1.25, len(df)
    assert outbound.sum() > 0 and closed.sum() >= 15


@pytest.mark.slow
def test_demo_prints_the_reconciled_summary(run, tmp_path):
    result = run("demo", "--out", tmp_path / "demo")
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1].endswith("[reconciles]")
    assert (tmp_path / "demo" / "contacts.parquet").is_file()


def test_simulate_json_has_the_design_contract(run, tmp_path):
    import json

    from tests.conftest import ROOT

    result = run(
        "simulate",
        ROOT / "simulations" / "mmc_check.yaml",
        "--replications",
        3,
        "--workers",
        1,
        "--json",
        "--out",
        tmp_path / "sim",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["scenario"] == "mmc-check" and doc["replications"] == 3
    for kpi in (
        "mean_wait_s",
        "p_wait",
        "service_level",
        "abandon_rate",
        "occupancy",
        "contacts_offered",
        "failure_share",
        "agent_hours_failure",
    ):
        v = doc["kpis"][kpi]
        assert set(v) == {"mean", "ci95_low", "ci95_high"} and v["ci95_low"] <= v["mean"] <= v["ci95_high"]
    assert len(pd.read_csv(tmp_path / "sim" / "kpis.csv")) == 3
    assert len(read_contacts(tmp_path / "sim" / "contacts.parquet")) > 0


def test_simulate_table_and_bad_scenario(run, tmp_path):
    from tests.conftest import ROOT

    result = run("simulate", ROOT / "simulations" / "mmc_check.yaml", "--replications", 2, "--workers", 1)
    assert "mean_wait_s" in result.output and "[" in result.output
    (tmp_path / "s.yaml").write_text("name: x\nagents: []\ndemand: []\n")
    bad = CliRunner().invoke(main, ["simulate", str(tmp_path / "s.yaml")])
    assert bad.exit_code == 1 and "s.yaml: agents: has 0 items; at least 1" in bad.output


def test_theory_command_gives_the_reference_answers(run):
    out = run("theory", "--rate-per-hour", 200, "--aht", 180, "--agents", 14).output
    assert "0.17413" in out and "7.836" in out and "0.88835" in out
    out = run("theory", "--rate-per-hour", 200, "--aht", 180, "--agents", 14, "--patience", 300).output
    assert "0.14526" in out and "0.013984" in out
    assert (
        "agents needed for 80% within 20 s: 14"
        in run("theory", "--rate-per-hour", 200, "--aht", 180, "--target", 0.8).output
    )


@pytest.mark.slow
def test_calibrate_compare_and_experiment_commands(run, tmp_path):
    import json

    import yaml

    from flowkit.store import write_table
    from tests.test_calibrate import bank_log

    write_table(bank_log(), tmp_path / "calls.parquet")
    out = tmp_path / "bank.yaml"
    result = run("calibrate", tmp_path / "calls.parquet", "--out", out, "--replications", 3, "--workers", 2)
    assert result.exit_code == 0, result.output
    assert "patience: " in result.output and "reproduces its own log" in result.output
    assert "phone_mean_wait_s" in result.output and "occupancy" in result.output  # the fit, figure by figure
    text = out.read_text()
    assert yaml.safe_load(text)["fit"]["reproduces"] is True
    variant = tmp_path / "more.yaml"
    doc = yaml.safe_load(text)
    doc["name"] = "staff-plus-2"
    for shift in doc["agents"][0]["shifts"]:
        shift["count"] += 2
    variant.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = run("compare", out, variant, "--replications", 3, "--workers", 2, "--json")
    deltas = json.loads(result.stdout)["variants"]["staff-plus-2"]
    assert deltas["mean_wait_s"]["mean"] < 0 and deltas["mean_wait_s"]["significant"]
    result = run("compare", out, variant, "--replications", 3, "--workers", 2)
    assert "staff-plus-2 vs baseline" in result.output and "significant" in result.output
    assert "does NOT reproduce" not in result.output
    # a baseline whose fit failed: compare and experiment say it loudly
    bad = yaml.safe_load(text)
    bad["fit"]["reproduces"] = False
    bad["fit"]["figures"]["phone_mean_wait_s"]["ok"] = False
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    result = run("compare", tmp_path / "bad.yaml", variant, "--replications", 2, "--workers", 2)
    assert "WARNING: the baseline baseline does NOT reproduce its log (phone mean wait s" in result.output
    result = run("experiment", "data-value", tmp_path / "bad.yaml", "--replications", 2, "--workers", 2, "--json")
    assert json.loads(result.stdout)["baseline_fit"]["reproduces_log"] is False


def test_experiment_data_value_json(run, tmp_path):
    import json

    from tests.conftest import ROOT

    result = run(
        "experiment",
        "data-value",
        ROOT / "simulations" / "baseline.yaml",
        "--replications",
        3,
        "--workers",
        2,
        "--json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["scenario"] == "baseline" and doc["replications"] == 3
    saved = [f["deltas"]["agent_hours"]["mean"] for f in doc["fields"]]
    assert saved == sorted(saved) and {"field", "share_of_demand", "deltas", "significant"} <= set(doc["fields"][0])
    assert doc["design_out"] and all("failure_type" in d for d in doc["design_out"])


def test_commands_after_ingest_explain_a_junk_file(tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 8)
    for args in (["classify", str(junk)], ["analyze", str(junk), "--out", str(tmp_path / "r")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and "junk.csv" in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def generated_contacts(tmp_path_factory):
    from flowkit.store import write_table
    from flowkit.synth import generate

    log = generate(6000, seed=9)
    path = tmp_path_factory.mktemp("gen") / "contacts.parquet"
    write_table(log.drop(columns=[c for c in log.columns if c.startswith("_te_")]), path)
    return path


def test_effects_command_writes_the_table_and_json(run, tmp_path, generated_contacts):
    import json

    out = tmp_path / "effects.csv"
    result = run("effects", generated_contacts, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output[result.output.index("[") :])
    eff = pd.read_csv(out)
    assert len(rows) == len(eff) and {
        "field",
        "demand_type",
        "outcome",
        "estimand",
        "naive",
        "adjusted",
        "ci_low",
        "ci_high",
        "n_with",
        "n_without",
        "significant",
        "method",
        "sensitivity",
        "saved",
    } <= set(eff.columns)
    assert (eff["demand_type"] == "(all)").any()
    text = run("effects", generated_contacts, "--out", out, "--field", "contract")
    assert text.exit_code == 0 and "contract" in text.output and "observational" in text.output


def test_pilot_design_then_analyse(run, tmp_path, generated_contacts):
    import json

    import numpy as np
    import yaml

    out = tmp_path / "pilot"
    result = run(
        "pilot",
        "design",
        generated_contacts,
        "--field",
        "equipment_config",
        "--mde",
        "0.1",
        "--unit",
        "agent-day",
        "--seed",
        "3",
        "--start",
        "2027-01-04",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    assert {
        "field",
        "outcome",
        "unit",
        "mde",
        "alpha",
        "power",
        "contacts_per_arm",
        "clusters_per_arm",
        "days_needed",
        "design_effect",
    } <= set(plan)
    again = tmp_path / "again"
    run(
        "pilot",
        "design",
        generated_contacts,
        "--field",
        "equipment_config",
        "--unit",
        "agent-day",
        "--seed",
        "3",
        "--start",
        "2027-01-04",
        "--out",
        again,
    )
    assert (out / "assignment.csv").read_text() == (again / "assignment.csv").read_text()
    # a pilot log: the contacts with an arm, treatment 20% faster
    log = pd.read_parquet(generated_contacts)
    log = log[log["handle_s"].notna() & log["channel"].isin(["phone", "chat"])].copy()
    log["arm"] = np.where(np.random.default_rng(1).random(len(log)) < 0.5, "treatment", "control")
    log.loc[log["arm"] == "treatment", "handle_s"] *= 0.8
    pilot_log = tmp_path / "pilot_log.csv"
    log.to_csv(pilot_log, index=False)
    entry = tmp_path / "field.yaml"
    result = run("pilot", "analyse", pilot_log, "--field", "equipment_config", "--out", entry)
    assert result.exit_code == 0, result.output
    assert "sample ratio" in result.output and "balance" in result.output
    field = yaml.safe_load(entry.read_text())["data_fields"]["equipment_config"]
    assert field["handle_factor"] == pytest.approx(0.8, abs=0.05) and field["handle_factor_se"] > 0
