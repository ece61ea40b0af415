"""The managers' what-ifs for questions 1 and 4 (flowkit.pipeline.managers) and their report section."""

from __future__ import annotations

from flowkit.pipeline.managers import managers_whatif
from flowkit.report.managers import churn_signal
from flowkit.report.managers_sim import whatif_section
from flowkit.synth.churn import generate_churn_log
from tests.test_leaving import centre


def test_the_log_leaving_risk_drives_customers_kept_and_the_section_says_it(tmp_path):
    log = generate_churn_log(4000, seed=1)  # planted: the risk jumps at the fourth contact
    sc = centre(leaving=None, replications=3)
    w = managers_whatif(log, sc, churn_signal(log), replications=3, workers=1)
    by = w.base.leaving.by_contact
    assert by[3] > 2 * by[2], by  # taken from the log's life table
    assert "churned_at" in w.leaving_note
    kept = w.comparison.to_json_dict()["gains"]["no progress chasing"]["customers_kept"]
    assert kept["ci95_low"] > 0, kept  # no chasers: fewer fourth contacts, customers kept
    # the churn log times no handling: no re-telling cost to remove, so tell us once is not simulated
    assert "tell us once" not in w.comparison.deltas
    assert any(m.startswith("tell us once") for m in w.missing)
    section = whatif_section(w, tmp_path)
    text = " ".join(section["paragraphs"])
    assert "keeps" in text and "customers" in text and "95% CI" in text and "Not simulated: tell us once" in text
    assert (tmp_path / "managers_whatif.csv").is_file()
    assert section["_files"]["managers_whatif"] == tmp_path / "managers_whatif.csv"


def test_no_signal_of_leaving_still_runs_the_what_ifs_and_says_why(tmp_path):
    log = generate_churn_log(800, seed=1, signal="none")
    sc = centre(leaving=None, replications=2)
    w = managers_whatif(log, sc, churn_signal(log), replications=2, workers=1)
    assert w.base.leaving is None and "says nothing" in w.leaving_note
    assert "customers_lost" not in w.comparison.deltas["no progress chasing"]
    text = " ".join(whatif_section(w, tmp_path)["paragraphs"])
    assert "customers: not modelled" in text
