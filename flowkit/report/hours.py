"""The report section for "when to call back, when to be open" (issue 16, question 3), in a manager's words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from flowkit.analyse.hours import DAYS
from flowkit.pipeline.hours import HoursAnswer, answer_hours

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["hours_section"]


def _pct(x: float | None) -> str:
    return f"{x * 100:.0f}%" if x is not None and np.isfinite(x) else "unknown"


def hours_section(c: pd.DataFrame, out: Path, answer: HoursAnswer | None = None) -> dict | None:
    """Opening hours, attempts on a closed line, the storm at opening, and callbacks kept or missed."""
    from flowkit.report.files import figure_file, table_file

    a = answer or answer_hours(c)
    if not a.closed.hours:
        return None
    paragraphs: list[str] = []
    for h in a.closed.hours.values():
        how = (
            "as given" if h.source == "given" else "read from when contacts were answered" if h.grid is not None else ""
        )
        if h.grid is None:
            paragraphs.append(f"The {h.channel} line's opening hours are unknown: {h.note}.")
        else:
            paragraphs.append(f"The {h.channel} line is open {h.text} ({how}).")
    r: Any  # a row of itertuples (its fields are untyped)
    for r in a.closed.redials.itertuples():
        p = (
            f"{r.attempts_closed:,} {r.channel} contacts came while the line was closed"
            f" ({r.identified_attempts:,} from customers the log can follow). "
        )
        if r.verdict != "measured":
            p += f"Whether they call back when it opens: {r.verdict}."
        else:
            p += (
                f"Of those customers, {_pct(r.redial_share)} called again in the first {r.within_hours:g} hours after "
                f"the line opened (95% CI {_pct(r.ci_low)} to {_pct(r.ci_high)}) - the morning storm - and "
                f"{_pct(r.elsewhere_share)} tried another channel first within a day (95% CI {_pct(r.elsewhere_ci_low)}"
                f" to {_pct(r.elsewhere_ci_high)}); the rest did not come back soon. At least {_pct(r.storm_share)} of "
                f"the contacts in the first {r.within_hours:g} opening hours are these redials."
            )
        paragraphs.append(p)
    figures, tables, files = [], [], {}
    att = a.closed.attempts
    if len(att):
        path = out / "closed_attempts.png"
        figures.append(
            {
                "src": figure_file(_attempts_chart(att), path),
                "caption": "Contacts that met a closed line, by hour of the day and weekday (all weeks of the log).",
                "file": path.name,
            }
        )
        files["closed_attempts_chart"] = path
    frames = a.tables()
    for name, caption in (
        ("opening_hours", "Opening hours per live channel: given or inferred from answered contacts"),
        ("closed_attempts", "Contacts outside the opening hours, by weekday and hour"),
        ("redials_at_opening", "Customers who tried a closed line: redialled at opening, went elsewhere (95% CIs)"),
        ("callbacks", "Callback promises kept, late or missed, and how many were followed by failure demand"),
        ("missed_callback_effect", "Extra failure demand after a missed callback, adjusted (95% CI)"),
    ):
        df = frames.get(name)
        if df is None:
            continue
        t = table_file(df, out / f"{name}.csv", index=False)
        t.update(name=name, caption=caption)
        tables.append(t)
        files[name] = out / f"{name}.csv"
    if a.callbacks is None:
        paragraphs.append(f"Callbacks: this log cannot tell - {a.callbacks_note}.")
    else:
        cb, e = a.callbacks, a.callbacks.effect
        paragraphs.append(
            f"{cb.promises:,} callbacks were promised; {_pct(cb.kept_share[0])} were made in time (95% CI "
            f"{_pct(cb.kept_share[1])} to {_pct(cb.kept_share[2])}). Rule: {cb.rule}."
        )
        if np.isfinite(e.get("estimate", np.nan)):
            figure = (
                f"{e['estimate'] * 100:.0f} failure-demand contacts per 100 promises (95% CI {e['ci_low'] * 100:.0f} "
                f"to {e['ci_high'] * 100:.0f}), comparing like with like ({e['adjusted_for']}); the raw difference, "
                f"{e['naive'] * 100:.0f} per 100, mixes in that missed callbacks fall on harder cases"
            )
            if e["ci_low"] > 0:
                words = f"A missed callback adds {figure}. Making the callbacks that are promised removes that demand."
            else:
                words = f"No evidence that a missed callback brings more failure demand: {figure}."
            paragraphs.append(words)
        else:
            paragraphs.append(f"Failure demand after a missed callback: {e['verdict']}.")
        if len(cb.table):
            path = out / "callbacks.png"
            figures.append(
                {
                    "src": figure_file(_callback_chart(cb.table), path),
                    "caption": "Share of promises followed by failure demand, by whether the callback came; bars are "
                    "95% intervals (not adjusted).",
                    "file": path.name,
                }
            )
            files["callbacks_chart"] = path
    paragraphs.append(
        "Observed in the log, not proven: the simulator's opening-hours what-ifs (flowkit compare) show what longer "
        "hours or kept callbacks would change."
    )
    return {
        "id": "hours",
        "title": "When to call back, when to be open",
        "paragraphs": paragraphs,
        "figures": figures,
        "tables": tables,
        "_files": files,
    }


def _attempts_chart(att: pd.DataFrame) -> Axes:
    from flowkit.report.charts import figure_of, new_axes

    ax = new_axes(height=3.0)
    grid = np.zeros((7, 24))
    r: Any  # a row of itertuples (its fields are untyped)
    for r in att.itertuples():
        grid[DAYS.index(r.weekday), int(r.hour)] += r.attempts
    im = ax.imshow(grid, aspect="auto", cmap="Greys")
    ax.set_yticks(range(7), list(DAYS))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour of the day")
    ax.set_title("Attempts while the line was closed", loc="left")
    fig = figure_of(ax)
    fig.colorbar(im, ax=ax, label="contacts")
    fig.tight_layout()
    return ax


def _callback_chart(t: pd.DataFrame) -> Axes:
    from flowkit.report.charts import figure_of, new_axes

    ax = new_axes(height=2.8)
    x = np.arange(len(t))
    share = t["share"].to_numpy() * 100
    err = np.vstack([share - t["ci_low"].to_numpy() * 100, t["ci_high"].to_numpy() * 100 - share])
    ax.bar(x, share, color="0.7", edgecolor="black")
    ax.errorbar(x, share, yerr=err, fmt="none", ecolor="black", capsize=3)
    ax.set_xticks(x, [f"callback {s}" for s in t["status"]])
    ax.set_ylabel("followed by failure demand, %")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    figure_of(ax).tight_layout()
    return ax
