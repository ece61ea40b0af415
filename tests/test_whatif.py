"""What-ifs: common random numbers, the data-value experiment, design-out, and Dask = local."""

import numpy as np
import pytest

from flowkit.sim import scenario_from_dict, simulate
from flowkit.sim.compare import compare, paired_deltas
from flowkit.sim.experiment import data_value, design_out_variants, share_of_demand

EXP = {"dist": "exponential", "mean_s": 300}


def two_fields():
    """'big_field' helps a type that is 60% of demand, 'tiny_field' one that is 2%."""
    return scenario_from_dict(
        {
            "name": "two-fields",
            "seed": 5,
            "horizon_hours": 100,
            "warmup_hours": 2,
            "replications": 8,
            "agents": [{"team": "front", "count": 14, "channels": ["phone"]}],
            "patience": {"dist": "exponential", "mean_s": 300},
            "recontact": {"p": 0.7, "delay": {"dist": "exponential", "mean_s": 7200}, "as": "not_resolved"},
            "data_fields": {
                "big_field": {"available": False, "handle_factor": 0.75, "resolve_p_add": 0.2},
                "tiny_field": {"available": False, "handle_factor": 0.75, "resolve_p_add": 0.2},
            },
            "demand": [
                {
                    "type": "big",
                    "channel": "phone",
                    "rate_per_hour": 60,
                    "handle": EXP,
                    "resolve_p": 0.6,
                    "needs": ["big_field"],
                },
                {
                    "type": "tiny",
                    "channel": "phone",
                    "rate_per_hour": 2,
                    "handle": EXP,
                    "resolve_p": 0.6,
                    "needs": ["tiny_field"],
                },
                {"type": "rest", "channel": "phone", "rate_per_hour": 38, "handle": EXP, "resolve_p": 0.9},
            ],
        }
    )


def test_a_field_for_60_percent_of_demand_ranks_first_and_one_for_2_percent_is_not_significant():
    result = data_value(two_fields(), workers=2, design_out=False)
    first, second = result.fields
    assert first["field"] == "big_field" and first["significant"]
    assert first["share_of_demand"] == pytest.approx(0.6) and second["share_of_demand"] == pytest.approx(0.02)
    assert first["deltas"]["agent_hours"]["ci95_high"] < 0  # saves agent hours, surely
    assert first["deltas"]["failure_share"]["ci95_high"] < 0
    assert second["field"] == "tiny_field" and not second["significant"]
    doc = result.to_json_dict()
    assert set(doc["fields"][0]) == {
        "field",
        "share_of_demand",
        "deltas",
        "significant",
        "statistically_significant",
        "agent_hours_saved",
        "evidence",
        "status",
    }
    # the tiny field's saving is below 2% of agent hours whether or not CRN can detect it
    assert abs(second["deltas"]["agent_hours"]["mean"]) < 0.02 * result.comparison.base.summary["agent_hours"]["mean"]


def test_common_random_numbers_make_an_identical_variant_exactly_zero():
    sc = two_fields()
    comp = compare(sc, {"same": sc.with_changes(name="copy")}, replications=3, workers=1)
    for d in comp.deltas["same"].values():
        assert d["mean"] == 0 and not d["significant"]
    assert any("no significant difference" in v for v in comp.verdicts())


def test_crn_narrows_the_interval_compared_with_independent_runs():
    sc = two_fields()
    fields = dict(sc.data_fields)
    fields["big_field"] = fields["big_field"].__class__(True, 0.75, 0.2)
    variant = sc.with_changes(data_fields=fields)
    crn = compare(sc, {"v": variant}, replications=8, workers=2).deltas["v"]["agent_hours"]
    independent = simulate(variant.with_changes(seed=99), 8, 2, keep_log=False)
    base = simulate(sc, 8, 2, keep_log=False)
    indep = paired_deltas(base.per_replication, independent.per_replication)["agent_hours"]
    assert (crn["ci95_high"] - crn["ci95_low"]) < 0.5 * (indep["ci95_high"] - indep["ci95_low"])


def test_design_out_frees_capacity():
    sc = two_fields()
    variants = design_out_variants(sc)
    assert set(variants) == {"not_resolved"} and variants["not_resolved"].recontact.p == 0
    result = data_value(sc, replications=4, workers=2)
    out = result.design_out[0]
    assert out["failure_type"] == "not_resolved" and out["significant"]
    assert out["deltas"]["agent_hours"]["mean"] < 0 and out["deltas"]["contacts_offered"]["mean"] < 0


def test_share_of_demand_by_rate():
    sc = two_fields()
    assert share_of_demand(sc, "big_field") == pytest.approx(0.6)


def test_dask_cluster_gives_the_same_kpis_as_local_processes():
    from dask.distributed import LocalCluster

    sc = two_fields().with_changes(horizon_hours=20)
    local = simulate(sc, replications=4, workers=2, keep_log=False)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0", processes=True
    ) as cluster:
        remote = simulate(sc, replications=4, keep_log=False, scheduler=cluster.scheduler_address)
    assert local.per_replication.equals(remote.per_replication)
    assert local.to_json_dict() == remote.to_json_dict()  # NaN (undefined) KPIs are null there


def test_uncertain_effects_are_drawn_per_replication_and_no_evidence_is_not_shown():
    from flowkit.sim.scenario import DataField
    from flowkit.sim.uncertainty import draw_effects, evidence

    sc = two_fields()
    fields = dict(sc.data_fields)
    fields["big_field"] = DataField(False, 0.75, 0.2, handle_factor_se=0.05, resolve_p_add_se=0.02)
    fields["tiny_field"] = DataField(False, 0.98, 0.01, handle_factor_se=0.10, resolve_p_add_se=0.05)
    unc = sc.with_changes(data_fields=fields)
    draws = [draw_effects(unc, r).data_fields["big_field"].handle_factor for r in range(400)]
    assert np.mean(draws) == pytest.approx(0.75, abs=0.01) and np.std(draws) == pytest.approx(0.05, abs=0.008)
    # same draw for the same (seed, replication, field), available or not: common random numbers hold
    on = unc.with_changes(data_fields={**fields, "big_field": DataField(True, 0.75, 0.2, 0.05, 0.02)})
    assert (
        draw_effects(on, 3).data_fields["big_field"].handle_factor
        == draw_effects(unc, 3).data_fields["big_field"].handle_factor
    )
    # hand-written fields without standard errors are known effects, left alone
    assert draw_effects(sc, 5) is sc
    assert evidence(fields["big_field"]) == "estimated" and evidence(fields["tiny_field"]) == "none"
    assert evidence(sc.data_fields["big_field"]) == "given"
    res = data_value(unc.with_changes(horizon_hours=40), replications=4, workers=1, design_out=False)
    assert [e["field"] for e in res.fields] == ["big_field", "tiny_field"]
    assert res.fields[1]["status"] == "not shown" and res.fields[0]["status"] == "ranked"
