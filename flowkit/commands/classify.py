"""Commands that sort demand: classify, label."""

from __future__ import annotations

from pathlib import Path

import click

from flowkit.commands.common import load, mapping_option, privacy, privacy_options, window_option
from flowkit.commands.text import evaluation_text


@click.command()
@click.argument("contacts", required=False, type=click.Path(path_type=Path))
@mapping_option
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
@click.option(
    "--split",
    type=click.FloatRange(0, 1, max_open=True),
    help="With --evaluate: train on this share of it (0 < share < 1), score on the rest.",
)
@click.option("--min-confidence", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@window_option("Case window for flow signals.")
@click.option("--candidates", type=click.Path(path_type=Path), help="CSV of grouped 'unknown' verbatims.")
@click.option("--seed", type=int, default=0, show_default=True)
@privacy_options
def classify(
    contacts: Path | None,
    mapping: Path | None,
    out: Path | None,
    rules_path: Path | None,
    reasons: Path | None,
    train_path: Path | None,
    eval_paths: tuple[Path, ...],
    split: float | None,
    min_confidence: float,
    window: str,
    candidates: Path | None,
    seed: int,
    key: str | None,
    show_ids: bool,
) -> None:
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
    from flowkit.pipeline import classify_and_evaluate
    from flowkit.safewrite import write_csv
    from flowkit.store import write_table

    if contacts is None and not eval_paths:
        raise click.UsageError("give CONTACTS, or --evaluate with labelled verbatims")
    table = load(contacts, mapping) if contacts is not None else None
    done = classify_and_evaluate(
        table,
        rules_path=rules_path,
        reasons=reasons,
        train_path=train_path,
        eval_paths=eval_paths,
        split=split,
        min_confidence=min_confidence,
        window=window,
        seed=seed,
    )
    model, result = done.model, done.result
    if model is not None:
        how = "chosen by cross-validation" if model.n_train <= 2000 else "fixed: a large sample"
        click.echo(f"model trained on {model.n_train:,} labelled verbatims (C={model.C:g}, {how}); cross-validated:")
        for cls, row in model.cv_report.iterrows():
            click.echo(f"    {cls:<8} precision {row['precision']:.1%}  recall {row['recall']:.1%}")
    for title, ev in done.evaluations:
        click.echo(evaluation_text(title, ev))
    c = result.contacts
    counts = c["demand"].value_counts()
    total = max(len(c), 1)
    click.echo(
        f"{len(c):,} contacts: "
        + ", ".join(
            f"{k} {counts.get(k, 0):,} ({counts.get(k, 0) / total:.0%})" for k in ("value", "failure", "unknown")
        )
    )
    if out:
        write_table(c, out, privacy(out.parent, key, show_ids))
        click.echo(f"classified -> {out}")
    cand = candidates or (out.with_name(out.stem + ".candidates.csv") if out else None)
    if cand is not None:
        write_csv(result.candidates, cand)
        click.echo(f"{len(result.candidates)} candidate new demand types (from 'unknown') -> {cand}")


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The labelling page (.html).")
@click.option("--n", "n", type=click.IntRange(1), default=200, show_default=True, help="Contacts to label.")
@click.option("--seed", type=int, default=0, show_default=True, help="Breaks ties in the choice.")
@mapping_option
def label(contacts: Path, out: Path, n: int, seed: int, mapping: Path | None) -> None:
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

    table = load(contacts, mapping)
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
