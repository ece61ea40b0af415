"""The real third-party logs in ../shared/data/real, each with its mapping from samples/mappings.

Numbers are checked against a direct pandas reading of the same file, so the mapping and
the parsers are tested, not just run.
"""

import pandas as pd

from flowkit.cases import stitch
from flowkit.ingest import ingest, load_mapping
from tests.conftest import ROOT

MAPPINGS = ROOT / "samples" / "mappings"


def test_nyc311_2011_us_twelve_hour_times_and_channels(real_logs):
    path = real_logs / "nyc311_2011_micro.csv"
    r = ingest(path, load_mapping(MAPPINGS / "nyc311_2011_micro.yaml"))
    raw = pd.read_csv(path, dtype=str)
    assert r.read == len(raw) and r.reconciles
    # one request has a 1900 closing date, before it was opened: the date is emptied, the request kept
    assert not r.quarantined and r.kept == 2000
    assert r.files[0].repaired == {"Closed Date: closed before received": 1}
    assert r.repairs["value"].iloc[0].startswith("01/01/1900")
    kept = raw[raw["Unique Key"].isin(r.contacts["contact_id"])]
    expected = pd.to_datetime(kept["Created Date"], format="%m/%d/%Y %I:%M:%S %p")
    got = r.contacts.set_index("contact_id").loc[kept["Unique Key"], "received_at"]
    assert (got.to_numpy() == expected.to_numpy()).all()
    assert got.dt.hour.max() >= 13            # PM times really became afternoon hours
    channel_map = {"PHONE": "phone", "ONLINE": "web", "OTHER": "unknown", "UNKNOWN": "unknown"}
    want = kept["Open Data Channel Type"].map(channel_map).value_counts()
    have = r.contacts["channel"].astype(str).value_counts()
    assert have.reindex(want.index).tolist() == want.tolist()


def test_nyc311_2024_socrata_iso_times(real_logs):
    r = ingest(real_logs / "nyc311_2024_socrata.csv", load_mapping(MAPPINGS / "nyc311_2024_socrata.yaml"))
    assert r.reconciles and r.kept == 1000
    assert r.contacts["received_at"].min() >= pd.Timestamp("2024-05-26")
    assert {"web", "phone"} <= set(r.contacts["channel"].astype(str))
    assert r.contacts["closed_at"].isna().sum() > 0       # many requests still open


def test_servicenow_event_rows_collapse_into_incidents_and_stitch_into_cases(real_logs):
    path = real_logs / "servicenow_incident_events.csv"
    r = ingest(path, load_mapping(MAPPINGS / "servicenow_incident_events.yaml"))
    raw = pd.read_csv(path, dtype=str)
    assert r.reconciles and r.read == len(raw)
    assert r.kept == raw["number"].nunique()
    assert r.dropped["collapsed: one contact per number"] == len(raw) - raw["number"].nunique()
    first = raw.drop_duplicates("number").set_index("number")
    opened = pd.to_datetime(first["opened_at"], format="%d-%m-%Y %H:%M")
    got = r.contacts.set_index("contact_id")["received_at"]
    assert (got.loc[opened.index].to_numpy() == opened.to_numpy()).all()
    assert r.contacts["customer_id"].notna().all() and not r.contacts["text"].str.contains(r"\?").any()
    cases = stitch(r.contacts, window="30D").cases
    assert cases["n_contacts"].sum() == r.kept
    assert (cases["n_contacts"] > 1).any()                # callers with several incidents form cases
    callers = r.contacts["customer_id"].nunique()
    assert callers <= len(cases) < r.kept
