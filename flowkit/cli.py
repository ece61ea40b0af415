"""The ``flowkit`` command: parse arguments, call the library, print. Nothing else lives here."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from flowkit.errors import FlowkitError

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = REPO_ROOT / "samples"


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


class _Group(click.Group):
    """Turn every FlowkitError (and a bad value) into a one-line message, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (FlowkitError, ValueError) as exc:
            raise _fail(exc) from exc


@click.group(cls=_Group)
@click.version_option(package_name="flowkit")
def main():
    """flowkit: value and failure demand, flow and what-if simulation from contact logs."""


# --------------------------------------------------------------------------- ingest


def summary_text(result) -> str:
    """The reconciliation a consultant reads after every ingest."""
    lines = []
    for f in result.files:
        enc = f" ({f.encoding}{', ' + repr(f.delimiter) if f.delimiter else ''})" if f.encoding else ""
        lines.append(
            f"{Path(f.path).name}{enc}: read {f.read:,} = kept {f.kept:,} + dropped {f.n_dropped:,}"
            f" + quarantined {f.n_quarantined:,}"
        )
        for rule, n in sorted(f.dropped.items()):
            lines.append(f"    dropped     {n:>7,}  {rule}")
        for reason, n in sorted(f.quarantined.items()):
            lines.append(f"    quarantined {n:>7,}  {reason}")
        for what, n in sorted(f.repaired.items()):
            lines.append(f"    repaired    {n:>7,}  {what} (cell emptied, contact kept)")
        for w in f.warnings:
            lines.append(f"    warning: {w}")
    ok = "reconciles" if result.reconciles else "DOES NOT RECONCILE"
    repaired = sum(f.n_repaired for f in result.files)
    lines.append(
        f"TOTAL: read {result.read:,} = kept {result.kept:,} + dropped {sum(result.dropped.values()):,}"
        f" + quarantined {sum(result.quarantined.values()):,}"
        + (f" ({repaired:,} cells repaired)" if repaired else "")
        + f"  [{ok}]"
    )
    return "\n".join(lines)


@main.command()
@click.argument("exports", nargs=-1, type=click.Path(path_type=Path))
@click.option("--mapping", "mapping", type=click.Path(path_type=Path), help="Mapping YAML applied to every export.")
@click.option("--manifest", type=click.Path(path_type=Path), help="YAML listing exports, each with its mapping.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="contacts.parquet or contacts.csv")
def ingest(exports, mapping, manifest, out):
    """Read exports (CSV/TSV, XLSX, JSON, Parquet; any encoding) into one contact table.

    Every row is kept, dropped on purpose, or quarantined with its reason in
    OUT's stem + '.quarantine.csv'; the summary reconciles the four.

    \b
    Example:
      flowkit ingest calls.csv --mapping calls.yaml --out contacts.parquet
      flowkit ingest --manifest samples/manifest.yaml --out out/contacts.parquet
    """
    from flowkit.ingest import ingest as run_ingest
    from flowkit.ingest import ingest_manifest, load_mapping
    from flowkit.store import quarantine_path, repairs_path, write_table

    if bool(exports) == bool(manifest):
        raise click.UsageError("give export files or --manifest (one of the two)")
    result = (
        ingest_manifest(manifest) if manifest else run_ingest(list(exports), load_mapping(mapping) if mapping else None)
    )
    write_table(result.contacts, out)
    q = quarantine_path(out)
    result.quarantine.to_csv(q, index=False)
    click.echo(summary_text(result))
    click.echo(f"contacts -> {out}\nquarantine -> {q}")
    fixed = repairs_path(out)
    if len(result.repairs):
        result.repairs.to_csv(fixed, index=False)
        click.echo(f"repaired cells -> {fixed}")
    elif fixed.is_file():  # from an earlier run: it would describe cells this table does not have
        fixed.unlink()


def _load(contacts, mapping):
    """Read CONTACTS for a command and print the ingest ledger when it had to be ingested."""
    from flowkit.store import load_with_ledger

    table, result = load_with_ledger(contacts, mapping)
    if result is not None:
        click.echo(summary_text(result))
    return table


@main.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--window", default="14D", show_default=True, help="Longest gap between contacts of one case.")
@click.option("--by-reason", is_flag=True, help="Only stitch contacts with the same reason code.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Contacts with case_id (.parquet/.csv).")
@click.option("--cases-out", type=click.Path(path_type=Path), help="One row per case (.csv/.parquet).")
def cases(contacts, window, by_reason, out, cases_out):
    """Stitch each customer's contacts across channels into cases.

    \b
    Example:
      flowkit cases out/contacts.parquet --window 14D --out out/contacts_cases.parquet --cases-out out/cases.csv
    """
    from flowkit.cases import stitch
    from flowkit.placeholders import describe
    from flowkit.store import read_contacts, write_table

    result = stitch(read_contacts(contacts), window=window, by_reason=by_reason)
    write_table(result.contacts, out)
    if cases_out:
        write_table(result.cases, cases_out)
    if result.placeholders:
        click.echo(describe(result.placeholders, len(result.contacts)))
    click.echo(cases_text(result.cases))


def cases_text(cases) -> str:
    from flowkit.analyse.flow import identified

    known = identified(cases)
    multi = cases[cases["n_contacts"] > 1]
    cross = multi["channels"].str.contains(";").sum()
    who = f" ({len(known):,} of known customers)" if len(known) < len(cases) else ""
    of = " of known customers' cases" if who else ""
    return (
        f"{len(cases):,} cases{who}; {len(multi):,} with repeat contacts ({len(multi) / max(len(known), 1):.0%}{of}), "
        f"{cross:,} across channels; contacts per case: mean {cases['n_contacts'].mean():.2f}, "
        f"max {cases['n_contacts'].max() if len(cases) else 0}"
    )


# --------------------------------------------------------------------------- classify


def evaluation_text(title: str, ev) -> str:
    lo, hi = ev.accuracy_ci
    lines = [
        f"{title}: value/failure agreement {ev.accuracy:.1%} (95% CI {lo:.1%}-{hi:.1%}) on {ev.n:,} labelled "
        f"contacts (coverage {ev.coverage:.1%}; 'unknown' counts as wrong)"
    ]
    for cls, row in ev.per_class.iterrows():
        lines.append(
            f"    {cls:<8} precision {row['precision']:.1%}  recall {row['recall']:.1%}  n={int(row['support']):,}"
        )
    if len(ev.per_language):
        lines.append("    per language:")
        for lg, row in ev.per_language.iterrows():
            lines.append(
                f"      {lg:<4} {row['agreement']:.1%} (95% CI {row['ci_low']:.1%}-{row['ci_high']:.1%})  "
                f"n={int(row['n']):,}  unknown {row['unknown']:.1%}"
            )
    if ev.failure_type_accuracy is not None:
        lines.append(f"    failure type agrees on {ev.failure_type_accuracy:.1%} of failures found")
    if len(ev.per_type):
        lines.append("    per failure type (precision / recall, 95% CI):")
        for t, row in ev.per_type.iterrows():
            lines.append(
                f"      {t:<17} P {row['precision']:.0%} ({row['p_low']:.0%}-{row['p_high']:.0%})  "
                f"R {row['recall']:.0%} ({row['r_low']:.0%}-{row['r_high']:.0%})  n={int(row['support'])}"
            )
    if len(ev.reliability):
        lines.append("    reliability (is a confidence of 0.8 right 80% of the time?):")
        for b, row in ev.reliability.iterrows():
            bar = "#" * int(round(row["correct"] * 20))
            lines.append(
                f"      conf {b}  n={int(row['n']):>4}  mean {row['mean_confidence']:.2f}  right "
                f"{row['correct']:.0%} ({row['ci_low']:.0%}-{row['ci_high']:.0%})  {bar}"
            )
    lines.append("    confusion (rows: truth, columns: predicted):")
    lines.extend("      " + ln for ln in ev.confusion.to_string().splitlines())
    return "\n".join(lines)


@main.command()
@click.argument("contacts", required=False, type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
@click.option("--out", type=click.Path(path_type=Path), help="Classified contacts (.csv or .parquet).")
@click.option("--rules", "rules_path", type=click.Path(path_type=Path), help="Your own rules YAML (tried first).")
@click.option("--reasons", type=click.Path(path_type=Path), help="YAML: reason code -> value | failure[:type].")
@click.option("--train", "train_path", type=click.Path(path_type=Path), help="Labelled CSV to train a model on.")
@click.option(
    "--evaluate",
    "eval_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Labelled CSV to score against (repeatable).",
)
@click.option("--split", type=float, help="With --evaluate: train on this share of it, score on the rest.")
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option("--window", default="14D", show_default=True, help="Case window for flow signals.")
@click.option("--candidates", type=click.Path(path_type=Path), help="CSV of grouped 'unknown' verbatims.")
@click.option("--seed", type=int, default=0, show_default=True)
def classify(
    contacts, mapping, out, rules_path, reasons, train_path, eval_paths, split, min_confidence, window, candidates, seed
):
    """Sort every contact into value or failure demand, with a type and the evidence that decided.

    CONTACTS is a contact table, a manifest (.yaml) or any export ingest reads; it may be
    left out with --evaluate, to score labelled verbatims on their own. A labelled CSV has
    columns text, demand (value|failure) and optionally failure_type and language; an answer
    key with contact_id instead of text takes the verbatims from CONTACTS. Text with no
    evidence stays 'unknown'.

    \b
    Example:
      flowkit classify out/contacts.parquet --out out/classified.parquet
      flowkit classify samples/manifest.yaml --evaluate samples/answer_key.csv --split 0.5
      flowkit classify --evaluate tests/data/heldout_en.csv --evaluate tests/data/heldout_pl.csv
    """
    import pandas as pd

    from flowkit.classify import builtin_rules, evaluate, load_rules, train
    from flowkit.classify import classify as run
    from flowkit.classify.labels import contacts_from_text, read_labels, split_labels
    from flowkit.classify.rules import RuleError
    from flowkit.store import write_table
    from flowkit.yamlfile import load_yaml

    if contacts is None and not eval_paths:
        raise click.UsageError("give CONTACTS, or --evaluate with labelled verbatims")
    table = _load(contacts, mapping) if contacts is not None else None
    rules = builtin_rules()
    if rules_path:
        user, disabled = load_rules(rules_path)
        rules = rules.combined(user, disabled)
    reason_map = load_yaml(reasons, RuleError, "reasons file") if reasons else None
    model, test = None, None
    if eval_paths:
        labels = pd.concat([read_labels(p, table) for p in eval_paths], ignore_index=True)
        if table is None:
            table = contacts_from_text(labels["text"])
        if split:
            fit, test = split_labels(labels, split, seed)
            model = train(fit["text"], fit["demand"], fit["failure_type"], seed=seed)
        else:
            test = labels
    if train_path:
        fit = read_labels(train_path, table)
        model = train(fit["text"], fit["demand"], fit["failure_type"], seed=seed)
    if model is not None:
        how = "chosen by cross-validation" if model.n_train <= 2000 else "fixed: a large sample"
        click.echo(f"model trained on {model.n_train:,} labelled verbatims (C={model.C:g}, {how}); cross-validated:")
        for cls, row in model.cv_report.iterrows():
            click.echo(f"    {cls:<8} precision {row['precision']:.1%}  recall {row['recall']:.1%}")
    result = run(table, rules, model, reason_map, min_confidence, stitch_window=window)
    c = result.contacts
    if test is not None:

        def score(classified, title):
            cols = ["contact_id", "demand", "failure_type", "confidence", "language"]
            if "contact_id" in test.columns and test["contact_id"].isin(classified["contact_id"]).any():
                merged = test.drop(columns=[k for k in ("language",) if k in test.columns]).merge(
                    classified[cols], on="contact_id", suffixes=("_true", "")
                )
            else:  # labelled verbatims not in CONTACTS: classify their text on its own
                own = run(
                    contacts_from_text(test["text"]),
                    rules,
                    model if title.endswith("model") else None,
                    None,
                    min_confidence,
                    use_flow=False,
                ).contacts
                merged = test.assign(
                    demand_true=test["demand"],
                    failure_type_true=test["failure_type"],
                    demand=own["demand"].to_numpy(),
                    failure_type=own["failure_type"].to_numpy(),
                    confidence=own["confidence"].to_numpy(),
                    language=own["language"].to_numpy(),
                )
            ev = evaluate(
                merged["demand"],
                merged["demand_true"],
                merged["failure_type"],
                merged["failure_type_true"],
                language=merged["language"],
                confidence=merged["confidence"],
            )
            click.echo(evaluation_text(title, ev))

        if model is not None:
            score(run(table, rules, None, reason_map, min_confidence, stitch_window=window).contacts, "rules alone")
            score(c, "rules + model")
        else:
            score(c, "rules alone")
    counts = c["demand"].value_counts()
    total = max(len(c), 1)
    click.echo(
        f"{len(c):,} contacts: "
        + ", ".join(
            f"{k} {counts.get(k, 0):,} ({counts.get(k, 0) / total:.0%})" for k in ("value", "failure", "unknown")
        )
    )
    if out:
        write_table(c, out)
        click.echo(f"classified -> {out}")
    cand = candidates or (out.with_name(out.stem + ".candidates.csv") if out else None)
    if cand is not None:
        result.candidates.to_csv(cand, index=False)
        click.echo(f"{len(result.candidates)} candidate new demand types (from 'unknown') -> {cand}")


@main.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The labelling page (.html).")
@click.option("--n", "n", type=click.IntRange(1), default=200, show_default=True, help="Contacts to label.")
@click.option("--seed", type=int, default=0, show_default=True, help="Breaks ties in the choice.")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
def label(contacts, out, n, seed, mapping):
    """Write a self-contained page to label the contacts the classifier is least sure of.

    CONTACTS may be classified contacts or plain ones (classified first with the built-in
    rules). The page works offline from disk: v value, f failure then 1-6 its sub-type,
    u unknown, j/k to move; "Download labels CSV" saves what `classify --train` reads.

    \b
    Example:
      flowkit label out/classified.parquet --out out/sample.html --n 200
      flowkit classify out/contacts.parquet --train ~/Downloads/labels.csv --out out/classified.parquet
    """
    from flowkit.classify.label import choose, write_label_page

    table = _load(contacts, mapping)
    sample = choose(table, n=n, seed=seed)
    path = write_label_page(sample, out)
    langs = sample.rows["language"].astype(str).value_counts()
    unsure = int((sample.rows["demand"].astype(str) == "unknown").sum())
    click.echo(
        f"{len(sample.rows):,} contacts to label (of {sample.distinct_texts:,} distinct texts; "
        f"{unsure:,} the classifier calls unknown; languages: "
        + ", ".join(f"{k} {v}" for k, v in langs.items())
        + f") -> {path}"
    )


# --------------------------------------------------------------------------- analyse


def _step(message: str) -> None:
    click.echo(f"  ... {message}", err=True)


@main.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for index.html, PNGs and CSVs.")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
@click.option("--title", default="Demand and flow", show_default=True)
@click.option("--window", default="14D", show_default=True, help="Case window (when cases must be stitched).")
@click.option("--pseudonymise", is_flag=True, help="Replace customer ids with a keyed hash (key: --key or env).")
@click.option(
    "--key", envvar="FLOWKIT_PSEUDONYM_KEY", help="Secret key for --pseudonymise (env FLOWKIT_PSEUDONYM_KEY)."
)
def analyze(contacts, out, mapping, title, window, pseudonymise, key):
    """Analyse demand and flow and write the manager's report (self-contained HTML).

    CONTACTS may be classified contacts, plain contacts or any export (then it is
    stitched into cases and classified first with the built-in rules).

    \b
    Example:
      flowkit analyze out/classified.parquet --out reports/client --pseudonymise --key "$SECRET"
    """
    from flowkit.report import build_report

    if pseudonymise and not key:
        raise click.UsageError("--pseudonymise needs --key (or FLOWKIT_PSEUDONYM_KEY)")
    _step("reading contacts")
    table = _load(contacts, mapping)
    table = _prepare(table, window)
    report = build_report(table, out, title=title, pseudonymise_key=key if pseudonymise else None, progress=_step)
    for sentence in report.sentences:
        click.echo(f"- {sentence}")
    click.echo(f"report -> {report.path}  ({len(report.charts)} charts as PNG, {len(report.tables)} tables as CSV)")


def _prepare(table, window: str):
    """Stitch and classify when the table has not been yet."""
    from flowkit.cases import stitch
    from flowkit.classify import classify

    if table["case_id"].isna().all():
        _step("stitching cases")
        table = stitch(table, window=window).contacts
    if "demand" not in table.columns:
        _step("classifying demand")
        table = classify(table, stitch_window=window).contacts
    return table


# --------------------------------------------------------------------------- effects


@main.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="effects.csv")
@click.option("--json", "as_json", is_flag=True, help="Also print the rows as JSON.")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
@click.option(
    "--estimand",
    type=click.Choice(["ATE", "ATT"]),
    default="ATE",
    show_default=True,
    help="ATE: on all contacts of the type; ATT: on the contacts that used the field.",
)
@click.option("--field", "fields", multiple=True, help="Only these fields (repeatable). Default: every field used.")
@click.option(
    "--trim",
    type=click.FloatRange(0, 0.2),
    default=0.02,
    show_default=True,
    help="Leave out contacts whose propensity is outside [trim, 1-trim].",
)
@click.option("--window", default="14D", show_default=True, help="Case window (when cases must be stitched).")
@click.option("--seed", type=int, default=0, show_default=True)
def effects(contacts, out, as_json, mapping, estimand, fields, trim, window, seed):
    """Adjusted effect of consulting each data field on handle time and resolution.

    Doubly robust (cross-fitted AIPW), adjusted for what the log shows, 95% CIs clustered by
    agent; `naive` and `adjusted` are with minus without, `saved` is positive when the field helps.

    \b
    Example:
      flowkit effects out/classified.parquet --out out/effects.csv --json
    """
    import json

    from flowkit.analyse.effects import EffectsOptions, field_effects_adjusted, verdict
    from flowkit.store import load_any, write_table

    _step("reading contacts")
    table = _prepare(load_any(contacts, mapping), window)
    _step("estimating effects")
    eff = field_effects_adjusted(table, list(fields) or None, EffectsOptions(estimand=estimand, trim=trim, seed=seed))
    write_table(eff, out)
    if as_json:
        click.echo(json.dumps(json.loads(eff.to_json(orient="records")), indent=2))
        return
    for _, r in eff[eff["demand_type"].eq("(all)")].iterrows():
        ci = "" if pd_isna(r["ci_low"]) else f"  (95% CI {r['saved_ci_low']:+.3g} to {r['saved_ci_high']:+.3g})"
        click.echo(f"{r['field']:>18} {r['outcome']:<9} {verdict(r)}{ci}")
    click.echo(f"effects -> {out}  ({len(eff)} rows; observational: confirm with `flowkit pilot design`)")


@main.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="churn_by_contacts.csv")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
@click.option(
    "--basis",
    type=click.Choice(["case", "90d"]),
    default="case",
    show_default=True,
    help="Count contacts in the case, or in the customer's last 90 days.",
)
@click.option("--churned-column", default="churned_at", show_default=True, help="Per-customer leaving date column.")
@click.option("--closure-type", "closure_types", multiple=True, help="Demand type that means the account closed.")
@click.option("--silence-days", type=float, help="ASSUMPTION: no contact for this many days means the customer left.")
@click.option("--window", default="14D", show_default=True, help="Case window (when cases must be stitched).")
def churn(contacts, out, mapping, basis, churned_column, closure_types, silence_days, window):
    """Does the Nth contact lose the customer? Leaving risk by contact number, with 95% CIs.

    \b
    Example:
      flowkit churn out/classified.parquet --silence-days 90 --out out/churn_by_contacts.csv
    """
    from flowkit.analyse.churn import analyse_churn
    from flowkit.store import write_table

    table = _prepare(_load(contacts, mapping), window)
    result = analyse_churn(table, basis, churned_column, tuple(closure_types), silence_days)
    write_table(result.table, out)
    click.echo(f"leaving known from: {result.signal}")
    click.echo(f"{result.customers:,} customers, {result.left:,} left; {result.jump.verdict}")
    for _, r in result.cox.iterrows():
        click.echo(
            f"  {r['term']:<38} hazard ratio {r['hazard_ratio']:.2f} (95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f})"
        )
    click.echo(f"churn by contacts -> {out}")


def pd_isna(x) -> bool:
    import math

    return x is None or (isinstance(x, float) and math.isnan(x))


# --------------------------------------------------------------------------- pilot


@main.group()
def pilot():
    """Design and analyse an A/B pilot that confirms a data field's effect."""


@pilot.command("design")
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--field", "field_name", required=True, help="The data field to pilot.")
@click.option("--outcome", type=click.Choice(["handle_s", "resolved"]), default="handle_s", show_default=True)
@click.option(
    "--mde",
    type=float,
    default=0.10,
    show_default=True,
    help="Smallest change worth finding, relative to the baseline.",
)
@click.option("--unit", type=click.Choice(["contact", "agent-day"]), default="contact", show_default=True)
@click.option("--alpha", type=click.FloatRange(0.001, 0.5), default=0.05, show_default=True)
@click.option("--power", type=click.FloatRange(0.5, 0.999), default=0.8, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--start", help="First pilot day (YYYY-MM-DD) for an agent-day assignment; default next Monday.")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
@click.option("--window", default="14D", show_default=True)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for plan.json and assignment.csv.")
def pilot_design(contacts, field_name, outcome, mde, unit, alpha, power, seed, start, mapping, window, out):
    """Size a pilot from the log's own variance (and ICC) and write a randomised assignment.

    \b
    Example:
      flowkit pilot design out/classified.parquet --field equipment_config --mde 0.10 --out out/pilot
    """
    from flowkit.pilot import assignment, design_pilot, write_plan
    from flowkit.store import load_any

    table = _prepare(load_any(contacts, mapping), window)
    plan = design_pilot(table, field_name, outcome, mde, unit, alpha, power, seed)
    units = assignment(plan, table, start)
    p, a = write_plan(plan, units, out)
    click.echo(
        f"{plan.field} on {plan.outcome}: find a {plan.mde:.0%} change ({plan.mde_absolute:.3g} on a baseline of "
        f"{plan.baseline_mean:.3g}) with power {plan.power:.0%} at alpha {plan.alpha:g}"
    )
    per = (
        f", {plan.clusters_per_arm:,} agent-days (ICC {plan.icc:.3f}, design effect {plan.design_effect:.2f})"
        if plan.unit == "agent-day"
        else ""
    )
    click.echo(f"{plan.contacts_per_arm:,} contacts per arm{per}; about {plan.days_needed} days at the log's pace")
    click.echo(f"plan -> {p}\nassignment -> {a}")


@pilot.command("analyse")
@click.argument("pilot_log", type=click.Path(path_type=Path))
@click.option("--field", "field_name", required=True)
@click.option("--arm-column", default="arm", show_default=True)
@click.option("--cluster", help="Column to cluster standard errors by (default: unit, else agent_id).")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when PILOT_LOG is a raw export.")
@click.option("--out", type=click.Path(path_type=Path), help="Write the scenario data_fields entry (YAML) here.")
@click.option("--json", "as_json", is_flag=True)
def pilot_analyse(pilot_log, field_name, arm_column, cluster, mapping, out, as_json):
    """Effect of a piloted field with cluster-robust CIs, balance and sample-ratio checks.

    \b
    Example:
      flowkit pilot analyse pilot_log.csv --field equipment_config --out field.yaml
    """
    import json

    import pandas as pd
    import yaml

    from flowkit.pilot import analyse_pilot

    path = Path(pilot_log)
    if path.suffix.lower() in (".csv", ".parquet") and not mapping:
        table = pd.read_parquet(path) if path.suffix.lower() == ".parquet" else pd.read_csv(path)
        if "received_at" in table.columns:
            table["received_at"] = pd.to_datetime(table["received_at"])
    else:
        from flowkit.store import load_any

        table = load_any(path, mapping)
    res = analyse_pilot(table, field_name, arm_column, cluster)
    entry = yaml.safe_dump({"data_fields": res.data_field()}, sort_keys=False)
    if out:
        Path(out).write_text(entry, encoding="utf-8")
    if as_json:
        click.echo(json.dumps(res.to_json_dict(), indent=2, default=float))
        return
    click.echo(
        f"{res.n_treatment:,} treatment, {res.n_control:,} control; sample ratio p = {res.srm_p:.3g}"
        + ("" if res.srm_ok else "  MISMATCH: assignment leaked or units were lost; do not trust the effect")
    )
    flagged = res.balance[res.balance["flag"]]
    click.echo(
        "balance: "
        + ("ok (every |SMD| <= 0.1)" if flagged.empty else "imbalanced on " + ", ".join(flagged["covariate"]))
    )
    for k, e in res.effects.items():
        word = "significant" if e["significant"] else "no evidence either way"
        click.echo(
            f"{k}: {e['effect']:+.4g} (95% CI {e['ci_low']:+.4g} to {e['ci_high']:+.4g}, {e['clusters']} clusters by "
            f"{res.cluster}) - {word}"
        )
    click.echo(entry.rstrip())


# --------------------------------------------------------------------------- samples


@main.group()
def samples():
    """Generate example logs from a known ground truth."""


@samples.command("make")
@click.option("--contacts", "n", type=click.IntRange(min=1), default=30_000, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--out", required=True, type=click.Path(path_type=Path))
@click.option(
    "--layout",
    type=click.Choice(["org", "single"]),
    default="org",
    show_default=True,
    help="org: four exports of different shapes with dirt; single: one clean CSV.",
)
def samples_make(n, seed, out, layout):
    """Write a generated organisation's exports, mappings and answer key.

    \b
    Example:
      flowkit samples make --contacts 1000000 --seed 1 --layout single --out /tmp/big
    """
    from flowkit.synth import generate, write_exports, write_single_csv

    log = generate(n, seed=seed)
    written = write_exports(log, out, seed=seed) if layout == "org" else write_single_csv(log, out)
    for name, path in written.exports.items():
        click.echo(f"{name}: {path}")
    click.echo(f"answer key: {written.answer_key}")
    if written.manifest:
        click.echo(f"manifest: {written.manifest}")


# --------------------------------------------------------------------------- simulate


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--replications", type=click.IntRange(min=1), help="Default: the scenario's.")
@click.option("--workers", type=click.IntRange(min=1), help="Parallel processes (default: all cores).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: scenario, replications, kpis.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for kpis.csv and the simulated contacts.parquet.")
def simulate(scenario, replications, workers, as_json, out):
    """Simulate a scenario's service centre; KPIs with 95% CIs over replications.

    \b
    Example:
      flowkit simulate simulations/mmc_check.yaml --replications 20 --json
    """
    import json

    from flowkit.sim import load_scenario
    from flowkit.sim import simulate as run
    from flowkit.store import write_table

    sc = load_scenario(scenario)
    total = replications or sc.replications
    if as_json:
        result = run(sc, replications, workers, keep_log=out is not None)
    else:
        with click.progressbar(length=total, label=f"simulating {sc.name}", file=sys.stderr) as bar:
            result = run(sc, replications, workers, keep_log=out is not None, progress=lambda done, _n: bar.update(1))
    if out:
        out.mkdir(parents=True, exist_ok=True)
        result.per_replication.to_csv(out / "kpis.csv")
        write_table(result.log, out / "contacts.parquet")
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), indent=2, allow_nan=False))
        return
    click.echo(
        f"{sc.name}: {len(result.per_replication)} replications, mean and 95% CI; warm-up "
        f"{result.warmup_hours:g} h; headline queue KPIs are {result.headline_channel}'s; — = not defined"
    )
    for name, v in result.summary.items():
        if v["mean"] != v["mean"]:
            click.echo(f"  {name:<22}{'—':>12}")
            continue
        ci = f"[{v['ci95_low']:.4g}, {v['ci95_high']:.4g}]" if v["ci95_low"] is not None else "(one value: no CI)"
        click.echo(f"  {name:<22}{v['mean']:>12.4g}  {ci}")
    if out:
        click.echo(f"written to {out}")


@main.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Scenario YAML to write.")
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping YAML when CONTACTS is a raw export.")
@click.option("--name", default="baseline", show_default=True)
@click.option("--agents", type=click.IntRange(min=1), help="Agents, when the log has no agent ids.")
@click.option("--replications", type=click.IntRange(min=2), default=10, show_default=True)
@click.option(
    "--fit/--no-fit", default=True, show_default=True, help="Simulate the result and compare it with the log."
)
@click.option("--workers", type=click.IntRange(min=1))
@click.option("--window", default="14D", show_default=True, help="Longest gap between a customer's repeat contacts.")
@click.option(
    "--idle-gap",
    "idle_gap_s",
    type=click.FloatRange(min=0),
    default=3600,
    show_default=True,
    help="Longest idle time (s) between an agent's calls counted as on duty (if nobody waited meanwhile).",
)
@click.option(
    "--closed-return",
    "closed_return_p",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of callers finding the line closed who call again when it opens (not in any log).",
)
@click.option(
    "--closed-within",
    "closed_within_hours",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Hours after opening within which those callers call again.",
)
@click.option(
    "--leave-out",
    "leave_out",
    multiple=True,
    metavar="CHANNEL",
    help="A channel not to simulate (e.g. one whose handling the log does not time); repeatable.",
)
@click.option(
    "--handle-s",
    "assume_handle_s",
    type=click.FloatRange(min=0, min_open=True),
    help="Mean handle time (s) to assume on channels whose log times no handling (stated as an assumption).",
)
def calibrate(
    contacts,
    out,
    mapping,
    name,
    agents,
    replications,
    fit,
    workers,
    window,
    idle_gap_s,
    closed_return_p,
    closed_within_hours,
    leave_out,
    assume_handle_s,
):
    """Estimate a scenario from a contact log, write it as commented YAML, and check its fit.

    \b
    Example:
      flowkit calibrate calls.csv --mapping samples/mappings/bank_calls.yaml --out simulations/bank.yaml
    """
    from flowkit.sim.calibrate import calibrate as run
    from flowkit.sim.calibrate import save, without_left_out
    from flowkit.sim.fit import model_fit

    _step("reading contacts")
    table = _load(contacts, mapping)
    _step("estimating")
    cal = run(
        table,
        name=name,
        agents=agents,
        replications=replications,
        window=window,
        idle_gap_s=idle_gap_s,
        closed_return_p=closed_return_p,
        closed_within_hours=closed_within_hours,
        leave_out=tuple(leave_out),
        assume_handle_s=assume_handle_s,
    )
    for key, note in cal.notes.items():
        click.echo(f"  {key}: {note}")
    if fit:
        _step("simulating the baseline to check it against the log")
        result = model_fit(
            without_left_out(table, cal), cal.scenario, workers=workers, real_occupancy=cal.log_figures.get("occupancy")
        )
        cal.doc["fit"] = result.metadata()
        click.echo(_fit_table(result))
        for sentence in result.sentences:
            click.echo(f"- {sentence}")
    save(cal, out)
    click.echo(f"scenario -> {out}" + ("" if fit else " (not checked against the log: --no-fit)"))


def _fit_table(result) -> str:
    lines = [f"  {'figure':<22}{'log':>12}{'baseline':>12}{'diff':>9}  verdict"]
    for _, r in result.table.iterrows():
        lines.append(
            f"  {r['metric']:<22}{r['real']:>12.4g}{r['simulated']:>12.4g}{r['relative']:>+9.1%}  "
            f"{'ok' if r['within_tolerance'] else 'OFF'} (±{r['tolerance']:.0%})"
        )
    return "\n".join(lines)


def _fit_notice(sc) -> str | None:
    """What compare and experiment say first about the base scenario's fit to its log."""
    from flowkit.sim.fit import fit_warning

    return fit_warning(sc)


def _deltas_text(title: str, deltas: dict) -> list[str]:
    lines = [title]
    for k, d in deltas.items():
        mark = (
            "significant"
            if d.get("significant")
            else ("real, too small to matter" if d.get("statistically_significant") else "no significant difference")
        )
        lines.append(f"    {k:<20}{d['mean']:>+12.4g}  [{d['ci95_low']:+.4g}, {d['ci95_high']:+.4g}]  {mark}")
    return lines


@main.command()
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("variants", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replications", type=click.IntRange(min=2), help="Default: the base scenario's.")
@click.option("--workers", type=click.IntRange(min=1))
@click.option("--scheduler", help="Dask scheduler address (tcp://host:8786) to run on a cluster.")
@click.option(
    "--min-effect",
    type=click.FloatRange(0, 1),
    default=0.02,
    show_default=True,
    help="Smallest effect that matters, as a share of the base value.",
)
@click.option("--json", "as_json", is_flag=True)
def compare(base, variants, replications, workers, scheduler, min_effect, as_json):
    """Compare what-if scenarios with the base: same customers, paired differences, 95% CIs.

    \b
    Example:
      flowkit compare simulations/baseline.yaml simulations/data_available.yaml --replications 20
    """
    import json

    from flowkit.sim import load_scenario
    from flowkit.sim.compare import compare as run

    b = load_scenario(base)
    vs = {}
    for path in variants:
        sc = load_scenario(path)
        vs[sc.name if sc.name not in vs else str(path)] = sc
    notice = _fit_notice(b)
    if notice:
        click.echo(notice, err=True)
    result = run(b, vs, replications, workers, scheduler, progress=_step, min_effect=min_effect)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if as_json:
        doc = result.to_json_dict()
        doc["baseline_fit"] = {"reproduces_log": bool(b.fit.get("reproduces")) if b.fit else None, "warning": notice}
        click.echo(json.dumps(doc, indent=2, allow_nan=False))
        return
    if notice:
        click.echo(notice)
    for name, deltas in result.deltas.items():
        click.echo(
            "\n".join(
                _deltas_text(f"{name} vs {b.name} (variant - base, mean and 95% CI; {result.pairing[name]}):", deltas)
            )
        )
    for v in result.verdicts():
        click.echo(f"- {v}")


@main.group()
def experiment():
    """Designed experiments on a scenario."""


@experiment.command("data-value")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--replications", type=click.IntRange(min=2))
@click.option("--workers", type=click.IntRange(min=1))
@click.option("--scheduler", help="Dask scheduler address (tcp://host:8786).")
@click.option("--min-effect", type=click.FloatRange(0, 1), default=0.02, show_default=True)
@click.option("--no-design-out", is_flag=True, help="Only the data fields, not the failure types designed out.")
@click.option("--json", "as_json", is_flag=True)
def data_value_cmd(scenario, replications, workers, scheduler, min_effect, no_design_out, as_json):
    """Which customer data, available at the point of contact, improves handling - and what
    designing out each failure type would free.

    \b
    Example:
      flowkit experiment data-value simulations/baseline.yaml --replications 20 --json
    """
    import json

    from flowkit.sim import load_scenario
    from flowkit.sim.experiment import data_value

    sc = load_scenario(scenario)
    notice = _fit_notice(sc)
    if notice:
        click.echo(notice, err=True)
    result = data_value(sc, replications, workers, scheduler, not no_design_out, progress=_step, min_effect=min_effect)
    if as_json:
        click.echo(
            json.dumps(
                {
                    **result.to_json_dict(),
                    "baseline_fit": {
                        "reproduces_log": bool(sc.fit.get("reproduces")) if sc.fit else None,
                        "warning": notice,
                    },
                },
                indent=2,
            )
        )
        return
    if notice:
        click.echo(notice)
    click.echo(
        f"{result.scenario}: {result.replications} replications, common random numbers; ranked by agent hours saved"
    )
    from flowkit.sim.experiment import verdict

    for f in result.fields:
        click.echo(f"  field {f['field']:<22} touches {f['share_of_demand']:>5.1%} of demand: {verdict(f)}")
    for f in result.design_out:
        a = f["deltas"]["agent_hours"]
        click.echo(
            f"  design out {f['failure_type']:<17} frees {-a['mean']:.1f} agent hours "
            f"[{-a['ci95_high']:.1f}, {-a['ci95_low']:.1f}]"
        )


@main.command()
@click.option("--rate-per-hour", type=float, required=True, help="Arrivals per hour.")
@click.option("--aht", "aht_s", type=float, required=True, help="Mean handle time, seconds.")
@click.option("--agents", type=click.IntRange(min=1), help="Agents (omit with --target to find how many).")
@click.option("--patience", "patience_s", type=float, help="Mean patience, seconds: Erlang A instead of C.")
@click.option("--sl-seconds", type=float, default=20.0, show_default=True, help="Service-level threshold.")
@click.option("--target", type=float, help="Service level to reach, e.g. 0.8: prints the agents needed.")
def theory(rate_per_hour, aht_s, agents, patience_s, sl_seconds, target):
    """Erlang C (or Erlang A with --patience) for a quick staffing answer.

    \b
    Example:
      flowkit theory --rate-per-hour 200 --aht 180 --agents 14 --patience 300
      flowkit theory --rate-per-hour 200 --aht 180 --target 0.8
    """
    from flowkit.sim.theory import agents_for_service_level, erlang_a, erlang_c

    lam = rate_per_hour / 3600.0
    if target is not None:
        agents = agents_for_service_level(lam, aht_s, target, sl_seconds, patience_s)
        click.echo(f"agents needed for {target:.0%} within {sl_seconds:g} s: {agents}")
    if agents is None:
        raise click.UsageError("give --agents or --target")
    m = erlang_a(lam, aht_s, agents, patience_s, sl_seconds) if patience_s else erlang_c(lam, aht_s, agents, sl_seconds)
    model = "Erlang A (M/M/c+M)" if patience_s else "Erlang C (M/M/c)"
    click.echo(f"{model}: load {m.offered_load:.2f} Erlangs on {agents} agents")
    click.echo(f"  P(wait)            {m.p_wait:.5f}")
    click.echo(f"  mean wait (ASA)    {m.mean_wait_s:.3f} s")
    click.echo(f"  service level      {m.service_level:.5f} within {sl_seconds:g} s")
    click.echo(f"  abandonment        {m.abandon_rate:.6f}")
    click.echo(f"  occupancy          {m.occupancy:.4f}")


# --------------------------------------------------------------------------- demo


@main.command()
@click.option("--out", default=str(REPO_ROOT / "reports" / "demo"), show_default=True, type=click.Path(path_type=Path))
def demo(out):
    """Run the whole pipeline on the bundled samples and write the report.

    Ingest (with the reconciliation), stitch cases, classify, analyse, report to OUT/index.html.

    \b
    Example:
      flowkit demo --out reports/demo
    """
    from flowkit.cases import stitch
    from flowkit.classify import classify
    from flowkit.ingest import ingest_manifest
    from flowkit.report import build_report
    from flowkit.store import quarantine_path, write_table

    manifest = SAMPLES / "manifest.yaml"
    if not manifest.is_file():
        raise click.ClickException(f"{manifest}: bundled samples not found; run from a clone of the repository")
    _step(f"ingesting the bundled samples ({manifest})")
    result = ingest_manifest(manifest)
    out.mkdir(parents=True, exist_ok=True)
    result.quarantine.to_csv(quarantine_path(out / "contacts.parquet"), index=False)
    _step("stitching cases")
    stitched = stitch(result.contacts)
    _step("classifying demand")
    classified = classify(stitched.contacts).contacts
    write_table(classified, out / "contacts.parquet")
    section = _simulate_for_report(classified, out)
    report = build_report(
        classified,
        out,
        title="Vistula Connect: demand and flow (bundled samples)",
        progress=_step,
        extra_sections=[section],
    )
    click.echo(cases_text(stitched.cases))
    for sentence in report.sentences:
        click.echo(f"- {sentence}")
    click.echo(f"report -> {report.path}")
    click.echo(summary_text(result))


def _simulate_for_report(classified, out: Path, replications: int = 4) -> dict:
    """Calibrate, check the fit and run the data-value experiment for the report's simulation section."""
    from flowkit.report.simulation import simulation_section
    from flowkit.sim.calibrate import calibrate, save, untimed_channels, without_left_out
    from flowkit.sim.experiment import data_value
    from flowkit.sim.fit import model_fit

    _step("calibrating a baseline scenario from the log")
    # a channel whose handling the log never times (the samples' web forms) cannot be simulated:
    # it is left out, and the report says so, rather than given another channel's handle times
    cal = calibrate(
        classified,
        name="baseline",
        replications=replications,
        horizon_hours=14 * 24,
        leave_out=tuple(untimed_channels(classified)),
    )
    save(cal, out / "scenario.yaml")
    _step("checking the baseline against the log")
    fit = model_fit(without_left_out(classified, cal), cal.scenario, replications=replications)
    if "left_out" in cal.notes:
        fit.sentences.insert(1, f"Channels {cal.notes['left_out']}: the log records no handle time for them.")
    _step("running the data-value experiment")
    experiment = data_value(cal.scenario, replications=replications, progress=lambda name: _step(f"  {name}"))
    return simulation_section(fit, experiment, out)


# --------------------------------------------------------------------------- schema


@main.command()
@click.argument("kind", type=click.Choice(["scenario", "mapping"]))
def schema(kind):
    """Print the JSON Schema of a scenario or mapping file, for editors and validators.

    \b
    Example:
      flowkit schema scenario > scenario.schema.json
      flowkit schema mapping > mapping.schema.json
    """
    from flowkit.schemas import schema_json

    click.echo(schema_json(kind))


if __name__ == "__main__":  # pragma: no cover
    main()
