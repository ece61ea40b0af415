"""Ingest: every format, mappings, recognition, and the ledger that loses no row."""

import json

import pandas as pd
import pytest

from flowkit.errors import IngestError, MappingError
from flowkit.ingest import ingest, ingest_manifest, load_mapping, mapping_from_dict
from flowkit.store import read_contacts, write_table

POLISH_PHONE = (
    "ID połączenia;Data;Godzina;Nr klienta;Kanał;Czas oczekiwania;Czas obsługi;Porzucone;Notatka\r\n"
    "P1;05.01.2026;08:13:00;KL-1;Telefon;00:45;05:10;nie;Klient pyta o termin instalacji\r\n"
    "P2;05.01.2026;08:20:10;KL-2;Telefon;02:05;;tak;\r\n"
    "\r\n"
    "P3;31.02.2026;09:00:00;KL-3;Telefon;00:10;03:00;nie;zła data\r\n"
    "P4;06.01.2026;10:00:00;KL-1;Telefon;-00:07;03:00;nie;ujemny czas\r\n"
    "P5;06.01.2026;11:00:00;KL-4\r\n"
    "P6;06.01.2026;12:00:00;KL-5;Telefon;00:10;01:00;nie;reklamacja, żądam zwrotu\r\n"
)


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_polish_cp1250_phone_export_without_a_mapping(tmp_path):
    path = write(tmp_path, "telefon.csv", POLISH_PHONE, "cp1250")
    r = ingest(path)
    f = r.files[0]
    assert (f.encoding, f.delimiter) == ("cp1250", ";")
    # the negative wait empties that one field (repaired), the contact stays
    assert (f.read, f.kept, f.n_dropped, f.n_quarantined, f.n_repaired) == (7, 4, 1, 2, 1)
    assert r.reconciles
    c = r.contacts.set_index("contact_id")
    assert c.loc["P1", "received_at"] == pd.Timestamp("2026-01-05 08:13")
    assert c.loc["P1", "wait_s"] == 45 and c.loc["P1", "handle_s"] == 310
    assert bool(c.loc["P2", "abandoned"]) and pd.isna(c.loc["P2", "handle_s"])
    assert c.loc["P6", "text"] == "reklamacja, żądam zwrotu"
    assert set(c["channel"]) == {"phone"}
    assert (c.loc["P1", "source_file"], c.loc["P1", "source_line"]) == ("telefon.csv", 2)
    q = r.quarantine.set_index("source_line")
    assert q.loc[5, "reason"] == "unparseable date" and "31.02.2026" in q.loc[5, "detail"]
    assert 6 not in q.index and pd.isna(c.loc["P4", "wait_s"]) and c.loc["P4", "handle_s"] == 180
    fix = r.repairs.iloc[0]
    assert (fix["source_file"], fix["source_line"], fix["column"], fix["reason"], fix["value"]) == (
        "telefon.csv",
        6,
        "Czas oczekiwania",
        "negative duration",
        "-00:07",
    )
    assert q.loc[7, "reason"] == "ragged line" and "4 fields, the header has 9" in q.loc[7, "detail"]
    assert json.loads(q.loc[5, "raw"])["Nr klienta"] == "KL-3"  # the whole row is kept for repair


def test_russian_cp1251_tab_export_with_recognised_headers(tmp_path):
    text = (
        "ID обращения\tДата и время\tКлиент\tКанал\tТекст\tРешено\n"
        "R1\t05.01.2026 10:00\tK-7\tзвонок\tЗвоню уже третий раз\tнет\n"
        "R2\t13.01.2026 11:30\tK-7\tчат\tСпасибо, всё работает\tда\n"
    )
    r = ingest(write(tmp_path, "chat.tsv", text, "cp1251"))
    assert r.reconciles and r.kept == 2
    assert list(r.contacts["channel"]) == ["phone", "chat"]
    assert list(r.contacts["resolved"]) == [False, True]
    assert r.contacts["received_at"].iloc[1] == pd.Timestamp("2026-01-13 11:30")


def test_xlsx_with_blank_rows_and_excel_dates(tmp_path):
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Ticket ID", "Created", "Customer", "Channel", "Subject"])
    ws.append(["T1", dt.datetime(2026, 1, 5, 9, 30), "C1", "E-mail", "Where is my refund?"])
    ws.append([None, None, None, None, None])
    ws.append(["T2", "2026-01-06 10:00", "C2", "mail", "Wrong bill"])
    ws.append(["T3", "not a date", "C3", "email", "?"])
    wb.save(tmp_path / "tickets.xlsx")
    r = ingest(tmp_path / "tickets.xlsx")
    assert r.reconciles and (r.read, r.kept) == (4, 2)
    assert r.dropped["blank line"] == 1 and r.quarantined["unparseable date"] == 1
    assert r.contacts["received_at"].iloc[0] == pd.Timestamp("2026-01-05 09:30")
    assert tuple(r.quarantine[["source_file", "source_line"]].iloc[0]) == ("tickets.xlsx", 5)


def test_nested_json_array_with_a_mapping(tmp_path):
    records = [
        {
            "id": "W1",
            "submitted": "2026-01-05T10:00:00+01:00",
            "customer": {"number": "C1"},
            "form": {"topic": "Billing", "message": "Charged twice"},
        },
        {"id": "W2", "submitted": "yesterday", "customer": {"number": "C2"}, "form": {"message": "hi"}},
        42,
    ]
    path = write(tmp_path, "web.json", json.dumps(records))
    m = mapping_from_dict(
        {
            "columns": {
                "contact_id": "id",
                "customer_id": "customer.number",
                "text": "form.message",
                "reason_code": "form.topic",
            },
            "received_at": "submitted",
            "constants": {"channel": "web"},
        }
    )
    r = ingest(path, m)
    assert r.reconciles and (r.read, r.kept, sum(r.quarantined.values())) == (3, 1, 2)
    row = r.contacts.iloc[0]
    assert (row["customer_id"], row["text"], row["channel"], row["source_file"], row["source_line"]) == (
        "C1",
        "Charged twice",
        "web",
        "web.json",
        1,
    )
    assert set(r.quarantine["reason"]) == {"unparseable date", "record is a int, not an object"}


def test_json_lines_with_a_broken_line(tmp_path):
    text = '{"id": "a", "date": "2026-01-05 10:00"}\n{broken\n\n{"id": "b", "date": "2026-01-05 11:00"}\n'
    r = ingest(write(tmp_path, "chat.jsonl", text))
    assert r.reconciles and (r.read, r.kept) == (4, 2)
    assert r.quarantine["source_line"].tolist() == [2] and r.dropped["blank line"] == 1


def test_parquet_round_trip(tmp_path):
    df = pd.DataFrame(
        {
            "contact_id": ["x1", "x2"],
            "received_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-06 11:00"]),
            "channel": ["sms", "fax"],
            "wait_s": [1.5, None],
        }
    )
    df.to_parquet(tmp_path / "in.parquet")
    r = ingest(tmp_path / "in.parquet")
    assert r.reconciles and list(r.contacts["channel"]) == ["sms", "fax"]
    assert r.contacts["wait_s"].iloc[0] == 1.5 and pd.isna(r.contacts["wait_s"].iloc[1])
    out = write_table(r.contacts, tmp_path / "contacts.parquet")
    back = read_contacts(out)
    pd.testing.assert_frame_equal(back, r.contacts)
    csv_back = read_contacts(write_table(r.contacts, tmp_path / "contacts.csv"))
    pd.testing.assert_frame_equal(csv_back, r.contacts)


def test_mapping_joins_date_and_time_drops_by_rule_and_reads_codes(tmp_path):
    text = (
        "call_id,date,vru_entry,q_time,ser_time,outcome,server\n"
        "1,990101,0:00:31,0,12,AGENT,MICHAL\n"
        "2,990101,0:34:12,0,0,PHANTOM,NO_SERVER\n"
        "3,990101,6:55:20,15,0,HANG,NO_SERVER\n"
        "4,990101,7:41:16,5,20,BUSY,ANAT\n"
    )
    (tmp_path / "bank.yaml").write_text(
        "columns: {contact_id: call_id, wait_s: q_time, handle_s: ser_time, agent_id: server}\n"
        "received_at: {columns: [date, vru_entry], format: '%y%m%d %H:%M:%S'}\n"
        "constants: {channel: phone}\n"
        "booleans: {abandoned: {column: outcome, true: [HANG], false: [AGENT]}}\n"
        "drop: {outcome: [PHANTOM]}\n"
    )
    r = ingest(write(tmp_path, "bank.csv", text), load_mapping(tmp_path / "bank.yaml"))
    assert r.reconciles and r.kept == 3 and r.dropped == {"outcome=PHANTOM": 1} and not r.quarantined
    # BUSY is neither HANG nor AGENT: 'abandoned' is emptied for that call, the call is kept
    assert r.files[0].repaired == {"outcome: unreadable boolean": 1}
    assert "'BUSY' in column 'outcome'" in r.repairs["detail"].iloc[0] and tuple(
        r.repairs[["source_file", "source_line"]].iloc[0]
    ) == ("bank.csv", 5)
    assert r.contacts["received_at"].iloc[0] == pd.Timestamp("1999-01-01 00:00:31")
    assert r.contacts["abandoned"].tolist()[:2] == [False, True] and pd.isna(r.contacts["abandoned"].iloc[2])


def test_duplicates_within_and_across_files(tmp_path):
    a = write(tmp_path, "a.csv", "id,date,text\n1,2026-01-05 10:00,hello\n2,2026-01-05 11:00,x\n")
    b = write(
        tmp_path, "b.csv", "id,date,text\n1,2026-01-05 10:00,hello\n2,2026-01-05 11:00,changed\n3,2026-01-05 12:00,y\n"
    )
    r = ingest([a, b])
    assert r.reconciles and r.kept == 4 and not r.quarantined
    fb = r.files[1]
    assert fb.dropped["exact duplicate contact"] == 1  # identical in every mapped field
    assert sorted(r.contacts["contact_id"]) == ["1", "2", "2#2", "3"]  # same id, other content: kept
    assert r.contacts.set_index("contact_id").loc["2#2", "text"] == "changed"
    assert any("contact_id is not unique: 1 rows" in w for w in fb.warnings)


def test_collapse_event_rows_into_one_contact(tmp_path):
    text = (
        "number,state,opened_at,caller\n"
        "INC1,New,29-02-2016 01:16,C1\nINC1,Resolved,29-02-2016 01:16,C1\nINC2,New,01-03-2016 09:00,C1\n"
    )
    m = mapping_from_dict(
        {
            "columns": {"contact_id": "number", "customer_id": "caller"},
            "received_at": "opened_at",
            "collapse": {"by": "number", "keep": "last"},
        }
    )
    r = ingest(write(tmp_path, "events.csv", text), m)
    assert r.reconciles and r.kept == 2 and r.dropped == {"collapsed: one contact per number": 1}
    assert r.contacts["source_file"].tolist() == ["events.csv"] * 2 and r.contacts["source_line"].tolist() == [3, 4]
    assert r.contacts["received_at"].iloc[0] == pd.Timestamp("2016-02-29 01:16")


def test_made_contact_ids_and_na_values(tmp_path):
    text = "date,channel,customer\n2026-01-05 10:00,?,?\n2026-01-05 11:00,Phone,C9\n"
    r = ingest(write(tmp_path, "x.csv", text), mapping_from_dict({"na_values": ["?"]}))
    assert r.contacts["contact_id"].tolist() == ["x.csv:2", "x.csv:3"]
    assert pd.isna(r.contacts["customer_id"].iloc[0]) and r.contacts["channel"].tolist() == ["unknown", "phone"]


def test_unknown_channel_values_are_warned_about(tmp_path):
    r = ingest(write(tmp_path, "x.csv", "date,channel\n2026-01-05 10:00,Pigeon\n"))
    assert r.kept == 1 and "Pigeon" in r.files[0].warnings[0]


def test_missing_column_error_names_file_and_the_columns_it_has(tmp_path):
    path = write(tmp_path, "x.csv", "when,who\n2026-01-05,a\n")
    with pytest.raises(MappingError) as err:
        ingest(path, mapping_from_dict({"columns": {"customer_id": "customer"}, "received_at": "when"}))
    assert "x.csv" in str(err.value) and "columns.customer_id names 'customer'" in str(err.value)
    assert "the file has columns: when, who" in str(err.value)


@pytest.mark.parametrize(
    "doc,fragment",
    [
        ({"colums": {}}, "colums: unknown key"),
        ({"columns": {"kolor": "x"}}, "columns.kolor: not a contact-table column"),
        ({"constants": {"channel": "pigeon"}}, "constants.channel: 'pigeon' is not a channel"),
        ({"booleans": {"abandoned": {"col": "x"}}}, "booleans.abandoned"),
        ({"durations": {"wait_s": "weeks"}}, "durations.wait_s"),
        ({"collapse": {"by": "n", "keep": "middle"}}, "collapse.keep"),
    ],
)
def test_bad_mapping_keys_are_named(doc, fragment):
    with pytest.raises(MappingError, match=fragment.replace(".", r"\.").replace("(", r"\(")):
        mapping_from_dict(doc, "m.yaml")


def test_unreadable_files_are_clear_errors(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        ingest(tmp_path / "nope.csv")
    with pytest.raises(IngestError, match="cannot tell the format"):
        ingest(write(tmp_path, "x.dat", "a"))
    with pytest.raises(IngestError, match="empty"):
        ingest(write(tmp_path, "empty.csv", "\n\n"))
    with pytest.raises(IngestError, match="not a readable XLSX"):
        ingest(write(tmp_path, "fake.xlsx", "not a zip"))


def test_manifest_errors_name_the_entry(tmp_path):
    (tmp_path / "m.yaml").write_text("exports: [{path: a.csv}]\n")
    with pytest.raises(MappingError, match=r"exports\[0\]"):
        ingest_manifest(tmp_path / "m.yaml")


def test_bank_call_centre_export_with_its_mapping(tmp_path):
    from tests.conftest import ROOT

    text = (
        "vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\tq_start\tq_exit\tq_time\t"
        "outcome\tser_start\tser_exit\tser_time\tserver\n"
        "AA0101\t33116\t9664491\t2\tPS\t990101\t0:00:31\t0:00:36\t5\t0:00:36\t0:03:09\t153\tHANG\t00:00:00\t00:00:00\t0\tNO_SERVER\n"
        "AA0101\t33117\t0\t0\tPS\t990101\t0:34:12\t0:34:23\t11\t00:00:00\t00:00:00\t0\tPHANTOM\t0:00:00\t0:00:00\t0\tNO_SERVER\n"
        "AA0101\t33119\t27505331\t0\tNE\t990101\t6:55:20\t6:55:26\t6\t6:55:26\t6:55:43\t17\tAGENT\t6:55:43\t6:56:37\t54\tMICHAL\n"
        "AA0101\t33120\t0\t0\tPS\t990101\t7:41:16\t7:41:26\t10\t0:00:00\t0:00:00\t0\tAGENT\t7:41:25\t7:44:53\t208\tBASCH\n"
    )
    path = tmp_path / "january.txt"
    path.write_text(text)
    r = ingest(path, load_mapping(ROOT / "samples" / "mappings" / "bank_calls.yaml"))
    assert r.reconciles and r.kept == 3 and r.dropped == {"outcome=PHANTOM": 1}
    c = r.contacts.set_index("contact_id")
    assert (
        c.loc["AA0101/33116", "abandoned"]
        and c.loc["AA0101/33116", "wait_s"] == 153
        and pd.isna(c.loc["AA0101/33116", "agent_id"])
    )
    assert c.loc["AA0101/33120", "wait_s"] == 0 and pd.isna(
        c.loc["AA0101/33120", "customer_id"]
    )  # a zero wait stays zero
    assert (
        c.loc["AA0101/33119", "received_at"] == pd.Timestamp("1999-01-01 06:55:20")
        and c.loc["AA0101/33119", "agent_id"] == "MICHAL"
    )


XES = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="org:resource" value="UNKNOWN"/></global>
  <trace>
    <string key="concept:name" value="T1"/>
    <event><string key="concept:name" value="Accepted"/><date key="time:timestamp" value="2010-03-31T16:59:42+02:00"/>
      <list key="notes"><string key="org:resource" value="nested, not the event's"/></list>
      <string key="org:resource" value="Anne"/></event>
    <event><string key="concept:name" value="Completed"/><date key="time:timestamp" value="2010-04-02T09:00:00+02:00"/></event>
  </trace>
  <trace>
    <event><string key="concept:name" value="Accepted"/><date key="time:timestamp" value="2010-10-31T10:00:00+01:00"/></event>
    <string key="concept:name" value="T2"/>
  </trace>
</log>
"""


def test_xes_event_log_collapses_into_incidents_open_and_closed(tmp_path):
    import gzip

    path = tmp_path / "log.xes.gz"
    path.write_bytes(gzip.compress(XES.encode()))
    m = mapping_from_dict(
        {
            "format": "xes",
            "columns": {"contact_id": "case:concept:name", "agent_id": "org:resource", "closed_at": "time:timestamp"},
            "received_at": "time:timestamp",
            "constants": {"channel": "unknown"},
            "collapse": {"by": "case:concept:name", "keep": "last", "received_at": "earliest"},
            "closed_when": {"column": "concept:name", "values": ["Completed"]},
        }
    )
    r = ingest(path, m)
    assert r.reconciles and (r.read, r.kept) == (3, 2)
    c = r.contacts.set_index("contact_id")
    assert c.loc["T1", "received_at"] == pd.Timestamp("2010-03-31 14:59:42")  # first event, in UTC
    assert c.loc["T1", "closed_at"] == pd.Timestamp("2010-04-02 07:00")  # its last event is Completed
    assert pd.isna(c.loc["T2", "closed_at"])  # still open
    assert c.loc["T2", "received_at"] == pd.Timestamp("2010-10-31 09:00")  # trace name after its events
    assert r.files[0].utc_offsets == {"+02:00": 2, "+01:00": 1}
    assert r.contacts["source_file"].iloc[0] == "log.xes.gz" and r.contacts["source_line"].iloc[0] > 0
    cut = tmp_path / "cut.xes"
    cut.write_text(XES[: XES.index("<trace>", XES.index("</trace>"))] + "<trace><event><string key=")
    r = ingest(cut, m)
    assert r.kept == 1 and r.quarantine["reason"].iloc[0].startswith("XES log cut short")


def test_composite_contact_id_and_placeholder_customers(tmp_path):
    rows = "line,call,cust,date\n" + "".join(
        f"L{i % 2},{i // 2},{'0' if i % 3 else f'C{i % 7}'},2026-01-05 10:{i:02d}\n" for i in range(40)
    )
    m = mapping_from_dict({"columns": {"contact_id": ["line", "call"], "customer_id": "cust"}, "received_at": "date"})
    r = ingest(write(tmp_path, "calls.csv", rows), m)
    f = r.files[0]
    assert r.kept == 40 and r.contacts["contact_id"].is_unique and r.contacts["contact_id"].iloc[3] == "L1/1"
    assert f.placeholders == {"0": 26} and r.contacts["customer_id"].isna().sum() == 26
    assert any("placeholder customer id '0' on 26 rows" in w for w in f.warnings)


def test_one_id_on_an_implausible_share_of_rows_is_a_placeholder():
    from flowkit.placeholders import find_placeholders

    ids = pd.Series(["DUMMY"] * 300 + [f"C{i % 400}" for i in range(1200)] + [None] * 50 + ["unknown", "-1"])
    assert find_placeholders(ids) == {"DUMMY": 300, "unknown": 1, "-1": 1}
    # a busy but real customer is not one: three calls each for 400 customers, one with 12
    busy = pd.Series(["C0"] * 12 + [f"C{i % 400}" for i in range(1200)])
    assert find_placeholders(busy) == {}


def test_offsets_local_keeps_the_wall_clock_and_mixed_files_are_warned(tmp_path):
    web = write(tmp_path, "web.csv", "id,date\nW1,2026-07-01T10:00:00+02:00\n")
    phone = write(tmp_path, "phone.csv", "id,date\nP1,2026-07-01 10:00\n")
    r = ingest([web, phone])
    assert r.contacts.set_index("contact_id").loc["W1", "received_at"] == pd.Timestamp("2026-07-01 08:00")
    assert any("phone.csv has no UTC offsets" in w for w in r.files[0].warnings)
    assert r.contacts.attrs["utc_offsets"] == {"+02:00": 1}  # the zone travels with the table
    assert read_contacts(write_table(r.contacts, tmp_path / "c.parquet")).attrs["utc_offsets"] == {"+02:00": 1}
    r = ingest([web, phone], mappings={"web.csv": mapping_from_dict({"offsets": "local"})})
    assert "utc_offsets" not in r.contacts.attrs
    assert r.contacts.set_index("contact_id").loc["W1", "received_at"] == pd.Timestamp("2026-07-01 10:00")
    assert not any("has no UTC offsets" in w for w in r.files[0].warnings)
    with pytest.raises(MappingError, match="offsets"):
        mapping_from_dict({"offsets": "cet"})


def test_closed_at_from_the_first_column_with_a_date(tmp_path):
    text = "id,opened,resolved,closed\nA,2026-01-05 10:00,2026-01-06 10:00,2026-01-11 10:00\nB,2026-01-05 11:00,,2026-01-10 11:00\n"
    m = mapping_from_dict(
        {"columns": {"contact_id": "id", "closed_at": ["resolved", "closed"]}, "received_at": "opened"}
    )
    c = ingest(write(tmp_path, "inc.csv", text), m).contacts.set_index("contact_id")
    assert c.loc["A", "closed_at"] == pd.Timestamp("2026-01-06 10:00") and c.loc["B", "closed_at"] == pd.Timestamp(
        "2026-01-10 11:00"
    )


def test_no_server_is_nobody_not_an_agent(tmp_path):
    text = "id,date,server\n1,2026-01-05 10:00,DORIT\n2,2026-01-05 10:01,NO_SERVER\n3,2026-01-05 10:02,\n"
    r = ingest(write(tmp_path, "calls.csv", text), mapping_from_dict({"columns": {"agent_id": "server"}}))
    assert r.contacts["agent_id"].tolist()[0] == "DORIT" and r.contacts["agent_id"].isna().sum() == 2
    assert any("'NO_SERVER' on 1 rows means nobody" in w for w in r.files[0].warnings)


def test_an_xes_log_without_a_mapping_is_one_contact_per_trace(tmp_path):
    path = tmp_path / "log.xes"
    path.write_text(XES)
    r = ingest(path)
    assert r.files[0].mapping.startswith("recognised layout: an XES event log")
    assert sorted(r.contacts["contact_id"]) == ["T1", "T2"]
    assert r.contacts.set_index("contact_id").loc["T1", "received_at"] == pd.Timestamp("2010-03-31 14:59:42")


def test_keep_carries_source_columns_a_contract_has_no_place_for(tmp_path):
    path = write(
        tmp_path, "tickets.csv", "number,opened,Reopen Count,text\nT1,2026-01-05 09:00,0,a\nT2,2026-01-05 10:00,2,b\n"
    )
    r = ingest(
        path,
        mapping_from_dict(
            {"columns": {"contact_id": "number", "text": "text"}, "received_at": "opened", "keep": ["Reopen Count"]}
        ),
    )
    assert r.contacts.set_index("contact_id")["reopen_count"].astype(int).to_dict() == {"T1": 0, "T2": 2}
    with pytest.raises(MappingError, match="contract column 'text'"):
        mapping_from_dict({"received_at": "opened", "keep": ["Text"]}, "m.yaml")
    with pytest.raises(MappingError, match="keep names 'nope'"):
        ingest(path, mapping_from_dict({"received_at": "opened", "keep": ["nope"]}, "m.yaml"))
