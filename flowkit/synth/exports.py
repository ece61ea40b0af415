"""Write a generated log the way a real organisation would hand it over.

Four systems, four shapes: the phone platform's CSV (cp1250, Polish headers, ';', split
date and time, "mm:ss" durations), the ticketing tool's XLSX, the web form's nested JSON
and the Russian-language chat desk's tab-separated cp1251 export. Each gets a little of the
dirt real exports carry (blank lines, bad dates, duplicates, a ragged line, a negative
duration) so ingest can be seen to account for every row. The true labels go to an
answer key; the mappings that read the exports are written beside them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from flowkit.synth.generate import TRUTH_COLUMNS
from flowkit.synth.truth import TE_PREFIX, true_effects

__all__ = ["MAPPINGS", "ExportSet", "write_exports", "write_single_csv"]


@dataclass
class ExportSet:
    """What was written: the export files, their mappings, the answer key and the dirt put in."""

    exports: dict[str, Path] = field(default_factory=dict)  # name -> export path
    mappings: dict[str, Path] = field(default_factory=dict)  # name -> mapping path
    answer_key: Path | None = None
    true_effects: Path | None = None  # the planted data-use effects
    manifest: Path | None = None
    dirt: dict[str, dict[str, int]] = field(default_factory=dict)


MAPPINGS = {
    "phone": {
        "description": "Phone platform export: cp1250, Polish headers, ';', date and time in two columns.",
        "columns": {
            "contact_id": "ID połączenia",
            "customer_id": "Nr klienta",
            "channel": "Kanał",
            "wait_s": "Czas oczekiwania",
            "handle_s": "Czas obsługi",
            "abandoned": "Porzucone",
            "resolved": "Rozwiązane",
            "agent_id": "Konsultant",
            "team": "Zespół",
            "text": "Notatka",
            "reason_code": "Kod IVR",
            "data_used": "Użyte dane",
            "handling": "Obsługa",
        },
        "received_at": {"columns": ["Data", "Godzina"], "format": "%d.%m.%Y %H:%M:%S"},
        "drop": {"Kod IVR": ["TEST"]},
        "keep": ["Segment", "Agent profile"],  # the CRM's customer segment, the WFM's agent profile (issue 16 q2)
    },
    "email": {
        "description": "Ticketing tool export (XLSX), one ticket per customer e-mail.",
        "columns": {
            "contact_id": "Ticket ID",
            "customer_id": "Customer",
            "channel": "Channel",
            "text": ["Subject", "Body"],
            "reason_code": "Category",
            "agent_id": "Assignee",
            "team": "Team",
            "resolved": "Solved on first reply",
            "handle_s": "Work time (min)",
        },
        "received_at": "Created",
        "durations": {"handle_s": "minutes"},
    },
    "web": {
        "description": "Web form submissions (JSON array, nested objects).",
        "columns": {
            "contact_id": "id",
            "customer_id": "customer.number",
            "text": "form.message",
            "reason_code": "form.topic",
        },
        "received_at": "submitted",
        "constants": {"channel": "web"},
        "offsets": "local",  # the other exports are naive local time: keep the wall clock
    },
    "chat": {
        "description": "Russian-language chat desk: cp1251, Russian headers, tab-separated.",
        "columns": {
            "contact_id": "ID обращения",
            "customer_id": "Клиент",
            "channel": "Канал",
            "wait_s": "Ожидание, сек",
            "handle_s": "Длительность, сек",
            "agent_id": "Оператор",
            "text": "Текст",
            "resolved": "Решено",
        },
        "received_at": {"columns": "Дата и время", "format": "%d.%m.%Y %H:%M"},
    },
}
_FILES = {"phone": "phone_calls.csv", "email": "email_tickets.xlsx", "web": "web_forms.json", "chat": "chat_ru.tsv"}


def _mmss(seconds: pd.Series) -> pd.Series:
    s = seconds.astype("float64")
    out = (s // 60).astype("Int64").astype(str).str.zfill(2) + ":" + (s % 60).astype("Int64").astype(str).str.zfill(2)
    return out.where(s.notna(), "")


def _column(df: pd.DataFrame, name: str) -> pd.Series:
    """An optional column of the log as export text (empty where the log has none)."""
    return df[name].astype(object).where(df[name].notna(), "") if name in df else pd.Series("", index=df.index)


def _yes(flags: pd.Series, yes: str, no: str) -> pd.Series:
    return flags.map({True: yes, False: no}).astype(object).where(flags.notna(), "")


_HANDLING_PL = {"one_stop": "jednokrotnie", "pass_on": "przekazane", "pass_back": "zwrócone"}


def write_exports(log: pd.DataFrame, out_dir: str | Path, seed: int = 7, dirt: bool = True) -> ExportSet:
    """Write ``log`` (from :func:`flowkit.synth.generate.generate`) as the four exports."""
    out = Path(out_dir)
    (out / "exports").mkdir(parents=True, exist_ok=True)
    (out / "mappings").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + 1)
    result = ExportSet()
    # the chat desk serves Russian and English speakers; its cp1251 export cannot hold Polish letters
    chat = log["channel"].eq("chat")
    parts = {
        "phone": log[log["channel"].eq("phone")],
        "email": log[log["channel"].eq("email")],
        "web": log[log["channel"].eq("web")],
        "chat": log[chat],
    }
    writers = {"phone": _phone, "email": _email, "web": _web, "chat": _chat}
    for name, part in parts.items():
        path = out / "exports" / _FILES[name]
        result.dirt[name] = writers[name](part.reset_index(drop=True), path, rng, dirt)
        result.exports[name] = path
        mpath = out / "mappings" / f"{Path(_FILES[name]).stem}.yaml"
        mapping = dict(MAPPINGS[name])
        if name == "phone" and "callback_promised" in part.columns:  # the callback add-on's columns, carried
            mapping["keep"] = [*mapping.get("keep", []), "callback_promised", "direction"]
        mpath.write_text(yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), encoding="utf-8")
        result.mappings[name] = mpath
    result.answer_key = out / "answer_key.csv"
    log[TRUTH_COLUMNS].to_csv(result.answer_key, index=False)
    if any(c.startswith(TE_PREFIX) for c in log.columns):  # only the phone export records data use
        result.true_effects = out / "true_effects.csv"
        true_effects(log, log["channel"].eq("phone") & log["handle_s"].notna()).to_csv(result.true_effects, index=False)
    result.manifest = out / "manifest.yaml"
    manifest = {
        "exports": [{"file": f"exports/{_FILES[n]}", "mapping": f"mappings/{Path(_FILES[n]).stem}.yaml"} for n in parts]
    }
    result.manifest.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return result


_MENU = {
    "new connection": 0,
    "moving home": 0,
    "change plan": 0,
    "cancel contract": 0,
    "fault report": 1,
    "still not fixed": 1,
    "promise not kept": 1,
    "payment arrangement": 2,
    "billing error": 2,
    "unclear letter": 2,
}


def _menu(df: pd.DataFrame, rng: np.random.Generator, options: list[str]) -> np.ndarray:
    """The IVR option / ticket category a customer picks: it follows what they want, mostly.

    Chasing and complaints land anywhere, and one customer in ten picks "other".
    """
    choice = df["demand_type"].map(_MENU).to_numpy(dtype=float, copy=True)
    unknown = np.isnan(choice) | (rng.random(len(df)) < 0.1)
    choice[unknown] = rng.integers(0, len(options), unknown.sum())
    choice[rng.random(len(df)) < 0.1] = len(options) - 1
    return np.asarray(options, dtype=object)[choice.astype(int)]


def _pick(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    return rng.choice(n, size=min(k, n), replace=False) if n else np.array([], dtype=int)


def _phone(df: pd.DataFrame, path: Path, rng: np.random.Generator, dirt: bool) -> dict[str, int]:
    t = df["received_at"]
    table = pd.DataFrame(
        {
            "ID połączenia": df["contact_id"],
            "Data": t.dt.strftime("%d.%m.%Y"),
            "Godzina": t.dt.strftime("%H:%M:%S"),
            "Nr klienta": df["customer_id"],
            "Kanał": "Telefon",
            "Kod IVR": _menu(df, rng, ["1-SPRZEDAŻ", "2-AWARIA", "3-FAKTURY", "4-INNE"]),
            "Czas oczekiwania": _mmss(df["wait_s"]),
            "Czas obsługi": _mmss(df["handle_s"]),
            "Porzucone": _yes(df["abandoned"], "tak", "nie"),
            "Rozwiązane": _yes(
                df["resolved"].where(~df["abandoned"].astype("boolean").fillna(False).astype(bool)), "tak", "nie"
            ),
            "Konsultant": df["agent_id"].fillna(""),
            "Zespół": df["team"].fillna(""),
            "Notatka": df["text"].fillna(""),
            "Użyte dane": df["data_used"].fillna(""),
            "Obsługa": df["handling"].astype(object).map(_HANDLING_PL).fillna(""),
            "Segment": _column(df, "segment"),
            "Agent profile": _column(df, "agent_profile"),
        }
    ).astype(object)
    for extra in ("callback_promised", "direction"):  # the callback add-on's columns (flowkit.synth.hours_sample)
        if extra in df.columns:
            table[extra] = df[extra].astype(object).where(df[extra].notna(), "")
    rows = table.values.tolist()
    counts = {}
    if dirt and len(rows) > 50:
        n = len(rows)
        for i in _pick(rng, n, 5):  # dates the phone system mangled
            rows[i][1] = rng.choice(["31.02.2026", "brak", "00.00.0000"])
        counts["bad date"] = min(5, n)
        for i in _pick(rng, n, 2):  # a clock glitch: negative wait
            rows[i][6] = "-00:07"
        counts["negative duration"] = 2
        dups = [list(rows[i]) for i in _pick(rng, n, 4)]  # the same call exported twice
        counts["exact duplicate"] = len(dups)
        clash = [list(rows[i]) for i in _pick(rng, n, 2)]  # same id, edited afterwards
        for r in clash:
            r[12] = (r[12] or "") + " (poprawka)"
        counts["duplicate id, other content"] = len(clash)
        rows.extend(dups + clash)
        rows.append(
            [
                "TEL-TEST",
                "01.09.2026",
                "07:59:00",
                "",
                "Telefon",
                "TEST",
                "",
                "",
                "nie",
                "",
                "",
                "",
                "połączenie testowe",
                "",
                "",
            ]
            + [""] * (len(table.columns) - 15)
        )
        rows[-1] += [""] * (len(table.columns) - len(rows[-1]))
        counts["test call (dropped by mapping)"] = 1
    with path.open("w", encoding="cp1250", newline="") as fh:
        w = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        w.writerow(table.columns)
        for i, r in enumerate(rows):
            if dirt and i in (100, 2500, 7000):
                fh.write("\r\n")  # blank lines mid-file
            w.writerow(r)
        if dirt and len(rows) > 50:
            fh.write("TEL-BROKEN;03.09.2026;10:11:12;KL-000001;Telefon\r\n")  # a truncated line
            counts["ragged line"] = 1
            counts["blank line"] = sum(1 for i in (100, 2500, 7000) if i < len(rows))
    return counts


def _email(df: pd.DataFrame, path: Path, rng: np.random.Generator, dirt: bool) -> dict[str, int]:
    words = df["text"].fillna("").str.split()
    subject = words.str[:4].str.join(" ")
    table = pd.DataFrame(
        {
            "Ticket ID": df["contact_id"],
            "Created": df["received_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "Customer": df["customer_id"],
            "Channel": rng.choice(["E-mail", "email", "Mail"], len(df)),
            "Subject": subject,
            "Body": df["text"].fillna(""),
            "Category": _menu(df, rng, ["Sales", "Technical", "Billing", "Other"]),
            "Assignee": df["agent_id"].fillna(""),
            "Team": df["team"].fillna(""),
            "Solved on first reply": _yes(df["resolved"], "Yes", "No"),
            "Work time (min)": (df["handle_s"].astype("float64") / 60).round(1),
        }
    ).astype(object)
    counts = {}
    if dirt and len(table) > 50:
        for i in _pick(rng, len(table), 3):
            table.iat[i, 1] = "n/d"
        counts["bad date"] = 3
        dup = table.iloc[_pick(rng, len(table), 3)]
        table = pd.concat([table, dup], ignore_index=True)
        counts["exact duplicate"] = len(dup)
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tickets")
    ws.append(list(table.columns))
    for i, r in enumerate(table.itertuples(index=False)):
        if dirt and i == 40:
            ws.append([None] * len(table.columns))  # an empty row someone left in
            counts["blank line"] = 1
        ws.append([None if (isinstance(v, float) and v != v) or v == "" else v for v in r])
    wb.save(path)
    return counts


def _web(df: pd.DataFrame, path: Path, rng: np.random.Generator, dirt: bool) -> dict[str, int]:
    stamp = df["received_at"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    offset = np.where(df["received_at"] < pd.Timestamp("2026-10-25 03:00"), "+02:00", "+01:00")
    topics = _menu(df, rng, ["Zamówienie / Order", "Awaria / Fault", "Płatności / Billing", "Inne / Other"])
    records = [
        {"id": cid, "submitted": s + o, "customer": {"number": c}, "form": {"topic": tp, "message": m}}
        for cid, s, o, c, tp, m in zip(
            df["contact_id"], stamp, offset, df["customer_id"], topics, df["text"].fillna(""), strict=True
        )
    ]
    counts = {}
    not_objects: list[str] = []  # dirt: entries that are not a form at all
    if dirt and len(records) > 50:
        for i in _pick(rng, len(records), 2):
            records[i]["submitted"] = "yesterday"
        counts["bad date"] = 2
        records.append(dict(records[10]))
        counts["exact duplicate"] = 1
        not_objects.append("form submitted without data")
        counts["not an object"] = 1
    path.write_text(json.dumps([*records, *not_objects], ensure_ascii=False, indent=1), encoding="utf-8")
    return counts


def _chat(df: pd.DataFrame, path: Path, rng: np.random.Generator, dirt: bool) -> dict[str, int]:
    table = pd.DataFrame(
        {
            "ID обращения": df["contact_id"],
            "Дата и время": df["received_at"].dt.strftime("%d.%m.%Y %H:%M"),
            "Клиент": df["customer_id"],
            "Канал": "чат",
            "Ожидание, сек": df["wait_s"].astype("float64").map(lambda v: "" if v != v else f"{v:.0f}"),
            "Длительность, сек": df["handle_s"]
            .astype("float64")
            .map(lambda v: "" if v != v else f"{v:.1f}".replace(".", ",")),
            "Оператор": df["agent_id"].fillna(""),
            "Текст": df["text"].fillna(""),
            "Решено": _yes(df["resolved"], "да", "нет"),
        }
    ).astype(object)
    rows = table.values.tolist()
    counts = {}
    if dirt and len(rows) > 50:
        for i in _pick(rng, len(rows), 2):
            rows[i][1] = "31.11.2026 10:00"
        counts["bad date"] = 2
    with path.open("w", encoding="cp1251", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(table.columns)
        for i, r in enumerate(rows):
            if dirt and i == 30:
                fh.write("\n\n")
                counts["blank line"] = 2
            w.writerow(r)
    return counts


def write_single_csv(log: pd.DataFrame, out_dir: str | Path) -> ExportSet:
    """One clean UTF-8 CSV in flowkit's own column names (for benchmarks and quick tests)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "contacts.csv"
    cols = [
        c
        for c in log.columns
        if c not in TRUTH_COLUMNS[1:]
        and c not in ("source_file", "source_line", "case_id", "closed_at")
        and not c.startswith(TE_PREFIX)
    ]
    log[cols].to_csv(path, index=False)
    key = out / "answer_key.csv"
    log[TRUTH_COLUMNS].to_csv(key, index=False)
    written = ExportSet(exports={"contacts": path}, answer_key=key)
    if any(c.startswith(TE_PREFIX) for c in log.columns):
        written.true_effects = out / "true_effects.csv"
        true_effects(log, log["handle_s"].notna() & log["channel"].isin(["phone", "chat"])).to_csv(
            written.true_effects, index=False
        )
    return written
