"""Demand streams (arrival profile, handle time, resolution) and the data fields' effects on them."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from flowkit import schema
from flowkit.errors import FlowkitError
from flowkit.sim.calibrate.durations import EMPIRICAL_MIN, _duration
from flowkit.sim.calibrate.profiles import _weekly_profile
from flowkit.sim.scenario import DAYS

MIN_STREAM = 30  # contacts: smaller streams are pooled per channel as "other"


def _demand(
    df: pd.DataFrame,
    days_of_week: np.ndarray,
    weight: pd.Series,
    loop: dict,
    notes: dict,
    wrap_s: dict[str, float] | None = None,
    assume_handle_s: float | None = None,
) -> list[dict]:
    streams: list[tuple[str, str, pd.DataFrame]] = []
    pooled: dict[str, list[pd.DataFrame]] = {}
    for (label, channel), g in df.groupby(["_label", df["channel"].astype(str)], observed=True):
        if len(g) < MIN_STREAM:
            pooled.setdefault(str(channel), []).append(g)
            continue
        streams.append((str(label), str(channel), g))
    for channel, gs in pooled.items():
        streams.append(("other", channel, pd.concat(gs)))
    # handle times of answered contacts only: a caller who gave up has no service (often logged as 0 s)
    served = df[~df["abandoned"].fillna(False).astype(bool)]
    handles_by_channel = {
        ch: g["handle_s"].astype(float).dropna() for ch, g in served.groupby(served["channel"].astype(str))
    }
    demand, pooled_handle, assumed = [], [], []
    for label, channel, g in sorted(streams, key=lambda s: -len(s[2])):
        handle = g.loc[~g["abandoned"].fillna(False).astype(bool), "handle_s"].astype(float).dropna()
        given = None
        if len(handle) < 10:
            fallback = handles_by_channel.get(channel, pd.Series(dtype=float))
            if len(fallback) < 10 and assume_handle_s is not None:
                given = {"dist": "exponential", "mean_s": float(assume_handle_s)}
                assumed.append(f"{label}/{channel}")
            elif len(fallback) < 10:
                raise FlowkitError(
                    f"cannot calibrate handle time: the log has {len(fallback)} handle times for channel "
                    f"{channel!r} (need 10); map a handle-time column (handle_s), give the scenario's "
                    f"handle times by hand (--handle-s SECONDS), or leave the channel out "
                    f"(--leave-out {channel})"
                )
            pooled_handle.append(f"{label}/{channel}")
            handle = fallback
        answered = g[~g["abandoned"].fillna(False).astype(bool)]
        res = answered["resolved"].dropna()
        resolve_p = float(res.astype(bool).mean()) if len(res) else 1.0
        is_failure = "demand" in g.columns and g["demand"].astype(str).eq("failure").mean() > 0.5
        profile = np.asarray(_weekly_profile(g["received_at"], days_of_week, weight.loc[g.index].to_numpy()))
        entry = {
            "type": label,
            "demand": "failure" if is_failure else "value",
            "channel": channel,
            "by_weekday": {DAYS[d]: [round(float(v), 3) for v in row] for d, row in enumerate(profile)},
            "handle": given or _duration(handle + (wrap_s or {}).get(channel, 0.0)),
            "resolve_p": round(min(max(resolve_p, 0.0), 1.0), 3),
        }
        if is_failure:
            ft = g["failure_type"].astype(str).mode()
            if len(ft) and ft.iloc[0] in schema.FAILURE_TYPES:
                entry["failure_type"] = ft.iloc[0]
        demand.append(entry)
    notes["demand"] = (
        f"{len(demand)} streams; arrivals per weekday x 30 min averaged over the days observed; handle "
        f"times empirical (>= {EMPIRICAL_MIN}) or lognormal"
        + (f"; too few handle times of their own, channel's used: {', '.join(pooled_handle)}" if pooled_handle else "")
        + (
            f"; ASSUMED, not measured (the log times no handling on their channel): exponential handle "
            f"times of mean {assume_handle_s:g} s given by the user (--handle-s) for {', '.join(assumed)}"
            if assumed
            else ""
        )
    )
    return demand


def _se95(row: pd.DataFrame) -> float:
    """The standard error a normal draw needs to reproduce the estimate's 95% CI (which uses a t
    quantile on few agents), so that the simulation and the effects table agree on the evidence."""
    return float((row["ci_high"].iloc[0] - row["ci_low"].iloc[0]) / (2 * 1.959964))


def _data_fields(df: pd.DataFrame) -> dict | None:
    """Each field's adjusted (doubly robust) effect with its standard error, so the simulation can
    carry what the log could not pin down (:mod:`flowkit.sim.uncertainty`)."""
    if df["data_used"].notna().sum() < 50:
        return None
    from flowkit.analyse.effects import field_effects_adjusted

    eff = field_effects_adjusted(df.assign(demand_type=df["_label"]))
    pooled = eff[eff["demand_type"].eq("(all)") & eff["adjusted"].notna()]
    if pooled.empty:
        return None
    fields = {}
    for name, g in pooled.groupby("field"):
        entry: dict = {"available": False}
        h = g[g["outcome"].eq("handle_s")]
        if len(h) and h["baseline"].iloc[0] > 0:
            base = float(h["baseline"].iloc[0])
            entry["handle_factor"] = round(float(min(max(1 + h["adjusted"].iloc[0] / base, 0.05), 5.0)), 4)
            entry["handle_factor_se"] = round(_se95(h) / base, 4)
        r = g[g["outcome"].eq("resolved")]
        if len(r):
            entry["resolve_p_add"] = round(float(min(max(r["adjusted"].iloc[0], -1.0), 1.0)), 4)
            entry["resolve_p_add_se"] = round(_se95(r), 4)
        fields[str(name)] = entry
    used = df["data_used"].notna()
    needs: dict = {}
    exploded = (
        df.loc[used, ["_label", "channel", "data_used"]]
        .assign(field=lambda x: x["data_used"].astype(str).str.split(";"))
        .explode("field")
    )
    counts = exploded.groupby(["_label", exploded["channel"].astype(str), "field"]).size()
    totals = df.loc[used].groupby(["_label", df.loc[used, "channel"].astype(str)]).size()
    for key, n in counts.items():
        label, channel, f = cast(tuple[str, str, str], key)  # the three group keys
        if f in fields and n >= 0.2 * totals.get((label, channel), np.inf):
            needs.setdefault((label, channel), []).append(f)
    return {"fields": fields, "needs": {k: sorted(v) for k, v in needs.items()}}
