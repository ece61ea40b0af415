"""Planted truth for "who should answer": a log where matching agent to customer is known to help.

Customers belong to segments (senior, business, standard); agents have a profile (expert or
generalist), an age band and a language, kept in an agents file as a real HR/WFM export would
be. A match of profile and segment changes handle time by a known number of seconds and the
chance of resolution at first contact by a known amount (:class:`MatchTruth`). Confounded as a
real centre is: harder contacts - complex types, failure demand, repeat callers, long stories -
go to the experts (and business customers more often too), and harder contacts take longer and
resolve less, so the raw expert-minus-generalist difference overstates their handle time and
understates what they resolve. Every confounder is one the log shows, so an adjusted estimate
can recover the truth. Dirt: untimed contacts, abandoned calls (no agent), segment labels typed
three ways or missing, agent ids with stray spaces, temps missing from the agents file, and a
row listed twice there.

:func:`plant_sample_matching` is the small hook by which the bundled samples get a ``segment``
and an ``agent_profile`` (deterministic by customer and agent id, with a planted effect on the
phone calls, whose export carries both) without touching the generator's own random numbers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowkit import schema

__all__ = ["SAMPLE_TRUTH", "MatchTruth", "generate_matching_log", "plant_sample_matching", "true_match_effects"]

PROFILES = ("expert", "generalist")
SEGMENTS = ("senior", "business", "standard")
#: demand type -> (demand, base handle s, base resolution, hardness)
_TYPES = {
    "new connection": ("value", 300.0, 0.85, 0.0),
    "change plan": ("value", 280.0, 0.88, 0.0),
    "billing question": ("value", 360.0, 0.80, 0.4),
    "fault report": ("value", 520.0, 0.70, 1.0),
    "complaint": ("failure", 600.0, 0.58, 1.4),
    "progress chasing": ("failure", 330.0, 0.62, 0.8),
}


@dataclass(frozen=True)
class MatchTruth:
    """(profile, segment) -> seconds added to handle time / resolution probability added.
    Only differences between profiles within a segment are identified (and tested)."""

    handle_s: dict = field(default_factory=lambda: {("expert", "business"): -90.0, ("expert", "senior"): -45.0})
    resolve_add: dict = field(default_factory=lambda: {("expert", "business"): 0.10, ("expert", "senior"): 0.06})
    segment_p: tuple[float, float, float] = (0.3, 0.2, 0.5)
    expert_share: float = 0.3
    agents: int = 60

    def effect(self, profile: str, segment: str) -> tuple[float, float]:
        return self.handle_s.get((profile, segment), 0.0), self.resolve_add.get((profile, segment), 0.0)


NULL = MatchTruth(handle_s={}, resolve_add={})


def true_match_effects(truth: MatchTruth) -> pd.DataFrame:
    """The answer key: for each segment and profile, the true difference against the other profile."""
    rows = []
    for seg in SEGMENTS:
        for p in PROFILES:
            other = next(q for q in PROFILES if q != p)
            (h1, r1), (h0, r0) = truth.effect(p, seg), truth.effect(other, seg)
            rows += [
                {"segment": seg, "profile": p, "outcome": "handle_s", "true_diff": h1 - h0},
                {"segment": seg, "profile": p, "outcome": "resolved", "true_diff": r1 - r0},
            ]
    return pd.DataFrame(rows)


def _agents(rng: np.random.Generator, t: MatchTruth) -> pd.DataFrame:
    n = t.agents
    n_exp = max(1, round(n * t.expert_share))
    profile = np.array(["expert"] * n_exp + ["generalist"] * (n - n_exp), dtype=object)
    rng.shuffle(profile)
    return pd.DataFrame(
        {
            "agent_id": [f"AG{i + 1:03d}" for i in range(n)],
            "profile": profile,
            "age_band": rng.choice(["18-29", "30-44", "45-59", "60+"], n, p=[0.3, 0.35, 0.25, 0.1]),
            "language": rng.choice(["pl", "en"], n, p=[0.8, 0.2]),
            "_speed": np.exp(rng.normal(0.0, 0.07, n)),  # each agent's own pace and skill
            "_skill": rng.normal(0.0, 0.025, n),
        }
    )


def generate_matching_log(
    n_contacts: int = 30_000, seed: int = 0, truth: MatchTruth | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(contacts, agents): a classified contact table with ``segment``, and the agents file
    (``agent_id, profile, age_band, language``) to join on ``agent_id``."""
    t = truth or MatchTruth()
    rng = np.random.default_rng(seed)
    agents = _agents(rng, t)
    n_cust = max(1, n_contacts // 3)
    seg_of = rng.choice(len(SEGMENTS), n_cust, p=t.segment_p)
    cust = np.sort(rng.integers(0, n_cust, n_contacts))
    day = rng.integers(0, 56, n_contacts)
    hour = rng.choice(np.arange(8, 20), n_contacts, p=np.array([4, 6, 7, 6, 5, 6, 6, 5, 4, 3, 2, 2]) / 56)
    secs = day * 86400 + hour * 3600 + rng.integers(0, 3600, n_contacts)
    order = np.lexsort((secs, cust))
    cust, secs = cust[order], secs[order]
    k = pd.Series(cust).groupby(cust).cumcount().to_numpy()  # earlier contacts of the customer
    # later contacts in a customer's run are more often failure demand (chasing, complaints)
    names = list(_TYPES)
    value_p = np.array([0.3, 0.25, 0.25, 0.2])
    ti = np.where(
        (k > 0) & (rng.random(n_contacts) < 0.6),
        rng.choice([4, 5], n_contacts, p=[0.4, 0.6]),
        rng.choice(4, n_contacts, p=value_p),
    )
    demand, base_h, base_r, hard = (np.array([_TYPES[names[i]][j] for i in ti]) for j in range(4))
    base_h, base_r, hard = base_h.astype(float), base_r.astype(float), hard.astype(float)
    channel = rng.choice(["phone", "chat", "email"], n_contacts, p=[0.6, 0.25, 0.15])
    story = rng.normal(0.0, 1.0, n_contacts)  # how long the customer's story is (the text shows it)
    busy = np.isin(hour, [9, 10, 11, 14, 15]).astype(float)
    h = hard + 0.25 * np.minimum(k, 3) + 0.35 * story + 0.2 * busy
    seg = seg_of[cust]
    seg_name = np.asarray(SEGMENTS, dtype=object)[seg]
    # who answers: the harder the contact, the likelier an expert (and business customers more often)
    logit = -1.6 + 1.1 * h + 0.6 * (seg_name == "business")
    expert = rng.random(n_contacts) < 1 / (1 + np.exp(-logit))
    pool = {p: agents.index[agents["profile"] == p].to_numpy() for p in PROFILES}
    who = np.where(
        expert,
        rng.choice(pool["expert"], n_contacts),
        rng.choice(pool["generalist"], n_contacts),
    )
    prof = agents["profile"].to_numpy()[who]
    eff_h = np.array([t.effect(p, s)[0] for p, s in zip(prof, seg_name, strict=True)])
    eff_r = np.array([t.effect(p, s)[1] for p, s in zip(prof, seg_name, strict=True)])
    handle = base_h * np.exp(0.22 * h) * agents["_speed"].to_numpy()[who] * rng.lognormal(-0.08, 0.4, n_contacts)
    handle = np.maximum(handle + eff_h, 20.0)
    p_res = base_r - 0.07 * h + agents["_skill"].to_numpy()[who] + eff_r
    resolved = rng.random(n_contacts) < np.clip(p_res, 0.02, 0.98)
    text = np.array(["x" * int(max(10, 160 + 60 * s)) for s in story], dtype=object)
    agent_id = agents["agent_id"].to_numpy()[who].astype(object)
    # dirt
    untimed = rng.random(n_contacts) < 0.04
    abandoned = (channel == "phone") & (rng.random(n_contacts) < 0.05)
    temps = rng.random(n_contacts) < 0.02
    agent_id[temps] = np.where(rng.random(temps.sum()) < 0.5, "TEMP01", "TEMP02")
    spaced = rng.random(n_contacts) < 0.03
    agent_id[spaced] = [f" {a} " for a in agent_id[spaced]]
    agent_id[abandoned] = None
    seg_label = seg_name.copy()
    typed = rng.random(n_contacts)
    seg_label[typed < 0.04] = [s.upper() for s in seg_label[typed < 0.04]]
    seg_label[(typed >= 0.04) & (typed < 0.07)] = [f" {s.title()}" for s in seg_label[(typed >= 0.04) & (typed < 0.07)]]
    seg_label[(typed >= 0.07) & (typed < 0.10)] = None
    start = pd.Timestamp("2026-03-02")
    d = pd.DataFrame(
        {
            "contact_id": [f"M{i:07d}" for i in range(n_contacts)],
            "received_at": start + pd.to_timedelta(secs, unit="s"),
            "channel": channel,
            "customer_id": [f"KL-{c:06d}" for c in cust],
            "text": text,
            "handle_s": np.where(untimed | abandoned, np.nan, np.round(handle)),
            "abandoned": np.where(channel == "phone", abandoned, None),
            "resolved": np.where(abandoned, False, resolved),
            "agent_id": agent_id,
            "source_file": "synth:matching",
        }
    )
    d = schema.conform(d)
    d["demand"] = demand
    d["demand_type"] = np.asarray(names, dtype=object)[ti]
    d["segment"] = seg_label
    d = d.sort_values("received_at", kind="stable").reset_index(drop=True)
    files = agents.drop(columns=["_speed", "_skill"])
    files = pd.concat([files, files.iloc[[3]]], ignore_index=True)  # a row exported twice
    return d, files


#: the bundled samples' planted matching: experts answer business customers faster and better
SAMPLE_TRUTH = MatchTruth(
    expert_share=0.35,
    handle_s={("expert", "business"): -70.0, ("expert", "senior"): -40.0},
    resolve_add={("generalist", "business"): -0.10},  # a resolved contact fails with probability 0.10
)


def _hashed(values: pd.Series, salt: str) -> np.ndarray:
    return np.array(
        [zlib.crc32(f"{salt}:{v}".encode()) % 1000 / 1000 if isinstance(v, str) else np.nan for v in values]
    )


def plant_sample_matching(df: pd.DataFrame, seed: int, truth: MatchTruth = SAMPLE_TRUTH) -> pd.DataFrame:
    """The samples' hook: a ``segment`` per customer and an ``agent_profile`` per agent (both fixed
    by the id, so every export agrees), and the planted effect on timed phone calls.

    Resolution only ever moves from resolved to not (a contact that was resolved may fail, with
    the planted probability; an unresolved one never becomes resolved), so the generator's
    failure-demand loop - which followed unresolved contacts - stays consistent. Its own random
    numbers (seeded from ``seed``) leave the generator's draws untouched."""
    rng = np.random.default_rng([seed, 16])
    out = df.copy()
    u = _hashed(out["customer_id"], "segment")
    cum = np.cumsum(truth.segment_p)
    seg = np.where(
        np.isnan(u),
        np.full(len(u), None, dtype=object),
        np.asarray(SEGMENTS, dtype=object)[np.searchsorted(cum, np.nan_to_num(u), "right").clip(0, 2)],
    )
    # a share of the agents (fixed by their ids: the same agents whatever the sample's size) are experts
    ids = sorted(set(out["agent_id"].dropna().astype(str)), key=lambda x: (zlib.crc32(f"profile:{x}".encode()), x))
    n_exp = int(np.ceil(truth.expert_share * len(ids)))
    profile_of = {x: "expert" if i < n_exp else "generalist" for i, x in enumerate(ids)}
    prof = out["agent_id"].astype(object).map(profile_of).to_numpy(dtype=object)
    live = out["channel"].astype(str).eq("phone").to_numpy() & out["handle_s"].notna().to_numpy()
    if "direction" in out:  # the centre's own outbound calls (flowkit.synth.hours_sample) are not the customer's
        live &= out["direction"].astype("string").ne("OUT").fillna(True).to_numpy(dtype=bool)
    eff = [truth.effect(p, s) if ok else (0.0, 0.0) for p, s, ok in zip(prof, seg, live, strict=True)]
    dh = np.array([e[0] for e in eff])
    dr = np.array([e[1] for e in eff])
    h = out["handle_s"].to_numpy(dtype=float, na_value=np.nan)
    out["handle_s"] = pd.array(np.where(live, np.maximum(np.round(h + dh), 20.0), h), dtype="Float64")
    res = out["resolved"].astype("boolean")
    fail = live & (dr < 0) & res.fillna(False).to_numpy(dtype=bool) & (rng.random(len(out)) < -dr)
    out.loc[fail, "resolved"] = False
    out["segment"] = seg
    out["agent_profile"] = prof
    return out
