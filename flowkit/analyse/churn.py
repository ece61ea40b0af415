"""Does the Nth contact lose the customer? Leaving risk by contact number, from the log.

Every contact is a chance to leave: after contact number k (in its case, or in the customer's
last 90 days) the customer either leaves before contacting again, contacts again, or is still
there when the log ends (censored). The raw risk per k is a life table with Wilson intervals and
a Kaplan-Meier survival (lifelines). Where the risk *jumps* is judged on a discrete-time hazard
model (risk ratios per contact) that adjusts for the contact being failure demand and for the
customer's segment, because both also rise with the count: four chasers are not four requests,
and customers who call more may differ anyway. A Cox model (lifelines, time-varying) then gives
the hazard ratio of the count and of the failure share side by side. Where nothing is
significant the answer is "no evidence", not the largest bump.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowkit.errors import FlowkitError

__all__ = [
    "ChurnAnalysis",
    "NoEndSignalError",
    "analyse_churn",
    "churn_by_contacts",
    "cox_count_and_failure",
    "end_of_relationship",
    "find_jump",
    "person_contacts",
]

ALPHA = 0.05
TABLE_COLUMNS = ["contacts", "customers", "left", "hazard", "ci_low", "ci_high"]
MIN_AT_RISK = 30  # contact numbers with fewer customers at risk are pooled into the last row
MIN_LEFT = 5  # ... and with fewer leavers


class NoEndSignalError(FlowkitError):
    """The log says nothing about who left, and no assumption was given."""


@dataclass
class EndSignal:
    """Per customer: when the relationship ended (NaT = not seen to end), and how we know."""

    ended_at: pd.Series
    how: str
    assumed: bool
    excluded: pd.Index = field(default_factory=lambda: pd.Index([]))  # contact rows that are the signal itself


def end_of_relationship(
    contacts: pd.DataFrame,
    column: str = "churned_at",
    closure_types: tuple[str, ...] = (),
    silence_days: float | None = None,
) -> EndSignal:
    """When each customer left, from the first signal the user chose or the log has.

    ``silence_days`` (an assumption the user states): a customer whose last contact is at least
    that long before the log ends has left at that contact. ``closure_types``: the first contact
    of such a demand type is the leaving (it is not counted as a contact for help). Otherwise a
    per-customer ``column`` (e.g. ``churned_at``); its latest value per customer wins.
    """
    c = contacts[contacts["customer_id"].notna()]
    if silence_days is not None:
        if not silence_days > 0:
            raise NoEndSignalError(f"silence_days must be positive, got {silence_days}")
        last = c.groupby("customer_id", observed=True)["received_at"].max()
        log_end = contacts["received_at"].max()
        ended = last.where(log_end - last >= pd.Timedelta(days=silence_days))
        how = f"ASSUMED: a customer with no contact for {silence_days:g} days has left (stated by the user)"
        return EndSignal(ended, how, True)
    if closure_types:
        wanted = {t.lower() for t in closure_types}
        is_close = c["demand_type"].astype("string").str.lower().isin(wanted).fillna(False).astype(bool)
        if not is_close.any():
            raise NoEndSignalError(
                f"no contact has demand type {', '.join(sorted(wanted))}: check the name against the report's "
                "demand types, or give churned_at or silence days"
            )
        ended = c[is_close].groupby("customer_id", observed=True)["received_at"].min()
        how = f"a contact of type {', '.join(sorted(wanted))} marks the end of the relationship"
        return EndSignal(ended, how, False, c.index[is_close])
    if column in contacts.columns:
        when = pd.to_datetime(c[column], errors="coerce")
        ended = when.groupby(c["customer_id"], observed=True).max()
        return EndSignal(ended, f"the log's {column} column", False)
    raise NoEndSignalError(
        f"the contacts have no {column!r} column: keep one in the mapping (keep: {{{column}: YOUR_COLUMN}}), name an "
        "account-closure demand type, or state how many days without contact mean a customer has left"
    )


def person_contacts(contacts: pd.DataFrame, signal: EndSignal, basis: str = "case") -> pd.DataFrame:
    """One row per contact of an identified customer up to their end: contact number ``k``,
    ``failure``, ``left`` (the customer's last contact before leaving), ``start``/``stop`` days
    since the customer's first contact (the interval until the next contact or the end)."""
    if basis not in ("case", "90d"):
        raise ValueError(f"basis must be 'case' or '90d', not {basis!r}")
    d = contacts.drop(index=signal.excluded, errors="ignore")
    d = d[d["customer_id"].notna()].copy()
    ended = d["customer_id"].map(signal.ended_at)
    d = d[ended.isna() | (d["received_at"] <= ended)]  # contacts after leaving (clock or data error) ignored
    d = d.sort_values(["customer_id", "received_at"], kind="stable")
    ended = d["customer_id"].map(signal.ended_at)
    if basis == "case":
        if d["case_id"].isna().all():
            from flowkit.cases import stitch

            d = stitch(d).contacts.sort_values(["customer_id", "received_at"], kind="stable")
        key = d["case_id"].fillna(d["contact_id"])
        k = d.groupby(key, observed=True, sort=False).cumcount() + 1
    else:
        one = pd.Series(1.0, index=d.index)
        in_90d = (
            pd.DataFrame({"c": d["customer_id"].astype(str).to_numpy(), "t": d["received_at"].to_numpy(), "one": 1.0})
            .groupby("c", sort=False)
            .rolling("90D", on="t")["one"]
            .sum()
            .to_numpy()
        )
        k = pd.Series(in_90d, index=one.index).astype(int)
    cust = d["customer_id"].astype(str)
    last = ~cust.duplicated(keep="last")
    first_at = d.groupby(cust, sort=False)["received_at"].transform("min")
    nxt = d.groupby(cust, sort=False)["received_at"].shift(-1)
    log_end = contacts["received_at"].max()
    left = last & ended.notna()
    stop_at = nxt.where(~last, ended.where(left, log_end))
    days = pd.Timedelta(days=1)
    since_first: pd.Series[pd.Timedelta] = d["received_at"] - first_at
    until_stop: pd.Series[pd.Timedelta] = stop_at - first_at
    start = since_first / days
    stop = np.maximum(until_stop / days, start + 1e-3)
    failure = d["demand"].astype(str).eq("failure") if "demand" in d else pd.Series(False, index=d.index)
    out = pd.DataFrame(
        {
            "customer_id": cust,
            "k": k.to_numpy(),
            "failure": failure.to_numpy(),
            "left": left.to_numpy(),
            "start": start.to_numpy(),
            "stop": np.asarray(stop),
        }
    )
    if "segment" in d.columns:
        out["segment"] = d["segment"].astype("string").fillna("(none)").to_numpy()
    out["failures_so_far"] = out.groupby("customer_id", sort=False)["failure"].cumsum()
    out["contacts_so_far"] = out.groupby("customer_id", sort=False).cumcount() + 1
    return out.reset_index(drop=True)


def _cap(pc: pd.DataFrame, max_k: int | None) -> tuple[pd.Series, int]:
    """Contact numbers above ``cap`` are pooled into it: every contact number below the cap, and
    the pooled tail, need ``MIN_AT_RISK`` customers and ``MIN_LEFT`` leavers, or no rate and no
    step can be estimated there (a row with no leavers makes any step from it infinite)."""
    at_risk = pc.groupby("k").size()
    left = pc.groupby("k")["left"].sum()
    tail_n, tail_left = at_risk[::-1].cumsum()[::-1], left[::-1].cumsum()[::-1]
    cap = 1
    for k in at_risk.index[1:]:
        below_ok = at_risk.get(k - 1, 0) >= MIN_AT_RISK and left.get(k - 1, 0) >= MIN_LEFT
        if not below_ok or tail_n[k] < MIN_AT_RISK or tail_left[k] < MIN_LEFT:
            break
        cap = int(k)
    if max_k is not None:
        cap = min(cap, max_k)
    return pc["k"].clip(upper=cap), cap


def churn_by_contacts(pc: pd.DataFrame, max_k: int | None = None) -> pd.DataFrame:
    """Life table by contact number: ``contacts`` (k; the last row is k and above), ``customers``
    at risk, ``left`` after that contact, ``hazard`` = left/customers with a Wilson 95% CI, and the
    Kaplan-Meier share still a customer after k contacts (lifelines) with its CI."""
    from lifelines import KaplanMeierFitter
    from statsmodels.stats.proportion import proportion_confint

    k, cap = _cap(pc, max_k)
    g = pc.assign(k=k).groupby("k")
    t = pd.DataFrame({"customers": g.size(), "left": g["left"].sum().astype(int)})
    t["failure_share"] = g["failure"].mean()
    t["hazard"] = t["left"] / t["customers"]
    lo, hi = proportion_confint(t["left"], t["customers"], alpha=ALPHA, method="wilson")
    t["ci_low"], t["ci_high"] = np.asarray(lo), np.asarray(hi)
    per_customer = pc.assign(k=k).groupby("customer_id", sort=False).agg(k=("k", "max"), left=("left", "max"))
    km = KaplanMeierFitter().fit(per_customer["k"], per_customer["left"].astype(bool), alpha=ALPHA)
    surv = km.survival_function_.iloc[:, 0]
    ci = km.confidence_interval_survival_function_
    t["still_customer"] = surv.reindex(t.index, method="ffill").to_numpy()
    t["still_ci_low"] = ci.iloc[:, 0].reindex(t.index, method="ffill").to_numpy()
    t["still_ci_high"] = ci.iloc[:, 1].reindex(t.index, method="ffill").to_numpy()
    t.index.name = "contacts"
    out = t.reset_index()
    out["contacts"] = out["contacts"].astype(str)
    out.loc[out.index[-1], "contacts"] = f"{cap}+" if (pc["k"] > cap).any() else str(cap)
    return out[[*TABLE_COLUMNS, "failure_share", "still_customer", "still_ci_low", "still_ci_high"]]


@dataclass
class Jump:
    """Steps in leaving risk from contact k-1 to k, adjusted; ``at`` is None when no step is significant."""

    at: int | None
    steps: pd.DataFrame
    adjusted_for: list[str]
    verdict: str


def find_jump(pc: pd.DataFrame, max_k: int | None = None) -> Jump:
    """Where the leaving risk jumps: the largest step up between successive contact numbers that
    is significant after Holm's correction, in a log-linear model of ``left`` (risk ratios) on the
    contact number (one coefficient each), whether the contact was failure demand, and the segment
    when known."""
    from scipy.stats import norm
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.stats.multitest import multipletests

    k, cap = _cap(pc, max_k)
    adjusted: list[str] = []
    if cap < 2 or int(pc["left"].sum()) < 10:
        return Jump(None, pd.DataFrame(), adjusted, "too few customers left, or too few reached a second contact")
    x = pd.get_dummies(k.astype(int), prefix="k", dtype=float).drop(columns="k_1")
    if pc["failure"].nunique() > 1:  # a log with no classified failure demand cannot adjust for it
        x["failure"] = pc["failure"].astype(float)
        adjusted.append("failure demand")
    if "segment" in pc and pc["segment"].nunique() > 1:
        x = x.join(pd.get_dummies(pc["segment"], prefix="seg", drop_first=True, dtype=float))
        adjusted.append("segment")
    x.insert(0, "const", 1.0)
    try:  # modified Poisson (log link, robust errors): coefficients are log risk ratios
        fit = GLM(pc["left"].astype(float), x, family=Poisson()).fit(cov_type="HC0", maxiter=200)
    except (np.linalg.LinAlgError, ValueError) as exc:
        return Jump(None, pd.DataFrame(), adjusted, f"the model could not be fitted ({exc})")
    b, v = fit.params, fit.cov_params()
    rows = []
    for j in range(2, cap + 1):
        hi_name, lo_name = f"k_{j}", f"k_{j - 1}"
        if hi_name not in b:
            continue
        diff = b[hi_name] - b.get(lo_name, 0.0)
        var = v.loc[hi_name, hi_name]
        if lo_name in b:
            var += v.loc[lo_name, lo_name] - 2 * v.loc[hi_name, lo_name]
        se = float(np.sqrt(max(var, 0.0)))
        z = diff / se if se > 0 else 0.0
        rows.append(
            {
                "step": f"{j - 1}->{j}" if j < cap or not (pc["k"] > cap).any() else f"{j - 1}->{j}+",
                "to": j,
                "risk_ratio": float(np.exp(diff)),
                "ci_low": float(np.exp(diff - 1.96 * se)),
                "ci_high": float(np.exp(diff + 1.96 * se)),
                "p": float(2 * norm.sf(abs(z))),
            }
        )
    steps = pd.DataFrame(rows)
    if steps.empty:
        return Jump(None, steps, adjusted, "too few contact numbers with enough customers at risk")
    steps["p_holm"] = multipletests(steps["p"], alpha=ALPHA, method="holm")[1]
    steps["significant"] = (steps["p_holm"] < ALPHA) & (steps["risk_ratio"] > 1)
    up = steps[steps["significant"]]
    if up.empty:
        return Jump(None, steps, adjusted, "no evidence that the risk of leaving jumps at any contact number")
    best = up.loc[up["risk_ratio"].idxmax()]
    at = int(best["to"])
    verdict = (
        f"the risk of leaving jumps at contact {at}: {best['risk_ratio']:.1f} times the risk after contact {at - 1} "
        f"(95% CI {best['ci_low']:.1f} to {best['ci_high']:.1f})"
        + (f", adjusted for {' and '.join(adjusted)}" if adjusted else ", not adjusted for anything")
    )
    return Jump(at, steps, adjusted, verdict)


def cox_count_and_failure(pc: pd.DataFrame, max_k: int | None = None) -> pd.DataFrame:
    """Hazard ratios (lifelines Cox) of leaving in the time after a contact: one coefficient per
    contact number (against the first) and one for the share of the customer's contacts so far
    that were failure demand (0 → 1), stratified by segment when known. The clock restarts at each
    contact (each gap is its own spell; the history is in the covariates), because the risk follows
    the contact, not the calendar. The failure effect apart from the count, and the count apart
    from failure. Columns: term, hazard_ratio, ci_low, ci_high, p."""
    from lifelines import CoxPHFitter

    empty = pd.DataFrame(columns=["term", "hazard_ratio", "ci_low", "ci_high", "p"])
    k, cap = _cap(pc, max_k)
    if int(pc["left"].sum()) < 10 or cap < 2:
        return empty
    d = pd.get_dummies(k.astype(int), prefix="contact", dtype=float).drop(columns="contact_1")
    d["failure_share"] = (pc["failures_so_far"] / pc["contacts_so_far"]).to_numpy()
    d["gap_days"] = (pc["stop"] - pc["start"]).to_numpy()
    d["left"] = pc["left"].astype(int).to_numpy()
    d["customer_id"] = pc["customer_id"].to_numpy()
    strata = None
    if "segment" in pc and pc["segment"].nunique() > 1:
        d["segment"] = pc["segment"].to_numpy()
        strata = ["segment"]
    cph = CoxPHFitter()
    with warnings.catch_warnings():  # lifelines warns on near-separation; the CIs then show it
        warnings.simplefilter("ignore")
        cph.fit(d.drop(columns="customer_id"), duration_col="gap_days", event_col="left", strata=strata)
    s = cph.summary
    names = {
        c: f"contact {c.split('_')[1]}{'+' if int(c.split('_')[1]) == cap and (pc['k'] > cap).any() else ''} vs first"
        for c in s.index
        if c.startswith("contact_")
    }
    names["failure_share"] = "failure share (all failure vs none)"
    return pd.DataFrame(
        {
            "term": s.index.map(names),
            "hazard_ratio": s["exp(coef)"].to_numpy(),
            "ci_low": s["exp(coef) lower 95%"].to_numpy(),
            "ci_high": s["exp(coef) upper 95%"].to_numpy(),
            "p": s["p"].to_numpy(),
        }
    )


@dataclass
class ChurnAnalysis:
    """Everything the report and the CLI say about leaving by contact number."""

    table: pd.DataFrame
    jump: Jump
    cox: pd.DataFrame
    signal: str
    assumed: bool
    basis: str
    customers: int
    left: int


def analyse_churn(
    contacts: pd.DataFrame,
    basis: str = "case",
    column: str = "churned_at",
    closure_types: tuple[str, ...] = (),
    silence_days: float | None = None,
    max_k: int | None = 8,
) -> ChurnAnalysis:
    """Life table, jump and Cox model in one call (see the module docstring)."""
    signal = end_of_relationship(contacts, column, closure_types, silence_days)
    pc = person_contacts(contacts, signal, basis)
    if pc.empty:
        raise NoEndSignalError("no contact has a customer id: leaving cannot be tied to contacts")
    table = churn_by_contacts(pc, max_k)
    table["signal"] = signal.how  # the CSV says how leaving was known (ASSUMED when the user stated it)
    return ChurnAnalysis(
        table=table,
        jump=find_jump(pc, max_k),
        cox=cox_count_and_failure(pc, max_k),
        signal=signal.how,
        assumed=signal.assumed,
        basis=basis,
        customers=int(pc["customer_id"].nunique()),
        left=int(pc["left"].sum()),
    )
