"""Classification end to end: flow signals, the learned model, evaluation, discovery, the CLI."""

import pandas as pd
import pytest
from click.testing import CliRunner

from flowkit import schema
from flowkit.classify import TrainingError, candidate_types, classify, evaluate, train
from flowkit.cli import main
from tests.conftest import SAMPLES


def contacts(rows):
    df = pd.DataFrame(rows, columns=["contact_id", "received_at", "customer_id", "text", "resolved", "reason_code"])
    df["received_at"] = pd.to_datetime(df["received_at"])
    df["channel"] = "phone"
    df["source"] = "t.csv:" + df.index.astype(str)
    return schema.conform(df)


def test_a_neutral_repeat_after_an_unresolved_contact_is_failure_demand():
    df = contacts(
        [
            ("1", "2026-03-02 09:00", "C1", "My broadband is not working", False, "2-FAULT"),
            ("2", "2026-03-04 10:00", "C1", "Hello, it's me", None, None),  # neutral words
            ("3", "2026-03-04 10:00", "C2", "Hello, it's me", None, None),  # nobody's repeat
            ("4", "2026-03-02 11:00", "C3", "I'd like to pay my bill", True, "3-BILLING"),
            ("5", "2026-03-03 11:00", "C3", None, None, "3-BILLING"),  # same reason, no words
        ]
    )
    out = classify(df).contacts.set_index("contact_id")
    assert out.loc["1", "demand"] == "value"
    assert out.loc["2", "demand"] == "failure" and out.loc["2", "failure_type"] == "not_resolved"
    assert out.loc["2", "rule"].startswith("flow:previous contact in case")
    assert out.loc["3", "demand"] == "unknown" and out.loc["3", "rule"] == "no-evidence"  # not value at 0.6
    # a repeat of the same reason after a resolved contact is not evidence of failure on its own
    assert out.loc["5", "demand"] == "unknown" and "repeats reason" in out.loc["5", "rule"]


def test_flow_signals_can_be_switched_off_and_words_without_evidence_stay_unknown():
    df = contacts(
        [
            ("1", "2026-03-02 09:00", "C1", "no signal", False, None),
            ("2", "2026-03-03 09:00", "C1", "Hello", None, None),
        ]
    )
    out = classify(df, use_flow=False).contacts.set_index("contact_id")
    assert out.loc["2", "demand"] == "unknown" and out.loc["2", "rule"] == "no-evidence"
    assert classify(df).contacts.set_index("contact_id").loc["2", "demand"] == "failure"  # flow on: a repeat


def test_reason_codes_decide_where_the_text_cannot():
    df = contacts(
        [("1", "2026-03-02 09:00", "C1", None, None, "CHASE"), ("2", "2026-03-02 09:00", "C2", "Hi", None, "NEW")]
    )
    out = classify(df, reasons={"CHASE": "failure:progress_chasing", "NEW": "value"}).contacts.set_index("contact_id")
    assert (out.loc["1", "demand"], out.loc["1", "failure_type"], out.loc["1", "rule"]) == (
        "failure",
        "progress_chasing",
        "reason:CHASE",
    )
    assert out.loc["2", "rule"] == "reason:NEW"


def test_model_learns_a_new_kind_of_failure_the_rules_do_not_know():
    failure = [f"my parcel {i} arrived soggy" for i in range(30)] + [
        f"parcel {i} came soggy and wet" for i in range(30)
    ]
    value = [f"I would like parcel {i} insured" for i in range(30)] + [f"please insure parcel {i}" for i in range(30)]
    model = train(
        pd.Series(failure + value),
        pd.Series(["failure"] * 60 + ["value"] * 60),
        pd.Series(["done_wrong"] * 60 + [None] * 60),
    )
    assert model.cv_report.loc["failure", "recall"] > 0.9
    df = contacts(
        [
            ("1", "2026-03-02 09:00", "C1", "parcel 99 arrived soggy, I want to complain", None, None),
            ("2", "2026-03-02 09:00", "C2", "parcel 7 arrived soggy", None, None),
        ]
    )
    out = classify(df, model=model, use_flow=False).contacts.set_index("contact_id")
    assert out.loc["2", "demand"] == "failure" and out.loc["2", "rule"] == "model"
    assert out.loc["2", "failure_type"] == "done_wrong"
    assert out.loc["1", "demand"] == "failure"


def test_training_needs_two_classes():
    with pytest.raises(TrainingError, match="only 'value'"):
        train(pd.Series([f"text {i}" for i in range(20)]), pd.Series(["value"] * 20))


def test_evaluate_counts_unknown_as_wrong():
    ev = evaluate(
        pd.Series(["value", "failure", "unknown", "failure"]), pd.Series(["value", "failure", "failure", "value"])
    )
    assert ev.accuracy == 0.5 and ev.coverage == 0.75 and ev.n == 4
    assert ev.confusion.loc["failure", "unknown"] == 1 and ev.confusion.loc["value", "failure"] == 1


def test_unknowns_are_grouped_as_candidate_types():
    texts = pd.Series(
        ["solar panel feed-in tariff query"] * 5
        + ["solar panels feed in payment"] * 3
        + ["parking permit for visitors"] * 4
        + ["visitor parking permits"] * 2
    )
    cand = candidate_types(texts, max_groups=2)
    assert len(cand) == 2 and cand["size"].sum() == 14
    assert "solar" in cand.iloc[0]["top_words"] or "parking" in cand.iloc[0]["top_words"]


def test_cli_classify_evaluates_the_samples_with_a_split(tmp_path):
    out = tmp_path / "classified.parquet"
    result = CliRunner().invoke(
        main,
        [
            "classify",
            str(SAMPLES / "manifest.yaml"),
            "--evaluate",
            str(SAMPLES / "answer_key.csv"),
            "--split",
            "0.5",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rules alone: value/failure agreement" in result.output and "rules + model" in result.output
    acc = float(result.output.split("rules alone: value/failure agreement ")[1].split("%")[0])
    assert acc > 90
    df = pd.read_parquet(out)
    assert {"demand", "demand_type", "failure_type", "rule", "confidence", "language"} <= set(df.columns)
    assert df["rule"].notna().all()


def test_cli_classify_labelled_verbatims_on_their_own(tmp_path):
    pd.DataFrame(
        {
            "text": ["I was charged twice", "I'd like a new account", "where is my refund, 3rd call"],
            "demand": ["failure", "value", "failure"],
        }
    ).to_csv(tmp_path / "l.csv", index=False)
    result = CliRunner().invoke(
        main, ["classify", str(SAMPLES / "manifest.yaml"), "--evaluate", str(tmp_path / "l.csv")]
    )
    assert "agreement 100.0%" in result.output and "on 3 labelled" in result.output, result.output


def test_cli_bad_labels_are_one_line(tmp_path):
    pd.DataFrame({"text": ["x"], "demand": ["maybe"]}).to_csv(tmp_path / "l.csv", index=False)
    result = CliRunner().invoke(
        main, ["classify", str(SAMPLES / "manifest.yaml"), "--evaluate", str(tmp_path / "l.csv")]
    )
    assert result.exit_code == 1 and "l.csv: line 2: demand 'maybe'" in result.output
