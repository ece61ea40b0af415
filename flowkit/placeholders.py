"""Placeholder customer ids: a value that stands for "not identified", not for a customer.

Call-centre and ticket exports often fill the customer column with 0, -1, "unknown" or one
dummy account when the caller was not identified (59% of rows in the Technion bank log are
customer 0). Counted as one customer, a placeholder becomes the biggest repeat caller there
is, and every case, repeat and churn figure built on it is wrong. So such ids are found
here, reported, and treated as "no customer id": those contacts stay in volume and wait
figures but are left out of anything that links contacts by customer.
"""

from __future__ import annotations

import re
from typing import TypedDict, Unpack

import pandas as pd

from flowkit.schema import STRING

__all__ = [
    "NO_AGENT_WORDS",
    "PLACEHOLDER_WORDS",
    "blank_no_agent",
    "blank_placeholders",
    "describe",
    "find_placeholders",
]

#: ids that mean "nobody in particular" in the exports we meet (compared lower-case, trimmed)
PLACEHOLDER_WORDS = frozenset(
    {
        "-1",
        "unknown",
        "unk",
        "n/a",
        "na",
        "none",
        "null",
        "nil",
        "-",
        "--",
        "?",
        "x",
        "xxx",
        "anonymous",
        "anon",
        "not identified",
        "unidentified",
        "guest",
        "default",
        "test",
        "brak",
        "nieznany",
        "anonim",
        "неизвестно",
        "неизвестный",
        "аноним",
        "нет",
    }
)
_ZEROS = re.compile(r"^0+$")

#: agent ids that mean "nobody handled it" (the Technion log's NO_SERVER on unserved calls): counted
#: as an agent they would staff the model with a ghost who answers every abandoned call
NO_AGENT_WORDS = frozenset(
    {
        "no_server",
        "noserver",
        "no server",
        "no_agent",
        "noagent",
        "no agent",
        "none",
        "nobody",
        "unassigned",
        "not assigned",
        "n/a",
        "-",
        "?",
        "unknown",
        "brak",
        "нет",
    }
)


def find_placeholders(
    ids: pd.Series, min_rows: int = 20, min_share: float = 0.05, dominance: float = 5.0
) -> dict[str, int]:
    """Placeholder ids in ``ids`` and how many rows carry each.

    A placeholder is a word that means "unknown" (0, 00, -1, unknown, n/a, ...), or one id on
    an implausible share of rows: at least ``min_rows`` rows and ``min_share`` of the rows
    that have an id, and ``dominance`` times as many rows as the next busiest id. A real
    customer does not phone five times as often as everybody else put together in the top.
    """
    text = _text(ids.dropna()).str.strip()
    if text.empty:
        return {}
    counts = text.value_counts()
    keys = counts.index.to_series()
    if keys.dtype == STRING:  # the same test in pyarrow: one call for a million distinct ids, not a million
        is_word = (keys.str.fullmatch("0+") | keys.str.lower().isin(list(PLACEHOLDER_WORDS))).astype(bool)
    else:
        is_word = keys.map(lambda v: bool(_ZEROS.match(v)) or v.lower() in PLACEHOLDER_WORDS)
    found = {str(k): int(v) for k, v in counts[is_word.to_numpy()].items()}
    rest = counts[~is_word.to_numpy()]
    if len(rest):
        top = int(rest.iloc[0])
        second = int(rest.iloc[1]) if len(rest) > 1 else 0
        if top >= min_rows and top >= min_share * len(text) and top >= dominance * max(second, 1):
            found[str(rest.index[0])] = top
    return found


class Thresholds(TypedDict, total=False):
    """The keyword arguments of :func:`find_placeholders`, passed on by :func:`blank_placeholders`."""

    min_rows: int
    min_share: float
    dominance: float


def blank_placeholders(ids: pd.Series, **kwargs: Unpack[Thresholds]) -> tuple[pd.Series, dict[str, int]]:
    """``ids`` with placeholder values set to missing, and what was found."""
    found = find_placeholders(ids, **kwargs)
    if not found:
        return ids, found
    hit = _text(ids).str.strip().isin(list(found)) & ids.notna()
    return ids.mask(hit), found


def _text(ids: pd.Series) -> pd.Series:
    """Ids as text; pyarrow strings stay pyarrow strings (no Python string per row on a million-row log)."""
    return ids if ids.dtype == STRING else ids.astype(str)


def describe(found: dict[str, int], total: int) -> str:
    """One sentence for the ledger and the report."""
    parts = ", ".join(
        f"{k!r} on {v:,} rows ({v / max(total, 1):.0%})" for k, v in sorted(found.items(), key=lambda kv: -kv[1])
    )
    return (
        f"placeholder customer id {parts}: not a customer but 'not identified'; emptied, so these "
        "contacts count in volumes and waits but not in repeat, case or churn analysis"
    )


def blank_no_agent(agents: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """``agents`` with "nobody" values (NO_SERVER, unassigned, ...) set to missing, and their counts."""
    text = _text(agents).str.strip().str.lower()
    hit = agents.notna() & text.isin(NO_AGENT_WORDS)
    if not hit.any():
        return agents, {}
    found = {str(k): int(v) for k, v in agents[hit].astype(str).value_counts().items()}
    return agents.mask(hit), found
