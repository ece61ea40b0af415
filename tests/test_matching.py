"""Who should answer (issue 16 q2), log side: adjusted effects of agent profile per customer
segment against a confounded generator that knows them (flowkit.synth.matching)."""

import numpy as np
import pandas as pd
import pytest

from flowkit.analyse.matching import MatchOptions, attach_agents, match_effects, match_verdict
from flowkit.errors import FlowkitError
from flowkit.synth.matching import NULL, MatchTruth, generate_matching_log, true_match_effects

TRUTH = MatchTruth()
SEED = 3


def _joined(truth, seed=SEED):
    contacts, agents = generate_matching_log(30_000, seed=seed, truth=truth)
    eff = match_effects(attach_agents(contacts, agents, "profile"), attribute="profile")
    j = eff.merge(true_match_effects(truth), on=["segment", "profile", "outcome"], how="left")
    j["covers"] = (j["diff_ci_low"] <= j["true_diff"]) & (j["true_diff"] <= j["diff_ci_high"])
    half = (j["diff_ci_high"] - j["diff_ci_low"]) / 2
    j["naive_covers"] = ((j["naive_diff"] - half) <= j["true_diff"]) & (j["true_diff"] <= (j["naive_diff"] + half))
    return j


@pytest.fixture(scope="module")
def planted():
    return _joined(TRUTH)


def test_adjusted_cis_cover_the_planted_truth_and_the_naive_does_not(planted):
    experts = planted[planted["profile"].eq("expert")]  # the generalist rows mirror them
    assert len(experts) == 6 and experts["diff"].notna().all()
    # six 95% intervals: two or more misses happen about 3% of the time
    assert (~experts["covers"]).sum() <= 1, experts[["segment", "outcome", "diff", "diff_ci_low", "diff_ci_high"]]
    # experts get the harder contacts: raw, they look slower and no better at resolving
    for seg in ("business", "senior"):
        for outcome in ("handle_s", "resolved"):
            r = experts[experts["segment"].eq(seg) & experts["outcome"].eq(outcome)].iloc[0]
            assert r["significant"] and not r["naive_covers"], (seg, outcome, r.to_dict())
    h = experts[experts["segment"].eq("business") & experts["outcome"].eq("handle_s")].iloc[0]
    assert h["naive_diff"] > 0 > h["diff_ci_high"]
    assert "shorter" in h["verdict"] and h["sensitivity"] > 1.2
    # the mirrored rows agree
    gen = planted[planted["profile"].eq("generalist")].set_index(["segment", "outcome"])["diff"]
    exp = experts.set_index(["segment", "outcome"])["diff"]
    assert np.allclose(gen.loc[exp.index].to_numpy(), -exp.to_numpy())


def test_standard_segment_where_nothing_is_planted_is_no_evidence(planted):
    std = planted[planted["segment"].eq("standard")]
    assert not std["significant"].any()
    assert set(std["verdict"]) == {"no evidence either way"}
    assert (
        std["naive_diff"].abs() > std["diff_ci_high"] - std["diff_ci_low"]
    ).any()  # raw, it looked like a difference


def test_a_world_without_matching_gives_no_evidence():
    j = _joined(NULL)
    assert not j["significant"].any(), j[j["significant"]][["segment", "profile", "outcome", "diff"]]
    assert j["covers"].all()
    assert (j.loc[j["outcome"].eq("handle_s"), "naive_diff"].abs() > 50).any()  # and the naive view is fooled


def test_too_few_contacts_or_agents_is_said_not_guessed():
    contacts, agents = generate_matching_log(300, seed=1)
    eff = match_effects(attach_agents(contacts, agents, "profile"), attribute="profile")
    few = eff[eff["diff"].isna()]
    assert len(few) and few["method"].str.startswith("too few").all()
    assert set(few["verdict"]) == {"too few contacts or agents to say"}
    strict = match_effects(
        attach_agents(contacts, agents, "profile"), attribute="profile", options=MatchOptions(min_agents=50)
    )
    assert strict["diff"].isna().all()


def test_agents_file_join_survives_the_dirt():
    contacts, agents = generate_matching_log(3000, seed=2)
    joined = attach_agents(contacts, agents, "profile")
    ids = contacts["agent_id"].astype("string")
    temps = ids.str.strip().str.startswith("TEMP").fillna(False)
    spaced = ids.str.startswith(" ").fillna(False) & ~temps
    assert spaced.any() and joined.loc[spaced, "profile"].notna().all()
    assert temps.any() and joined.loc[temps, "profile"].isna().all()
    # an agent listed with two profiles is ambiguous: unknown, not a guess
    two = pd.concat(
        [agents, agents.iloc[[0]].assign(profile="generalist" if agents.iloc[0]["profile"] == "expert" else "expert")]
    )
    j2 = attach_agents(contacts, two, "profile")
    first = contacts["agent_id"].astype("string").str.strip().eq(agents.iloc[0]["agent_id"]).fillna(False)
    assert first.any() and j2.loc[first, "profile"].isna().all()
    # segment labels typed three ways are one segment
    eff = match_effects(joined, attribute="profile", options=MatchOptions(min_contacts=5, min_agents=2))
    assert set(eff["segment"]) == {"senior", "business", "standard"}


def test_attribute_on_the_contacts_equals_the_agents_file():
    contacts, agents = generate_matching_log(4000, seed=4)
    via_file = match_effects(attach_agents(contacts, agents, "profile"), attribute="profile")
    on_contacts = attach_agents(contacts, agents, "profile").rename(columns={"profile": "agent_profile"})
    pd.testing.assert_frame_equal(via_file, match_effects(on_contacts))


def test_missing_columns_are_errors_that_say_what_to_do():
    contacts, agents = generate_matching_log(500, seed=1)
    with pytest.raises(FlowkitError, match=r"segment.*keep"):
        match_effects(attach_agents(contacts, agents, "profile").drop(columns=["segment"]), attribute="profile")
    with pytest.raises(FlowkitError, match=r"agent_profile.*--agents"):
        match_effects(contacts)
    with pytest.raises(FlowkitError, match="agent_id and 'profile'"):
        attach_agents(contacts, agents.drop(columns=["profile"]), "profile")


def test_verdict_words():
    base = {"outcome": "handle_s", "diff": -42.0, "significant": True}
    assert match_verdict(base) == "42 s shorter"
    assert match_verdict(base | {"significant": False}) == "no evidence either way"
    assert match_verdict(base | {"diff": np.nan}) == "too few contacts or agents to say"
    assert match_verdict({"outcome": "resolved", "diff": 0.081, "significant": True}) == (
        "resolves 8.1 points more at first contact"
    )


def test_report_section_in_managers_words(planted, tmp_path):
    from flowkit.report.matching import matching_section

    contacts, agents = generate_matching_log(30_000, seed=SEED)
    section = matching_section(attach_agents(contacts, agents, "profile"), tmp_path, attribute="profile")
    text = " ".join(section["paragraphs"])
    assert "Business customers answered by experts rather than generalists: take" in text
    assert "95% CI" in text and "no evidence either way" in text  # the standard segment
    assert (tmp_path / "matching.csv").is_file() and (tmp_path / "matching.png").is_file()
    empty = matching_section(contacts.drop(columns=["segment"]), tmp_path)
    assert "cannot tell" in empty["paragraphs"][0] and not empty["tables"]


def test_match_command_writes_the_csv(tmp_path):
    from click.testing import CliRunner

    from flowkit.cli import main

    contacts, agents = generate_matching_log(6000, seed=5)
    contacts.to_parquet(tmp_path / "c.parquet")
    agents.to_csv(tmp_path / "agents.csv", index=False)
    r = CliRunner().invoke(
        main,
        [
            "match",
            str(tmp_path / "c.parquet"),
            "--agents",
            str(tmp_path / "agents.csv"),
            "--out",
            str(tmp_path / "m.csv"),
        ],
    )
    assert r.exit_code == 0, r.output
    out = pd.read_csv(tmp_path / "m.csv")
    assert {"segment", "profile", "diff", "diff_ci_low", "verdict"} <= set(out.columns)
    assert "business" in r.output and "matching ->" in r.output
    r = CliRunner().invoke(main, ["match", str(tmp_path / "c.parquet"), "--out", str(tmp_path / "m2.csv")])
    assert r.exit_code != 0 and "--agents" in r.output
