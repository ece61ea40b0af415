"""Calibration: from a bank-like phone log back to a scenario that reproduces it."""

import pytest
import yaml

from flowkit.errors import FlowkitError
from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.calibrate import calibrate
from flowkit.sim.fit import model_fit

DAY = [0, 0, 0, 0, 0, 0, 0, 20, 80, 140, 160, 150, 130, 140, 150, 140, 120, 100, 70, 50, 40, 30, 20, 10]


def bank_log():
    """A phone centre like the anonymous bank's: VRU, queue, AGENT/HANG outcomes, named agents, shifts."""
    truth = scenario_from_dict({
        "name": "bank-truth", "seed": 21, "horizon_hours": 14 * 24, "warmup_hours": 0, "replications": 1,
        "open_hours": {"phone": "Mon-Sun 07:00-24:00"},
        "patience": {"dist": "exponential", "mean_s": 150},
        "redial": {"p": 0.3, "delay": {"dist": "exponential", "mean_s": 1200}},
        "agents": [{"team": "bank", "channels": ["phone"], "shifts": [
            {"days": "Mon-Sun", "start": "07:00", "end": "15:00", "count": 9},
            {"days": "Mon-Sun", "start": "11:00", "end": "19:00", "count": 7},
            {"days": "Mon-Sun", "start": "15:00", "end": "24:00", "count": 5}]}],
        "demand": [
            {"type": "PS", "channel": "phone", "profile_per_hour": [v * 0.8 for v in DAY],
             "handle": {"dist": "lognormal", "mean_s": 200, "cv": 1.1}},
            {"type": "NW", "channel": "phone", "profile_per_hour": [v * 0.2 for v in DAY],
             "handle": {"dist": "lognormal", "mean_s": 320, "cv": 0.9}},
        ]})
    log = simulate(truth, workers=1).log
    # what an export holds: no labels, no simulation internals
    return log.drop(columns=["demand", "demand_type", "failure_type", "answered_at", "ended_at", "outcome",
                             "replication", "attempt"]).assign(reason_code=log["reason_code"])


@pytest.fixture(scope="module")
def fitted():
    log = bank_log()
    cal = calibrate(log, name="bank", replications=4)
    return log, cal, model_fit(log, cal.scenario, replications=4, workers=2)


def test_calibration_recovers_the_parameters(fitted):
    log, cal, _ = fitted
    sc = cal.scenario
    assert sc.patience.mean_s == pytest.approx(150, rel=0.15)
    streams = {s.type: s for s in sc.demand}
    assert streams["PS"].handle.mean_s == pytest.approx(200, rel=0.08)
    assert streams["NW"].handle.mean_s == pytest.approx(320, rel=0.1)
    noon = streams["PS"].by_weekday[2][10]
    assert noon == pytest.approx(160 * 0.8, rel=0.2)
    assert sc.open_hours["phone"].is_open(10 * 3600) and not sc.open_hours["phone"].is_open(3 * 3600)
    assert sc.redial is not None and sc.redial.p == pytest.approx(0.3, abs=0.1)


def test_baseline_reproduces_its_own_log_within_15_percent(fitted):
    _, _, fit = fitted
    t = fit.table.set_index("metric")
    assert abs(t.loc["phone_abandon_rate", "relative"]) <= 0.15, t
    assert abs(t.loc["phone_mean_wait_s", "relative"]) <= 0.15, t
    assert abs(t.loc["contacts_per_day", "relative"]) <= 0.15, t
    assert fit.trustworthy and "reproduces its own log" in fit.sentences[0]


def test_the_written_file_is_commented_valid_and_loads(fitted, tmp_path):
    from flowkit.sim import load_scenario

    _, cal, _ = fitted
    text = cal.to_yaml()
    assert text.startswith("# Scenario calibrated by flowkit") and "# patience: exponential MLE" in text
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert load_scenario(path).patience.mean_s == cal.scenario.patience.mean_s
    assert yaml.safe_load(text)["agents"][0]["shifts"]


def test_a_baseline_that_misses_its_log_is_called_untrustworthy(fitted):
    log, cal, _ = fitted
    wrong = cal.scenario.with_changes(patience=cal.scenario.patience.__class__("exponential", 20.0))
    fit = model_fit(log, wrong, replications=2, workers=2)
    assert not fit.trustworthy and "NOT reproduce" in fit.sentences[0]


def test_logs_without_agents_need_a_count():
    log = bank_log().assign(agent_id=None)
    with pytest.raises(FlowkitError, match="--agents N"):
        calibrate(log)
    assert calibrate(log, agents=12).scenario.agents[0].count == 12


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
