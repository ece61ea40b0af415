"""The manager's report: one self-contained HTML file, charts embedded, tables beside it as CSV.

Built from a classified contact table. Nothing from the log reaches the page unescaped
(Jinja2 autoescaping), verbatims are masked for personal data, and customer ids can be
replaced by keyed pseudonyms. The page makes no network request: styles are inline and
charts are data: URIs, so it can be e-mailed, archived and printed as it is.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from flowkit import analyse as A
from flowkit.cases import stitch, summarise_cases
from flowkit.report import charts
from flowkit.report.managers import manager_sections
from flowkit.report.privacy import mask_pii, pseudonymise

__all__ = ["Report", "build_report", "summary_sentences"]


@dataclass
class Report:
    path: Path
    charts: dict[str, Path] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)
    numbers: dict[str, float] = field(default_factory=dict)
    sentences: list[str] = field(default_factory=list)


#: above this share of 'unknown' the headline states what is known, not a failure share
UNKNOWN_HEADLINE_LIMIT = 0.30


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{x:.0%}"


def _days(d: float) -> str:
    """A duration in days, said in the unit a manager would use."""
    if d < 1 / 24:
        return f"{d * 1440:.0f} minutes"
    if d < 2:
        return f"{d * 24:.1f} hours"
    return f"{d:.1f} days"


def summary_sentences(c: pd.DataFrame, cases: pd.DataFrame) -> tuple[list[str], dict[str, float]]:
    """The one-screen summary in plain language, and the numbers behind it."""
    overall = A.failure_share(c).iloc[0]
    n = int(overall["contacts"])
    share = float(overall["failure_share"])
    numbers: dict[str, float] = {"contacts": n, "failure_share": share, "unknown": int(overall["unknown"])}
    known = int(overall["value"] + overall["failure"])
    unknown_share = numbers["unknown"] / n if n else 0.0
    if unknown_share > UNKNOWN_HEADLINE_LIMIT:
        # a share of the classified few would be read as the share of all: say what is known instead
        numbers["headline"] = "partial"
        if known:
            s = [
                f"Only {known:,} of {n:,} contacts ({_pct(known / n if n else float('nan'))}) could be told apart as value "
                f"or failure demand: {int(overall['failure']):,} failure and {int(overall['value']):,} value. The other "
                f"{numbers['unknown']:,} ({_pct(unknown_share)}) could not be classified from what the log records (no "
                "words, or words that are no evidence either way), so no failure share is given for the whole."
            ]
        else:
            s = [
                f"None of the {n:,} contacts could be told apart as value or failure demand from what the log "
                "records (no words, or words that are no evidence either way), so no failure share is given."
            ]
    else:
        s = [
            f"{_pct(share)} of classified contacts are failure demand: contacts caused by a failure to do "
            f"something, or to do something right, for the customer ({int(overall['failure']):,} of {known:,})."
        ]
    fails = c[c["demand"].astype(str).eq("failure")]
    if len(fails):
        kinds = fails["failure_type"].astype(str).value_counts()
        top = kinds.index[0]
        top_share = kinds.iloc[0] / n
        by_channel = (
            fails.loc[fails["failure_type"].astype(str).eq(top), "channel"].astype(str).value_counts(normalize=True)
        )
        numbers.update({"top_failure_type": top, "top_failure_share_of_all": top_share})
        s.append(
            f"The largest kind is {top.replace('_', ' ')}, {_pct(top_share)} of all contacts, "
            f"mostly by {by_channel.index[0]} ({_pct(by_channel.iloc[0])} of it)."
        )
    hours = A.agent_hours(c)
    if "failure" in hours.index and hours["agent_hours"].sum() > 0:
        numbers["agent_hours_failure"] = float(hours.loc["failure", "agent_hours"])
        s.append(
            f"Failure demand took {hours.loc['failure', 'agent_hours']:,.0f} agent hours, "
            f"{_pct(hours.loc['failure', 'share'])} of the handling time the log records."
        )
    phone = A.phone_service(c)
    if phone is not None:
        numbers.update({f"phone_{k}": v for k, v in phone.items()})
        s.extend(phone_sentences(phone))
    no_customer = int(c["customer_id"].isna().sum())
    numbers["contacts_without_customer"] = no_customer
    if no_customer and c["customer_id"].notna().any():
        s.append(
            f"{no_customer:,} contacts ({_pct(no_customer / max(n, 1))}) have no usable customer id (blank, or a "
            "placeholder such as 0 that stands for 'not identified'); they count in volumes and waits but are "
            "left out of repeat and case figures."
        )
    if len(cases):
        pct, _ = A.end_to_end(cases)
        numbers.update(
            {"e2e_p50_days": float(pct["p50"]), "e2e_p90_days": float(pct["p90"]), "e2e_open_cases": int(pct["open"])}
        )
        if cases["open"].notna().any():  # the log records closing times
            n_open = int(pct["open"])
            if np.isinf(pct["p50"]):
                first = (
                    f"More than half of all cases were still open when the log ends, so no median end-to-end "
                    f"time can be given ({n_open:,} of {len(cases):,} open)."
                )
            else:
                tail = (
                    f"one in ten takes more than {_days(pct['p90'])}"
                    if np.isfinite(pct["p90"])
                    else "more than one in ten are still open, so how long the slowest take is not known yet"
                )
                first = f"Half of all cases end within {_days(pct['p50'])} of the customer's first contact; {tail}."
            if n_open:
                first += (
                    f" {n_open:,} of {len(cases):,} cases ({_pct(n_open / len(cases))}) are still open at the end "
                    "of the log: they count as still running (Kaplan-Meier), not as finished."
                )
            s.append(first)
        else:  # no closing times: only repeat cases show how long customers were kept going
            repeat = cases[cases["n_contacts"] > 1]
            if len(repeat) >= 2:
                rp, _ = A.end_to_end(repeat)
                numbers.update({"repeat_e2e_p50_days": float(rp["p50"]), "repeat_e2e_p90_days": float(rp["p90"])})
                s.append(
                    f"Where customers had to come back, half waited {_days(rp['p50'])} or more from first to "
                    f"last contact, one in ten more than {_days(rp['p90'])} (the log records no closing "
                    "times, so these are lower bounds)."
                )
        known = A.identified(cases)
        if c["customer_id"].isna().all() and (cases["n_contacts"] == 1).all():
            s.append(
                "The log has no customer ids (and no case ids that group contacts), so repeat contacts cannot be "
                "seen: every contact is its own case here."
            )
        elif len(known):
            multi = float((known["n_contacts"] > 1).mean())
            numbers["repeat_case_share"] = multi
            who = " of identified customers" if len(known) < len(cases) else ""
            s.append(f"{_pct(multi)} of cases{who} needed more than one contact.")
    os_ = A.one_stop(c)
    if os_["cases"]:
        numbers["one_stop_perfect"] = os_["perfect"]
        s.append(
            f"Value demand was dealt with at the first contact, with no repeat, in {_pct(os_['perfect'])} "
            f"of {os_['cases']:,} cases where the log records resolution."
        )
    if numbers["unknown"] and numbers.get("headline") != "partial":
        s.append(
            f"{numbers['unknown']:,} contacts ({_pct(numbers['unknown'] / n)}) could not be classified "
            "(no words recorded, or words that are no evidence either way); they are counted apart, not guessed."
        )
    return s, numbers


def phone_sentences(phone: dict) -> list[str]:
    """Abandonment, wait and service level in words, over calls offered."""
    offered = int(phone["offered"])
    out = [
        f"Of {offered:,} phone calls offered, {_pct(phone['abandon_rate'])} were abandoned "
        f"({int(phone['abandoned']):,}"
        + (
            f", of whom {int(phone['abandoned_before_queue']):,} after no wait at all: in the IVR or within a second "
            "of queueing"
            if phone["abandoned_before_queue"]
            else ""
        )
        + ")."
    ]
    if phone["mean_wait_s"] == phone["mean_wait_s"]:
        out.append(
            f"Callers waited {phone['mean_wait_s']:.0f} s on average (over all calls offered, abandoned ones until "
            f"they gave up); {_pct(phone['service_level'])} were answered within {phone['threshold_s']:.0f} s."
        )
    gaps = [
        f"{int(phone['no_outcome']):,} without an outcome" if phone["no_outcome"] else "",
        f"{int(phone['no_wait']):,} without a wait" if phone["no_wait"] else "",
    ]
    gaps = [g for g in gaps if g]
    if gaps:
        out.append(f"Calls whose row lacks a figure are left out of that figure only ({', '.join(gaps)}).")
    return out


def _png(ax, path: Path) -> str:
    fig = ax.figure
    fig.savefig(path, format="png")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


#: columns that hold shares or rates, shown as percentages; every other number is shown as it is
_PERCENT = (
    "share",
    "rate",
    "relative",
    "resolved_with",
    "resolved_without",
    "resolved_diff",
    "resolved_at_contact",
    "one_stop",
    "service_level",
)


def _cell(value, percent: bool) -> str:
    if isinstance(value, (float, np.floating)):
        if value != value:
            return ""
        return f"{value:.1%}" if percent else (f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _table(df: pd.DataFrame, path: Path, index: bool = True) -> dict:
    df.to_csv(path, index=index)
    shown = df.reset_index() if index else df
    columns = [str(c) for c in shown.columns]
    percent = [any(k in c for k in _PERCENT) for c in columns]
    # a metric-per-row table (model fit) says per row whether its value is a share
    row_percent = (
        shown["metric"].astype(str).map(lambda m: any(k in m for k in _PERCENT)) if "metric" in shown else None
    )
    rows = []
    for i, row in enumerate(shown.itertuples(index=False)):
        pct_row = bool(row_percent.iloc[i]) if row_percent is not None else False
        rows.append(
            [
                _cell(v, p or (pct_row and c in ("real", "simulated", "difference", "value")))
                for v, p, c in zip(row, percent, columns, strict=True)
            ]
        )
    return {"columns": columns, "rows": rows, "csv": path.name}


def build_report(
    contacts: pd.DataFrame,
    out_dir: str | Path,
    title: str = "Demand and flow",
    pseudonymise_key: str | None = None,
    progress: Callable[[str], None] | None = None,
    extra_sections: list[dict] | None = None,
) -> Report:
    """Analyse a classified contact table and write ``out_dir/index.html`` with PNGs and CSVs."""
    step = progress or (lambda _msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    c = contacts.copy()
    if "demand" not in c.columns:
        raise ValueError("the contacts are not classified: run flowkit classify first (or flowkit analyze does it)")
    if pseudonymise_key:
        c["customer_id"] = pseudonymise(c["customer_id"], pseudonymise_key)
    c["text"] = mask_pii(c["text"])
    step("cases")
    if c["case_id"].isna().any():  # contacts with no case yet: stitch (no customer id: a case of its own)
        c = stitch(c).contacts
    cases = summarise_cases(c)
    report = Report(out / "index.html")
    step("summary")
    sentences, numbers = summary_sentences(c, cases)
    report.sentences, report.numbers = sentences, numbers
    figures, tables = [], []

    def figure(name: str, ax, caption: str):
        path = out / f"{name}.png"
        figures.append({"name": name, "src": _png(ax, path), "caption": caption, "file": path.name})
        report.charts[name] = path

    def table(name: str, df: pd.DataFrame, caption: str, index: bool = True):
        path = out / f"{name}.csv"
        t = _table(df, path, index)
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
        pseudonymised=bool(pseudonymise_key),
        extra_sections=sections,
    )
    report.path.write_text(html, encoding="utf-8")
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
                    "src": _png(charts.effects_forest(eff, outcome), path),
                    "caption": "Adjusted effects, 95% CIs; hollow = no evidence either way. Observational: "
                    "a pilot confirms them.",
                    "file": path.name,
                }
            )
            files[f"data_effects_{outcome}"] = path
    shown = eff.drop(columns=["se", "baseline"])
    t = _table(shown, out / "data_effects.csv", index=False)
    t.update(
        name="data_effects",
        caption="Adjusted effects per field, demand type and outcome (naive and adjusted are "
        "with minus without; saved is positive when the field helps)",
    )
    files["data_effects"] = out / "data_effects.csv"
    u = _table(A.field_usage(c), out / "data_use_share.csv", index=False)
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
