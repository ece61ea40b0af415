"""Commands that simulate: simulate, calibrate, compare, experiment, theory."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from flowkit.commands.common import load, mapping_option, setting_option, step, window_option
from flowkit.commands.text import deltas_text, fit_table


@click.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--replications", type=click.IntRange(min=1), help="Default: the scenario's.")
@click.option("--workers", type=click.IntRange(min=1), help="Parallel processes (default: all cores).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: scenario, replications, kpis.")
@click.option("--out", type=click.Path(path_type=Path), help="Folder for kpis.csv and the simulated contacts.parquet.")
def simulate(scenario: Path, replications: int | None, workers: int | None, as_json: bool, out: Path | None) -> None:
    """Simulate a scenario's service centre; KPIs with 95% CIs over replications.

    \b
    Example:
      flowkit simulate simulations/mmc_check.yaml --replications 20 --json
    """
    import json

    from flowkit.pipeline.simulate import write_simulation
    from flowkit.sim import load_scenario
    from flowkit.sim import simulate as run

    sc = load_scenario(scenario)
    total = replications or sc.replications
    if as_json:
        result = run(sc, replications, workers, keep_log=out is not None)
    else:
        with click.progressbar(length=total, label=f"simulating {sc.name}", file=sys.stderr) as bar:
            result = run(sc, replications, workers, keep_log=out is not None, progress=lambda done, _n: bar.update(1))
    if out:
        write_simulation(result, out)
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


@click.command()
@click.argument("contacts", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Scenario YAML to write.")
@mapping_option
@click.option("--name", default="baseline", show_default=True)
@click.option("--agents", type=click.IntRange(min=1), help="Agents, when the log has no agent ids.")
@click.option("--replications", type=click.IntRange(min=2), default=10, show_default=True)
@click.option(
    "--fit/--no-fit", default=True, show_default=True, help="Simulate the result and compare it with the log."
)
@click.option("--workers", type=click.IntRange(min=1))
@window_option("Longest gap between a customer's repeat contacts.")
@setting_option(
    "--idle-gap",
    "idle_gap_s",
    click.FloatRange(min=0),
    3600,
    "Longest idle time (s) between an agent's calls counted as on duty (if nobody waited meanwhile).",
)
@setting_option(
    "--closed-return",
    "closed_return_p",
    click.FloatRange(0, 1),
    0.0,
    "Share of callers finding the line closed who call again when it opens (not in any log).",
)
@setting_option(
    "--closed-within",
    "closed_within_hours",
    click.FloatRange(min=0),
    1.0,
    "Hours after opening within which those callers call again.",
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
    contacts: Path,
    out: Path,
    mapping: Path | None,
    name: str,
    agents: int | None,
    replications: int,
    fit: bool,
    workers: int | None,
    window: str,
    idle_gap_s: float,
    closed_return_p: float,
    closed_within_hours: float,
    leave_out: tuple[str, ...],
    assume_handle_s: float | None,
) -> None:
    """Estimate a scenario from a contact log, write it as commented YAML, and check its fit.

    \b
    Example:
      flowkit calibrate samples/exports/bank_calls.tsv --mapping samples/mappings/bank_calls.yaml --out out/bank.yaml
    """
    from flowkit.pipeline.simulate import check_fit
    from flowkit.sim.calibrate import calibrate as run
    from flowkit.sim.calibrate import save

    step("reading contacts")
    table = load(contacts, mapping)
    step("estimating")
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
        step("simulating the baseline to check it against the log")
        result = check_fit(table, cal, workers)
        click.echo(fit_table(result))
        for sentence in result.sentences:
            click.echo(f"- {sentence}")
    save(cal, out)
    click.echo(f"scenario -> {out}" + ("" if fit else " (not checked against the log: --no-fit)"))


@click.command()
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
def compare(
    base: Path,
    variants: tuple[Path, ...],
    replications: int | None,
    workers: int | None,
    scheduler: str | None,
    min_effect: float,
    as_json: bool,
) -> None:
    """Compare what-if scenarios with the base: same customers, paired differences, 95% CIs.

    \b
    Example:
      flowkit compare simulations/baseline.yaml simulations/baseline-front-plus-2.yaml --replications 20
    """
    import json

    from flowkit.pipeline import compare_files

    done = compare_files(
        base, variants, replications, workers, scheduler, min_effect, progress=step, on_notice=_to_stderr
    )
    b, result, notice = done.base, done.comparison, done.notice
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if as_json:
        click.echo(json.dumps(done.to_json_dict(), indent=2, allow_nan=False))
        return
    if notice:
        click.echo(notice)
    for name, deltas in result.deltas.items():
        click.echo(
            "\n".join(
                deltas_text(f"{name} vs {b.name} (variant - base, mean and 95% CI; {result.pairing[name]}):", deltas)
            )
        )
    for v in result.verdicts():
        click.echo(f"- {v}")
    from flowkit.sim.routing_report import matching_lines

    for line in matching_lines(result.deltas, b.horizon_hours):
        click.echo(f"- {line}")


@click.group()
def experiment() -> None:
    """Designed experiments on a scenario.

    \b
    Example:
      flowkit experiment data-value simulations/baseline.yaml --replications 20
    """


@experiment.command("data-value")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--replications", type=click.IntRange(min=2))
@click.option("--workers", type=click.IntRange(min=1))
@click.option("--scheduler", help="Dask scheduler address (tcp://host:8786).")
@click.option("--min-effect", type=click.FloatRange(0, 1), default=0.02, show_default=True)
@click.option("--no-design-out", is_flag=True, help="Only the data fields, not the failure types designed out.")
@click.option("--json", "as_json", is_flag=True)
def data_value_cmd(
    scenario: Path,
    replications: int | None,
    workers: int | None,
    scheduler: str | None,
    min_effect: float,
    no_design_out: bool,
    as_json: bool,
) -> None:
    """Which customer data, available at the point of contact, improves handling - and what
    designing out each failure type would free.

    \b
    Example:
      flowkit experiment data-value simulations/baseline.yaml --replications 20 --json
    """
    import json

    from flowkit.pipeline.simulate import baseline_fit
    from flowkit.sim import load_scenario
    from flowkit.sim.experiment import data_value
    from flowkit.sim.fit import fit_warning

    sc = load_scenario(scenario)
    notice = fit_warning(sc)
    if notice:
        click.echo(notice, err=True)
    result = data_value(sc, replications, workers, scheduler, not no_design_out, progress=step, min_effect=min_effect)
    if as_json:
        click.echo(
            json.dumps(
                {
                    **result.to_json_dict(),
                    "baseline_fit": baseline_fit(sc, notice),
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
            + (
                f", keeps {f['customers_kept']['mean']:.1f} customers "
                f"[{f['customers_kept']['ci95_low']:.1f}, {f['customers_kept']['ci95_high']:.1f}]"
                if "customers_kept" in f
                else ""
            )
        )


@click.command()
@click.option("--rate-per-hour", type=float, required=True, help="Arrivals per hour.")
@click.option("--aht", "aht_s", type=float, required=True, help="Mean handle time, seconds.")
@click.option("--agents", type=click.IntRange(min=1), help="Agents (omit with --target to find how many).")
@click.option("--patience", "patience_s", type=float, help="Mean patience, seconds: Erlang A instead of C.")
@click.option("--sl-seconds", type=float, default=20.0, show_default=True, help="Service-level threshold.")
@click.option("--target", type=float, help="Service level to reach, e.g. 0.8: prints the agents needed.")
def theory(
    rate_per_hour: float,
    aht_s: float,
    agents: int | None,
    patience_s: float | None,
    sl_seconds: float,
    target: float | None,
) -> None:
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


def _to_stderr(message: str) -> None:
    click.echo(message, err=True)
