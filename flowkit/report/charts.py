"""Charts for managers: matplotlib, readable in black and white, one idea per chart.

Each function takes the analysis result and ``ax=None`` and returns the Axes; nothing here
touches global rcParams or chooses a backend (a notebook keeps its inline one; the CLI picks Agg).
Value and failure demand are told apart by hatching and grey level, not colour alone, so a
printed report still reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import matplotlib.text
import matplotlib.ticker
import numpy as np
import pandas as pd

from flowkit.analyse.capability import XmR

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

__all__ = [
    "contacts_per_case",
    "data_effects",
    "failure_by",
    "new_axes",
    "nth_contact",
    "pareto",
    "phone_by_hour",
    "plain_text",
    "value_failure_flow",
    "weekly_failure_share",
    "xmr_chart",
]

VALUE: dict[str, Any] = dict(facecolor="0.85", edgecolor="black", hatch="")  # bar / patch style
FAILURE: dict[str, Any] = dict(facecolor="0.35", edgecolor="black", hatch="//")


def new_axes(width: float = 7.5, height: float = 3.6) -> Axes:
    _, ax = plt.subplots(figsize=(width, height), dpi=110)
    return ax


def plain_text(fig: Figure | SubFigure) -> None:
    """Every text on ``fig`` drawn as typed: no mathtext (``$...$``), no TeX.

    Labels come from the log (demand types, channels, field names): ``$x^2$`` must show as
    typed and ``$\\frac{$`` must not break the chart. No chart here uses mathtext on purpose,
    so it is switched off for every text, per text object (rcParams are left alone).
    """
    for t in fig.findobj(matplotlib.text.Text):
        t.set_parse_math(False)
        t.set_usetex(False)


def figure_of(ax: Axes) -> Figure:
    """The Figure ``ax`` is drawn on (new_axes makes one per chart; no chart is in a sub-figure)."""
    fig = ax.get_figure(root=True)
    assert fig is not None, "an Axes on a figure"
    return fig


def _finish(ax: Axes, title: str) -> Axes:
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    fig = figure_of(ax)
    plain_text(fig)  # before the layout: it measures, so it parses, every text
    fig.tight_layout()
    return ax


def failure_by(table: pd.DataFrame, by_label: str, ax: Axes | None = None) -> Axes:
    """Stacked value / failure contacts per group, failure share written on each bar."""
    ax = ax or new_axes()
    x = np.arange(len(table))
    ax.bar(x, table["value"], label="value demand", **VALUE)
    ax.bar(x, table["failure"], bottom=table["value"], label="failure demand", **FAILURE)
    for i, (total, share) in enumerate(zip(table["value"] + table["failure"], table["failure_share"], strict=True)):
        if pd.notna(share):
            ax.text(i, total, f"{share:.0%}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [str(i) for i in table.index], rotation=0 if len(table) < 10 else 90, fontsize=8)
    ax.set_ylabel("contacts")
    ax.set_xlabel(by_label)
    ax.legend(frameon=False, fontsize=8)
    return _finish(ax, f"Value and failure demand by {by_label} (failure share on top)")


def pareto(table: pd.DataFrame, top: int = 15, ax: Axes | None = None) -> Axes:
    """Demand types by volume, with the cumulative share line."""
    ax = ax or new_axes(height=4.2)
    t = table.head(top)
    x = np.arange(len(t))
    for i, (_, row) in enumerate(t.iterrows()):
        style = FAILURE if row["demand"] == "failure" else VALUE
        ax.bar(i, row["contacts"], **style)
    ax.set_xticks(x, t["type"], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("contacts")
    ax2 = ax.twinx()
    ax2.plot(x, t["cumulative_share"] * 100, color="black", marker="o", markersize=3, linewidth=1)
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("cumulative %")
    ax2.spines[["top"]].set_visible(False)
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(**VALUE, label="value"), Patch(**FAILURE, label="failure")],
        frameon=False,
        fontsize=8,
        loc="center right",
    )
    return _finish(ax, "What customers contact you about (Pareto)")


def xmr_chart(chart: XmR, title: str, ylabel: str, ax: Axes | None = None) -> Axes:
    """Individuals chart with natural process limits; points outside are marked."""
    ax = ax or new_axes(height=3.0)
    x = np.arange(len(chart.values))
    ax.plot(x, chart.values.to_numpy(), color="black", marker="o", markersize=3, linewidth=1)
    for y, style in ((chart.mean, "-"), (chart.upper, "--"), (chart.lower, "--")):
        ax.axhline(y, color="0.4", linestyle=style, linewidth=1)
    out = chart.signals.to_numpy()
    if out.any():
        ax.plot(
            x[out],
            chart.values.to_numpy()[out],
            linestyle="none",
            marker="s",
            markersize=7,
            markerfacecolor="none",
            markeredgecolor="black",
            label="outside limits",
        )
        ax.legend(frameon=False, fontsize=8)
    labels = chart.values.index
    if isinstance(labels, pd.DatetimeIndex) and len(labels) <= 20:
        ax.set_xticks(x, [d.strftime("%d %b") for d in labels], rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.text(1.0, chart.upper, f" UNPL {chart.upper:.3g}", va="center", fontsize=7, transform=ax.get_yaxis_transform())
    ax.text(1.0, chart.mean, f" mean {chart.mean:.3g}", va="center", fontsize=7, transform=ax.get_yaxis_transform())
    ax.text(1.0, chart.lower, f" LNPL {chart.lower:.3g}", va="center", fontsize=7, transform=ax.get_yaxis_transform())
    return _finish(ax, title)


def weekly_failure_share(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    ax = ax or new_axes(height=3.0)
    ax.plot(table.index, table["failure_share"] * 100, color="black", marker="o", markersize=3)
    shares = table["failure_share"].astype(float) * 100
    ax.set_ylim(0, max(100, float(shares.max())) if shares.notna().any() else 100)
    ax.set_ylabel("failure demand, %")
    ax.tick_params(axis="x", labelsize=8, rotation=45)
    return _finish(ax, "Failure share by week")


def nth_contact(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    ax = ax or new_axes(height=3.0)
    labels = [str(i) if i < table.index.max() else f"{i}+" for i in table.index]
    ax.bar(labels, table["rate"] * 100, **FAILURE)
    for i, (rate, n) in enumerate(zip(table["rate"], table["contacts"], strict=True)):
        ax.text(i, rate * 100, f"n={n:,}", ha="center", va="bottom", fontsize=7)
    ax.set_xlabel("contact number within the case")
    ax.set_ylabel("ends in complaint, cancellation\nor abandoned call, %")
    return _finish(ax, "The Nth-contact effect")


def contacts_per_case(series: pd.Series, ax: Axes | None = None) -> Axes:
    ax = ax or new_axes(height=3.0)
    s = series.copy()
    if len(s) > 8:
        s = pd.concat([s.iloc[:7], pd.Series({f"{s.index[7]}+": s.iloc[7:].sum()})])
    ax.bar([str(i) for i in s.index], s.to_numpy(), **VALUE)
    ax.set_xlabel("contacts in the case")
    ax.set_ylabel("cases")
    return _finish(ax, "How many contacts it takes")


def value_failure_flow(links: pd.DataFrame, top: int = 12, ax: Axes | None = None) -> Axes:
    """A flow chart: value demands on the left, the failure demands they generate on the right."""
    ax = ax or new_axes(height=4.5)
    t = links.head(top)
    if t.empty:
        ax.text(
            0.5, 0.5, "no failure demand followed value demand in the same case", ha="center", transform=ax.transAxes
        )
        ax.axis("off")
        return _finish(ax, "Which value demand generates which failure demand")
    left = list(dict.fromkeys(t["value_type"]))
    right = list(dict.fromkeys(t["failure_type"]))
    ly = {v: 1 - (i + 0.5) / len(left) for i, v in enumerate(left)}
    ry = {v: 1 - (i + 0.5) / len(right) for i, v in enumerate(right)}
    widest = t["contacts"].max()
    for _, row in t.iterrows():
        w = 0.5 + 9 * row["contacts"] / widest
        ax.plot(
            [0.3, 0.7],
            [ly[row["value_type"]], ry[row["failure_type"]]],
            color="0.3",
            linewidth=w,
            alpha=0.6,
            solid_capstyle="butt",
        )
    for v, y in ly.items():
        ax.text(0.29, y, v, ha="right", va="center", fontsize=8)
    for v, y in ry.items():
        ax.text(0.71, y, v, ha="left", va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    ax.set_ylim(0, 1.08)
    ax.text(0.29, 1.04, "value demand", ha="right", fontsize=8, style="italic")
    ax.text(0.71, 1.04, "failure demand that followed", ha="left", fontsize=8, style="italic")
    return _finish(ax, "Which value demand generates which failure demand (line width = contacts)")


def data_effects(effects: pd.DataFrame, top: int = 12, ax: Axes | None = None) -> Axes:
    """Forest plot: change in handle time with each field, per demand type, with 95% CIs."""
    ax = ax or new_axes(height=max(2.5, 0.35 * min(top, len(effects)) + 1))
    t = effects.reindex(effects["handle_diff_s"].abs().sort_values(ascending=False).index).head(top)
    y = np.arange(len(t))[::-1]
    ax.errorbar(
        t["handle_diff_s"],
        y,
        xerr=[t["handle_diff_s"] - t["handle_diff_low"], t["handle_diff_high"] - t["handle_diff_s"]],
        fmt="o",
        color="black",
        ecolor="0.4",
        capsize=3,
        markersize=4,
    )
    ax.axvline(0, color="0.5", linewidth=1)
    ax.set_yticks(y, [f"{a} / {b}" for a, b in zip(t["demand_type"], t["field"], strict=True)], fontsize=8)
    ax.set_xlabel("handle time with the field minus without, seconds (95% CI)")
    return _finish(ax, "What data handling used: handle time with and without each field")


def effects_forest(eff: pd.DataFrame, outcome: str, top: int = 16, ax: Axes | None = None) -> Axes:
    """Adjusted effects with 95% CIs in the saved convention (right of zero is good); filled
    markers are significant, hollow ones are "no evidence either way". Pooled rows first."""
    t = eff[eff["outcome"].eq(outcome) & eff["adjusted"].notna()].copy()
    t["_pooled"] = t["demand_type"].eq("(all)")
    t = t.sort_values(["_pooled", "n_with"], ascending=False).head(top)
    ax = ax or new_axes(height=max(2.5, 0.32 * len(t) + 1.2))
    y = np.arange(len(t))[::-1]
    scale = 100.0 if outcome == "resolved" else 1.0
    mid, lo, hi = t["saved"] * scale, t["saved_ci_low"] * scale, t["saved_ci_high"] * scale
    ax.errorbar(mid, y, xerr=[mid - lo, hi - mid], fmt="none", ecolor="black", capsize=3, linewidth=1)
    sig = t["significant"].to_numpy(dtype=bool)
    ax.scatter(mid[sig], y[sig], marker="o", color="black", zorder=3, s=22, label="significant")
    ax.scatter(
        mid[~sig],
        y[~sig],
        marker="o",
        facecolor="white",
        edgecolor="black",
        zorder=3,
        s=22,
        label="no evidence either way",
    )
    ax.axvline(0, color="0.5", linewidth=1, linestyle="--")
    labels = [
        f"{f}  (all types)" if d == "(all)" else f"{f} / {d}" for f, d in zip(t["field"], t["demand_type"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel(
        "seconds of handle time saved per contact (95% CI)"
        if outcome == "handle_s"
        else "percentage points more resolved at first contact (95% CI)"
    )
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return _finish(
        ax,
        "Handle time saved per field (adjusted)" if outcome == "handle_s" else "Resolution gained per field (adjusted)",
    )


def fit_by_hour(by_hour: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Real and simulated contacts per day by hour: does the baseline have the right shape?"""
    ax = ax or new_axes(height=3.0)
    ax.plot(by_hour.index, by_hour["real"], color="black", marker="o", markersize=3, label="real log")
    ax.plot(
        by_hour.index,
        by_hour["simulated"],
        color="0.5",
        linestyle="--",
        marker="s",
        markersize=3,
        label="simulated baseline",
    )
    ax.set_xlabel("hour of day")
    ax.set_ylabel("contacts per day")
    ax.legend(frameon=False, fontsize=8)
    return _finish(ax, "Model fit: volume by hour")


def data_value_ranking(entries: list[dict], label_key: str, title: str, ax: Axes | None = None) -> Axes:
    """Agent hours saved per variant with 95% CIs; hollow bars are not significant."""
    ax = ax or new_axes(height=max(2.2, 0.45 * len(entries) + 1))
    names = [str(e[label_key]) + (" (not shown)" if e.get("status") == "not shown" else "") for e in entries][::-1]
    saved = [e["agent_hours_saved"]["mean"] for e in entries][::-1]
    low = [e["agent_hours_saved"]["ci95_low"] for e in entries][::-1]
    high = [e["agent_hours_saved"]["ci95_high"] for e in entries][::-1]
    sig = [e["significant"] for e in entries][::-1]
    y = np.arange(len(names))
    for i in range(len(names)):
        style = FAILURE if sig[i] else dict(facecolor="white", edgecolor="black")
        ax.barh(y[i], saved[i], **style)
    ax.errorbar(
        saved, y, xerr=[np.subtract(saved, low), np.subtract(high, saved)], fmt="none", ecolor="black", capsize=3
    )
    ax.axvline(0, color="0.5", linewidth=1)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel("agent hours saved over the simulated period (95% CI); hollow = no significant effect")
    return _finish(ax, title)


def phone_by_hour(profile: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Calls offered per hour (bars) with abandonment and service level (lines, right axis)."""
    ax = ax or new_axes()
    x = profile.index.to_numpy()
    ax.bar(x, profile["offered"], **VALUE, label="calls offered")
    ax.set_xlabel("hour of day")
    ax.set_ylabel("calls offered")
    right = ax.twinx()
    right.plot(x, profile["abandon_rate"], color="black", marker="o", lw=1.2, label="abandoned (of offered)")
    right.plot(x, profile["service_level"], color="0.4", marker="s", ls="--", lw=1.2, label="answered within 20 s")
    right.set_ylim(0, 1)
    right.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    right.spines[["top"]].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    ax.legend(handles, labels, frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3)
    return _finish(ax, "Phone calls offered, abandonment and service level by hour")
