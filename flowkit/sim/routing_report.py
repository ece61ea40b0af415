"""What matching buys and what it costs, in words, from a paired comparison (``flowkit compare``).

Matching agent to customer is a trade: shorter handling and more first-contact resolution (so
less failure demand) for contacts that wait for the right agent. Each side is a paired
difference over replications with its 95% CI (:mod:`flowkit.sim.compare`); a CI that holds zero
is said as "no significant difference", never as a gain.
"""

from __future__ import annotations

__all__ = ["ROUTING_KPIS", "matching_lines"]

#: the KPIs scenarios with ``routing:`` add (flowkit.sim.routing)
ROUTING_KPIS = ("mean_handle_s", "matched_share", "failure_contacts")


def _ci(d: dict, scale: float = 1.0, fmt: str = ".0f") -> str:
    lo, hi = sorted((d["ci95_low"] * scale, d["ci95_high"] * scale))
    return f"95% CI {lo:{fmt}} to {hi:{fmt}}"


def _sure(d: dict) -> bool:
    return bool(d["statistically_significant"])


def matching_lines(deltas: dict[str, dict[str, dict]], horizon_hours: float | None = None) -> list[str]:
    """One sentence per variant whose routing KPIs were compared: what it buys, what it costs."""
    out = []
    for v, ks in deltas.items():
        if "mean_handle_s" not in ks:
            continue
        parts = []
        h = ks["mean_handle_s"]
        if _sure(h):
            word = "saves" if h["mean"] < 0 else "adds"
            parts.append(f"{word} {abs(h['mean']):.1f} s of handling per answered contact ({_ci(h, -1, '.1f')} saved)")
        else:
            parts.append(f"no significant difference in handle time ({_ci(h, -1, '+.1f')} s saved)")
        r = ks.get("one_stop")
        if r is not None:
            if _sure(r):
                parts.append(f"{r['mean'] * 100:+.1f} points resolved at first contact ({_ci(r, 100, '+.1f')})")
            else:
                parts.append(f"no significant difference in first-contact resolution ({_ci(r, 100, '+.1f')} points)")
        f = ks.get("failure_contacts")
        if f is not None:
            per = f" per {horizon_hours:g} h" if horizon_hours else " per replication"
            if _sure(f) and f["mean"] < 0:
                parts.append(f"{-f['mean']:.0f} failure contacts avoided{per} ({_ci(f, -1)})")
            elif _sure(f):
                parts.append(f"{f['mean']:.0f} more failure contacts{per} ({_ci(f)})")
            else:
                parts.append(f"no significant difference in failure demand ({_ci(f, -1)} avoided{per})")
        w = ks.get("mean_wait_s")
        cost = ""
        if w is not None:
            if _sure(w) and w["mean"] > 0:
                cost = f"; it costs {w['mean']:.1f} s more mean wait ({_ci(w, 1, '.1f')})"
            elif _sure(w):
                cost = f"; mean wait falls by {-w['mean']:.1f} s ({_ci(w, -1, '.1f')}): shorter handling frees agents"
            else:
                cost = f"; no significant difference in mean wait ({_ci(w, 1, '+.1f')} s)"
        m = ks.get("matched_share")
        share = f" (share answered by a matching agent {m['mean'] * 100:+.0f} points)" if m is not None else ""
        out.append(f"{v}: routing {', '.join(parts)}{cost}{share}.")
    return out
