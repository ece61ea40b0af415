"""Classification that knows what it does not know (issue 11 item 4) and its figures on the
held-out set (issue 12), on planted truth.

The held-out files in tests/data were written and committed before any cue or rule was
changed, and no cue was written against them: they are read here only to score.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flowkit import schema
from flowkit.classify import classify, evaluate, train
from flowkit.classify.labels import contacts_from_text, split_labels
from flowkit.report.html import summary_sentences

DATA = Path(__file__).parent / "data"


def heldout() -> pd.DataFrame:
    return pd.concat(
        [
            pd.read_csv(DATA / f"heldout_{lg}.csv", dtype=str, keep_default_na=False).assign(file=lg)
            for lg in ("en", "pl", "ru")
        ],
        ignore_index=True,
    )


def _log(rows, cols=("contact_id", "received_at", "customer_id", "text", "resolved", "reason_code")):
    df = pd.DataFrame(rows, columns=list(cols))
    df["received_at"] = pd.to_datetime(df["received_at"])
    df["channel"] = "phone"
    df["source"] = "t.csv:" + df.index.astype(str)
    return schema.conform(df)


def test_unrecognised_text_stays_unknown_not_value():
    out = classify(
        contacts_from_text(pd.Series(["Ref 77812 / K", "Category 45 | Subcategory 150", "Hello"])), use_flow=False
    ).contacts
    assert out["demand"].eq("unknown").all()
    assert out["confidence"].eq(0).all()


def test_repeated_reason_code_is_failure_only_with_evidence():
    """A bank-like log: customers call with the same code again and again, no words. Only the
    repeats after a contact recorded as unresolved are failure demand (planted)."""
    rng = np.random.default_rng(5)
    rows, planted = [], {}
    t0 = pd.Timestamp("2026-02-02 08:00")
    for c in range(300):
        t = t0 + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 20)))
        n = int(rng.integers(1, 4))
        code = str(rng.choice(["PS", "NW", "IN"]))
        resolved = [bool(rng.random() < 0.7) for _ in range(n)]
        for k in range(n):
            cid = f"c{c}-{k}"
            rows.append((cid, t, f"K{c}", None, resolved[k], code))
            planted[cid] = k > 0 and not resolved[k - 1]
            t += pd.Timedelta(hours=float(rng.uniform(2, 72)))
    out = classify(_log(rows), stitch_window="7D").contacts.set_index("contact_id")
    truth = pd.Series(planted)
    said = out["demand"].eq("failure").reindex(truth.index)
    assert truth.sum() > 30 and (said == truth).all()
    assert out.loc[truth[~truth].index, "demand"].eq("unknown").all()  # no words, no evidence: cannot tell


@pytest.mark.parametrize(
    "text",
    [
        "Noise - Residential | Loud Music/Party",
        "Street Condition | Pothole",
        "Street Light Condition | Street Light Out",
        "Blocked Driveway | No Access",
        "Taxi Complaint | Driver Complaint",
        "Dirty Conditions | Trash",
        "Pothole on Mill Lane, about a foot wide",
        "Dog barking all night at number 4",
    ],
)
def test_reports_from_the_public_about_the_world_are_value_demand(text):
    out = classify(contacts_from_text(pd.Series([text])), use_flow=False).contacts
    assert out["demand"].iloc[0] == "value"


def test_a_report_about_the_service_itself_is_failure_demand():
    out = classify(
        contacts_from_text(
            pd.Series(
                [
                    "I reported this pothole a month ago and nothing has been done",
                    "Third time reporting the same street light, still out",
                ]
            )
        ),
        use_flow=False,
    ).contacts
    assert out["demand"].eq("failure").all()


def test_a_reopened_ticket_is_failure_demand():
    df = _log(
        [
            ("1", "2026-03-02 09:00", "U1", "Category 45 | Subcategory 150", True, "Category 45"),
            ("2", "2026-03-02 10:00", "U2", "Category 45 | Subcategory 150", True, "Category 45"),
            ("3", "2026-03-02 11:00", "U3", "Reopened - printer jams", True, "Category 9"),
        ]
    )
    df["reopen_count"] = [2, 0, 0]
    out = classify(df).contacts.set_index("contact_id")
    assert (out.loc["1", "demand"], out.loc["1", "failure_type"], out.loc["1", "rule"]) == (
        "failure",
        "not_resolved",
        "reopened",
    )
    assert out.loc["2", "demand"] == "unknown"
    assert out.loc["3", "demand"] == "failure"


def _classified(n_value, n_failure, n_unknown):
    demand = ["value"] * n_value + ["failure"] * n_failure + ["unknown"] * n_unknown
    df = _log([(str(i), "2026-03-02 09:00", None, "x", None, None) for i in range(len(demand))])
    df["demand"] = demand
    df["failure_type"] = [None] * n_value + ["not_done"] * n_failure + [None] * n_unknown
    return df


def test_headline_says_what_is_known_when_more_than_30_percent_is_unknown():
    s, numbers = summary_sentences(_classified(20, 30, 50), pd.DataFrame())
    assert numbers["headline"] == "partial"
    assert (
        "could not be classified" in s[0]
        and "50 of 100" in s[0]
        and "no failure share" in s[0]
        and "of classified contacts are failure" not in s[0]
    )
    s, numbers = summary_sentences(_classified(40, 40, 20), pd.DataFrame())
    assert "headline" not in numbers and s[0].startswith("50% of classified contacts are failure demand")


def test_rules_alone_on_the_heldout_set():
    h = heldout()
    out = classify(contacts_from_text(h["text"]), use_flow=False).contacts
    ev = evaluate(
        out["demand"],
        h["demand"],
        out["failure_type"],
        h["failure_type"].replace("", None),
        language=h["file"],
        confidence=out["confidence"],
    )
    assert ev.accuracy >= 0.85, ev.per_language
    assert ev.per_language["agreement"].min() >= 0.82
    assert ev.failure_type_accuracy >= 0.85
    assert ev.per_language["unknown"].max() <= 0.12  # unknown where there is no evidence, not everywhere


@pytest.mark.slow
def test_trained_on_half_the_heldout_set_scores_the_other_half():
    h = heldout()
    fit, test = split_labels(h, 0.5, seed=0)
    test = test.reset_index(drop=True)
    model = train(fit["text"], fit["demand"], fit["failure_type"].replace("", None))
    out = classify(contacts_from_text(test["text"]), model=model, use_flow=False).contacts
    ev = evaluate(out["demand"], test["demand"])
    assert ev.accuracy >= 0.87


def test_damage_in_the_world_is_a_report_damage_by_the_service_is_failure():
    """tests/data/heldout_en_reports.csv was written and committed before the rules for damage changed
    (NYC 311's 'Damaged Tree | Branch Cracked' was read as something done wrong): the rules read it
    only to score. Before the change: 58% agreement; after: 94%."""
    h = pd.read_csv(DATA / "heldout_en_reports.csv", dtype=str, keep_default_na=False)
    out = classify(contacts_from_text(h["text"]), use_flow=False).contacts
    ev = evaluate(out["demand"], h["demand"], out["failure_type"], h["failure_type"].replace("", None))
    assert ev.accuracy >= 0.9
    world = h["industry"].eq("council") & h["demand"].eq("value")
    assert not out.loc[world, "failure_type"].eq("done_wrong").any()


def test_the_largest_kind_of_failure_is_named_only_with_enough_contacts():
    """NYC 311 (2024): 7 failure contacts in 952 gave 'The largest kind is complaint, 0% of all contacts'."""
    few, _ = summary_sentences(_classified(945, 7, 0), pd.DataFrame())
    assert any("too few" in x and "7 in 1 kind," in x for x in few)
    assert not any("largest kind of failure demand is" in x or " 0% of all" in x for x in few)
    many, numbers = summary_sentences(_classified(900, 100, 0), pd.DataFrame())
    assert any("largest kind of failure demand is not done: 100 contacts, 10% of all contacts" in x for x in many)
    assert numbers["top_failure_type"] == "not_done"
