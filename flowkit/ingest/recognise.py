"""Recognising an export without a mapping file: known layouts, and common column names.

Column names in English, Polish and Russian are matched after normalising case and spacing;
whole layouts (the Technion call-centre export, XES event logs, ServiceNow incident event logs, NYC 311
exports) are known by their header and mapped exactly as their documented mapping in ``samples/mappings/``.
A known layout matters most where a guess from column names would mislead: a ServiceNow log holds one row
per *update* of an incident, so read row by row every incident looks like six contacts from one caller.
"""

from __future__ import annotations

from dataclasses import replace

from flowkit import samples
from flowkit.ingest.mapping import Mapping, TimestampSpec, load_mapping, mapping_from_dict
from flowkit.ingest.values import norm_key

__all__ = ["recognise", "recognise_names"]


_SYNONYMS: dict[str, list[str]] = {
    "contact_id": [
        "contact_id",
        "contactid",
        "id",
        "call_id",
        "ticket_id",
        "ticket",
        "ticket no",
        "incident id",
        "unique key",
        "interaction id",
        "id połączenia",
        "id zgłoszenia",
        "nr zgłoszenia",
        "numer zgłoszenia",
        "id kontaktu",
        "id обращения",
        "номер обращения",
        "номер заявки",
        "id звонка",
        "номер",
    ],
    "customer_id": [
        "customer_id",
        "customer",
        "client id",
        "client",
        "caller id",
        "caller",
        "account id",
        "account",
        "account number",
        "customer no",
        "id klienta",
        "nr klienta",
        "numer klienta",
        "klient",
        "клиент",
        "id клиента",
        "номер клиента",
        "абонент",
        "лицевой счёт",
    ],
    "channel": [
        "channel",
        "contact type",
        "open data channel type",
        "medium",
        "kanał",
        "kanał kontaktu",
        "канал",
        "канал обращения",
    ],
    "text": [
        "text",
        "verbatim",
        "description",
        "subject",
        "message",
        "body",
        "comment",
        "comments",
        "note",
        "notes",
        "summary",
        "treść",
        "opis",
        "temat",
        "notatka",
        "komentarz",
        "wiadomość",
        "uwagi",
        "текст",
        "описание",
        "комментарий",
        "тема",
        "сообщение",
        "суть обращения",
    ],
    "reason_code": [
        "reason_code",
        "reason",
        "category",
        "complaint type",
        "call type",
        "kod przyczyny",
        "przyczyna",
        "kategoria",
        "powód",
        "причина",
        "категория",
        "код причины",
    ],
    "wait_s": [
        "wait_s",
        "wait",
        "wait time",
        "queue time",
        "q_time",
        "time in queue",
        "czas oczekiwania",
        "oczekiwanie",
        "время ожидания",
        "ожидание",
    ],
    "handle_s": [
        "handle_s",
        "handle time",
        "handling time",
        "aht",
        "duration",
        "talk time",
        "ser_time",
        "service time",
        "czas obsługi",
        "czas rozmowy",
        "время обслуживания",
        "длительность",
        "время разговора",
    ],
    "abandoned": ["abandoned", "abandon", "hung up", "porzucone", "porzucony", "брошен", "брошенный", "пропущенный"],
    "resolved": [
        "resolved",
        "fcr",
        "first contact resolution",
        "rozwiązane",
        "rozwiązany",
        "załatwione",
        "решено",
        "решён",
        "решен",
    ],
    "case_id": ["case_id", "case", "case id", "sprawa", "nr sprawy", "id sprawy", "номер дела", "дело"],
    "agent_id": [
        "agent_id",
        "agent",
        "server",
        "operator",
        "handled by",
        "konsultant",
        "pracownik",
        "оператор",
        "агент",
        "сотрудник",
    ],
    "team": ["team", "group", "assignment group", "queue", "zespół", "grupa", "dział", "команда", "группа", "отдел"],
    "data_used": ["data_used", "data used", "fields used", "data consulted", "użyte dane", "использованные данные"],
    "handling": ["handling", "routing", "sposób obsługi", "обработка"],
    "closed_at": [
        "closed_at",
        "closed date",
        "closed",
        "resolved at",
        "resolved_at",
        "data zamknięcia",
        "data rozwiązania",
        "дата закрытия",
        "дата решения",
    ],
}
_RECEIVED = [
    "received_at",
    "received",
    "datetime",
    "date time",
    "timestamp",
    "created date",
    "created at",
    "created",
    "opened at",
    "opened",
    "start time",
    "call start",
    "data i godzina",
    "data godzina",
    "data zgłoszenia",
    "data połączenia",
    "дата и время",
    "дата время",
    "дата обращения",
    "дата звонка",
    "время обращения",
]
_DATE_ONLY = ["date", "call date", "data", "дата"]
_TIME_ONLY = ["time", "call time", "godzina", "время", "czas rozpoczęcia"]


#: whole export layouts known by their header, each the same as a documented mapping in samples/mappings/
_LAYOUTS: list[tuple[str, frozenset[str], dict]] = [
    (
        "the Technion call-centre layout (as samples/mappings/anonymous_bank.yaml)",
        frozenset(
            {"vru+line", "call_id", "customer_id", "date", "vru_entry", "q_time", "outcome", "ser_time", "server"}
        ),
        {
            "columns": {
                "contact_id": ["vru+line", "call_id"],
                "customer_id": "customer_id",
                "reason_code": "type",
                "wait_s": "q_time",
                "handle_s": "ser_time",
                "agent_id": "server",
            },
            "received_at": {"columns": ["date", "vru_entry"], "format": "%y%m%d %H:%M:%S"},
            "constants": {"channel": "phone"},
            "booleans": {"abandoned": {"column": "outcome", "true": ["HANG"], "false": ["AGENT"]}},
            "drop": {"outcome": ["PHANTOM"]},
            "na_values": {"server": ["NO_SERVER"]},
        },
    ),
    (
        "an XES event log: one contact per trace, received at its first event (closing needs a mapping: "
        "closed_when; see samples/mappings/bpic2013_incidents.yaml)",
        frozenset({"case:concept:name", "time:timestamp"}),
        {
            "columns": {"contact_id": "case:concept:name"},
            "received_at": "time:timestamp",
            "collapse": {"by": "case:concept:name", "keep": "last", "received_at": "earliest"},
        },
    ),
]


#: layouts known by their header whose reading is a documented mapping shipped with the samples
_MAPPED_LAYOUTS: list[tuple[str, frozenset[str], str]] = [
    (
        "a ServiceNow incident event log: one contact per incident, its rows are updates",
        frozenset({"number", "incident_state", "opened_at", "sys_updated_at", "caller_id", "reopen_count"}),
        "servicenow_incident_events.yaml",
    ),
    (
        "an NYC 311 export (classic headers, US 12-hour times)",
        frozenset({"Unique Key", "Created Date", "Closed Date", "Complaint Type", "Open Data Channel Type"}),
        "nyc311_2011_micro.yaml",
    ),
    (
        "an NYC 311 export (Socrata API headers)",
        frozenset({"unique_key", "created_date", "complaint_type", "descriptor", "open_data_channel_type"}),
        "nyc311_2024_socrata.yaml",
    ),
]


def recognise(header: list[str]) -> Mapping:
    """A mapping from a known export layout or well-known column names, for exports without one."""
    names = {h.strip() for h in header}
    for title, needed, doc in _LAYOUTS:
        if needed <= names:
            return mapping_from_dict(doc, f"recognised layout: {title}")
    for title, needed, file in _MAPPED_LAYOUTS:
        if needed <= names:
            mapping = load_mapping(samples.path() / "mappings" / file)
            return replace(mapping, origin=f"recognised layout: {title} (as samples/mappings/{file})")
    return recognise_names(header)


def recognise_names(header: list[str]) -> Mapping:
    by_key: dict[str, str] = {}
    for name in header:
        by_key.setdefault(norm_key(name), name)
    used: set[str] = set()

    def take(words: list[str]) -> str | None:
        for w in words:
            name = by_key.get(norm_key(w))
            if name is not None and name not in used:
                used.add(name)
                return name
        return None

    received = None
    single = take(_RECEIVED)
    if single:
        received = TimestampSpec((single,))
    else:
        date, time = take(_DATE_ONLY), take(_TIME_ONLY)
        if date and time:
            received = TimestampSpec((date, time))
        elif date:
            received = TimestampSpec((date,))
    columns: dict[str, tuple[str, ...]] = {}
    for target, words in _SYNONYMS.items():
        found = take(words)
        if found:
            columns[target] = (found,)
    return Mapping(columns=columns, received_at=received)
