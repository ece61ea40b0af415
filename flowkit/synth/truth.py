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

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FIELD_EFFECTS", "TE_PREFIX", "handles", "is_new_agent", "plant", "prepare", "true_effect", "true_effects"]

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


def is_new_agent(name: object) -> bool:
    """About 30% of agents are new; which ones is fixed by the name, so a queue can tell at once."""
    return isinstance(name, str) and zlib.crc32(name.encode()) % 1000 < NEW_AGENT_SHARE * 1000


@dataclass
class Prepared:
    """What a contact brings before an agent takes it: hardness, history, and its draws."""

    ti: np.ndarray  # demand-type index
    z: np.ndarray  # text length, standardised within type (the log's proxy for a hard contact)
    rep: np.ndarray  # earlier contacts of the customer, capped at 3
    u_use: np.ndarray  # uniforms deciding each field's consultation
    relevant: np.ndarray  # contact x field: the field serves this type
    factor: np.ndarray  # contact x field: handle factor if consulted
    add: np.ndarray  # contact x field: resolution added if consulted
    nature: np.ndarray


def prepare(
    rng: np.random.Generator, idx: np.ndarray, types: list, type_idx: np.ndarray, cust: np.ndarray, text: np.ndarray
) -> Prepared:
    """Per contact in ``idx``: its confounders and the draws that will decide its data use.
    ``cust`` is in time order over all contacts (earlier contacts are counted from it)."""
    prior = pd.Series(cust).groupby(cust).cumcount().to_numpy()[idx]
    tlen = np.array([len(t) if isinstance(t, str) else 0 for t in text[idx]], dtype=float)
    ti = type_idx[idx]
    fields = list(FIELD_EFFECTS)
    nature = np.array([t.demand for t in types])[ti]
    relevant = np.zeros((len(idx), len(fields)), dtype=bool)
    factor, add = np.ones(relevant.shape), np.zeros(relevant.shape)
    for j, f in enumerate(fields):
        relevant[:, j] = np.array([f in t.needs or f == "account" for t in types])[ti]
        eff = {nat: true_effect(f, nat) for nat in ("value", "failure")}
        factor[:, j] = np.where(relevant[:, j], [eff[x][0] for x in nature], 1.0)
        add[:, j] = np.where(relevant[:, j], [eff[x][1] for x in nature], 0.0)
    return Prepared(
        ti,
        np.clip(_zscore_by(tlen, ti), -2.5, 2.5),
        np.minimum(prior, 3).astype(float),
        rng.random((len(idx), len(fields))),
        relevant,
        factor,
        add,
        nature,
    )


def _used(p: Prepared, new: np.ndarray) -> np.ndarray:
    used = np.zeros(p.relevant.shape, dtype=bool)
    for j, f in enumerate(FIELD_EFFECTS):
        a, bz, br, bn = _PROPENSITY.get(f, _PROPENSITY_DEFAULT)
        prob = 1 / (1 + np.exp(-(a + bz * p.z + br * p.rep + bn * new)))
        used[:, j] = p.relevant[:, j] & (p.u_use[:, j] < prob)
    return used


def handles(p: Prepared, handle: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Handle time once an agent (new or not) has taken the contact: the confounders' own effect
    times the factor of every field consulted. A queue calls this for both kinds of agent."""
    conf = np.column_stack([p.z, p.rep, new])
    return handle * np.exp(conf @ np.array(_HANDLE_SLOPES)) * np.prod(np.where(_used(p, new), p.factor, 1.0), axis=1)


def plant(p: Prepared, new: np.ndarray, handle: np.ndarray, u_resolve: np.ndarray, types: list) -> dict:
    """Data use, handle time and resolution of the prepared contacts, now that their agents
    (``new``: 1 for a new agent) are known, with the true per-contact effect of each field.

    ``handle``: the contacts' handle time before confounders and fields; ``u_resolve``: the
    uniforms that decided resolution in the failure-demand loop, reused so that a contact's
    outcome moves only as far as its planted probability does.
    """
    fields = list(FIELD_EFFECTS)
    new = np.asarray(new, dtype=float)
    used = _used(p, new)
    conf = np.column_stack([p.z, p.rep, new])
    handle1 = handles(p, handle, new)
    # confounders and fields move a contact's chance of resolution; centred within the type, so the
    # type's resolution (and the failure demand the loop made from it) stays what it was
    shift = conf @ np.array(_RESOLVE_SLOPES) + np.where(used, p.add, 0.0).sum(axis=1)
    p_lin = (
        np.array([t.resolve_p for t in types])[p.ti]
        + shift
        - pd.Series(shift).groupby(p.ti).transform("mean").to_numpy()
    )
    resolved = u_resolve < np.clip(p_lin, 0.02, 0.98)
    te_handle, te_res = {}, {}
    for j, f in enumerate(fields):
        without = np.where(used[:, j], handle1 / p.factor[:, j], handle1)
        te_handle[f] = np.where(p.relevant[:, j], without * (p.factor[:, j] - 1.0), np.nan)
        p0 = np.where(used[:, j], p_lin - p.add[:, j], p_lin)
        # the contact's own two outcomes under its uniform (not the change in probability): the
        # log keeps parents of follow-ups, whose uniforms are not uniform any more
        r1 = u_resolve < np.clip(p0 + p.add[:, j], 0.02, 0.98)
        r0 = u_resolve < np.clip(p0, 0.02, 0.98)
        te_res[f] = np.where(p.relevant[:, j], r1.astype(float) - r0, np.nan)
    data_used = np.array([";".join(f for f, u in zip(fields, row, strict=True) if u) for row in used], dtype=object)
    return {
        "handle": handle1,
        "resolved": resolved,
        "data_used": data_used,
        "te_handle": te_handle,
        "te_resolved": te_res,
    }


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
            groups = [("(all)", ok)] + [
                (t, ok & (d["demand_type"].to_numpy() == t)) for t in sorted(d.loc[ok, "demand_type"].unique())
            ]
            for dtype, m in groups:
                if not m.any():
                    continue
                rows.append(
                    {
                        "field": f,
                        "demand_type": dtype,
                        "outcome": outcome,
                        "true_ate": float(te[m].mean()),
                        "true_att": float(te[m & with_f].mean()) if (m & with_f).any() else np.nan,
                        "n": int(m.sum()),
                        "n_with": int((m & with_f).sum()),
                    }
                )
    return pd.DataFrame(rows)
