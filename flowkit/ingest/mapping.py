"""How one export's columns become contact-table columns: the mapping file, or a guess.

A consultant writes a short YAML per export (see DESIGN.md, "Source mappings"); when
there is none, common column names in English, Polish and Russian are recognised. Either
way the result is a :class:`Mapping`, checked against the file's real header so a typo
is reported with the columns the file does have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from flowkit.errors import MappingError
from flowkit.ingest.values import norm_key
from flowkit.schema import CHANNELS, COLUMNS
from flowkit.yamlfile import load_yaml

__all__ = ["Mapping", "TimestampSpec", "load_mapping", "recognise", "resolve"]

_TOP_KEYS = {
    "format",
    "delimiter",
    "encoding",
    "sheet",
    "records",
    "columns",
    "received_at",
    "constants",
    "booleans",
    "drop",
    "collapse",
    "channels",
    "durations",
    "pad_short_rows",
    "reason_demand",
    "description",
    "na_values",
    "closed_when",
    "offsets",
    "keep",
}
_MAPPABLE = [c for c in COLUMNS if c not in ("received_at", "source")]
#: cell texts that mean "no value" in every export (the mapping's na_values adds more).
DEFAULT_NA = ("", "NULL", "null", "None", "NaN", "nan", "N/A", "n/a", "#N/A")


@dataclass(frozen=True)
class TimestampSpec:
    """received_at from one column, or several joined with spaces, with an optional format."""

    columns: tuple[str, ...]
    format: str | None = None
    dayfirst: bool | None = None


@dataclass(frozen=True)
class Mapping:
    """Everything needed to turn one export into contacts. Field names follow the YAML keys."""

    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # target -> source column(s)
    received_at: TimestampSpec | None = None
    format: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    records: str | None = None
    constants: dict[str, str] = field(default_factory=dict)
    booleans: dict[str, dict] = field(default_factory=dict)  # target -> {column, true, false}
    drop: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source column -> values
    collapse: dict | None = None  # {by: column, keep: first|last, received_at: earliest|kept}
    closed_when: dict | None = None  # {column, values}: closed_at only where the row says closed
    offsets: str = "utc"  # times with a UTC offset: to UTC, or "local" (wall clock as written)
    channels: dict[str, str] = field(default_factory=dict)  # source value -> channel
    durations: dict[str, str] = field(default_factory=dict)  # target -> unit
    pad_short_rows: bool = False
    reason_demand: dict[str, str] = field(default_factory=dict)  # reason code -> value|failure
    na_values: tuple[str, ...] = DEFAULT_NA  # cell texts that mean empty
    na_by_column: dict[str, tuple[str, ...]] = field(default_factory=dict)  # more, for one source column
    keep: dict[str, str] = field(default_factory=dict)  # extra column name -> source column, carried as is
    origin: str = "recognised column names"  # where the mapping came from


def _fail(origin: str, key: str, message: str) -> MappingError:
    return MappingError(f"{origin}: {key}: {message}")


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping YAML. Unknown keys and bad values name the key and file."""
    doc = load_yaml(path, MappingError, "mapping file")
    return mapping_from_dict(doc or {}, str(path))


def mapping_from_dict(doc: dict, origin: str = "mapping") -> Mapping:
    """Build a :class:`Mapping` from already-parsed YAML (used by tests and notebooks)."""
    if not isinstance(doc, dict):
        raise MappingError(f"{origin}: a mapping is a YAML mapping of keys, got {type(doc).__name__}")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise _fail(origin, unknown[0], f"unknown key; allowed keys are {', '.join(sorted(_TOP_KEYS))}")

    columns: dict[str, tuple[str, ...]] = {}
    for target, src in (doc.get("columns") or {}).items():
        if target == "received_at":
            continue  # handled below, may also be given here as a plain column
        if target not in _MAPPABLE:
            raise _fail(origin, f"columns.{target}", f"not a contact-table column; use one of {', '.join(_MAPPABLE)}")
        columns[target] = _as_tuple(origin, f"columns.{target}", src)

    ts = doc.get("received_at", (doc.get("columns") or {}).get("received_at"))
    received = None
    if isinstance(ts, str):
        received = TimestampSpec((ts,))
    elif isinstance(ts, dict):
        extra = set(ts) - {"columns", "column", "format", "dayfirst"}
        if extra:
            raise _fail(origin, f"received_at.{sorted(extra)[0]}", "unknown key; use columns, format, dayfirst")
        cols = ts.get("columns", ts.get("column"))
        if cols is None:
            raise _fail(origin, "received_at", "needs 'columns:' (one column or a list to join)")
        dayfirst = ts.get("dayfirst")
        if dayfirst is not None and not isinstance(dayfirst, bool):
            raise _fail(origin, "received_at.dayfirst", "must be true or false")
        received = TimestampSpec(_as_tuple(origin, "received_at.columns", cols), ts.get("format"), dayfirst)
    elif ts is not None:
        raise _fail(origin, "received_at", "must be a column name or {columns: [...], format: ...}")

    constants = {str(k): str(v) for k, v in (doc.get("constants") or {}).items()}
    for k, v in constants.items():
        if k not in _MAPPABLE:
            raise _fail(origin, f"constants.{k}", f"not a contact-table column; use one of {', '.join(_MAPPABLE)}")
        if k == "channel" and v not in CHANNELS:
            raise _fail(origin, "constants.channel", f"{v!r} is not a channel; use one of {', '.join(CHANNELS)}")

    booleans = {}
    for target, spec in (doc.get("booleans") or {}).items():
        if target not in ("abandoned", "resolved"):
            raise _fail(origin, f"booleans.{target}", "only abandoned and resolved are booleans")
        if isinstance(spec, dict):  # YAML 1.1 reads the keys `true:`/`false:` as booleans
            spec = {
                ({True: "true", False: "false"}.get(k, k) if isinstance(k, bool) else k): v for k, v in spec.items()
            }
        if not isinstance(spec, dict) or "column" not in spec:
            raise _fail(origin, f"booleans.{target}", "needs {column: NAME, true: [codes], false: [codes]}")
        extra = set(spec) - {"column", "true", "false"}
        if extra:
            raise _fail(origin, f"booleans.{target}.{sorted(extra)[0]}", "unknown key; use column, true, false")
        booleans[target] = {
            "column": str(spec["column"]),
            "true": [str(v) for v in _as_tuple(origin, f"booleans.{target}.true", spec.get("true", []))]
            if "true" in spec
            else None,
            "false": [str(v) for v in _as_tuple(origin, f"booleans.{target}.false", spec.get("false", []))]
            if "false" in spec
            else None,
        }

    drop = {
        str(col): tuple(str(v) for v in _as_tuple(origin, f"drop.{col}", vals))
        for col, vals in (doc.get("drop") or {}).items()
    }

    collapse = doc.get("collapse")
    if collapse is not None:
        if not isinstance(collapse, dict) or "by" not in collapse:
            raise _fail(origin, "collapse", "needs {by: COLUMN, keep: first|last}")
        extra = set(collapse) - {"by", "keep", "received_at"}
        if extra:
            raise _fail(origin, f"collapse.{sorted(extra)[0]}", "unknown key; use by, keep, received_at")
        keep = collapse.get("keep", "last")
        if keep not in ("first", "last"):
            raise _fail(origin, "collapse.keep", f"{keep!r}: use first or last")
        when = collapse.get("received_at", "kept")
        if when not in ("earliest", "kept"):
            raise _fail(
                origin,
                "collapse.received_at",
                f"{when!r}: use earliest (an event log's first event) or kept (the kept row's own time)",
            )
        collapse = {"by": str(collapse["by"]), "keep": keep, "received_at": when}

    closed_when = doc.get("closed_when")
    if closed_when is not None:
        if not isinstance(closed_when, dict) or set(closed_when) != {"column", "values"}:
            raise _fail(origin, "closed_when", "needs {column: NAME, values: [codes that mean closed]}")
        closed_when = {
            "column": str(closed_when["column"]),
            "values": tuple(str(v) for v in _as_tuple(origin, "closed_when.values", closed_when["values"])),
        }

    channels = {str(k): str(v) for k, v in (doc.get("channels") or {}).items()}
    for k, v in channels.items():
        if v not in CHANNELS:
            raise _fail(origin, f"channels.{k}", f"{v!r} is not a channel; use one of {', '.join(CHANNELS)}")

    durations = {str(k): str(v) for k, v in (doc.get("durations") or {}).items()}
    for k, v in durations.items():
        if k not in ("wait_s", "handle_s"):
            raise _fail(origin, f"durations.{k}", "only wait_s and handle_s are durations")
        if v not in ("seconds", "minutes", "hours"):
            raise _fail(origin, f"durations.{k}", f"{v!r}: use seconds, minutes or hours")

    reason_demand = {str(k): str(v) for k, v in (doc.get("reason_demand") or {}).items()}
    for k, v in reason_demand.items():
        if v not in ("value", "failure"):
            raise _fail(origin, f"reason_demand.{k}", f"{v!r}: use value or failure")

    na_values, na_by_column = DEFAULT_NA, {}
    if isinstance(doc.get("na_values"), dict):  # per source column: {customer_id: ["0"]}
        na_by_column = {
            str(c): tuple(str(v) for v in _as_tuple(origin, f"na_values.{c}", vals))
            for c, vals in doc["na_values"].items()
        }
    elif "na_values" in doc:
        na_values = DEFAULT_NA + tuple(str(v) for v in _as_tuple(origin, "na_values", doc["na_values"]))
    offsets = str(doc.get("offsets", "utc"))
    if offsets not in ("utc", "local"):
        raise _fail(
            origin,
            "offsets",
            f"{offsets!r}: use utc (convert times with an offset to UTC) or local "
            "(keep the wall-clock time as written)",
        )
    keep = _keep(origin, doc.get("keep"))
    fmt = doc.get("format")
    sheet = doc.get("sheet")
    return Mapping(
        columns=columns,
        received_at=received,
        format=fmt,
        delimiter=doc.get("delimiter"),
        encoding=doc.get("encoding"),
        sheet=sheet,
        records=doc.get("records"),
        constants=constants,
        booleans=booleans,
        drop=drop,
        collapse=collapse,
        closed_when=closed_when,
        offsets=offsets,
        channels=channels,
        durations=durations,
        pad_short_rows=bool(doc.get("pad_short_rows", False)),
        reason_demand=reason_demand,
        na_values=na_values,
        na_by_column=na_by_column,
        keep=keep,
        origin=origin,
    )


def _keep(origin: str, value) -> dict[str, str]:
    """``keep: [reopen_count, priority]``: source columns carried into the contact table as extra
    columns (snake-case names), for signals the contract has no column for (a ticket's reopen count)."""
    if value is None:
        return {}
    out = {}
    for col in _as_tuple(origin, "keep", value):
        name = re.sub(r"[^0-9a-z]+", "_", str(col).strip().lower()).strip("_")
        if not name:
            raise _fail(origin, "keep", f"{col!r} is not a usable column name")
        if name in COLUMNS or name == "source":
            raise _fail(origin, "keep", f"{col!r} would overwrite the contract column {name!r}; map it under columns:")
        out[name] = str(col)
    return out


def _as_tuple(origin: str, key: str, value) -> tuple:
    if isinstance(value, (list, tuple)):
        if not value:
            raise _fail(origin, key, "is an empty list")
        return tuple(str(v) for v in value)
    if value is None:
        raise _fail(origin, key, "is empty")
    return (str(value),)


# --------------------------------------------------------------------------- recognition

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


def recognise(header: list[str]) -> Mapping:
    """A mapping from a known export layout or well-known column names, for exports without one."""
    names = {h.strip() for h in header}
    for title, needed, doc in _LAYOUTS:
        if needed <= names:
            return mapping_from_dict(doc, f"recognised layout: {title}")
    return _recognise_names(header)


def _recognise_names(header: list[str]) -> Mapping:
    by_key = {}
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
    columns = {}
    for target, words in _SYNONYMS.items():
        name = take(words)
        if name:
            columns[target] = (name,)
    return Mapping(columns=columns, received_at=received)


def resolve(mapping: Mapping | None, header: list[str], path: str) -> Mapping:
    """Complete ``mapping`` with recognised names and check every named column exists."""
    if mapping is None:
        mapping = recognise(header)
    else:
        auto = _recognise_names(header)
        # fill what the mapping leaves out from recognised names it does not already use
        taken = {c for cols in mapping.columns.values() for c in cols}
        taken |= {spec["column"] for spec in mapping.booleans.values()}
        taken |= set(mapping.received_at.columns if mapping.received_at else ())
        decided = set(mapping.columns) | set(mapping.constants) | set(mapping.booleans)
        extra = {t: cols for t, cols in auto.columns.items() if t not in decided and not set(cols) & taken}
        received = mapping.received_at
        if received is None and auto.received_at is not None and not set(auto.received_at.columns) & taken:
            received = auto.received_at
        mapping = _replace(mapping, columns={**mapping.columns, **extra}, received_at=received)
    if mapping.received_at is None:
        raise MappingError(
            f"{path}: no column for received_at (when the customer made contact); the file has columns: "
            f"{', '.join(header)}. Name it in a mapping file: received_at: {{columns: [..], format: ..}}"
        )
    needed: list[tuple[str, str]] = [("received_at", c) for c in mapping.received_at.columns]
    needed += [(f"columns.{t}", c) for t, cols in mapping.columns.items() for c in cols]
    needed += [(f"booleans.{t}", spec["column"]) for t, spec in mapping.booleans.items()]
    needed += [(f"drop.{c}", c) for c in mapping.drop]
    needed += [(f"na_values.{c}", c) for c in mapping.na_by_column]
    needed += [("keep", c) for c in mapping.keep.values()]
    if mapping.collapse:
        needed.append(("collapse.by", mapping.collapse["by"]))
    if mapping.closed_when:
        needed.append(("closed_when.column", mapping.closed_when["column"]))
    missing = [(key, col) for key, col in needed if col not in header]
    if missing:
        what = "; ".join(f"{key} names {col!r}" for key, col in missing)
        raise MappingError(
            f"{path}: column not found ({what}) [mapping: {mapping.origin}]; the file has columns: {', '.join(header)}"
        )
    return mapping


def _replace(mapping: Mapping, **changes) -> Mapping:
    from dataclasses import replace

    return replace(mapping, **changes)
