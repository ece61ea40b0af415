"""The customer keys from the log: the risk of leaving by contact number (``leaving``) and what
telling the story again costs (``retelling``), so the managers' what-ifs start from this log.

``leaving``: the life table of :func:`flowkit.analyse.churn.analyse_churn` - the share who left
after contact k of those who reached it, k = 1, 2, ...; the last (pooled) row holds for every
later contact. These are the log's raw risks, failure demand and all, not a causal estimate.

``retelling``: the adjusted extra handle time of a handed-off (passed-on) contact, as a transfer
within the contact (``transfer_s``, on the log's share of passed-on contacts), and of a switched
one (:func:`flowkit.analyse.channels.retelling_cost`), the share of a case's later contacts that
came through another channel, and the channel most of them came to. A cost the log gives no
evidence for is left out, and the note says so. Calibrated handle times already hold the log's
re-telling, so :func:`net_handle` takes it out of them before the model adds it back where it
happens. Each result comes with a note saying where it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from flowkit.sim.scenario import Dist, Scenario

__all__ = ["leaving_from_log", "net_handle", "retelling_from_log"]


def leaving_from_log(contacts: pd.DataFrame, **signal: Any) -> tuple[dict | None, str]:
    """The ``leaving`` key (``by_contact``, ``after``) from the log, or None, and a note why.
    ``signal``: how the log says who left (``churned_at`` column, ``closure_types``, ``silence_days``)."""
    from flowkit.analyse.churn import NoEndSignalError, analyse_churn

    try:
        result = analyse_churn(contacts, **signal)
    except NoEndSignalError as exc:
        return None, f"the log cannot say who left ({exc})"
    hazards = [round(float(h), 5) for h in result.table["hazard"]]
    note = (
        f"risk of leaving after each contact from the log's life table ({result.signal}; "
        f"{result.customers:,} customers, {result.left:,} left); contacts {result.table['contacts'].iloc[-1]} "
        "pooled in the last value"
    )
    return {"by_contact": hazards, "after": hazards[-1]}, note


def retelling_from_log(
    contacts: pd.DataFrame, channels: Sequence[str], window: str = "7D"
) -> tuple[dict, list[str], float]:
    """The ``retelling`` key from the log's adjusted re-telling costs, for a model serving ``channels``;
    notes; and the seconds of re-telling the log's timed contacts hold on average (see :func:`net_handle`)."""
    from flowkit.analyse.channels import channel_switches, mark_switches, retelling_cost

    cost = retelling_cost(contacts, window).set_index("what")
    marked = mark_switches(contacts, window)
    timed = marked[marked["handle_s"].notna()]
    notes: list[str] = []
    key: dict = {}

    def seconds(what: str) -> float:
        r = cost.loc[what] if what in cost.index else None
        if r is None or r["verdict"] == "too few":
            notes.append(f"{what}: too few timed contacts in the log to measure re-telling; not simulated")
            return 0.0
        if r["verdict"] != "costs":
            notes.append(
                f"{what}: no evidence in the log that it takes longer ({r['extra_s']:+.0f} s, 95% CI "
                f"{r['ci_low']:+.0f} to {r['ci_high']:+.0f}); not simulated"
            )
            return 0.0
        notes.append(
            f"{what}: {r['extra_s']:.0f} s longer than a like contact in the log (95% CI {r['ci_low']:.0f} "
            f"to {r['ci_high']:.0f}; same channel, demand and position in the case)"
        )
        return float(r["extra_s"])

    per_contact = 0.0
    transfer = seconds("hand-off")
    if transfer > 0 and len(timed):
        key.update(transfer_p=round(float(timed["handed_off"].mean()), 4), transfer_s=round(transfer, 1))
        per_contact += key["transfer_p"] * transfer
        notes.append(f"{key['transfer_p']:.1%} of the log's timed contacts were passed on: as many in the model")
    switch = seconds("channel switch")
    later = marked[marked["k"] > 1]
    moves = channel_switches(contacts, window)
    to: list[str] = []
    if len(moves):
        into = moves.groupby("to_channel")["switches"].sum().sort_values(ascending=False, kind="stable")
        to = [str(c) for c in into.index if c in set(channels)]
    if switch > 0 and len(later) and to:
        key.update(switch_p=round(float(later["switched"].mean()), 4), switch_to=to[0], switch_s=round(switch, 1))
        per_contact += float(timed["switched"].mean()) * switch
        notes.append(
            f"{key['switch_p']:.1%} of a case's later contacts in the log came through another channel, most "
            f"often to {to[0]}: returning failure demand switches to {to[0]} as often"
        )
    elif switch > 0:
        notes.append("no channel switches into a channel the model serves: switched returns are not simulated")
    return key, notes, per_contact


def net_handle(scenario: Scenario, per_contact_s: float) -> Scenario:
    """``scenario`` with every stream's handle time scaled down by the re-telling its calibrated
    times already hold (``per_contact_s`` on average), so adding it back keeps the log's mean."""
    from dataclasses import replace

    if per_contact_s <= 0:
        return scenario

    def scaled(d: Dist) -> Dist:
        f = max(0.05, 1.0 - per_contact_s / d.mean_s) if d.mean_s > 0 else 1.0
        return replace(d, mean_s=d.mean_s * f, values=tuple(v * f for v in d.values))

    return scenario.with_changes(demand=tuple(replace(s, handle=scaled(s.handle)) for s in scenario.demand))
