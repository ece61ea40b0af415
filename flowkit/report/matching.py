"""The report's "Who should answer?" section (issue 16 q2), in a manager's words.

Built from :func:`flowkit.analyse.matching.match_effects`: for each customer segment, what
answering it with one agent profile rather than the others does to handle time and to
resolution at first contact, comparing like with like, with 95% CIs. With two profiles the
two rows of a segment mirror each other, so one sentence says both. A log without segments or
agent profiles gets a section that says so and what would answer it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.analyse.matching import ADJUSTED_FOR, find_attribute, match_effects

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["matching_section"]

TITLE = "Who should answer: does matching agent to customer change the outcome?"


def _segment_column(c: pd.DataFrame) -> str | None:
    for col in ("segment", "customer_segment"):
        if col in c.columns and c[col].notna().any():
            return col
    return None


def matching_section(c: pd.DataFrame, out: Path, attribute: str | None = None) -> dict:
    """The section for ``build_report`` (id, title, paragraphs, figures, tables, ``_files``)."""
    from flowkit.report.files import figure_file, table_file

    seg_col, attr = _segment_column(c), attribute or find_attribute(c)
    if seg_col is None or attr is None:
        missing = " and ".join(
            w for w, ok in (("customer segments", seg_col), ("the answering agent's profile", attr)) if not ok
        )
        return {
            "id": "matching",
            "title": TITLE,
            "paragraphs": [
                f"This log cannot tell: it has no {missing}. Carry a customer segment column (the mapping's keep:, "
                "named segment) and the agents' profile - a column agent_profile, or an agents file joined on the "
                "agent id with flowkit match --agents agents.csv --attribute profile."
            ],
            "figures": [],
            "tables": [],
            "_files": {},
        }
    eff = match_effects(c, attribute=attr, segment=seg_col)
    n = int(eff.loc[eff["outcome"].eq("handle_s"), "contacts"].sum())
    paragraphs = [
        f"{n:,} answered contacts carry both the customer's segment and the answering agent's profile "
        f"({attr}). For each segment we compare each profile with the others on like contacts: "
        f"{', '.join(ADJUSTED_FOR)} held equal, because centres send their harder contacts to some agents "
        "more than others. Intervals are 95% and allow for each agent's own pace."
    ]
    paragraphs += _sentences(eff)
    agents = int(c.loc[c[attr].notna() & c[seg_col].notna(), "agent_id"].nunique())
    if agents < 20:
        paragraphs.append(
            f"Only {agents} agents answer these contacts, so the intervals are wide: agents differ in pace on their "
            "own, and a profile's figure is the average of a few people. A longer log will not narrow them; more "
            "agents, or a pilot, will."
        )
    paragraphs.append(
        "Observed in the log, not proven: agents and customers may differ in ways the log does not show. The "
        "simulator prices the trade (flowkit compare with routing: matching and a wait limit): shorter handling and "
        "fewer repeat contacts against customers waiting for the right agent. A pilot routing half the customers by "
        "match would confirm it."
    )
    files = {"matching": out / "matching.csv", "matching_chart": out / "matching.png"}
    table = table_file(eff, files["matching"], index=False)
    table.update(name="matching", caption="Handle time and resolution by agent profile and customer segment, adjusted")
    figures = [
        {
            "src": figure_file(_chart(eff), files["matching_chart"]),
            "caption": "Adjusted handle time by customer segment and agent profile (like contacts compared); bars "
            "are 95% intervals. A missing bar: too few contacts or agents to say.",
            "file": files["matching_chart"].name,
        }
    ]
    return {"id": "matching", "title": TITLE, "paragraphs": paragraphs, "figures": figures, "tables": [table]}


def _ci(lo: float, hi: float, scale: float = 1.0, fmt: str = ".0f") -> str:
    a, b = sorted((lo * scale, hi * scale))
    return f"95% CI {a:{fmt}} to {b:{fmt}}"


def _sentences(eff: pd.DataFrame) -> list[str]:
    out = []
    for seg, g in eff.groupby("segment", sort=True):
        profiles = sorted(g["profile"].unique())
        shown = profiles[:1] if len(profiles) == 2 else profiles
        if len(profiles) == 2:  # say it for the profile that is faster, so the sentence reads as a gain
            h = g[g["outcome"].eq("handle_s")].set_index("profile")["diff"]
            if h.notna().all() and h.loc[profiles[1]] < h.loc[profiles[0]]:
                shown = profiles[1:]
        for p in shown:
            others = "the other profile" if len(profiles) == 2 else "the other profiles"
            if len(profiles) == 2:
                others = next(q for q in profiles if q != p) + "s"
            h = g[(g["profile"] == p) & g["outcome"].eq("handle_s")].iloc[0]
            r = g[(g["profile"] == p) & g["outcome"].eq("resolved")].iloc[0]
            who = f"{str(seg).title()} customers answered by {p}s rather than {others}"
            if pd.isna(h["diff"]) and pd.isna(r["diff"]):
                out.append(f"{who}: too few contacts or agents to say ({h['method']}).")
                continue
            parts = []
            for row, what in ((h, "handle"), (r, "resolve")):
                if pd.isna(row["diff"]):
                    parts.append("too few to say for " + ("handle time" if what == "handle" else "resolution"))
                elif not row["significant"]:
                    ci = (
                        _ci(row["diff_ci_low"], row["diff_ci_high"])
                        if what == "handle"
                        else _ci(row["diff_ci_low"], row["diff_ci_high"], 100, ".1f")
                    )
                    parts.append(
                        "no evidence either way on "
                        + ("handle time" if what == "handle" else "resolution")
                        + f" ({ci}"
                        + (" s)" if what == "handle" else " points)")
                    )
                elif what == "handle":
                    word = "shorter" if row["diff"] < 0 else "longer"
                    parts.append(
                        f"take {abs(row['diff']):.0f} s {word} ({_ci(-row['diff_ci_high'], -row['diff_ci_low'])} s "
                        f"shorter; the raw figures said {_raw(row['naive_diff'])})"
                    )
                else:
                    parts.append(
                        f"are resolved at first contact {row['diff'] * 100:+.1f} points "
                        f"({_ci(row['diff_ci_low'], row['diff_ci_high'], 100, '+.1f')})"
                    )
            out.append(f"{who}: {'; '.join(parts)}.")
    return out


def _raw(naive: float) -> str:
    if not np.isfinite(naive):
        return "nothing"
    return f"{abs(naive):.0f} s {'longer' if naive > 0 else 'shorter'}"


def _chart(eff: pd.DataFrame) -> Axes:
    from flowkit.report.charts import figure_of, new_axes

    h = eff[eff["outcome"].eq("handle_s")]
    segments = sorted(h["segment"].unique())
    profiles = sorted(h["profile"].unique())
    ax = new_axes(height=3.2)
    width = 0.8 / max(len(profiles), 1)
    shades = [str(v) for v in np.linspace(0.3, 0.85, max(len(profiles), 1))]
    for j, p in enumerate(profiles):
        rows = h[h["profile"] == p].set_index("segment").reindex(segments)
        x = np.arange(len(segments)) + (j - (len(profiles) - 1) / 2) * width
        mean = rows["adjusted_mean"].to_numpy(dtype=float)
        err = np.vstack(
            [mean - rows["mean_ci_low"].to_numpy(dtype=float), rows["mean_ci_high"].to_numpy(dtype=float) - mean]
        )
        ax.bar(x, np.nan_to_num(mean), width, color=shades[j], edgecolor="black", label=str(p))
        ax.errorbar(x, mean, yerr=err, fmt="none", ecolor="black", capsize=3)
    ax.set_xticks(np.arange(len(segments)), [str(s) for s in segments])
    ax.set_xlabel("customer segment")
    ax.set_ylabel("handle time, s (adjusted)")
    ax.set_title("Handle time if each profile answered the segment", loc="left")
    ax.legend(frameon=False, fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    figure_of(ax).tight_layout()
    return ax
