"""One company across channels: the cost of re-telling, against a generator that knows it."""

import pandas as pd
import pytest

from flowkit.analyse.channels import channel_switches, mark_switches, retelling_cost
from flowkit.synth.channels import ChannelTruth, generate_channel_log

TRUTH = ChannelTruth()


@pytest.fixture(scope="module")
def log():
    return generate_channel_log(truth=TRUTH, seed=3)


def test_cost_of_retelling_found_through_confounding(log):
    cost = retelling_cost(log).set_index("what")
    for what, planted in (("channel switch", TRUTH.retell_s), ("hand-off", TRUTH.handoff_s)):
        row = cost.loc[what]
        assert row["ci_low"] <= planted <= row["ci_high"], (what, row.to_dict())
        assert row["verdict"] == "costs"
        assert row["naive_s"] > row["ci_high"], "the generator confounds: the naive difference overstates it"
        assert row["hours_ci_low"] <= row["agent_hours"] <= row["hours_ci_high"]


def test_no_cost_planted_is_no_evidence():
    cost = retelling_cost(generate_channel_log(truth=ChannelTruth(retell_s=0, handoff_s=0), seed=3))
    assert (cost["verdict"] == "no evidence").all()
    assert ((cost["ci_low"] <= 0) & (cost["ci_high"] >= 0)).all()


def test_switches_counted_by_hand():
    t = pd.Timestamp("2026-01-05 09:00")
    rows = pd.DataFrame(
        {
            "contact_id": ["a", "b", "c", "d", "e"],
            "case_id": ["x", "x", "x", "y", "y"],
            "received_at": [t, t + pd.Timedelta(hours=2), t + pd.Timedelta(days=9), t, t + pd.Timedelta(hours=1)],
            "channel": ["phone", "email", "phone", "chat", "chat"],
            "handling": ["one_stop", "pass_on", "one_stop", "one_stop", "one_stop"],
        }
    )
    marked = mark_switches(rows, "7D").set_index("contact_id")
    assert marked["switched"].tolist() == [False, True, False, False, False]  # c is back after 9 days: not counted
    assert marked["handed_off"].tolist() == [False, True, False, False, False]
    table = channel_switches(rows, "7D")
    assert table[["from_channel", "to_channel", "switches"]].values.tolist() == [["phone", "email", 1]]
    assert table["share_of_repeat_cases"].iloc[0] == 0.5


def test_too_few_is_said():
    small = generate_channel_log(n_cases=30, seed=1)
    assert set(retelling_cost(small)["verdict"]) == {"too few"}


def test_report_section_in_managers_words(log, tmp_path):
    from flowkit.report.managers import channels_section

    section = channels_section(log, tmp_path)
    text = " ".join(section["paragraphs"])
    assert "seconds longer than a like contact" in text and "95% CI" in text and "agent hours" in text
    assert (tmp_path / "retelling_cost.csv").is_file() and (tmp_path / "channel_switches.csv").is_file()


def test_one_channel_log_says_too_few_without_a_singular_fit(log):
    """A phone switch's log (the bank's): no switches, no hand-offs; the fit must not run rank-deficient."""
    import warnings

    phone = log.assign(channel="phone", team="front")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost = retelling_cost(phone).set_index("what")
    assert cost.loc["channel switch", "verdict"] == "too few"
    assert cost.loc["channel switch", "contacts"] == 0
