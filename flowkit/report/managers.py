"""The questions managers bring (issue 16), answered in the report in their words.

Each builder takes the classified contacts and the report folder and returns one section
(the shape ``build_report``'s ``extra_sections`` renders: id, title, paragraphs, figures,
tables, and ``_files`` for the report's index) or None when the question does not apply.
A question the log cannot answer gets a section that says so and what would answer it,
rather than silence: a manager who asked should hear "the log cannot tell".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from flowkit.analyse.churn import TABLE_COLUMNS, NoEndSignalError, analyse_churn

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CLOSURE_TYPES", "channels_section", "churn_section", "churn_signal", "manager_sections"]

#: demand types that mean the customer is ending the relationship (compared in lower case)
CLOSURE_TYPES = (
    "cancel or close",
    "cancel contract",
    "account closure",
    "account_closure",
    "cancellation",
    "close account",
)


def manager_sections(c: pd.DataFrame, out: Path) -> list[dict]:
    """Every manager's-question section that applies to this log, in the issue's order."""
    from flowkit.report.hours import hours_section
    from flowkit.report.matching import matching_section

    sections = (churn_section(c, out), matching_section(c, out), hours_section(c, out), channels_section(c, out))
    return [s for s in sections if s is not None]


def _signal_for(c: pd.DataFrame) -> dict | None:
    if "churned_at" in c.columns and c["churned_at"].notna().any():
        return {}
    types = c["demand_type"].astype("string").str.lower() if "demand_type" in c.columns else pd.Series([], dtype=str)
    found = tuple(t for t in CLOSURE_TYPES if types.eq(t).any())
    return {"closure_types": found} if found else None


#: how the log says who left, as keyword arguments of ``analyse_churn`` (None: it does not); the
#: simulator's what-ifs take the leaving risk from the same signal (flowkit.pipeline.managers)
churn_signal = _signal_for


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%" if np.isfinite(x) else "unknown"


def churn_section(c: pd.DataFrame, out: Path) -> dict | None:
    """Does the Nth contact lose the customer? Risk of leaving after each contact, the jump, and
    failure demand's own share of the risk."""
    from flowkit.report.files import figure_file as _png
    from flowkit.report.files import table_file as _table

    title = "Does the fourth contact lose the customer?"
    how = _signal_for(c)
    if how is None:
        return {
            "id": "churn",
            "title": title,
            "paragraphs": [
                "This log cannot tell: it says nothing about which customers left (no churned_at or closed-account "
                "date, no account-closure contacts). Add such a column to the export, or state an assumption such "
                "as 'no contact for 90 days means the customer has gone' with flowkit churn --silence-days 90."
            ],
            "figures": [],
            "tables": [],
            "_files": {},
        }
    try:
        result = analyse_churn(c, **how)
    except NoEndSignalError as exc:
        return {"id": "churn", "title": title, "paragraphs": [f"This log cannot tell: {exc}."], "figures": []}
    t = result.table
    paragraphs = [
        f"How we know who left: {result.signal}. Of {result.customers:,} customers with an identified contact, "
        f"{result.left:,} left. Contacts are counted within each case (a run of contacts about one matter)."
    ]
    jump = result.jump
    rows = t.set_index("contacts")
    if jump.at is not None:
        before, at = rows.iloc[jump.at - 2], rows.iloc[jump.at - 1]
        step = jump.steps.set_index("to").loc[jump.at]
        paragraphs.append(
            f"Customers are most at risk after contact {jump.at}: {_pct(at['hazard'])} of those who got that far "
            f"left after it (95% CI {_pct(at['ci_low'])} to {_pct(at['ci_high'])}), against {_pct(before['hazard'])}"
            f" after contact {jump.at - 1}. Comparing like with like ({' and '.join(jump.adjusted_for) or 'nothing'}"
            f" held equal), the risk is {step['risk_ratio']:.1f} times higher (95% CI {step['ci_low']:.1f} to "
            f"{step['ci_high']:.1f}). Contact {jump.at} deserves different handling: a senior agent, an owner for "
            "the case, a call back before the customer has to chase."
        )
    else:
        paragraphs.append(
            f"No single contact number stands out: {jump.verdict}. The risk after each contact is in the table below;"
            " it is no reason to treat a particular contact differently."
        )
    failure = result.cox[result.cox["term"].str.startswith("failure share")] if len(result.cox) else result.cox
    if len(failure):
        f = failure.iloc[0]
        if f["ci_low"] > 1:
            paragraphs.append(
                f"Failure demand carries its own risk, apart from the number of contacts: a customer whose contacts "
                f"were all failure demand (chasing, not done, done wrong) is {f['hazard_ratio']:.1f} times as likely "
                f"to leave at any moment as one with as many contacts that were all value demand (95% CI "
                f"{f['ci_low']:.2f} to {f['ci_high']:.2f}). Designing out failure demand keeps customers as well "
                "as agent hours."
            )
        elif f["ci_high"] < 1:
            paragraphs.append(
                f"Failure demand here goes with a lower risk of leaving than value demand (hazard ratio "
                f"{f['hazard_ratio']:.2f}, 95% CI {f['ci_low']:.2f} to {f['ci_high']:.2f}); check how leaving is "
                "recorded before acting on it."
            )
        else:
            paragraphs.append(
                f"No evidence either way that failure demand adds to the risk beyond the number of contacts "
                f"(hazard ratio {f['hazard_ratio']:.2f}, 95% CI {f['ci_low']:.2f} to {f['ci_high']:.2f})."
            )
    paragraphs.append(
        "These are observed in the log, not proven causes: customers who call four times may differ in ways the "
        "log does not show. A pilot (a different handling of the fourth contact for a random half) would confirm it."
    )
    path = out / "churn_by_contacts.png"
    figures = [
        {
            "src": _png(_hazard_chart(t, jump.at), path),
            "caption": "Share of customers who left after each contact, of those who reached it; bars are 95% "
            "intervals." + (f" Contact {jump.at} is where the risk jumps." if jump.at else ""),
            "file": path.name,
        }
    ]
    shown = t[[*TABLE_COLUMNS, "failure_share", "still_customer"]]
    table = _table(shown, out / "churn_by_contacts.csv", index=False)
    table.update(name="churn_by_contacts", caption="Leaving by contact number (hazard: share who left after it)")
    files = {"churn_by_contacts": out / "churn_by_contacts.csv", "churn_by_contacts_chart": path}
    tables = [table]
    if len(jump.steps):
        steps = _table(jump.steps, out / "churn_steps.csv", index=False)
        steps.update(name="churn_steps", caption="Step in risk from one contact to the next, adjusted (Holm-corrected)")
        tables.append(steps)
        files["churn_steps"] = out / "churn_steps.csv"
    return {
        "id": "churn",
        "title": title,
        "paragraphs": paragraphs,
        "figures": figures,
        "tables": tables,
        "_files": files,
    }


def _hazard_chart(t: pd.DataFrame, jump_at: int | None) -> Axes:
    from flowkit.report.charts import figure_of, new_axes

    ax = new_axes(height=3.0)
    x = np.arange(len(t))
    hazard = t["hazard"].to_numpy() * 100
    err = np.vstack([hazard - t["ci_low"].to_numpy() * 100, t["ci_high"].to_numpy() * 100 - hazard])
    colours = ["0.35" if jump_at is not None and i + 1 >= jump_at else "0.8" for i in range(len(t))]
    ax.bar(x, hazard, color=colours, edgecolor="black")
    ax.errorbar(x, hazard, yerr=err, fmt="none", ecolor="black", capsize=3)
    ax.set_xticks(x, [str(v) for v in t["contacts"]])
    ax.set_xlabel("contact number within the case")
    ax.set_ylabel("left after it, %")
    ax.set_title("Risk of leaving after each contact", loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    figure_of(ax).tight_layout()
    return ax


def channels_section(c: pd.DataFrame, out: Path, window: str = "7D") -> dict | None:
    """One company across channels: how often customers switch channel or are passed on within a
    case, and what telling the story again costs in handle time (adjusted, 95% CIs)."""
    from flowkit.analyse.channels import channel_switches, retelling_cost
    from flowkit.report.files import table_file as _table

    if c["case_id"].isna().all():
        return None
    switches = channel_switches(c, window)
    cost = retelling_cost(c, window)
    title = "One company across channels: do customers tell their story twice?"
    paragraphs = []
    n_switch = int(switches["switches"].sum()) if len(switches) else 0
    if n_switch:
        top = switches.iloc[0]
        paragraphs.append(
            f"{n_switch:,} contacts came through a different channel from the customer's previous contact in the "
            f"same case, within {window.replace('D', ' days')}; the commonest move was {top['from_channel']} to "
            f"{top['to_channel']} ({int(top['switches']):,})."
        )
    else:
        paragraphs.append("No customer switched channel within a case in this log.")
    for _, r in cost.iterrows():
        what = "after a channel switch" if r["what"] == "channel switch" else "when passed on to another agent"
        if r["verdict"] == "too few":
            paragraphs.append(f"Too few timed contacts {what} ({int(r['contacts'])}) to say what re-telling costs.")
        elif r["verdict"] == "costs":
            paragraphs.append(
                f"A contact {what} took {r['extra_s']:.0f} seconds longer than a like contact (95% CI "
                f"{r['ci_low']:.0f} to {r['ci_high']:.0f}; same channel, demand and position in the case): "
                f"{r['agent_hours']:,.0f} agent hours over the log (95% CI {r['hours_ci_low']:,.0f} to "
                f"{r['hours_ci_high']:,.0f}) spent, most likely, on authenticating and telling the story again. Carrying the context across "
                "('tell us once') is what would save it."
            )
        else:
            paragraphs.append(
                f"No evidence either way that a contact {what} takes longer than a like contact "
                f"({r['extra_s']:+.0f} s, 95% CI {r['ci_low']:+.0f} to {r['ci_high']:+.0f})."
            )
    paragraphs.append(
        "Observed in the log, not proven: the comparison holds channel, failure demand and position in the case "
        "equal, nothing else."
    )
    files = {"channel_switches": out / "channel_switches.csv", "retelling_cost": out / "retelling_cost.csv"}
    t1 = _table(switches, files["channel_switches"], index=False)
    t1.update(name="channel_switches", caption="Channel switches within a case, from and to")
    t2 = _table(cost, files["retelling_cost"], index=False)
    t2.update(name="retelling_cost", caption="Extra handle time of re-telling (adjusted), seconds and agent hours")
    return {
        "id": "channels",
        "title": title,
        "paragraphs": paragraphs,
        "figures": [],
        "tables": [t1, t2],
        "_files": files,
    }
