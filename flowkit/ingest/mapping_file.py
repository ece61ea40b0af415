"""The mapping file's contract: which export columns become which contact-table columns.

Declared once with pydantic: the same models check a user's YAML (one-line errors naming the
key) and print the JSON Schema editors validate against (``flowkit schema mapping``).
:mod:`flowkit.ingest.mapping` turns a checked file into the :class:`~flowkit.ingest.mapping.Mapping`
the readers use. Cell codes and column names are text; YAML numbers there (``true: [1]``,
a column called ``2024``) are read as the text they were written as.
"""

from __future__ import annotations

import codecs
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from flowkit.contract import Contract, explained
from flowkit.ingest.readers import FORMATS
from flowkit.schema import CHANNELS

__all__ = ["MappingFile"]


def _as_text(value: Any) -> Any:
    """Numbers and booleans as YAML read them, back to text (a code ``1``, a column ``2024``)."""
    return str(value) if isinstance(value, (int, float)) else value


def _known_encoding(name: str) -> str:
    try:
        codecs.lookup(name)
    except LookupError:
        raise ValueError(f"{name!r} is not an encoding Python knows; use e.g. utf-8, cp1250, cp1251") from None
    return name


Text = Annotated[
    str,
    BeforeValidator(_as_text),
    Field(min_length=1, max_length=1_000),
    WithJsonSchema({"type": ["string", "number", "boolean"], "minLength": 1, "maxLength": 1000}),
]
Codes = Annotated[
    Text | Annotated[list[Text], Field(min_length=1, max_length=100_000)],
    explained("must be a value or a non-empty list of values, got {got}"),
]
Channel = Annotated[
    Literal[CHANNELS],  # type: ignore[valid-type]
    explained(f"{{got}} is not a channel; use one of {', '.join(CHANNELS)}"),
]


class ReceivedAt(Contract):
    """When the customer made contact: one column, or several joined with spaces."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["columns"]}, {"required": ["column"]}]})

    columns: Codes | None = Field(None, description="a column, or a list of columns joined with spaces")
    column: Codes | None = Field(None, description="the same as columns")
    format: str | None = Field(None, max_length=200, description="strftime format, e.g. '%d.%m.%Y %H:%M'")
    dayfirst: bool | None = Field(None, description="ambiguous dates like 03/04: day first (true) or month first")

    @model_validator(mode="after")
    def _has_columns(self) -> ReceivedAt:
        if self.columns is None and self.column is None:
            raise ValueError("needs 'columns:' (one column or a list to join)")
        return self


Timestamp = Annotated[
    Text | ReceivedAt,
    Field(description="a column name, or {columns: [...], format: ..., dayfirst: ...}"),
]


class Columns(Contract):
    """Contact-table column <- export column(s); several are joined (text) or the first filled is used."""

    unknown_key: ClassVar[str] = "not a contact-table column"
    contact_id: Codes | None = None
    customer_id: Codes | None = None
    channel: Codes | None = None
    text: Codes | None = None
    reason_code: Codes | None = None
    wait_s: Codes | None = None
    handle_s: Codes | None = None
    abandoned: Codes | None = None
    resolved: Codes | None = None
    case_id: Codes | None = None
    agent_id: Codes | None = None
    team: Codes | None = None
    data_used: Codes | None = None
    handling: Codes | None = None
    closed_at: Codes | None = None
    received_at: Timestamp | None = None


class Constants(Contract):
    """The same value for every row (an export from one channel)."""

    unknown_key: ClassVar[str] = "not a contact-table column"
    contact_id: Text | None = None
    customer_id: Text | None = None
    channel: Channel | None = None
    text: Text | None = None
    reason_code: Text | None = None
    wait_s: Text | None = None
    handle_s: Text | None = None
    abandoned: Text | None = None
    resolved: Text | None = None
    case_id: Text | None = None
    agent_id: Text | None = None
    team: Text | None = None
    data_used: Text | None = None
    handling: Text | None = None
    closed_at: Text | None = None


class Boolean(Contract):
    """A yes/no column from codes: ``{column: outcome, true: [HANG], false: [AGENT]}``."""

    column: Text
    true: Codes | None = None
    false: Codes | None = None

    @model_validator(mode="before")
    @classmethod
    def _yaml_bool_keys(cls, value: Any) -> Any:
        """YAML 1.1 reads the keys ``true:``/``false:`` as booleans."""
        if isinstance(value, dict):
            return {({True: "true", False: "false"}[k] if isinstance(k, bool) else k): v for k, v in value.items()}
        return value


class Booleans(Contract):
    unknown_key: ClassVar[str] = "only abandoned and resolved are booleans"
    abandoned: Boolean | None = None
    resolved: Boolean | None = None


class Collapse(Contract):
    """One contact per value of ``by`` (an event log: several rows per ticket)."""

    by: Text
    keep: Annotated[Literal["first", "last"], explained("{got}: use first or last")] = "last"
    received_at: Annotated[
        Literal["earliest", "kept"],
        explained("{got}: use earliest (an event log's first event) or kept (the kept row's own time)"),
    ] = "kept"


class ClosedWhen(Contract):
    """closed_at only where the row says closed."""

    column: Text
    values: Codes


Unit = Annotated[Literal["seconds", "minutes", "hours"], explained("{got}: use seconds, minutes or hours")]


class Durations(Contract):
    unknown_key: ClassVar[str] = "only wait_s and handle_s are durations"
    wait_s: Unit | None = None
    handle_s: Unit | None = None


class MappingFile(Contract):
    """How one export's columns become flowkit's contact table."""

    description: str | None = None
    format: (
        Annotated[
            Literal[FORMATS],  # type: ignore[valid-type]
            explained(f"{{got}}: use one of {', '.join(FORMATS)}"),
        ]
        | None
    ) = Field(None, description="the file's format when its extension does not say")
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = Field(
        None, description="one character; sniffed when left out"
    )
    encoding: Annotated[str, AfterValidator(_known_encoding)] | None = Field(None, description="detected if left out")
    sheet: Text | Annotated[int, Field(ge=0)] | None = Field(None, description="XLSX sheet name or 0-based number")
    records: str | None = Field(None, description="JSON: the key that holds the list of records")
    columns: Columns | None = None
    received_at: Timestamp | None = None
    constants: Constants | None = None
    booleans: Booleans | None = None
    drop: dict[Text, Codes] | None = Field(None, description="rows to leave out: export column -> values")
    collapse: Collapse | None = None
    closed_when: ClosedWhen | None = None
    offsets: Annotated[
        Literal["utc", "local"],
        explained(
            "{got}: use utc (convert times with an offset to UTC) or local (keep the wall-clock time as written)"
        ),
    ] = "utc"
    channels: dict[Text, Channel] | None = Field(None, description="export value -> channel")
    durations: Durations | None = None
    pad_short_rows: bool = False
    reason_demand: (
        dict[Text, Annotated[Literal["value", "failure"], explained("{got}: use value or failure")]] | None
    ) = None
    na_values: Codes | dict[Text, Codes] | None = Field(
        None, description="more texts meaning empty: a list for every column, or export column -> list"
    )
    keep: Codes | None = Field(None, description="export columns carried into the contact table as they are")
