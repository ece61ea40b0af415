"""Bring a contact table up to what a step needs: cases stitched, demand classified, once.

Commands after ingest accept plain, stitched or classified contacts; this is the one place
that decides what still has to be done, so every command does it the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """The default progress callback: says nothing."""


def ensure_cases(contacts: pd.DataFrame, window: str = "14D", progress: Progress = _quiet) -> pd.DataFrame:
    """The contacts with cases: stitched within ``window`` when no contact has a case yet."""
    from flowkit.cases import stitch

    if not contacts["case_id"].isna().all():
        return contacts
    progress("stitching cases")
    return stitch(contacts, window=window).contacts


def prepare(contacts: pd.DataFrame, window: str = "14D", progress: Progress = _quiet) -> pd.DataFrame:
    """Stitch (when no case is known) and classify with the built-in rules (when not classified yet)."""
    from flowkit.classify import classify

    table = ensure_cases(contacts, window, progress)
    if "demand" not in table.columns:
        progress("classifying demand")
        table = classify(table, stitch_window=window).contacts
    return table
