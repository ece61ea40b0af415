"""The synthetic organisation and the bundled samples."""

import pandas as pd
import pytest

from flowkit.ingest import ingest_manifest
from flowkit.synth import TRUTH_COLUMNS, generate, write_exports
from tests.conftest import SAMPLES


@pytest.mark.parametrize("n", [1, 57, 5000])
def test_generates_exactly_n_contacts(n):
    df = generate(n, seed=3)
    assert len(df) == n and df["contact_id"].is_unique


def test_same_seed_same_log_other_seed_other_log():
    a, b, c = generate(3000, seed=11), generate(3000, seed=11), generate(3000, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not a["customer_id"].equals(c["customer_id"])


def test_ground_truth_is_realistic():
    df = generate(20000, seed=5)
    share = (df["demand"] == "failure").mean()
    assert 0.2 < share < 0.5
    assert set(df["language"]) == {"pl", "en", "ru"}
    assert (df.loc[df["demand"] == "failure", "failure_type"].notna()).all()
    assert df.loc[df["demand"] == "value", "failure_type"].isna().all()
    # repeat contacts exist and often cross channels
    per_customer = df.groupby("customer_id")["channel"].agg(["size", "nunique"])
    repeaters = per_customer[per_customer["size"] > 1]
    assert len(repeaters) > 0.1 * len(per_customer) and (repeaters["nunique"] > 1).mean() > 0.3
    # phones are answered only in opening hours
    phone = df[df["channel"] == "phone"]["received_at"]
    assert phone.dt.hour.between(8, 17).all() and (phone.dt.day_of_week < 6).all()


def test_written_exports_reconcile_and_every_dirt_is_accounted_for(tmp_path):
    log = generate(4000, seed=2)
    written = write_exports(log, tmp_path, seed=2)
    r = ingest_manifest(written.manifest)
    assert r.reconciles
    by_name = {f.path.split("/")[-1]: f for f in r.files}
    phone = by_name["phone_calls.csv"]
    dirt = written.dirt["phone"]
    assert phone.encoding == "cp1250"
    assert phone.quarantined["unparseable date"] == dirt["bad date"]
    # a negative wait empties that cell (repaired), the call is kept
    assert sum(n for k, n in phone.repaired.items() if k.endswith("negative duration")) == dirt["negative duration"]
    assert phone.quarantined["ragged line"] == 1
    # same id, other content: both kept, the later one renamed id#2, and a warning says so
    assert phone.renamed_ids == dirt["duplicate id, other content"]
    assert phone.dropped["exact duplicate contact"] == dirt["exact duplicate"]
    assert phone.dropped["blank line"] == dirt["blank line"]
    assert by_name["chat_ru.tsv"].encoding == "cp1251"
    # every clean contact comes through with its text intact
    key = pd.read_csv(written.answer_key)
    assert set(key.columns) == set(TRUTH_COLUMNS)
    assert r.kept == len(log) + sum(
        d.get("duplicate id, other content", 0) - d.get("bad date", 0) for d in written.dirt.values()
    )
    merged = r.contacts.merge(log[["contact_id", "text"]], on="contact_id", suffixes=("", "_true"))
    written_text = merged[merged["channel"].isin(["phone", "chat", "web"]) & merged["text"].notna()]
    assert (written_text["text"] == written_text["text_true"]).mean() > 0.99


def test_bundled_samples_are_what_the_issue_asks_for():
    r = ingest_manifest(SAMPLES / "manifest.yaml")
    assert r.reconciles and 20_000 <= r.kept <= 50_000
    days = (r.contacts["received_at"].max() - r.contacts["received_at"].min()).days
    assert 50 <= days <= 60
    formats = {f.format for f in r.files}
    assert {"csv", "xlsx", "json", "tsv"} <= formats
    assert sum(r.quarantined.values()) > 0 and sum(r.dropped.values()) > 0
    key = pd.read_csv(SAMPLES / "answer_key.csv")
    # an id the export reused for other content comes through as id#2
    assert r.contacts["contact_id"].str.replace(r"#\d+$", "", regex=True).isin(key["contact_id"]).all()
    assert r.contacts["text"].str.contains("ą|ę|ł", regex=True).any()  # Polish
    assert r.contacts["text"].str.contains("[а-я]", regex=True).any()  # Russian
