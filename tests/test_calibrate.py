"""Calibration on planted truth: a bank-like Technion export from a generator written apart from
flowkit.sim (flowkit/synth/technion.py), ingested with its mapping, calibrated and simulated.
The figures the baseline must reproduce are the generator's own, never the simulator's."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from flowkit.errors import FlowkitError
from flowkit.ingest import ingest_file
from flowkit.sim.calibrate import calibrate, placeholder_customers
from flowkit.sim.fit import fit_warning, model_fit
from flowkit.synth.technion import BankTruth, generate_technion, truth_figures, write_technion

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "samples" / "mappings" / "bank_calls.yaml"
SAMPLE = ROOT / "samples" / "exports" / "bank_calls.tsv"


def bank_log(tmp_path=None, truth: BankTruth | None = None) -> pd.DataFrame:
    """The generator's export, ingested as a consultant would: contacts with no simulation internals."""
    truth = truth or BankTruth()
    if tmp_path is None:
        import tempfile

        tmp_path = Path(tempfile.mkdtemp())
    path = write_technion(generate_technion(truth), Path(tmp_path) / "bank.tsv")
    return ingest_file(path, MAPPING).contacts


@pytest.fixture(scope="module")
def fitted():
    rows = pd.read_csv(SAMPLE, sep="\t", dtype=str)
    log = ingest_file(SAMPLE, MAPPING).contacts
    cal = calibrate(log, name="bank", replications=6)
    fit = model_fit(log, cal.scenario, replications=6, workers=2, real_occupancy=cal.log_figures["occupancy"])
    return rows, log, cal, fit


def test_the_bundled_sample_is_the_generators_output():
    # the file under samples/ is exactly what the generator makes from its default truth (seeded)
    made = generate_technion(BankTruth()).rows
    bundled = pd.read_csv(SAMPLE, sep="\t", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(made.reset_index(drop=True), bundled, check_dtype=False)


def test_ingest_keeps_every_call_with_the_composite_key(fitted):
    rows, log, _, _ = fitted
    real = rows[rows["outcome"] != "PHANTOM"]
    assert rows["call_id"].duplicated().any()  # call_id alone is not unique
    assert len(log) == len(real) and log["contact_id"].is_unique


def test_baseline_reproduces_the_generators_volume_wait_and_abandonment(fitted):
    rows, _, _, fit = fitted
    truth = truth_figures(rows)
    sim = fit.simulation.log
    sim_phone = sim[sim["channel"].astype(str).eq("phone")]
    days = fit.simulation.scenario.horizon_hours / 24 * len(fit.simulation.per_replication)
    got = {
        "calls_per_day": len(sim_phone) / days,
        "abandon_rate": float(sim_phone["abandoned"].fillna(False).astype(bool).mean()),
        "mean_wait_s": float(sim_phone["wait_s"].astype(float).fillna(0).mean()),
    }
    for k in truth:
        assert got[k] == pytest.approx(truth[k], rel=0.10), (k, got, truth)
    assert fit.trustworthy and "reproduces its own log" in fit.sentences[0]


def test_calibration_measures_what_was_planted(fitted):
    _, _, cal, _ = fitted
    t = BankTruth()
    sc = cal.scenario
    # IVR exits kept apart from queue abandonment, measured over calls in open hours
    assert sc.ivr.exit_p == pytest.approx(t.ivr_exit_p, abs=0.015)
    # patience: lognormal with median 150 s planted; the censored estimate's median within 20%
    if sc.patience.kind == "empirical":
        median = float(np.median(sc.patience.values))
    else:
        assert sc.patience.kind == "lognormal"
        median = sc.patience.mean_s * np.exp(-np.log1p(sc.patience.cv**2) / 2)
    assert median == pytest.approx(t.patience_median_s, rel=0.2)
    # after-call work the log does not show (20 s planted), found from gaps while callers waited
    assert cal.log_figures["after_call_work_s"] == pytest.approx(t.wrap_mean_s, abs=7)
    streams = {s.type: s for s in sc.demand}
    wrap = cal.log_figures["after_call_work_s"]  # handle = the log's service time + after-call work
    assert streams["PS"].handle.mean_s - wrap == pytest.approx(190, rel=0.1)
    assert streams["NE"].handle.mean_s - wrap == pytest.approx(280, rel=0.15)
    # 7 agents planted 10:00-15:00 on weekdays, one in three on a staggered 30-minute break
    tue_noon = [
        sh.count for team in sc.agents for sh in team.shifts if 1 in sh.days and sh.start_s <= 11 * 3600 < sh.end_s
    ]
    assert tue_noon and 5 <= tue_noon[0] <= 7
    # the line is closed at night and on Saturday; the closed-line return is a stated parameter, 0
    assert sc.open_hours["phone"].is_open(1 * 86400 + 11 * 3600) and not sc.open_hours["phone"].is_open(3 * 3600)
    assert not sc.open_hours["phone"].is_open(5 * 86400 + 11 * 3600)
    assert sc.closed_return_p == 0.0 and "closed" in cal.notes
    # 30-minute profile
    assert len(streams["PS"].by_weekday[1]) == 48
    # occupancy and shrinkage stated
    assert 0.2 < cal.log_figures["occupancy"] < 0.8 and "shrinkage" in cal.notes["occupancy"]


def test_customer_placeholders_are_not_one_customer():
    ids = pd.Series(["0"] * 60 + [f"C{i}" for i in range(40)] + [None] * 5 + ["unknown"] * 3)
    flagged = placeholder_customers(ids)
    assert flagged[:60].all() and not flagged[60:100].any() and flagged[-3:].all() and not flagged[100:105].any()
    # one id on an implausible share of a large log is a placeholder too
    big = pd.Series(["999"] * 300 + [f"C{i}" for i in range(2000)])
    assert placeholder_customers(big)[:300].all() and not placeholder_customers(big)[300:].any()


def test_recontact_is_measured_once_on_identified_customers(tmp_path):
    """A planted log: 40% of identified customers' answered calls come back unresolved in 1-3 days;
    anonymous callers (id 0) are many different people. recontact.p must be the planted share, and
    the outside arrivals must be the logged ones less exactly the repeats the model will make."""
    rng = np.random.default_rng(3)
    rows, t0 = [], pd.Timestamp("2024-01-01")
    n = 4000
    for i in range(n):
        t = t0 + pd.Timedelta(days=int(rng.integers(0, 21)), hours=float(rng.uniform(8, 17)))
        ident = rng.random() < 0.4
        cust = f"C{i}" if ident else "0"
        unresolved = ident and rng.random() < 0.4
        rows.append({"received_at": t, "customer_id": cust, "resolved": not unresolved, "agent": f"A{i % 8}"})
        if unresolved:
            rows.append(
                {
                    "received_at": t + pd.Timedelta(days=float(rng.uniform(1, 3))),
                    "customer_id": cust,
                    "resolved": True,
                    "agent": f"A{i % 8}",
                }
            )
    df = pd.DataFrame(rows)
    df = df.assign(
        contact_id=[f"K{i}" for i in range(len(df))],
        channel="phone",
        wait_s=0.0,
        handle_s=rng.exponential(200, len(df)).round(),
        abandoned=False,
        agent_id=df["agent"],
        reason_code="X",
    ).drop(columns="agent")
    cal = calibrate(df, window="7D")
    rc = cal.scenario.recontact
    assert rc is not None and rc.p == pytest.approx(1.0, abs=0.03)  # every planted unresolved came back
    s = cal.scenario.demand[0]
    assert s.resolve_p == pytest.approx(1 - df["resolved"].eq(False).mean(), abs=0.01)
    # the days the log covers in full: the last first calls' repeats, alone on the days after, are edge days
    assert cal.period is not None and cal.period.trimmed_days >= 1
    inside = cal.period.holds(df["received_at"])
    repeats = (~df["resolved"] & inside).sum()  # each unresolved first call in the period makes one repeat
    days = pd.date_range(cal.period.start, cal.period.end - pd.Timedelta(days=1))
    n_weekday = np.bincount(days.day_of_week, minlength=7)
    outside = sum(sum(s.by_weekday[d]) * 0.5 * n_weekday[d] for d in range(7))  # half-hour slots, rates per hour
    assert outside == pytest.approx(inside.sum() - repeats, rel=0.05)
    # placeholder 0 is not one customer: its calls are not counted as 60% repeats
    assert cal.log_figures["repeat_share"] < 0.2


def test_a_missing_handle_time_is_a_failure_to_fit_not_300_seconds():
    log = bank_log().assign(handle_s=pd.NA)
    with pytest.raises(FlowkitError, match="cannot calibrate handle time"):
        calibrate(log)


def test_a_channel_the_log_does_not_time_is_left_out_by_choice_and_said(fitted):
    """Web forms with no handle time: an error that names the way out, or left out when asked, with
    a note; the scenario then models, and its fit covers, the phone calls alone."""
    from flowkit.sim.calibrate import untimed_channels, without_left_out

    _, log, _, _ = fitted
    forms = log.sample(300, random_state=1).assign(
        channel="web", handle_s=float("nan"), wait_s=float("nan"), abandoned=pd.NA, agent_id=None
    )
    forms = forms.astype({c: log[c].dtype for c in ("handle_s", "wait_s", "abandoned", "agent_id")})
    forms["contact_id"] = "W" + forms["contact_id"].astype(str)
    both = pd.concat([log, forms], ignore_index=True)
    with pytest.raises(FlowkitError, match="--leave-out web"):
        calibrate(both, replications=2)
    assert untimed_channels(both) == ["web"]
    cal = calibrate(both, replications=2, leave_out=("web",))
    assert {s.channel for s in cal.scenario.demand} == {"phone"} and cal.left_out == ("web",)
    assert "web (300 contacts" in cal.notes["left_out"] and "# left_out: not simulated" in cal.to_yaml()
    assert len(without_left_out(both, cal)) == len(log)


def test_logs_without_agents_need_a_count():
    log = bank_log(truth=BankTruth(days=3)).assign(agent_id=None)
    with pytest.raises(FlowkitError, match="--agents N"):
        calibrate(log)
    assert calibrate(log, agents=12).scenario.agents[0].count == 12


def test_the_written_file_is_commented_valid_and_carries_the_fit(fitted, tmp_path):
    from flowkit.sim import load_scenario

    _, _, cal, fit = fitted
    cal.doc["fit"] = fit.metadata()
    text = cal.to_yaml()
    assert text.startswith("# Scenario calibrated by flowkit") and "# patience:" in text and "# ivr:" in text
    path = tmp_path / "s.yaml"
    path.write_text(text)
    sc = load_scenario(path)
    assert sc.patience == cal.scenario.patience and sc.fit["reproduces"] is True
    assert fit_warning(sc) is None
    assert yaml.safe_load(text)["agents"][0]["shifts"]


def test_a_baseline_that_misses_its_log_is_called_untrustworthy(fitted):
    _, log, cal, _ = fitted
    wrong = cal.scenario.with_changes(patience=cal.scenario.patience.__class__("exponential", 5.0))
    fit = model_fit(log, wrong, replications=2, workers=2)
    assert not fit.trustworthy and "NOT reproduce" in fit.sentences[0]
    sc = wrong.with_changes(fit=fit.metadata())
    assert "does NOT reproduce its log" in fit_warning(sc) and "phone abandon rate" in fit_warning(sc)
    assert "no fit against a log" in fit_warning(wrong.with_changes(fit={}))


def test_the_real_bank_log_keeps_every_call_and_calibrates(real_logs):
    """The real Technion-format log: every non-PHANTOM call kept with the composite key; the
    calibrated volume matches the log (wait and abandonment are reported by the fit, see README)."""
    raw = pd.read_csv(real_logs / "anonymous_bank_1999_02.txt", sep="\t", dtype=str)
    raw.columns = [c.strip() for c in raw.columns]
    n_calls = int(raw["outcome"].str.strip().isin(["AGENT", "HANG"]).sum())
    log = ingest_file(real_logs / "anonymous_bank_1999_02.txt", MAPPING).contacts
    assert len(log) == n_calls == 33_066
    cal = calibrate(log, replications=2)
    assert log["customer_id"].isna().mean() == pytest.approx(0.59, abs=0.01)  # customer 0: not identified
    assert cal.log_figures["repeat_share"] < 0.2  # ... so not one customer calling back
    assert cal.scenario.ivr.exit_p > 0 and cal.scenario.patience is not None


def test_the_model_features_calibration_relies_on():
    """Half-hour profiles, IVR exits (abandoned, no wait) and closed-line calls logged as hang-ups."""
    from flowkit.sim import scenario_from_dict, simulate

    day = [0.0] * 48
    day[21] = 120.0  # 10:30-11:00 only
    sc = scenario_from_dict(
        {
            "name": "m",
            "seed": 3,
            "horizon_hours": 7 * 24,
            "warmup_hours": 0,
            "replications": 2,
            "ivr": {"exit_p": 0.2},
            "open_hours": {"phone": "Mon-Sun 10:30-11:00"},
            "agents": [{"team": "a", "channels": ["phone"], "count": 20}],
            "demand": [
                {"type": "x", "channel": "phone", "profile_per_hour": day, "handle": {"dist": "fixed", "mean_s": 60}},
                {"type": "night", "channel": "phone", "rate_per_hour": 1.0, "handle": {"dist": "fixed", "mean_s": 60}},
            ],
        }
    )
    run = simulate(sc, workers=1)
    log = run.log
    x = log[log["reason_code"] == "x"]
    minutes = x["received_at"].dt.hour * 60 + x["received_at"].dt.minute
    assert minutes.between(630, 659).all() and len(x) == pytest.approx(60 * 7 * 2, rel=0.1)
    ivr = x[x["outcome"] == "ivr_exit"]
    assert len(ivr) / len(x) == pytest.approx(0.2, abs=0.04)
    assert ivr["abandoned"].all() and ivr["wait_s"].isna().all()
    closed = log[log["outcome"] == "closed"]
    assert len(closed) and closed["abandoned"].all() and closed["wait_s"].isna().all()
    # the queue KPIs stay over calls offered while open; closed calls are their own share
    is_closed = log["outcome"].eq("closed")
    per = run.per_replication
    assert per["phone.abandon_rate"].to_numpy() == pytest.approx(
        log[~is_closed].groupby("replication")["abandoned"].mean().to_numpy()
    )
    assert per["phone.closed_share"].to_numpy() == pytest.approx(
        is_closed.groupby(log["replication"]).mean().to_numpy()
    )
    assert (per["phone.abandon_rate"] < log.groupby("replication")["abandoned"].mean()).all()


def test_data_fields_carry_adjusted_effects_with_standard_errors():
    """From a log with planted, confounded effects: the helpful field is calibrated as helping,
    the no-effect field (consulted on hard contacts, naively 'slower') as no evidence."""
    from flowkit.sim.uncertainty import evidence
    from flowkit.synth import generate

    log = generate(10_000, seed=5)
    cal = calibrate(log.drop(columns=[c for c in log.columns if c.startswith("_te_")]), replications=2)
    fields = cal.scenario.data_fields
    eq, contract = fields["equipment_config"], fields["contract"]
    assert eq.handle_factor < 1 and eq.handle_factor_se > 0 and eq.resolve_p_add_se > 0
    assert evidence(eq) == "estimated" and evidence(contract) == "none"
    assert "adjusted" in cal.notes["data_fields"] and "handle_factor_se" in cal.to_yaml()
