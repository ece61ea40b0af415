"""Does the fourth contact lose the customer? The analysis against a generator that knows.

The generator confounds on purpose (small businesses call more and leave more; later contacts
are more often failure demand), so a method that only counts would see a rise at every step.
"""

import numpy as np
import pandas as pd
import pytest

from flowkit.analyse.churn import (
    NoEndSignalError,
    analyse_churn,
    churn_by_contacts,
    end_of_relationship,
    find_jump,
    person_contacts,
)
from flowkit.synth.churn import ChurnTruth, generate_churn_log

JUMP = ChurnTruth()  # base risk 3% after contacts 1-3, 16% from the fourth; failure doubles it
FLAT = ChurnTruth(hazard=(0.05,))  # no jump; failure still doubles the risk
NO_FAILURE_EFFECT = ChurnTruth(failure_factor=1.0)


@pytest.fixture(scope="module")
def jump_log():
    return generate_churn_log(truth=JUMP, seed=4)


@pytest.fixture(scope="module")
def jump_result(jump_log):
    return analyse_churn(jump_log)


def test_truth_knows_its_own_jump():
    assert JUMP.jump_at == 4
    assert FLAT.jump_at is None


def test_jump_found_at_four_not_three(jump_result):
    jump = jump_result.jump
    assert jump.at == 4, jump.verdict
    steps = jump.steps.set_index("to")
    assert not steps.loc[3, "significant"], "no step is planted from the second to the third contact"
    assert not steps.loc[5, "significant"]
    assert steps.loc[4, "ci_low"] > 1  # the CI of the step excludes no change
    planted = JUMP.hazard[3] / JUMP.hazard[2]
    assert steps.loc[4, "ci_low"] <= planted <= steps.loc[4, "ci_high"]
    assert "adjusted for failure demand and segment" in jump.verdict


def test_life_table_columns_and_intervals(jump_result):
    t = jump_result.table
    assert list(t.columns[:6]) == ["contacts", "customers", "left", "hazard", "ci_low", "ci_high"]
    assert t["contacts"].iloc[0] == "1" and t["contacts"].iloc[-1].endswith("+")
    assert (t["ci_low"] <= t["hazard"]).all() and (t["hazard"] <= t["ci_high"]).all()
    assert t["customers"].is_monotonic_decreasing  # everyone at contact k was at contact k-1
    # the raw risk after contact 1 is a mix the generator knows: 3% x segment x failure factor
    first = float(t.loc[0, "hazard"])
    expected = 0.03 * (0.7 * 1.0 + 0.3 * 1.8) * (0.9 + 0.1 * 2.0)
    assert abs(first - expected) < 3 * np.sqrt(expected / t.loc[0, "customers"])
    assert t["still_customer"].is_monotonic_decreasing


def test_flat_risk_is_no_evidence_though_raw_risk_rises():
    log = generate_churn_log(truth=FLAT, seed=4)
    result = analyse_churn(log)
    assert result.jump.at is None
    assert result.jump.verdict.startswith("no evidence")
    raw = result.table["hazard"].to_numpy()
    assert raw[-1] > raw[0] * 1.2, "the generator must confound: the raw risk rises with the count"
    failure = result.cox.set_index("term").filter(like="failure share", axis=0).iloc[0]
    assert failure["ci_low"] > 1  # failure demand carries its own risk


def test_failure_effect_separated_from_the_count():
    result = analyse_churn(generate_churn_log(truth=NO_FAILURE_EFFECT, seed=4))
    cox = result.cox.set_index("term")
    failure = cox.filter(like="failure share", axis=0).iloc[0]
    assert failure["ci_low"] <= 1 <= failure["ci_high"], "no failure effect was planted"
    assert cox.loc["contact 4 vs first", "ci_low"] > 1
    assert cox.loc["contact 3 vs first", "ci_low"] <= 1 <= cox.loc["contact 3 vs first", "ci_high"]
    assert result.jump.at == 4


def test_unadjusted_method_would_be_fooled():
    """Without the segment and failure flag the same data show a significant step before the fourth."""
    log = generate_churn_log(truth=FLAT, seed=4)
    pc = person_contacts(log, end_of_relationship(log))
    naive = find_jump(pc.drop(columns="segment").assign(failure=False))
    adjusted = find_jump(pc)
    assert naive.at is not None and adjusted.at is None


def test_closure_demand_type_as_the_signal():
    log = generate_churn_log(truth=JUMP, seed=4, signal="closure")
    result = analyse_churn(log, closure_types=("Account_Closure",))
    assert result.jump.at == 4
    assert not result.assumed
    identified = log[log["customer_id"].notna()]
    # the closing contact is the leaving, not a contact for help
    assert result.table["customers"].iloc[0] == identified["customer_id"].nunique() - (
        identified.groupby("customer_id")["demand_type"].apply(lambda s: (s == "account_closure").all()).sum()
    )


def test_silence_is_an_assumption_and_recent_customers_are_not_gone():
    log = generate_churn_log(truth=JUMP, seed=4, signal="none")
    sig = end_of_relationship(log, silence_days=60)
    assert sig.assumed and sig.how.startswith("ASSUMED")
    last = log.groupby("customer_id")["received_at"].max()
    recent = last[last > log["received_at"].max() - pd.Timedelta(days=60)].index
    assert sig.ended_at.loc[recent].isna().all()
    assert analyse_churn(log, silence_days=60).assumed


def test_rolling_ninety_days_basis(jump_log):
    result = analyse_churn(jump_log, basis="90d")
    assert result.basis == "90d"
    assert result.jump.at == 4


def test_bad_input_is_a_clean_error(jump_log):
    plain = jump_log.drop(columns="churned_at")
    with pytest.raises(NoEndSignalError, match="churned_at"):
        analyse_churn(plain)
    with pytest.raises(NoEndSignalError, match="no contact has demand type"):
        analyse_churn(plain, closure_types=("cancel_account",))
    with pytest.raises(NoEndSignalError, match="positive"):
        analyse_churn(plain, silence_days=0)
    with pytest.raises(NoEndSignalError, match="customer id"):
        analyse_churn(jump_log.assign(customer_id=pd.NA))


def test_too_few_is_said():
    result = analyse_churn(generate_churn_log(n_customers=40, seed=1))
    assert result.jump.at is None
    assert "too few" in result.jump.verdict


def test_same_seed_same_answer():
    a = churn_by_contacts(person_contacts(log := generate_churn_log(500, seed=3), end_of_relationship(log)))
    b = churn_by_contacts(person_contacts(log2 := generate_churn_log(500, seed=3), end_of_relationship(log2)))
    pd.testing.assert_frame_equal(a, b)


def test_report_section_speaks_plainly(jump_log, tmp_path):
    from flowkit.report.managers import churn_section

    section = churn_section(jump_log, tmp_path)
    text = " ".join(section["paragraphs"])
    assert "most at risk after contact 4" in text and "95% CI" in text
    assert "Failure demand carries its own risk" in text
    assert (tmp_path / "churn_by_contacts.csv").is_file() and (tmp_path / "churn_by_contacts.png").is_file()
    written = pd.read_csv(tmp_path / "churn_by_contacts.csv")
    assert {"contacts", "customers", "left", "hazard", "ci_low", "ci_high"} <= set(written.columns)


def test_report_section_says_when_the_log_cannot_tell(jump_log, tmp_path):
    from flowkit.report.managers import churn_section

    plain = jump_log.drop(columns="churned_at").assign(demand_type="request")
    section = churn_section(plain, tmp_path)
    assert section["paragraphs"][0].startswith("This log cannot tell")
    assert not (tmp_path / "churn_by_contacts.csv").exists()


def test_cli_writes_the_table_and_states_the_assumption(tmp_path):
    from click.testing import CliRunner

    from flowkit.cli import main

    log = generate_churn_log(1500, seed=2, signal="none")
    src = tmp_path / "contacts.parquet"
    log.to_parquet(src)
    out = tmp_path / "churn_by_contacts.csv"
    res = CliRunner().invoke(main, ["churn", str(src), "--silence-days", "60", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "ASSUMED" in res.output and "ASSUMED" in out.read_text()
    res = CliRunner().invoke(main, ["churn", str(src), "--out", str(out)])
    assert res.exit_code != 0 and "Traceback" not in res.output and "churned_at" in res.output
