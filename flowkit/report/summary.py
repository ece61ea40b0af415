"""The report's one-screen summary: what the log shows, in sentences a manager reads first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flowkit import analyse as A

__all__ = ["UNKNOWN_HEADLINE_LIMIT", "phone_sentences", "summary_sentences"]


#: above this share of 'unknown' the headline states what is known, not a failure share
UNKNOWN_HEADLINE_LIMIT = 0.30


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{x:.0%}"


def _share(x: float) -> str:
    """A share that is never printed as 0% when it is not zero."""
    return "under 1%" if 0 < x < 0.005 else _pct(x)


#: fewer failure contacts of the largest kind than this and the summary does not name a largest kind
MIN_KIND_CONTACTS = 20


def _days(d: float) -> str:
    """A duration in days, said in the unit a manager would use."""
    if d < 1 / 24:
        return f"{d * 1440:.0f} minutes"
    if d < 2:
        return f"{d * 24:.1f} hours"
    return f"{d:.1f} days"


def summary_sentences(c: pd.DataFrame, cases: pd.DataFrame) -> tuple[list[str], dict[str, float | str]]:
    """The one-screen summary in plain language, and the numbers behind it."""
    overall = A.failure_share(c).iloc[0]
    n = int(overall["contacts"])
    share = float(overall["failure_share"])
    unknown = int(overall["unknown"])
    # the figures behind the sentences (``headline`` is "partial" when too few are classified for a share)
    numbers: dict[str, float | str] = {"contacts": n, "failure_share": share, "unknown": unknown}
    known = int(overall["value"] + overall["failure"])
    unknown_share = unknown / n if n else 0.0
    if unknown_share > UNKNOWN_HEADLINE_LIMIT:
        # a share of the classified few would be read as the share of all: say what is known instead
        numbers["headline"] = "partial"
        if known:
            s = [
                f"Only {known:,} of {n:,} contacts ({_pct(known / n if n else float('nan'))}) could be told apart as value "
                f"or failure demand: {int(overall['failure']):,} failure and {int(overall['value']):,} value. The other "
                f"{unknown:,} ({_pct(unknown_share)}) could not be classified from what the log records (no "
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
        top_n = int(kinds.iloc[0])
        if top_n < MIN_KIND_CONTACTS or (len(kinds) > 1 and kinds.iloc[1] == top_n):
            # seven failure contacts cannot say which kind is largest; a tie cannot either
            s.append(
                f"Failure contacts are too few, or too evenly spread ({len(fails):,} in {len(kinds)} kind{'' if len(kinds) == 1 else 's'}, the "
                f"largest {top_n:,}), to say which kind of failure is largest."
            )
        else:
            s.append(
                f"The largest kind of failure demand is {top.replace('_', ' ')}: {top_n:,} contacts, "
                f"{_share(top_share)} of all contacts, mostly by {by_channel.index[0]} "
                f"({_pct(by_channel.iloc[0])} of it)."
            )
    hours = A.agent_hours(c)
    if "failure" in hours.index and hours["agent_hours"].sum() > 0:
        numbers["agent_hours_failure"] = float(hours["agent_hours"].loc["failure"])
        s.append(
            f"Failure demand took {hours['agent_hours'].loc['failure']:,.0f} agent hours, "
            f"{_pct(hours['share'].loc['failure'])} of the handling time the log records."
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
        identified = A.identified(cases)
        if c["customer_id"].isna().all() and (cases["n_contacts"] == 1).all():
            s.append(
                "The log has no customer ids (and no case ids that group contacts), so repeat contacts cannot be "
                "seen: every contact is its own case here."
            )
        elif len(identified):
            multi = float((identified["n_contacts"] > 1).mean())
            numbers["repeat_case_share"] = multi
            who = " of identified customers" if len(identified) < len(cases) else ""
            s.append(f"{_pct(multi)} of cases{who} needed more than one contact.")
    os_ = A.one_stop(c)
    if os_["cases"]:
        numbers["one_stop_perfect"] = os_["perfect"]
        s.append(
            f"Value demand was dealt with at the first contact, with no repeat, in {_pct(os_['perfect'])} "
            f"of {os_['cases']:,} cases where the log records resolution."
        )
    if unknown and numbers.get("headline") != "partial":
        s.append(
            f"{unknown:,} contacts ({_pct(unknown / n)}) could not be classified "
            "(no words recorded, or words that are no evidence either way); they are counted apart, not guessed."
        )
    return s, numbers


def _no_wait(phone: dict) -> str:
    """Who gave up with no wait at all: callers who met a closed line apart from IVR exits."""
    n = int(phone["abandoned_before_queue"])
    if not n:
        return ""
    closed = phone.get("closed_line", float("nan"))
    if closed == closed and closed > 0:
        rest = n - int(closed)
        return f", of whom {n:,} after no wait at all: {int(closed):,} called while the line was closed" + (
            f", {rest:,} in the IVR or within a second of queueing" if rest else ""
        )
    return f", of whom {n:,} after no wait at all: in the IVR or within a second of queueing"


def _open_wait(phone: dict) -> str:
    """The wait of callers who found the line open, when calls to a closed line pull the mean down."""
    closed, w = phone.get("closed_line", float("nan")), phone.get("mean_wait_open_s", float("nan"))
    if closed == closed and closed > 0 and w == w and round(w) != round(phone["mean_wait_s"]):
        return f"; {w:.0f} s over the calls that found the line open"
    return ""


def phone_sentences(phone: dict) -> list[str]:
    """Abandonment, wait and service level in words, over calls offered."""
    offered = int(phone["offered"])
    out = [
        f"Of {offered:,} phone calls offered, {_pct(phone['abandon_rate'])} were abandoned "
        f"({int(phone['abandoned']):,}" + _no_wait(phone) + ")."
    ]
    if phone.get("outbound"):
        out.append(
            f"The {int(phone['outbound']):,} calls the centre made itself (callbacks, outbound work) are not "
            "counted as calls offered."
        )
    if phone["mean_wait_s"] == phone["mean_wait_s"]:
        out.append(
            f"Callers waited {phone['mean_wait_s']:.0f} s on average (over all calls offered, abandoned ones until "
            f"they gave up{_open_wait(phone)}); {_pct(phone['service_level'])} were answered within "
            f"{phone['threshold_s']:.0f} s."
        )
    gaps = [
        f"{int(phone['no_outcome']):,} without an outcome" if phone["no_outcome"] else "",
        f"{int(phone['no_wait']):,} without a wait" if phone["no_wait"] else "",
    ]
    gaps = [g for g in gaps if g]
    if gaps:
        out.append(f"Calls whose row lacks a figure are left out of that figure only ({', '.join(gaps)}).")
    return out
