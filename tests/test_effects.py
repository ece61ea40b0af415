"""Adjusted data-field effects against planted truth: a confounded generated log whose true
effects are known contact by contact (flowkit.synth.truth)."""

import numpy as np
import pytest

from flowkit.analyse.effects import EffectsOptions, _evalue, field_effects_adjusted, verdict
from flowkit.synth import generate
from flowkit.synth.truth import FIELD_EFFECTS, true_effects

SEED = 21


@pytest.fixture(scope="module")
def log():
    return generate(40_000, seed=SEED)


def _joined(log, estimand):
    eff = field_effects_adjusted(log, options=EffectsOptions(estimand=estimand))
    truth = true_effects(log, log["channel"].isin(["phone", "chat"]) & log["handle_s"].notna())
    j = eff.merge(truth.drop(columns=["n", "n_with"]), on=["field", "demand_type", "outcome"], how="left")
    j["truth"] = j["true_ate"] if estimand == "ATE" else j["true_att"]
    j["covers"] = (j["ci_low"] <= j["truth"]) & (j["truth"] <= j["ci_high"])
    return j


@pytest.fixture(scope="module")
def ate(log):
    return _joined(log, "ATE")


@pytest.fixture(scope="module")
def att(log):
    return _joined(log, "ATT")


def _pooled(j, field, outcome):
    return j[(j["field"] == field) & (j["demand_type"] == "(all)") & (j["outcome"] == outcome)].iloc[0]


def test_naive_has_the_wrong_sign_and_adjusted_recovers_it(ate):
    """account saves a little time, but is consulted on slower contacts and by newer agents."""
    r = _pooled(ate, "account", "handle_s")
    assert r["truth"] < 0 < r["naive"]
    assert r["ci_high"] < 0 and r["covers"]
    assert r["saved"] > 0 and "saves" in verdict(r)
    r = _pooled(ate, "account", "resolved")
    assert r["naive"] < 0 < r["truth"] and r["covers"]


@pytest.mark.parametrize("which", ["ATE", "ATT"])
def test_adjusted_cis_cover_the_truth(which, ate, att):
    j = ate if which == "ATE" else att
    pooled = j[j["demand_type"] == "(all)"]
    assert len(pooled) == 2 * len(FIELD_EFFECTS)
    # 95% intervals: of 12 pooled rows 0.6 miss on average; three or more misses happen 2% of the time
    assert (~pooled["covers"]).sum() <= 2, pooled[~pooled["covers"]][
        ["field", "outcome", "adjusted", "ci_low", "ci_high", "truth"]
    ]
    est = j[j["adjusted"].notna()]
    assert est["covers"].mean() >= 0.85, est["covers"].mean()
    # and the naive difference does not: confounding is real in this log
    naive_cover = (
        (pooled["ci_low"] - pooled["adjusted"] + pooled["naive"] <= pooled["truth"])
        & (pooled["truth"] <= pooled["ci_high"] - pooled["adjusted"] + pooled["naive"])
    ).mean()
    assert naive_cover < 0.5


def test_no_effect_field_is_not_significant(ate, att):
    for j in (ate, att):
        c = j[j["field"] == "contract"]
        assert not c[c["demand_type"] == "(all)"]["significant"].any()
        # ten per-type rows at 5% each: three or more false positives happen about 1% of the time
        assert c["significant"].sum() <= 2
        assert (c.loc[~c["significant"] & c["adjusted"].notna(), "sensitivity"] == 1.0).all()
        # the naive comparison does call it harmful
        naive = c[(c["demand_type"] == "(all)") & (c["outcome"] == "handle_s")]["naive"].iloc[0]
        assert naive > 30


def test_real_effects_are_found(ate):
    for f in ("equipment_config", "billing_history", "order_status"):
        r = _pooled(ate, f, "handle_s")
        assert r["significant"] and r["saved"] > 0 and r["sensitivity"] > 1.2
        assert not r["method"].startswith("too few")


def test_too_few_contacts_give_a_row_that_says_so(log):
    small = log.iloc[:1500]
    eff = field_effects_adjusted(small, options=EffectsOptions(min_contacts=30))
    few = eff[eff["method"].str.startswith("too few")]
    assert len(few) and few["adjusted"].isna().all() and not few["significant"].any()
    assert (few["n_with"] < 30).any() or (few["n_without"] < 30).any() or (few["clusters"] < 3).any()
    assert verdict(few.iloc[0]) == "too few contacts to say"


def test_trimming_is_counted(ate):
    c = _pooled(ate, "contract", "handle_s")
    assert c["trimmed"] > 0 and "trimmed" in c["method"]


def test_evalue():
    assert _evalue(0.0, 1.0, "handle_s", np.nan) == 1.0
    # risk ratio 2 -> 2 + sqrt(2)
    assert _evalue(0.2, 1.0, "resolved", 0.2) == pytest.approx(2 + np.sqrt(2))
    assert _evalue(-0.1, 1.0, "resolved", 0.2) == pytest.approx(2 + np.sqrt(2))
    assert _evalue(-50, 100, "handle_s", np.nan) > _evalue(-10, 100, "handle_s", np.nan) > 1


def test_missing_classification_is_an_error_naming_the_column(log):
    from flowkit.errors import FlowkitError

    with pytest.raises(FlowkitError, match="demand_type"):
        field_effects_adjusted(log.drop(columns=["demand_type"]))
