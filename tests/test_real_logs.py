"""The real third-party logs in ../shared/data/real, each with its mapping from samples/mappings.

Numbers are checked against a direct pandas reading of the same file, so the mapping and
the parsers are tested, not just run.
"""

import pandas as pd

from flowkit.cases import stitch
from flowkit.ingest import ingest, load_mapping, mapping_from_dict
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
    assert got.dt.hour.max() >= 13  # PM times really became afternoon hours
    channel_map = {"PHONE": "phone", "ONLINE": "web", "OTHER": "unknown", "UNKNOWN": "unknown"}
    want = kept["Open Data Channel Type"].map(channel_map).value_counts()
    have = r.contacts["channel"].astype(str).value_counts()
    assert have.reindex(want.index).tolist() == want.tolist()


def test_nyc311_2024_socrata_iso_times(real_logs):
    r = ingest(real_logs / "nyc311_2024_socrata.csv", load_mapping(MAPPINGS / "nyc311_2024_socrata.yaml"))
    assert r.reconciles and r.kept == 1000
    assert r.contacts["received_at"].min() >= pd.Timestamp("2024-05-26")
    assert {"web", "phone"} <= set(r.contacts["channel"].astype(str))
    assert r.contacts["closed_at"].isna().sum() > 0  # many requests still open


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
    assert (cases["n_contacts"] > 1).any()  # callers with several incidents form cases
    callers = r.contacts["customer_id"].nunique()
    assert callers <= len(cases) < r.kept


# --------------------------------------------------------------------------- the headline figures, by hand
# Each report below is built from the raw file with its documented mapping (ingest -> classify ->
# analyse), and its headline figures are recomputed here with pandas on the raw file alone.

import gzip  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from flowkit import analyse as A  # noqa: E402
from flowkit.classify import classify  # noqa: E402
from flowkit.report import build_report  # noqa: E402
from tests.handcheck import km_quantile  # noqa: E402

BANK = "anonymous_bank_1999_02.txt"


def report_for(real_logs, tmp_path, file, mapping):
    r = ingest(real_logs / file, load_mapping(MAPPINGS / mapping))
    report = build_report(classify(r.contacts).contacts, tmp_path)
    return r, report


def bank_raw(real_logs):
    raw = pd.read_csv(real_logs / BANK, sep="\t", dtype=str)
    raw["at"] = pd.to_datetime(raw["date"] + " " + raw["vru_entry"], format="%y%m%d %H:%M:%S")
    raw["q"] = pd.to_numeric(raw["q_time"])
    return raw


def test_bank_composite_key_keeps_every_real_call(real_logs):
    raw = bank_raw(real_logs)
    r = ingest(real_logs / BANK, load_mapping(MAPPINGS / "anonymous_bank.yaml"))
    f = r.files[0]
    assert r.reconciles and (f.read, f.kept, f.n_dropped, f.n_quarantined) == (33_344, 33_066, 278, 0)
    assert f.dropped == {"outcome=PHANTOM": (raw["outcome"] == "PHANTOM").sum()}
    assert f.kept == raw["outcome"].isin(["AGENT", "HANG"]).sum()
    assert r.contacts["contact_id"].is_unique and r.contacts["contact_id"].iloc[0] == "AA0101/34536"
    # customer 0 means "not identified": a placeholder, reported and emptied, never one giant customer
    real = raw[raw["outcome"] != "PHANTOM"]
    assert f.placeholders == {"0": (real["customer_id"] == "0").sum()} == {"0": 19_502}
    assert r.contacts["customer_id"].isna().sum() == 19_502
    assert r.contacts["customer_id"].notna().sum() == (real["customer_id"] != "0").sum()


def test_bank_with_call_id_alone_keeps_the_calls_and_names_the_key(real_logs):
    m = mapping_from_dict(
        {
            "columns": {"contact_id": "call_id", "wait_s": "q_time"},
            "received_at": {"columns": ["date", "vru_entry"], "format": "%y%m%d %H:%M:%S"},
            "constants": {"channel": "phone"},
            "drop": {"outcome": ["PHANTOM"]},
        }
    )
    r = ingest(real_logs / BANK, m)
    f = r.files[0]
    assert f.kept == 33_066 and not f.quarantined and r.contacts["contact_id"].is_unique
    assert f.renamed_ids == 17_615  # the calls the DESIGN example used to lose
    assert f.key_hint == ("vru+line", "call_id")
    assert any("map contact_id: [vru+line, call_id]" in w for w in f.warnings)


def test_bank_without_a_mapping_is_recognised_not_a_traceback(real_logs):
    r = ingest(real_logs / BANK)
    f = r.files[0]
    assert f.mapping.startswith("recognised layout: the Technion call-centre layout")
    assert (f.kept, f.n_dropped, f.n_quarantined) == (33_066, 278, 0)
    assert r.contacts["received_at"].min() == pd.Timestamp("1999-02-01 00:11:28")


@pytest.mark.slow
def test_bank_report_phone_figures_by_hand(real_logs, tmp_path):
    raw = bank_raw(real_logs)
    offered = raw[raw["outcome"].isin(["AGENT", "HANG"])]
    hang = offered["outcome"].eq("HANG")
    _, report = report_for(real_logs, tmp_path, BANK, "anonymous_bank.yaml")
    n = report.numbers
    assert n["phone_offered"] == len(offered) == 33_066
    assert n["phone_abandon_rate"] == pytest.approx(hang.mean()) == pytest.approx(0.17855, abs=1e-5)
    assert n["phone_abandoned_before_queue"] == (hang & offered["q"].eq(0)).sum()
    assert n["phone_mean_wait_s"] == pytest.approx(offered["q"].mean()) == pytest.approx(41.348, abs=1e-3)
    assert n["phone_service_level"] == pytest.approx((~hang & offered["q"].le(20)).mean())
    by_hour = pd.read_csv(report.tables["phone_by_hour"], index_col=0)
    hand = offered.groupby(offered["at"].dt.hour).agg(offered=("q", "size"), wait=("q", "mean"))
    hand["abandon"] = hang.groupby(offered["at"].dt.hour).mean()
    assert by_hour["offered"].tolist() == hand["offered"].tolist()
    assert np.allclose(by_hour["mean_wait_s"], hand["wait"]) and np.allclose(by_hour["abandon_rate"], hand["abandon"])
    by_day = pd.read_csv(report.tables["phone_by_weekday"], index_col=0)
    assert by_day.loc["Mon", "offered"] == (offered["at"].dt.day_of_week == 0).sum()
    # four weeks of data: predictability is "cannot be told", not "predictable"
    assert any("cannot be told" in s and "4 complete weeks" in s for s in report.sentences)
    assert not [c for c in report.charts if c.startswith("xmr_")]
    assert n["contacts_without_customer"] == 19_502
    # repeat share among identified customers only (stitching: same customer, gap <= 14 days)
    ident = offered[offered["customer_id"] != "0"].sort_values(["customer_id", "at"])
    new_case = ident["customer_id"].ne(ident["customer_id"].shift()) | ident["at"].diff().gt(pd.Timedelta("14D"))
    sizes = new_case.cumsum().value_counts()
    assert n["repeat_case_share"] == pytest.approx((sizes > 1).mean())


def test_nyc311_2024_open_requests_are_censored_and_three_hours_are_too_few_points(real_logs, tmp_path):
    raw = pd.read_csv(real_logs / "nyc311_2024_socrata.csv", dtype=str)
    created = pd.to_datetime(raw["created_date"], format="ISO8601")
    closed = pd.to_datetime(raw["closed_date"], format="ISO8601")
    _, report = report_for(real_logs, tmp_path, "nyc311_2024_socrata.csv", "nyc311_2024_socrata.yaml")
    n = report.numbers
    assert n["contacts"] == len(raw) == 1000
    assert n["e2e_open_cases"] == closed.isna().sum() == 323
    days = (closed.fillna(max(created.max(), closed.max())) - created).dt.total_seconds() / 86400
    assert (
        n["e2e_p50_days"] * 1440
        == pytest.approx(km_quantile(days, closed.notna(), 0.5) * 1440)
        == pytest.approx(32.13, abs=0.01)
    )  # minutes
    assert np.isinf(n["e2e_p90_days"])  # a third still open: the p90 is beyond the log
    assert any("32 minutes" in s and "323 of 1,000 cases" in s for s in report.sentences)
    assert any("spans 3.0 hours (0 complete weeks)" in s for s in report.sentences)
    assert any("no customer ids" in s for s in report.sentences)  # no repeat share invented
    assert "repeat_case_share" not in n


def test_nyc311_2011_weekly_predictability_has_enough_points(real_logs, tmp_path):
    raw = pd.read_csv(real_logs / "nyc311_2011_micro.csv", dtype=str)
    created = pd.to_datetime(raw["Created Date"], format="%m/%d/%Y %I:%M:%S %p")
    weeks = A.complete_week_count(created)
    assert weeks >= 20  # Feb to Nov 2011
    _, report = report_for(real_logs, tmp_path, "nyc311_2011_micro.csv", "nyc311_2011_micro.yaml")
    assert [c for c in report.charts if c.startswith("xmr_")]
    assert not any("cannot be told" in s for s in report.sentences)


def test_servicenow_cases_end_to_end_by_hand(real_logs, tmp_path):
    raw = pd.read_csv(real_logs / "servicenow_incident_events.csv", dtype=str, na_values=["?"], keep_default_na=False)
    inc = raw.drop_duplicates("number", keep="last").copy()
    fmt = "%d-%m-%Y %H:%M"
    inc["opened"] = pd.to_datetime(inc["opened_at"], format=fmt)
    inc["end"] = pd.to_datetime(inc["resolved_at"], format=fmt).fillna(pd.to_datetime(inc["closed_at"], format=fmt))
    assert inc["end"].notna().all()  # every incident in the extract is closed
    _, report = report_for(real_logs, tmp_path, "servicenow_incident_events.csv", "servicenow_incident_events.yaml")
    n = report.numbers
    assert n["contacts"] == len(inc) == 890 and n["e2e_open_cases"] == 0
    # stitch by hand: one caller's incidents form a case while each is opened within 14 days of the previous
    inc = inc.sort_values(["caller_id", "opened", "number"])
    new = inc["caller_id"].ne(inc["caller_id"].shift()) | inc["opened"].diff().gt(pd.Timedelta("14D"))
    inc["case"] = new.cumsum()
    g = inc.groupby("case")
    first, last, end = g["opened"].min(), g["opened"].max(), g["end"].max()
    days = (end.where(end >= last, last) - first).dt.total_seconds() / 86400
    assert len(days) == 639
    assert n["e2e_p50_days"] == pytest.approx(days.median()) and n["e2e_p90_days"] == pytest.approx(days.quantile(0.9))
    assert n["repeat_case_share"] == pytest.approx((g.size() > 1).mean())


def test_bpic2013_xes_streamed_collapsed_and_closed_by_hand(real_logs, tmp_path):
    ns = "{http://www.xes-standard.org/}"
    traces = []
    with gzip.open(real_logs / "bpic2013_incidents.xes.gz", "rb") as fh:  # the standard library's own parser
        for _, el in ET.iterparse(fh):
            if el.tag == ns + "trace":
                name = next(a.get("value") for a in el if a.get("key") == "concept:name")
                events = [{a.get("key"): a.get("value") for a in ev} for ev in el.findall(ns + "event")]
                traces.append((name, events))
                el.clear()
    assert len(traces) == 7554 and sum(len(e) for _, e in traces) == 65_533
    first = pd.Series({n: pd.Timestamp(e[0]["time:timestamp"]).tz_convert("UTC").tz_localize(None) for n, e in traces})
    last = pd.Series({n: pd.Timestamp(e[-1]["time:timestamp"]).tz_convert("UTC").tz_localize(None) for n, e in traces})
    done = pd.Series({n: e[-1]["concept:name"] == "Completed" for n, e in traces})
    r, report = report_for(real_logs, tmp_path, "bpic2013_incidents.xes.gz", "bpic2013_incidents.yaml")
    f = r.files[0]
    assert r.reconciles and (f.read, f.kept) == (65_533, 7554)
    assert f.utc_offsets == {"+02:00": 62_755, "+01:00": 2_778}
    assert "times and hours in UTC; the source&#39;s local zone: UTC+02:00, UTC+01:00" in report.path.read_text()
    c = r.contacts.set_index("contact_id")
    assert (c["received_at"].reindex(first.index).to_numpy() == first.to_numpy()).all()  # first event, in UTC
    assert c["closed_at"].isna().sum() == (~done).sum() == 8
    assert (c.loc[done[done].index, "closed_at"].to_numpy() == last[done].to_numpy()).all()
    n = report.numbers
    log_end = max(first.max(), last.max())
    days = (last.where(done, log_end) - first).dt.total_seconds() / 86400
    assert n["e2e_open_cases"] == 8
    assert n["e2e_p50_days"] == pytest.approx(km_quantile(days, done, 0.5))
    assert n["e2e_p90_days"] == pytest.approx(km_quantile(days, done, 0.9))


# incident and 311 logs time no handling: the handle time is the user's stated assumption (--handle-s),
# and without handle times nobody can be seen at work, so the number of agents is given too
REAL = [
    ("nyc311_2011_micro.csv", "nyc311_2011_micro.yaml", ["--agents", "5", "--handle-s", "900"]),
    ("nyc311_2024_socrata.csv", "nyc311_2024_socrata.yaml", ["--agents", "5", "--handle-s", "900"]),
    ("servicenow_incident_events.csv", "servicenow_incident_events.yaml", ["--agents", "10", "--handle-s", "1800"]),
    ("bpic2013_incidents.xes.gz", "bpic2013_incidents.yaml", ["--agents", "10", "--handle-s", "1800"]),
    (BANK, "anonymous_bank.yaml", []),
]


@pytest.mark.parametrize("file,mapping,extra", REAL, ids=[r[1].split(".")[0] for r in REAL])
def test_calibrate_runs_on_every_real_log_and_prints_the_ledger(real_logs, tmp_path, file, mapping, extra):
    from click.testing import CliRunner

    from flowkit.cli import main

    out = tmp_path / "scenario.yaml"
    result = CliRunner().invoke(
        main,
        [
            "calibrate",
            str(real_logs / file),
            "--mapping",
            str(MAPPINGS / mapping),
            "--out",
            str(out),
            "--no-fit",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "[reconciles]" in result.output and out.is_file()


def test_classify_of_a_raw_export_prints_the_ledger(real_logs, tmp_path):
    from click.testing import CliRunner

    from flowkit.cli import main

    result = CliRunner().invoke(
        main,
        ["classify", str(real_logs / "nyc311_2011_micro.csv"), "--mapping", str(MAPPINGS / "nyc311_2011_micro.yaml")],
    )
    assert result.exit_code == 0, result.output
    assert "read 2,000 = kept 2,000" in result.output and "Closed Date: closed before received" in result.output


def test_servicenow_reopened_incidents_are_failure_demand_by_hand(real_logs):
    raw = pd.read_csv(real_logs / "servicenow_incident_events.csv", dtype=str)
    last = raw.groupby("number").tail(1).set_index("number")
    reopened = set(last.index[pd.to_numeric(last["reopen_count"]) > 0])
    r = ingest(real_logs / "servicenow_incident_events.csv", load_mapping(MAPPINGS / "servicenow_incident_events.yaml"))
    c = classify(r.contacts).contacts.set_index("contact_id")
    assert reopened and set(c.index[c["rule"].astype(str).eq("reopened")]) == reopened
    assert (c.loc[sorted(reopened), "demand"] == "failure").all()
    assert (c.loc[sorted(reopened), "failure_type"] == "not_resolved").all()


def test_known_real_layouts_read_without_a_mapping_as_with_their_documented_one(real_logs):
    """A consultant runs `flowkit analyze export.csv` with no mapping: a ServiceNow event log must not
    count every update of an incident as a contact (6.7 rows per incident; the report said 100% of
    cases needed more than one contact), and NYC 311 must not stop on its ambiguous US dates."""
    layouts = {
        "servicenow_incident_events.csv": ("a ServiceNow incident event log", 890),
        "nyc311_2011_micro.csv": ("an NYC 311 export (classic", 2000),
        "nyc311_2024_socrata.csv": ("an NYC 311 export (Socrata", 1000),
    }
    for name, (title, kept) in layouts.items():
        bare = ingest(real_logs / name)
        documented = ingest(real_logs / name, load_mapping(MAPPINGS / name.replace(".csv", ".yaml")))
        assert bare.files[0].mapping.startswith(f"recognised layout: {title}"), bare.files[0].mapping
        assert bare.kept == documented.kept == kept and bare.reconciles
        pd.testing.assert_frame_equal(bare.contacts, documented.contacts)
    cases = stitch(ingest(real_logs / "servicenow_incident_events.csv").contacts, window="14D").cases
    # by hand from the raw file: the callers' 890 incidents form 639 cases within 14 days, 158 with more than one
    assert len(cases) == 639 and int((cases["n_contacts"] > 1).sum()) == 158
