"""Calibrate a scenario from a contact log: every figure measured once, or stated as an assumption."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from flowkit import schema
from flowkit.errors import FlowkitError
from flowkit.sim.calibrate.closed_returns import take_out_closed_returns
from flowkit.sim.calibrate.demand import _data_fields, _demand
from flowkit.sim.calibrate.identities import _label, placeholder_customers
from flowkit.sim.calibrate.patience import _patience
from flowkit.sim.calibrate.period import Period, covered_period
from flowkit.sim.calibrate.profiles import _slot_index
from flowkit.sim.calibrate.repeats import _repeats
from flowkit.sim.calibrate.result import Calibration
from flowkit.sim.calibrate.staffing import _teams, _unstaffed, after_call_work
from flowkit.sim.scenario import scenario_from_dict

#: answered (unresolved contact, recontact) pairs needed to measure a recontact's handle time
MIN_PAIRS = 30


def _recontact_handle_factor(
    df: pd.DataFrame, pairs: tuple[pd.Index, pd.Index] | None, wrap_s: dict[str, float]
) -> tuple[float, int] | None:
    """A recontact's handle time over that of the contact it follows, from the log's pairs.

    The model gives a returning customer the handle time of their first contact's stream times
    this factor: a chase ("where is my engineer?") is quicker than the order it chases, and a
    factor of 1 makes the model's failure demand as long as its value demand."""
    if pairs is None:
        return None
    parent, child = pairs
    h = df["handle_s"].astype(float)
    wrap = df["channel"].astype(str).map(wrap_s).fillna(0.0) if wrap_s else pd.Series(0.0, index=df.index)
    answered = ~df["abandoned"].fillna(False).astype(bool)
    hp = (h + wrap).loc[parent].to_numpy()
    hc = (h + wrap).loc[child].to_numpy()
    ok = np.isfinite(hp) & np.isfinite(hc) & answered.loc[child].to_numpy() & (hp > 0)
    if int(ok.sum()) < MIN_PAIRS:
        return None
    return round(float(min(max(hc[ok].mean() / hp[ok].mean(), 0.05), 5.0)), 4), int(ok.sum())


def untimed_channels(contacts: pd.DataFrame) -> list[str]:
    """Channels on which the log records no handle time at all: they cannot be calibrated."""
    ch = contacts["channel"].astype(str)
    timed = contacts["handle_s"].notna().groupby(ch).any()
    return sorted(timed[~timed].index)


def without_left_out(contacts: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """The part of the log the calibrated scenario models (what its fit is held against): its
    channels, and the days it covers in full (:mod:`.period`)."""
    keep = ~contacts["channel"].astype(str).isin(cal.left_out)
    if cal.period is not None:
        keep &= cal.period.holds(contacts["received_at"])
    return contacts[keep]


def calibrate(
    contacts: pd.DataFrame,
    name: str = "calibrated",
    agents: int | None = None,
    seed: int = 1,
    replications: int = 10,
    horizon_hours: float | None = None,
    window: str = "14D",
    idle_gap_s: float = 3600.0,
    closed_return_p: float = 0.0,
    closed_within_hours: float = 1.0,
    closed_elsewhere_p: float = 0.0,
    closed_elsewhere_channel: str | None = None,
    closed_elsewhere_delay_s: float = 3 * 3600.0,
    leave_out: tuple[str, ...] = (),
    assume_handle_s: float | None = None,
) -> Calibration:
    """Estimate a scenario from ``contacts``. ``agents`` is required when the log has no agent ids.

    ``window``: longest gap between a customer's contacts counted as a repeat (redial or recontact).
    ``idle_gap_s``: longest idle time between an agent's calls counted as on duty.
    ``closed_return_p``: share of callers finding the line closed who call again when it opens
    (not in any log; 0 unless you know better, since those who did are already logged arrivals),
    spread evenly over the first ``closed_within_hours`` after it opens; ``closed_elsewhere_p``: share
    who turn to ``closed_elsewhere_channel`` instead, ``closed_elsewhere_delay_s`` later on average
    (exponential). Both come out of the logged arrivals where the model will make them
    (:mod:`.closed_returns`): the log holds those contacts already.
    ``leave_out``: channels not to simulate (say, web forms whose handling the log does not time);
    their contacts are set aside, the note ``left_out`` says how many, and the fit must be held
    against the rest of the log (:func:`without_left_out`).
    ``assume_handle_s``: mean handle time (exponential) for channels whose log times no handling at
    all - an assumption the user makes and the scenario states, never a default.
    """
    if not 0.0 <= closed_return_p <= 1.0:
        raise ValueError(f"closed_return_p must be within [0, 1], got {closed_return_p}")
    if not 0.0 <= closed_elsewhere_p <= 1.0 - closed_return_p + 1e-9:
        raise ValueError(f"closed_elsewhere_p must be within [0, 1 - closed_return_p], got {closed_elsewhere_p}")
    if not closed_within_hours >= 0.0:
        raise ValueError(f"closed_within_hours must be at least 0, got {closed_within_hours}")
    df = schema.conform(contacts)
    df = df[df["received_at"].notna()].sort_values("received_at", kind="stable")
    period: Period | None = covered_period(df["received_at"]) if len(df) else None
    if period is not None and period.trimmed_days:
        df = df[period.holds(df["received_at"])]
    from flowkit.analyse.callbacks import outbound

    outbound_calls = outbound(df)  # calls the centre made are not demand: the scenario's callback models them
    if outbound_calls is not None:
        df = df[~outbound_calls]
    left_out = {}
    if leave_out:
        gone = df["channel"].astype(str).isin(leave_out)
        left_out = df.loc[gone, "channel"].astype(str).value_counts().to_dict()
        df = df[~gone]
    if len(df) < 50:
        raise FlowkitError(f"calibration needs at least 50 contacts, got {len(df)}")
    window_td = pd.Timedelta(window)
    placeholder = placeholder_customers(df["customer_id"])
    identified = df["customer_id"].notna() & ~placeholder
    notes: dict[str, str] = {}
    figures: dict[str, float] = {}
    if leave_out:
        total = len(df) + sum(left_out.values())
        notes["left_out"] = (
            "not simulated, by choice: "
            + ", ".join(
                f"{ch} ({left_out.get(ch, 0):,} contacts, {left_out.get(ch, 0) / total:.1%} of the log)"
                for ch in leave_out
            )
            + "; the model and its fit cover the other channels only"
        )
    if df["case_id"].isna().all():
        from flowkit.cases import stitch

        masked = df.assign(customer_id=df["customer_id"].mask(placeholder, pd.NA))
        df = df.assign(case_id=stitch(masked, window=window_td).contacts["case_id"])
    start, end = df["received_at"].min().normalize(), df["received_at"].max().normalize() + pd.Timedelta(days=1)
    all_days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    days_of_week = np.bincount(all_days.day_of_week, minlength=7).astype(float)
    span_h = (end - start).total_seconds() / 3600.0
    notes["period"] = f"{start:%Y-%m-%d} to {end - pd.Timedelta(days=1):%Y-%m-%d}, {len(df):,} contacts"
    if period is not None and period.trimmed_days:
        notes["period"] += f"; {period.note()}"
    if placeholder.any():
        notes["customers"] = (
            f"{int(placeholder.sum()):,} contacts ({placeholder.mean():.0%}) carry a placeholder "
            "customer id (0, blank, unknown, or one id on an implausible share): each is its own "
            "customer, left out of repeat measurement"
        )

    df = df.assign(_label=_label(df), _n=df.groupby("case_id", observed=True).cumcount())
    df["_row"] = np.arange(len(df))
    df["_next_row"] = df.groupby("case_id", observed=True)["_row"].shift(-1)
    nxt = df.groupby("case_id", observed=True)["received_at"].shift(-1)
    df["_next_gap"] = (nxt - df["received_at"]).dt.total_seconds()
    abandoned = df["abandoned"].fillna(False).astype(bool)
    phone = df["channel"].astype(str).eq("phone")
    wait = df["wait_s"].astype(float)
    ivr_exit = phone & abandoned & (wait.isna() | wait.le(0))

    # warm-up: "auto", left to the simulator, which works it out from the failure loop's own delays
    # and checks it (MSER-5) after every run; a fixed figure here would be a guess
    doc: dict = {
        "name": name,
        "seed": seed,
        "horizon_hours": round(horizon_hours or min(span_h, 28 * 24), 1),
        "warmup_hours": "auto",
        "replications": replications,
    }
    notes["warmup_hours"] = (
        "auto: the simulator takes it from the failure loop (recontact delays) and checks it with MSER-5 after each run"
    )

    # who was on duty when; a live channel is open in the half hours someone was on duty
    wrap_s: dict[str, float] = {}
    measured = {}
    for ch in sorted(df["channel"].astype(str).unique()):
        w, n_wrap = after_call_work(df, ch)
        if n_wrap >= 30:
            wrap_s[ch], measured[ch] = w, n_wrap
    if measured:
        notes["after_call_work"] = (
            "; ".join(f"{ch}: {wrap_s[ch]:.0f} s per answered contact" for ch in measured)
            + ", added to the channel's handle times (the log's lack it): the mean gap before an agent's "
            "next contact when the channel's callers were already waiting, over "
            + ", ".join(f"{measured[ch]:,}" for ch in measured)
            + " such gaps"
        )
        n_all = sum(measured.values())
        figures["after_call_work_s"] = sum(wrap_s[ch] * measured[ch] for ch in measured) / n_all
    teams, team_notes, live_hours, staff_figures, open_slots = _teams(df, all_days, idle_gap_s, wrap_s)
    figures.update(staff_figures)
    closed_call = pd.Series(False, index=df.index)
    for ch, slots in open_slots.items():
        mine = df["channel"].astype(str).eq(ch)
        dow, slot = _slot_index(df.loc[mine, "received_at"])
        closed_call.loc[mine] = ~slots[dow, slot]
    if closed_call.any():
        figures["closed_calls"] = float(closed_call.sum())
    ivr_exit &= ~closed_call

    # repeats, measured once on identified customers whose whole window lies inside the log
    loop = _repeats(df, identified, abandoned, closed_call, window_td, notes)
    n_open = int((~closed_call).sum())
    # the repeats the model will make, by its own mechanisms applied to every logged contact
    gave_up_open = abandoned & ~closed_call
    channel = df["channel"].astype(str)
    made = pd.Series(0.0, index=df.index)  # expected repeats each logged contact makes in the model
    if loop.get("redial"):
        made[gave_up_open] = loop["redial"]["p"]
    made_by_channel = made.groupby(channel).sum()  # a redial comes back on the same channel
    if loop.get("recontact"):
        unresolved = ~abandoned & ~closed_call & df["resolved"].eq(False).fillna(False).astype(bool)
        made[unresolved] = loop["recontact"]["p"]
        # a recontact comes back where the log's pairs say (the same channel where they say nothing)
        shares = loop["recontact"].get("channels", {})
        for parent, k in made[unresolved].groupby(channel[unresolved]).sum().items():
            for to, share in shares.get(parent, {parent: 1.0}).items():
                made_by_channel[to] = made_by_channel.get(to, 0.0) + k * share
    repeats = float(made.sum())
    loop["r"] = repeats / len(df)
    exogenous = max(0.0, (n_open - repeats) / n_open) if n_open else 1.0
    figures["repeat_share"] = loop["r"]
    # take the repeats out of the streams the logged repeats belong to (chases are mostly failure
    # demand, redials the same need again), in proportion; calls to a closed line stay as logged
    key = df["_label"] + "|" + df["channel"].astype(str)
    seen = key.loc[loop["repeat_rows"]]
    weight = pd.Series(np.where(closed_call, 1.0, exogenous), index=df.index)
    if len(seen) >= 20 and repeats > 0:
        # per channel, the share f of open-hour contacts the model makes itself is taken out so that
        # both margins hold as far as they can: each half hour gives up f of its contacts (the
        # time-of-day shape stays the log's) and each stream what the logged repeats say it holds
        # (chases, not first contacts, are taken out); what no stream of a half hour can still give
        # up comes out of the others in it, alike
        seen_channel = seen.str.rsplit("|", n=1).str[-1]
        share = seen.groupby(seen_channel).value_counts(normalize=True).droplevel(0)
        opened = ~closed_call
        f = (made_by_channel / channel[opened].value_counts()).fillna(0.0)
        dow, slot = _slot_index(df["received_at"])
        cell = channel + "|" + pd.Series(dow * 100 + slot, index=df.index).astype(str)
        n_cell = cell[opened].value_counts()
        rows = (key + "#" + cell)[opened]
        w_open = 1 - rows.map(_taken_out(key[opened], cell[opened], made_by_channel, share, f, n_cell))
        target = (1 - channel[opened].map(f)).clip(lower=0.0)  # the cell's kept share
        kept = w_open.groupby(cell[opened]).transform("sum")
        want = target * cell[opened].map(n_cell)
        w_open = (w_open * (want / kept.where(kept > 0))).fillna(0.0).clip(upper=1.0)
        weight.loc[opened] = w_open.to_numpy()
    notes["arrivals"] = (
        f"the model makes repeats itself ({loop['r']:.1%} of contacts: redial and recontact shares "
        "measured on identified customers, applied to every logged call that gave up or was left "
        f"unresolved), so they are taken out of the logged arrivals in open hours (x {exogenous:.3f} "
        "overall), from the streams the logged repeats belong to"
        + (f"; {int(closed_call.sum()):,} calls to a closed line are kept as logged" if closed_call.any() else "")
    )

    if closed_call.any() and (closed_return_p > 0 or closed_elsewhere_p > 0):
        weight, taken = take_out_closed_returns(
            df,
            weight,
            closed_call,
            open_slots,
            closed_return_p,
            closed_within_hours,
            closed_elsewhere_p,
            closed_elsewhere_channel,
        )
        notes["arrivals"] += (
            f"; {taken['returns']:,.0f} calls at opening and {taken['elsewhere']:,.0f} contacts elsewhere that the "
            "model makes for callers who met the closed line are taken out of the logged arrivals"
        )
    demand = _demand(df, days_of_week, weight, loop, notes, wrap_s, assume_handle_s)
    if loop.get("recontact"):
        doc["recontact"] = loop["recontact"]
        factor = _recontact_handle_factor(df, loop.get("recontact_pairs"), wrap_s)
        if factor is not None:
            doc["recontact"]["handle_factor"], n_pairs = factor
            notes["recontact"] += (
                f"; a recontact takes {factor[0]:.2f} x the handle time of the contact it follows (mean over "
                f"{n_pairs:,} answered pairs in the log, after-call work included)"
            )
    if loop.get("redial"):
        doc["redial"] = loop["redial"]

    ph = df[phone]
    if len(ph) and ph["abandoned"].notna().any():
        n_ivr = int(ivr_exit.sum())
        n_open_ph = int((~closed_call[phone]).sum())
        if n_ivr:
            doc["ivr"] = {"exit_p": round(n_ivr / n_open_ph, 4)}
            notes["ivr"] = (
                f"{n_ivr:,} of {n_open_ph:,} calls in open hours ({n_ivr / n_open_ph:.1%}) gave up before "
                "queueing (no queue time): IVR exits, kept apart from queue abandonment"
            )
        queued = ph[~ivr_exit[phone] & ~closed_call[phone] & ph["wait_s"].notna()]
        gave_up = queued["abandoned"].fillna(False).astype(bool)
        if gave_up.any():
            doc["patience"], notes["patience"] = _patience(queued["wait_s"], gave_up)

    channels = sorted({d["channel"] for d in demand})
    teams, agents_note = _unstaffed(teams, team_notes, channels, demand, agents)
    doc["agents"] = teams
    notes["agents"] = agents_note
    if live_hours:
        doc["open_hours"] = live_hours
        doc["closed"] = {"return_p": float(closed_return_p), "within_hours": float(closed_within_hours)}
        notes["open_hours"] = "live channels: the half hours when the log shows agents on duty"
        notes["closed"] = (
            f"given to calibration: {closed_return_p:g} of callers who find it closed call again within "
            f"{closed_within_hours:g} h of its opening"
            + (
                "; the log's calls at opening hold those returns already, so as many are taken out of its "
                "arrivals there"
                if closed_return_p > 0
                else "; 0 unless you know better (flowkit hours measures it where the log follows customers)"
            )
        )
        if closed_elsewhere_p > 0 and closed_elsewhere_channel:
            doc["closed"].update(
                elsewhere_p=float(closed_elsewhere_p),
                elsewhere_channel=closed_elsewhere_channel,
                elsewhere_delay={"dist": "exponential", "mean_s": float(closed_elsewhere_delay_s)},
            )
            notes["closed"] += (
                f"; {closed_elsewhere_p:g} turn to {closed_elsewhere_channel} instead, on average "
                f"{closed_elsewhere_delay_s / 3600:g} h later (an assumption: the log shows only that they did within a "
                "day), taken out of its logged arrivals alike"
            )
    if "occupancy" in figures:
        notes["occupancy"] = (
            f"from the log: agents busy {figures['busy_hours']:,.0f} h of {figures['on_duty_hours']:,.0f} h "
            f"on duty = occupancy {figures['occupancy']:.1%}; apparent shrinkage (breaks over "
            f"{idle_gap_s / 60:g} min between first and last call of a day) {figures['shrinkage']:.1%}"
        )

    fields = _data_fields(df)
    if fields:
        doc["data_fields"] = fields["fields"]
        for entry in demand:
            need = fields["needs"].get((entry["type"], entry["channel"]))
            if need:
                entry["needs"] = need
        notes["data_fields"] = (
            "adjusted (doubly robust) effects of each field in data_used, with standard errors: "
            "observational, each replication draws its effect; a pilot confirms them"
        )
    doc["demand"] = demand
    scenario = scenario_from_dict(yaml.safe_load(yaml.safe_dump(doc)), f"calibrated from the log ({name})")
    return Calibration(doc, scenario, notes, log_figures=figures, left_out=tuple(leave_out), period=period)


def _taken_out(
    key: pd.Series, cell: pd.Series, made: pd.Series, share: pd.Series, f: pd.Series, n_cell: pd.Series
) -> pd.Series:
    """The share of each stream's contacts in each half hour (index ``key#cell``) to take out of the
    logged arrivals, by iterative proportional fitting: stream ``k`` gives up ``made[channel] x
    share[k]`` in all, half hour ``c`` gives up ``f[channel] x n_cell[c]``, and no stream more than it
    holds there. Where the two cannot both hold (the model's returns fall in half hours where the
    log's chases are few), the streams' totals are met as nearly as the half hours allow."""
    kc = pd.DataFrame({"k": key.to_numpy(), "c": cell.to_numpy()}).value_counts().rename("n").reset_index()
    n = kc["n"].astype(float)
    ch = kc["k"].str.rsplit("|", n=1).str[-1]
    row_total = made.reindex(ch).fillna(0.0).to_numpy() * kc["k"].map(share).fillna(0.0).to_numpy()
    col_total = ch.map(f).fillna(0.0).to_numpy() * kc["c"].map(n_cell).to_numpy()
    x = n * ch.map(f).fillna(0.0).clip(upper=1.0)  # start: every stream gives up its channel's share
    for _ in range(30):
        for group, total in ((kc["k"], row_total), (kc["c"], col_total)):
            got = x.groupby(group).transform("sum")
            x = (x * (total / got.where(got > 0))).fillna(0.0).clip(upper=n)
    return pd.Series((x / n).to_numpy(), index=(kc["k"] + "#" + kc["c"]).to_numpy())
