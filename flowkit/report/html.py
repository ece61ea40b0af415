"""The manager's report: one self-contained HTML file, charts embedded, tables beside it as CSV.

Built from a classified contact table. Nothing from the log reaches the page unescaped
(Jinja2 autoescaping), verbatims are masked for personal data, and customer ids are keyed
pseudonyms unless the caller asks for raw ids. The page makes no network request: styles
are inline and charts are data: URIs, so it can be e-mailed, archived and printed as it is.
The run holds a lock on its folder and writes every file atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from flowkit import analyse as A
from flowkit.cases import stitch, summarise_cases
from flowkit.outlock import output_lock
from flowkit.privacy import Privacy, privacy_for
from flowkit.report import charts
from flowkit.report.files import figure_file, table_file
from flowkit.report.managers import manager_sections
from flowkit.report.summary import _days, summary_sentences
from flowkit.safewrite import write_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Report", "build_report", "summary_sentences"]


@dataclass
class Report:
    path: Path
    charts: dict[str, Path] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)
    numbers: dict[str, float | str] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)


def build_report(
    contacts: pd.DataFrame,
    out_dir: str | Path,
    title: str = "Demand and flow",
    privacy: Privacy | None = None,
    progress: Callable[[str], None] | None = None,
    extra_sections: list[dict] | None = None,
) -> Report:
    """Analyse a classified contact table and write ``out_dir/index.html`` with PNGs and CSVs.

    ``privacy`` defaults to pseudonyms under the folder's own key (free text is always masked).
    """
    if "demand" not in contacts.columns:
        raise ValueError("the contacts are not classified: run flowkit classify first (or flowkit analyze does it)")
    with output_lock(out_dir) as out:
        return _build(contacts, out, title, privacy or privacy_for(out), progress, extra_sections)


def _build(
    contacts: pd.DataFrame,
    out: Path,
    title: str,
    privacy: Privacy,
    progress: Callable[[str], None] | None,
    extra_sections: list[dict] | None,
) -> Report:
    step = progress or (lambda _msg: None)
    c = privacy.protect(contacts)
    step("cases")
    if c["case_id"].isna().any():  # contacts with no case yet: stitch (no customer id: a case of its own)
        c = stitch(c).contacts
    cases = summarise_cases(c)
    report = Report(out / "index.html")
    step("summary")
    sentences, numbers = summary_sentences(c, cases)
    report.sentences, report.numbers = sentences, numbers
    figures, tables = [], []

    def figure(name: str, ax: Axes, caption: str) -> None:
        path = out / f"{name}.png"
        figures.append({"name": name, "src": figure_file(ax, path), "caption": caption, "file": path.name})
        report.charts[name] = path

    def table(name: str, df: pd.DataFrame, caption: str, index: bool = True) -> None:
        path = out / f"{name}.csv"
        t = table_file(df, path, index)
        t.update(name=name, caption=caption)
        tables.append(t)
        report.tables[name] = path

    phone = A.phone_service(c)
    if phone is not None:
        step("phone service")
        by_hour = A.phone_profile(c, "hour")
        figure(
            "phone_by_hour",
            charts.phone_by_hour(by_hour),
            "Over all calls offered, abandoned calls included (the denominator of Erlang C/A and the simulator).",
        )
        table(
            "phone_service",
            pd.DataFrame({"metric": list(phone), "value": list(phone.values())}),
            "Phone service over calls offered",
            index=False,
        )
        table("phone_by_hour", by_hour, "Phone calls by hour of day: abandonment, mean wait, service level")
        table("phone_by_weekday", A.phone_profile(c, "weekday"), "Phone calls by weekday")
    step("demand")
    by_channel = A.failure_share(c, "channel")
    by_channel = by_channel[by_channel["contacts"] > 0]
    figure(
        "failure_by_channel",
        charts.failure_by(by_channel, "channel"),
        "Failure share is over classified contacts; unknown contacts are left out of the share.",
    )
    table("failure_by_channel", by_channel, "Contacts by channel")
    par = A.pareto(c)
    figure("pareto", charts.pareto(par), "Dark, hatched bars are failure demand.")
    table("demand_types", par, "Demand types, largest first", index=False)
    weekly = A.failure_share(c, "week")
    if len(weekly) >= 2:
        figure("failure_share_by_week", charts.weekly_failure_share(weekly), "Share of classified contacts each week.")
    table("failure_by_week", weekly, "Contacts by week")
    table("failure_by_hour", A.failure_share(c, "hour"), "Contacts by hour of day")
    table("failure_by_weekday", A.failure_share(c, "weekday"), "Contacts by weekday")
    links = A.value_failure_links(c)
    figure(
        "value_failure_links",
        charts.value_failure_flow(links),
        "For cases that began with value demand, the failure demand that followed in the same case.",
    )
    table("value_failure_links", links, "Value demand and the failure demand that followed", index=False)
    step("predictability")
    xmrs = A.predictability(c, top=6)
    judged = {name: chart for name, chart in xmrs.items() if chart.judged}
    if not judged and len(c):
        n_weeks = A.complete_week_count(c["received_at"])
        span = _days((c["received_at"].max() - c["received_at"].min()).total_seconds() / 86400)
        sentences.append(
            f"Whether demand is predictable cannot be told from this log: it spans {span} ({n_weeks} "
            f"complete week{'s' if n_weeks != 1 else ''}), and an XmR chart needs at least "
            f"{A.MIN_POINTS} weekly points."
        )
    for name, chart in judged.items():
        safe = "".join(ch if ch.isalnum() else "_" for ch in name)[:40]
        figure(
            f"xmr_{safe}",
            charts.xmr_chart(chart, f"Weekly contacts: {name}", "contacts per week"),
            f"XmR chart, limits mean ± 2.66 × average moving range: {chart.verdict}.",
        )
    step("flow")
    if len(cases) >= 2:
        pct, e2e = A.end_to_end(cases)
        n_open = int(pct["open"])
        table(
            "end_to_end_days",
            pct.to_frame("days"),
            "End-to-end time per case, days"
            + (
                f" (Kaplan-Meier: {n_open:,} open cases counted as still running; inf = not reached within the log)"
                if n_open
                else ""
            ),
        )
        if e2e is not None:
            done = cases[~cases["open"].fillna(False).astype(bool)].sort_values("first_at")
            sample = (
                e2e
                if len(e2e.values) <= 400
                else A.xmr((done["end_to_end_s"] / 86400).iloc[:: max(1, len(done) // 400)].reset_index(drop=True))
            )
            figure(
                "end_to_end_capability",
                charts.xmr_chart(sample, "End-to-end time per case (capability)", "days"),
                "Finished cases in order of first contact (sampled to 400 points when there are more); limits from "
                f"the same points: {sample.verdict}."
                + (f" {n_open:,} open cases are not on this chart." if n_open else ""),
            )
    cpc = A.contacts_per_case(cases)
    figure("contacts_per_case", charts.contacts_per_case(cpc), "Cases by number of contacts.")
    table("contacts_per_case", cpc.to_frame(), "Cases by number of contacts")
    nth = A.nth_contact_effect(c)
    figure(
        "nth_contact",
        charts.nth_contact(nth),
        "Of contacts at position N in their case, the share that is a complaint, a cancellation or an abandoned call.",
    )
    table("nth_contact_effect", nth, "The Nth-contact effect")
    table("handling", A.handoffs(c).to_frame("contacts"), "How contacts were handled")
    table("agent_hours", A.agent_hours(c), "Agent hours by demand")
    step("data use")
    sections = list(extra_sections or [])
    for section in sections:  # an extra section may name the files it wrote, for the report's index
        for k, path in section.pop("_files", {}).items():
            (report.charts if path.suffix == ".png" else report.tables)[k] = path
    data_section = _data_section(c, out)
    if data_section:
        sections.insert(0, data_section)
        for k, path in data_section.pop("_files").items():
            (report.charts if path.suffix == ".png" else report.tables)[k] = path
    step("questions managers bring")  # issue 16: sections built in report/managers.py
    for section in manager_sections(c, out):
        for k, path in section.pop("_files", {}).items():
            (report.charts if path.suffix == ".png" else report.tables)[k] = path
        sections.append(section)
    step("verbatims")
    examples = _examples(c)
    template = Environment(
        loader=PackageLoader("flowkit.report", "templates"), autoescape=select_autoescape(["html", "j2"])
    ).get_template("report.html.j2")
    period = f"{c['received_at'].min():%d %b %Y} – {c['received_at'].max():%d %b %Y}" if len(c) else ""
    offsets = contacts.attrs.get("utc_offsets") or {}
    if offsets:  # times were stored as UTC: say so, and what the source's own zone was
        period += (
            " (times and hours in UTC; the source's local zone: "
            + ", ".join(f"UTC{k}" for k, _ in sorted(offsets.items(), key=lambda kv: -kv[1]))
            + ")"
        )
    html = template.render(
        title=title,
        period=period,
        generated=datetime.now().strftime("%Y-%m-%d %H:%M"),
        sentences=sentences,
        figures=figures,
        tables=tables,
        examples=examples,
        sources=sorted(c["source_file"].dropna().astype(str).unique())[:20],
        pseudonymised=not privacy.shows_ids,
        extra_sections=sections,
    )
    write_text(report.path, html)
    return report


def _data_section(c: pd.DataFrame, out: Path) -> dict | None:
    """Which data helps: adjusted effects with CIs (the naive with/without difference is kept
    only as the ``naive`` column). One convention: positive "saved" is good."""
    from flowkit.analyse.effects import ADJUSTED_FOR, field_effects_adjusted, verdict

    if "data_used" not in c.columns or c["data_used"].notna().sum() < 50:
        return None
    eff = field_effects_adjusted(c)
    if eff.empty:
        return None
    files: dict[str, Path] = {}
    pooled = eff[eff["demand_type"].eq("(all)")]
    paragraphs = [
        "Effects of consulting each customer-data field, estimated from the log and adjusted for "
        + ", ".join(ADJUSTED_FOR)
        + " (doubly robust, cross-fitted; 95% intervals allow for agents handling many "
        "contacts). They are observational: an unmeasured difference between the contacts where a field was "
        "consulted and the others could still explain them, so a pilot (flowkit pilot design) should confirm a "
        "field before money is spent on it. Positive figures are good: time saved, resolution gained."
    ]
    for name in sorted(pooled["field"].unique()):
        parts = []
        for _, r in pooled[pooled["field"].eq(name)].iterrows():
            ci = (
                ""
                if not np.isfinite(r["adjusted"])
                else f" (95% CI {r['saved_ci_low'] * (100 if r['outcome'] == 'resolved' else 1):+.1f} to "
                f"{r['saved_ci_high'] * (100 if r['outcome'] == 'resolved' else 1):+.1f}"
                f"{' points' if r['outcome'] == 'resolved' else ' s'})"
            )
            what = "handle time" if r["outcome"] == "handle_s" else "first-contact resolution"
            parts.append(f"{what}: {verdict(r)}{ci}")
        sens = pooled[pooled["field"].eq(name) & pooled["significant"]]["sensitivity"]
        tail = (
            f"; an unmeasured confounder would need a risk ratio of {sens.min():.2f} with both the use of the field "
            "and the outcome to explain it away"
            if len(sens)
            else ""
        )
        paragraphs.append(f"{name} - " + "; ".join(parts) + tail + ".")
    trimmed = int(pooled["trimmed"].max()) if len(pooled) else 0
    if trimmed:
        paragraphs.append(
            f"Up to {trimmed:,} contacts per field had no comparable counterpart (a field almost always "
            "or almost never consulted on contacts like them) and were left out of its estimate."
        )
    figures = []
    for outcome in ("handle_s", "resolved"):
        if eff[eff["outcome"].eq(outcome)]["adjusted"].notna().any():
            path = out / f"data_effects_{outcome}.png"
            figures.append(
                {
                    "src": figure_file(charts.effects_forest(eff, outcome), path),
                    "caption": "Adjusted effects, 95% CIs; hollow = no evidence either way. Observational: "
                    "a pilot confirms them.",
                    "file": path.name,
                }
            )
            files[f"data_effects_{outcome}"] = path
    shown = eff.drop(columns=["se", "baseline"])
    t = table_file(shown, out / "data_effects.csv", index=False)
    t.update(
        name="data_effects",
        caption="Adjusted effects per field, demand type and outcome (naive and adjusted are "
        "with minus without; saved is positive when the field helps)",
    )
    files["data_effects"] = out / "data_effects.csv"
    u = table_file(A.field_usage(c), out / "data_use_share.csv", index=False)
    u.update(name="data_use_share", caption="How often each field was used")
    files["data_use_share"] = out / "data_use_share.csv"
    return {
        "id": "data-use",
        "title": "Which data helps: adjusted effects",
        "paragraphs": paragraphs,
        "figures": figures,
        "tables": [t, u],
        "_files": files,
    }


def _examples(c: pd.DataFrame, per_type: int = 3) -> list[dict]:
    """A few verbatims per demand type, as the customers put it (masked)."""
    d = c[c["text"].notna()]
    label = d["failure_type"].astype(object).where(d["demand"].astype(str).eq("failure"), d["demand_type"]).astype(str)
    out = []
    for name, group in d.groupby(label, sort=False):
        g = group.drop_duplicates("text").head(per_type)
        out.append(
            {
                "type": name,
                "demand": str(group["demand"].iloc[0]),
                "count": len(group),
                "rows": [
                    {"text": str(t), "channel": str(ch), "rule": str(r), "customer": "" if pd.isna(cu) else str(cu)}
                    for t, ch, r, cu in zip(g["text"], g["channel"], g["rule"], g["customer_id"], strict=True)
                ],
            }
        )
    return sorted(out, key=lambda e: -e["count"])
