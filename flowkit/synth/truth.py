"""Planted truth for data use: which field helps, by how much, and who consults it.

A real log is confounded: agents look things up on harder contacts, for repeat customers,
and newer agents look up more, and all of those are slower and resolve less for reasons of
their own. The generator plants exactly that, so an estimator can be seen to find the true
effect through the confounding (and a naive with-minus-without to miss it). Every
confounder here is one a log shows (text length, earlier contacts, the agent), so a
well-adjusted estimate can recover the truth; an unmeasured one is what ``sensitivity`` is for.

Each contact's two potential outcomes per field are known, so the answer key holds the true
ATT (on the contacts that used the field) and ATE (on all contacts of the type).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FIELD_EFFECTS", "true_effect", "plant", "true_effects", "TE_PREFIX"]

#: field -> (handle-time factor, resolution added) where it is consulted, before the demand type's
#: modifier. ``contract`` does nothing, but is consulted mostly on hard contacts; ``account`` helps a
#: little but is consulted on slower contacts, so the naive comparison says it slows agents down.
FIELD_EFFECTS = {
    "account": (0.94, 0.02),
    "order_status": (0.80, 0.10),
    "appointment": (0.88, 0.08),
    "billing_history": (0.85, 0.06),
    "equipment_config": (0.78, 0.12),
    "contract": (1.0, 0.0),
}
#: propensity (logit): intercept, slope on hardness (text length z), on earlier contacts, on a new agent
_PROPENSITY = {"account": (0.4, 0.9, 0.7, 1.2), "contract": (-2.6, 1.8, 1.5, 1.0)}
_PROPENSITY_DEFAULT = (0.2, 0.9, 0.7, 1.2)
#: what the confounders do on their own: handle time (log scale) and resolution (probability)
_HANDLE_SLOPES = (0.20, 0.15, 0.35)
_RESOLVE_SLOPES = (-0.05, -0.06, -0.08)
NEW_AGENT_SHARE = 0.3
TE_PREFIX = "_te_"


def true_effect(field: str, demand: str) -> tuple[float, float]:
    """(handle factor, resolution added) of ``field`` on a contact of nature ``demand``: a
    failure contact gains more from the right data than value demand does."""
    factor, add = FIELD_EFFECTS[field]
    k = 1.25 if demand == "failure" else 0.85
    return 1.0 - (1.0 - factor) * k, add * k


def _zscore_by(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    s = pd.Series(values, dtype=float)
    g = s.groupby(groups)
    sd = g.transform("std").replace(0, np.nan).fillna(1.0)
    return ((s - g.transform("mean")) / sd).fillna(0.0).to_numpy()


def plant(rng: np.random.Generator, idx: np.ndarray, types: list, type_idx: np.ndarray, cust: np.ndarray,
          text: np.ndarray, agent: np.ndarray, handle: np.ndarray, u_resolve: np.ndarray) -> dict:
    """Data use, handle time and resolution of the contacts ``idx`` (handled on a channel whose
    system records data use), with the true per-contact effect of each field.

    ``cust`` is in time order over all contacts (earlier contacts are counted from it);
    ``handle`` the contacts' handle time before confounders and fields; ``u_resolve`` the
    uniforms that decided resolution in the failure-demand loop, reused so that a contact's
    outcome moves only as far as its planted probability does.
    """
    n_all = len(cust)
    prior = pd.Series(cust).groupby(cust).cumcount().to_numpy()[idx]
    rep = np.minimum(prior, 3).astype(float)
    tlen = np.array([len(t) if isinstance(t, str) else 0 for t in text[idx]], dtype=float)
    ti = type_idx[idx]
    z = np.clip(_zscore_by(tlen, ti), -2.5, 2.5)
    names = pd.unique(agent[idx].astype(str))
    new_agents = set(np.sort(names)[rng.random(len(names)) < NEW_AGENT_SHARE])
    new = np.isin(agent[idx].astype(str), list(new_agents)).astype(float)
    conf = np.column_stack([z, rep, new])

    handle0 = handle[idx] * np.exp(conf @ np.array(_HANDLE_SLOPES))
    p_res0 = np.array([t.resolve_p for t in types])[ti] + conf @ np.array(_RESOLVE_SLOPES)
    p_res0 = p_res0 - pd.Series(conf @ np.array(_RESOLVE_SLOPES)).groupby(ti).transform("mean").to_numpy()
    nature = np.array([t.demand for t in types])[ti]

    fields = list(FIELD_EFFECTS)
    used = np.zeros((len(idx), len(fields)), dtype=bool)
    relevant = np.zeros_like(used)
    factor = np.ones(used.shape)
    add = np.zeros(used.shape)
    for j, f in enumerate(fields):
        relevant[:, j] = np.array([f in t.needs or f == "account" for t in types])[ti]
        a, bz, br, bn = _PROPENSITY.get(f, _PROPENSITY_DEFAULT)
        p = 1 / (1 + np.exp(-(a + bz * z + br * rep + bn * new)))
        used[:, j] = relevant[:, j] & (rng.random(len(idx)) < p)
        eff = np.array([true_effect(f, nat) for nat in nature])
        factor[:, j], add[:, j] = np.where(relevant[:, j], eff[:, 0], 1.0), np.where(relevant[:, j], eff[:, 1], 0.0)

    handle1 = handle0 * np.prod(np.where(used, factor, 1.0), axis=1)
    p_lin = p_res0 + np.where(used, add, 0.0).sum(axis=1)
    p_res = np.clip(p_lin, 0.02, 0.98)
    resolved = u_resolve[idx] < p_res
    te_handle, te_res = {}, {}
    for j, f in enumerate(fields):
        without = np.where(used[:, j], handle1 / factor[:, j], handle1)
        te_handle[f] = np.where(relevant[:, j], without * (factor[:, j] - 1.0), np.nan)
        p0 = np.where(used[:, j], p_lin - add[:, j], p_lin)
        # the contact's own two outcomes under its uniform (not the change in probability): the
        # log keeps parents of follow-ups, whose uniforms are not uniform any more
        r1 = u_resolve[idx] < np.clip(p0 + add[:, j], 0.02, 0.98)
        r0 = u_resolve[idx] < np.clip(p0, 0.02, 0.98)
        te_res[f] = np.where(relevant[:, j], r1.astype(float) - r0, np.nan)
    data_used = np.array([";".join(f for f, u in zip(fields, row) if u) for row in used], dtype=object)
    del n_all
    return {"handle": handle1, "resolved": resolved, "data_used": data_used, "te_handle": te_handle,
            "te_resolved": te_res, "used": dict(zip(fields, used.T))}


def true_effects(log: pd.DataFrame, mask: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """The answer key for data use: true ATT and ATE per field x demand type x outcome, and pooled
    ``(all)`` rows, from a generated log's per-contact truth columns (over ``mask`` if given: the
    contacts whose export records data use)."""
    d = log if mask is None else log[np.asarray(mask, dtype=bool)]
    used = d["data_used"].fillna("").astype(str)
    rows = []
    for f in FIELD_EFFECTS:
        with_f = used.str.split(";").apply(lambda xs, f=f: f in xs).to_numpy()
        for outcome in ("handle_s", "resolved"):
            te = d[f"{TE_PREFIX}{outcome}__{f}"].to_numpy(dtype=float)
            ok = ~np.isnan(te)
            groups = [("(all)", ok)] + [(t, ok & (d["demand_type"].to_numpy() == t))
                                        for t in sorted(d.loc[ok, "demand_type"].unique())]
            for dtype, m in groups:
                if not m.any():
                    continue
                rows.append({"field": f, "demand_type": dtype, "outcome": outcome,
                             "true_ate": float(te[m].mean()),
                             "true_att": float(te[m & with_f].mean()) if (m & with_f).any() else np.nan,
                             "n": int(m.sum()), "n_with": int((m & with_f).sum())})
    return pd.DataFrame(rows)
