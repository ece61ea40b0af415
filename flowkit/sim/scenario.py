"""Scenario files: one service centre, loaded into frozen dataclasses and checked.

Every key is known; an unknown key, a wrong type or an impossible value (negative rate,
probability outside [0, 1], a demand stream no team can serve) is a ScenarioError naming
the file and the key, so a typo never silently changes a what-if.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from flowkit.errors import ScenarioError
from flowkit.schema import CHANNELS, FAILURE_TYPES
from flowkit.sim.streams import stream_key
from flowkit.yamlfile import load_yaml

__all__ = [
    "LIVE_CHANNELS",
    "Callback",
    "DataField",
    "DemandStream",
    "Dist",
    "Handoff",
    "Ivr",
    "OpenHours",
    "Recontact",
    "Redial",
    "Scenario",
    "Shift",
    "Team",
    "load_scenario",
    "scenario_from_dict",
]

LIVE_CHANNELS = ("phone", "chat", "visit")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class _Ctx:
    """Where we are in the file, for messages: ``baseline.yaml: demand[2].handle.cv``."""

    def __init__(self, origin: str):
        self.origin = origin

    def fail(self, key: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.origin}: {key}: {message}")

    def mapping(self, value, key: str, allowed: set[str], required: set[str] = frozenset()) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping with keys {', '.join(sorted(allowed))}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(
                f"{key}.{unknown[0]}" if key else unknown[0], f"unknown key; allowed: {', '.join(sorted(allowed))}"
            )
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(f"{key}.{missing[0]}" if key else missing[0], "is required")
        return value

    def number(
        self, value, key: str, low: float | None = 0.0, high: float | None = None, strict_low: bool = False
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"must be a number, got {value!r}")
        v = float(value)
        if not np.isfinite(v):
            raise self.fail(key, f"must be finite, got {value!r}")
        if low is not None and (v < low or (strict_low and v == low)):
            raise self.fail(key, f"must be {'>' if strict_low else '>='} {low:g}, got {value!r}")
        if high is not None and v > high:
            raise self.fail(key, f"must be <= {high:g}, got {value!r}")
        return v

    def prob(self, value, key: str) -> float:
        return self.number(value, key, 0.0, 1.0)

    def integer(self, value, key: str, low: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be a whole number, got {value!r}")
        if value < low:
            raise self.fail(key, f"must be >= {low}, got {value}")
        return value


@dataclass(frozen=True)
class Dist:
    """A duration distribution in seconds: exponential, lognormal (mean, cv), fixed or empirical."""

    kind: str
    mean_s: float
    cv: float = 1.0
    values: tuple[float, ...] = ()

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.kind == "exponential":
            return rng.exponential(self.mean_s, size)
        if self.kind == "lognormal":
            sigma2 = np.log1p(self.cv**2)
            return rng.lognormal(np.log(self.mean_s) - sigma2 / 2, np.sqrt(sigma2), size)
        if self.kind == "fixed":
            return np.full(size, self.mean_s)
        return rng.choice(np.asarray(self.values), size)

    @staticmethod
    def parse(ctx: _Ctx, value, key: str) -> Dist:
        d = ctx.mapping(value, key, {"dist", "mean_s", "cv", "values"}, {"dist"})
        kind = d["dist"]
        if kind not in ("exponential", "lognormal", "fixed", "empirical"):
            raise ctx.fail(f"{key}.dist", f"{kind!r}: use exponential, lognormal, fixed or empirical")
        if kind == "empirical":
            vals = d.get("values")
            if not isinstance(vals, list) or not vals:
                raise ctx.fail(f"{key}.values", "empirical needs a non-empty list of seconds")
            vals = tuple(ctx.number(v, f"{key}.values[{i}]") for i, v in enumerate(vals))
            return Dist(kind, float(np.mean(vals)), float(np.std(vals) / max(np.mean(vals), 1e-12)), vals)
        if "mean_s" not in d:
            raise ctx.fail(f"{key}.mean_s", "is required")
        mean = ctx.number(d["mean_s"], f"{key}.mean_s", 0.0, strict_low=kind != "fixed")
        cv = ctx.number(d.get("cv", 1.0), f"{key}.cv", 0.0, strict_low=kind == "lognormal")
        if kind == "exponential" and "cv" in d:
            raise ctx.fail(f"{key}.cv", "an exponential distribution has cv 1; use lognormal for another cv")
        return Dist(kind, mean, cv)


_SPAN = re.compile(
    r"^\s*(?P<days>[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


def _minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def _days(ctx: _Ctx, text: str, key: str) -> list[int]:
    parts = [p.strip().title() for p in text.split("-")]
    for p in parts:
        if p not in DAYS:
            raise ctx.fail(key, f"{p!r} is not a day; use {', '.join(DAYS)}")
    a, b = DAYS.index(parts[0]), DAYS.index(parts[-1])
    return list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))


@dataclass(frozen=True)
class OpenHours:
    """Weekly open intervals in seconds from Monday 00:00: "Mon-Fri 08:00-18:00; Sat 09:00-13:00"."""

    intervals: tuple[tuple[float, float], ...]

    WEEK = 7 * 86400.0

    @staticmethod
    def parse(ctx: _Ctx, text, key: str) -> OpenHours:
        if not isinstance(text, str):
            raise ctx.fail(key, 'must be text like "Mon-Fri 08:00-18:00; Sat 09:00-13:00"')
        spans = []
        for part in text.split(";"):
            m = _SPAN.match(part)
            if not m:
                raise ctx.fail(key, f"{part.strip()!r} is not like 'Mon-Fri 08:00-18:00'")
            start, end = _minutes(m["start"]), _minutes(m["end"])
            if not 0 <= start < end <= 24 * 60:
                raise ctx.fail(key, f"{part.strip()!r}: the end must be after the start, within one day")
            for d in _days(ctx, m["days"], key):
                spans.append((d * 86400.0 + start * 60, d * 86400.0 + end * 60))
        return OpenHours(tuple(sorted(spans)))

    def is_open(self, t: float) -> bool:
        w = t % self.WEEK
        return any(a <= w < b for a, b in self.intervals)

    def next_change(self, t: float) -> float:
        """The next time (> t) the channel opens or closes."""
        w, base = t % self.WEEK, t - t % self.WEEK
        edges = sorted({e for span in self.intervals for e in span})
        for e in edges:
            if e > w:
                return base + e
        return base + self.WEEK + edges[0]

    def next_open(self, t: float) -> float:
        w, base = t % self.WEEK, t - t % self.WEEK
        for a, b in self.intervals:
            if a <= w < b:
                return t
            if a > w:
                return base + a
        return base + self.WEEK + self.intervals[0][0]


@dataclass(frozen=True)
class Shift:
    days: tuple[int, ...]
    start_s: float
    end_s: float
    count: int


@dataclass(frozen=True)
class Team:
    team: str
    channels: tuple[str, ...]
    count: int = 0
    shifts: tuple[Shift, ...] = ()
    priority: tuple[str, ...] | str | None = None  # None: the scenario's priority
    deferred_reserve: int | None = None  # None: the scenario's
    interrupt_deferred: bool | None = None  # None: the scenario's


@dataclass(frozen=True)
class DemandStream:
    type: str
    demand: str
    channel: str
    handle: Dist
    rate_per_hour: float = 0.0
    profile_per_hour: tuple[float, ...] = ()  # 24 hourly or 48 half-hourly values (rates per hour)
    by_weekday: tuple[tuple[float, ...], ...] = ()  # 7 x (24 or 48) values, Mon first
    resolve_p: float = 1.0
    failure_type: str | None = None
    needs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The name this stream's random numbers are keyed by (see :mod:`flowkit.sim.streams`)."""
        return stream_key(self.type, self.channel)

    def rate_at(self, t: float) -> float:
        """Arrivals per second at simulated time t (t = 0 is Monday 00:00)."""
        if self.by_weekday:
            day = self.by_weekday[int(t // 86400) % 7]
            return day[int(t % 86400 // (86400 / len(day)))] / 3600.0
        if self.profile_per_hour:
            return self.profile_per_hour[int(t % 86400 // (86400 / len(self.profile_per_hour)))] / 3600.0
        return self.rate_per_hour / 3600.0

    def slot_s(self) -> float:
        """Length of one slot of the rate profile in seconds (an hour, or half an hour)."""
        profile = self.by_weekday[0] if self.by_weekday else self.profile_per_hour
        return 86400.0 / len(profile) if profile else 3600.0

    def mean_rate_per_hour(self) -> float:
        if self.by_weekday:
            return float(np.mean(self.by_weekday))
        if self.profile_per_hour:
            return float(np.mean(self.profile_per_hour))
        return self.rate_per_hour


@dataclass(frozen=True)
class Recontact:
    p: float
    delay: Dist
    as_type: str = "progress_chasing"
    handle_factor: float = 1.0


@dataclass(frozen=True)
class Handoff:
    p: float
    team: str
    handle: Dist
    resolve_p: float = 1.0


@dataclass(frozen=True)
class Callback:
    """Callbacks promised to unresolved contacts; a missed one is chased (failure demand,
    progress chasing) with probability ``chase_p`` after ``chase_delay``."""

    p_promised: float
    p_made: float
    delay: Dist
    chase_p: float = 1.0
    chase_delay: Dist | None = None  # None: the callback's own delay


@dataclass(frozen=True)
class Redial:
    p: float
    delay: Dist


@dataclass(frozen=True)
class Ivr:
    delay_s: float = 0.0
    reauth_s: float = 0.0  # extra handle time when a hand-off makes the customer authenticate again
    exit_p: float = 0.0  # phone callers who hang up in the IVR, before queueing (abandoned, no wait)


@dataclass(frozen=True)
class DataField:
    available: bool
    handle_factor: float = 1.0
    resolve_p_add: float = 0.0
    handle_factor_se: float = 0.0  # > 0: an estimate; each replication draws its effect (flowkit.sim.uncertainty)
    resolve_p_add_se: float = 0.0


@dataclass(frozen=True)
class Scenario:
    name: str
    demand: tuple[DemandStream, ...]
    agents: tuple[Team, ...]
    seed: int = 1
    horizon_hours: float = 120.0
    warmup_hours: float | None = None  # None: long enough for the failure loop (flowkit.sim.warmup)
    replications: int = 20
    service_level_s: float = 20.0
    open_hours: dict[str, OpenHours] = field(default_factory=dict)
    closed_return_p: float = 0.0
    closed_return_within_hours: float = 1.0
    priority: tuple[str, ...] | str = ()  # () = real-time channels before deferred; "oldest" = FIFO
    priority_age_limit_hours: float | None = None  # deferred work older than this jumps the queue
    deferred_reserve: int = 0  # deferred work only while this many teammates stay idle
    interrupt_deferred: bool | None = None  # None: true unless priority is "oldest" (see model._Agent)
    switch_cost_s: float = 0.0  # added to a deferred item each time it is resumed
    patience: Dist | None = None
    redial: Redial | None = None
    ivr: Ivr = Ivr()
    recontact: Recontact | None = None
    handoff: Handoff | None = None
    callback: Callback | None = None
    data_fields: dict[str, DataField] = field(default_factory=dict)
    fit: dict = field(default_factory=dict)  # metadata: how the baseline fitted its log (written by calibrate)
    origin: str = "scenario"

    def with_changes(self, **changes) -> Scenario:
        return replace(self, **changes)


_TOP = {
    "name",
    "seed",
    "horizon_hours",
    "warmup_hours",
    "replications",
    "service_level_s",
    "open_hours",
    "closed",
    "agents",
    "patience",
    "redial",
    "ivr",
    "demand",
    "recontact",
    "handoff",
    "callback",
    "data_fields",
    "description",
    "priority",
    "priority_age_limit_hours",
    "deferred_reserve",
    "interrupt_deferred",
    "switch_cost_s",
    "fit",
}


def load_scenario(path: str | Path) -> Scenario:
    return scenario_from_dict(load_yaml(path, ScenarioError, "scenario file"), str(path))


def scenario_from_dict(doc, origin: str = "scenario") -> Scenario:
    ctx = _Ctx(origin)
    d = ctx.mapping(doc, "", _TOP, {"name", "agents", "demand"})
    name = d["name"]
    if not isinstance(name, str) or not name:
        raise ctx.fail("name", "must be non-empty text")
    kw: dict = {"name": name, "origin": origin}
    if "seed" in d:
        kw["seed"] = ctx.integer(d["seed"], "seed")
    if "horizon_hours" in d:
        kw["horizon_hours"] = ctx.number(d["horizon_hours"], "horizon_hours", 0.0, strict_low=True)
    if d.get("warmup_hours") not in (None, "auto"):  # auto: measured from the failure loop
        kw["warmup_hours"] = ctx.number(d["warmup_hours"], "warmup_hours")
    if "replications" in d:
        kw["replications"] = ctx.integer(d["replications"], "replications", 1)
    if "service_level_s" in d:
        kw["service_level_s"] = ctx.number(d["service_level_s"], "service_level_s")

    open_hours = {}
    for ch, text in ctx.mapping(d.get("open_hours") or {}, "open_hours", set(CHANNELS)).items():
        open_hours[ch] = OpenHours.parse(ctx, text, f"open_hours.{ch}")
    kw["open_hours"] = open_hours
    if "closed" in d:
        c = ctx.mapping(d["closed"], "closed", {"return_p", "within_hours"}, {"return_p"})
        kw["closed_return_p"] = ctx.prob(c["return_p"], "closed.return_p")
        if "within_hours" in c:
            kw["closed_return_within_hours"] = ctx.number(c["within_hours"], "closed.within_hours", 0.0)
    if "priority" in d:
        kw["priority"] = _priority(ctx, d["priority"], "priority")
    if "deferred_reserve" in d:
        kw["deferred_reserve"] = ctx.integer(d["deferred_reserve"], "deferred_reserve")
    if d.get("priority_age_limit_hours") is not None:
        kw["priority_age_limit_hours"] = ctx.number(d["priority_age_limit_hours"], "priority_age_limit_hours", 0.0)
    if "interrupt_deferred" in d:
        kw["interrupt_deferred"] = _flag(ctx, d["interrupt_deferred"], "interrupt_deferred")
    if "switch_cost_s" in d:
        kw["switch_cost_s"] = ctx.number(d["switch_cost_s"], "switch_cost_s")

    teams = []
    if not isinstance(d["agents"], list) or not d["agents"]:
        raise ctx.fail("agents", "must be a non-empty list of teams")
    for i, t in enumerate(d["agents"]):
        key = f"agents[{i}]"
        t = ctx.mapping(
            t,
            key,
            {"team", "count", "channels", "shifts", "priority", "deferred_reserve", "interrupt_deferred"},
            {"team", "channels"},
        )
        chans = t["channels"]
        if not isinstance(chans, list) or not chans:
            raise ctx.fail(f"{key}.channels", "must be a non-empty list of channels")
        for ch in chans:
            if ch not in CHANNELS:
                raise ctx.fail(f"{key}.channels", f"{ch!r} is not a channel; use {', '.join(CHANNELS)}")
        if ("count" in t) == ("shifts" in t):
            raise ctx.fail(key, "give either count or shifts")
        shifts = []
        for j, s in enumerate(t.get("shifts") or []):
            sk = f"{key}.shifts[{j}]"
            s = ctx.mapping(s, sk, {"days", "start", "end", "count"}, {"days", "start", "end", "count"})
            try:
                start, end = _minutes(str(s["start"])) * 60.0, _minutes(str(s["end"])) * 60.0
            except ValueError:
                raise ctx.fail(sk, "start and end must be HH:MM") from None
            if not 0 <= start < end <= 86400:
                raise ctx.fail(sk, "end must be after start, within one day")
            shifts.append(
                Shift(
                    tuple(_days(ctx, str(s["days"]), f"{sk}.days")),
                    start,
                    end,
                    ctx.integer(s["count"], f"{sk}.count", 1),
                )
            )
        if "shifts" in t and not shifts:
            raise ctx.fail(f"{key}.shifts", "is empty")
        count = ctx.integer(t["count"], f"{key}.count", 1) if "count" in t else 0
        prio = _priority(ctx, t["priority"], f"{key}.priority") if "priority" in t else None
        reserve = ctx.integer(t["deferred_reserve"], f"{key}.deferred_reserve") if "deferred_reserve" in t else None
        interrupt = (
            _flag(ctx, t["interrupt_deferred"], f"{key}.interrupt_deferred") if "interrupt_deferred" in t else None
        )
        effective = interrupt if interrupt is not None else kw.get("interrupt_deferred")
        if effective and (prio if prio is not None else kw.get("priority", ())) == "oldest":
            raise ctx.fail(
                f"{key}.interrupt_deferred" if interrupt is not None else "interrupt_deferred",
                f"team {t['team']!r} serves the oldest item first, so no contact outranks deferred work "
                "to interrupt it; give the team a channel priority or set interrupt_deferred: false",
            )
        teams.append(Team(str(t["team"]), tuple(chans), count, tuple(shifts), prio, reserve, interrupt))
    kw["agents"] = tuple(teams)

    if d.get("patience") is not None:
        kw["patience"] = Dist.parse(ctx, d["patience"], "patience")
    if "redial" in d:
        r = ctx.mapping(d["redial"], "redial", {"p", "delay"}, {"p", "delay"})
        kw["redial"] = Redial(ctx.prob(r["p"], "redial.p"), Dist.parse(ctx, r["delay"], "redial.delay"))
    if "ivr" in d:
        r = ctx.mapping(d["ivr"], "ivr", {"delay_s", "reauth_s", "exit_p"})
        kw["ivr"] = Ivr(
            ctx.number(r.get("delay_s", 0), "ivr.delay_s"),
            ctx.number(r.get("reauth_s", 0), "ivr.reauth_s"),
            ctx.prob(r.get("exit_p", 0), "ivr.exit_p"),
        )
    if "fit" in d:
        kw["fit"] = dict(ctx.mapping(d["fit"], "fit", {"verdict", "reproduces", "tolerance", "figures", "log"}))

    fields = {}
    for fname, spec in ctx.mapping(d.get("data_fields") or {}, "data_fields", set(d.get("data_fields") or {})).items():
        fk = f"data_fields.{fname}"
        spec = ctx.mapping(
            spec,
            fk,
            {"available", "handle_factor", "resolve_p_add", "handle_factor_se", "resolve_p_add_se"},
            {"available"},
        )
        if not isinstance(spec["available"], bool):
            raise ctx.fail(f"{fk}.available", "must be true or false")
        fields[str(fname)] = DataField(
            spec["available"],
            ctx.number(spec.get("handle_factor", 1.0), f"{fk}.handle_factor", 0.0, strict_low=True),
            ctx.number(spec.get("resolve_p_add", 0.0), f"{fk}.resolve_p_add", -1.0, 1.0),
            ctx.number(spec.get("handle_factor_se", 0.0), f"{fk}.handle_factor_se", 0.0),
            ctx.number(spec.get("resolve_p_add_se", 0.0), f"{fk}.resolve_p_add_se", 0.0),
        )
    kw["data_fields"] = fields

    streams = []
    if not isinstance(d["demand"], list) or not d["demand"]:
        raise ctx.fail("demand", "must be a non-empty list of demand streams")
    for i, s in enumerate(d["demand"]):
        key = f"demand[{i}]"
        s = ctx.mapping(
            s,
            key,
            {
                "type",
                "demand",
                "failure_type",
                "channel",
                "rate_per_hour",
                "profile_per_hour",
                "by_weekday",
                "handle",
                "resolve_p",
                "needs",
            },
            {"type", "channel", "handle"},
        )
        demand = s.get("demand", "value")
        if demand not in ("value", "failure"):
            raise ctx.fail(f"{key}.demand", f"{demand!r}: use value or failure")
        ft = s.get("failure_type")
        if ft is not None and ft not in FAILURE_TYPES:
            raise ctx.fail(f"{key}.failure_type", f"{ft!r}: use one of {', '.join(FAILURE_TYPES)}")
        if demand == "value" and ft:
            raise ctx.fail(f"{key}.failure_type", "value demand has no failure type")
        if s["channel"] not in CHANNELS:
            raise ctx.fail(f"{key}.channel", f"{s['channel']!r} is not a channel")
        rates = [k for k in ("rate_per_hour", "profile_per_hour", "by_weekday") if k in s]
        if len(rates) != 1:
            raise ctx.fail(key, "give exactly one of rate_per_hour, profile_per_hour, by_weekday")
        rate, profile, weekly = 0.0, (), ()
        if "rate_per_hour" in s:
            rate = ctx.number(s["rate_per_hour"], f"{key}.rate_per_hour")
        elif "profile_per_hour" in s:
            profile = _profile(ctx, s["profile_per_hour"], f"{key}.profile_per_hour")
        else:
            w = ctx.mapping(s["by_weekday"], f"{key}.by_weekday", set(DAYS), set(DAYS))
            weekly = tuple(_profile(ctx, w[day], f"{key}.by_weekday.{day}") for day in DAYS)
        needs = s.get("needs") or []
        if not isinstance(needs, list):
            raise ctx.fail(f"{key}.needs", "must be a list of data field names")
        for n in needs:
            if n not in fields:
                raise ctx.fail(
                    f"{key}.needs", f"{n!r} is not under data_fields ({', '.join(fields) or 'none defined'})"
                )
        streams.append(
            DemandStream(
                type=str(s["type"]),
                demand=demand,
                channel=s["channel"],
                handle=Dist.parse(ctx, s["handle"], f"{key}.handle"),
                rate_per_hour=rate,
                profile_per_hour=profile,
                by_weekday=weekly,
                resolve_p=ctx.prob(s.get("resolve_p", 1.0), f"{key}.resolve_p"),
                failure_type=ft,
                needs=tuple(needs),
            )
        )
    kw["demand"] = tuple(streams)

    if "recontact" in d:
        r = ctx.mapping(d["recontact"], "recontact", {"p", "delay", "as", "handle_factor"}, {"p", "delay"})
        as_type = r.get("as", "progress_chasing")
        if as_type not in FAILURE_TYPES:
            raise ctx.fail("recontact.as", f"{as_type!r}: use one of {', '.join(FAILURE_TYPES)}")
        kw["recontact"] = Recontact(
            ctx.prob(r["p"], "recontact.p"),
            Dist.parse(ctx, r["delay"], "recontact.delay"),
            as_type,
            ctx.number(r.get("handle_factor", 1.0), "recontact.handle_factor", 0.0, strict_low=True),
        )
    team_names = {t.team for t in teams}
    if "handoff" in d:
        r = ctx.mapping(d["handoff"], "handoff", {"p", "team", "handle", "resolve_p"}, {"p", "team", "handle"})
        if r["team"] not in team_names:
            raise ctx.fail(
                "handoff.team", f"{r['team']!r} is not a team under agents ({', '.join(sorted(team_names))})"
            )
        kw["handoff"] = Handoff(
            ctx.prob(r["p"], "handoff.p"),
            str(r["team"]),
            Dist.parse(ctx, r["handle"], "handoff.handle"),
            ctx.prob(r.get("resolve_p", 1.0), "handoff.resolve_p"),
        )
    if "callback" in d:
        r = ctx.mapping(
            d["callback"], "callback", {"p_promised", "p_made", "delay", "chase"}, {"p_promised", "p_made", "delay"}
        )
        chase = ctx.mapping(r.get("chase") or {}, "callback.chase", {"p", "delay"})
        kw["callback"] = Callback(
            ctx.prob(r["p_promised"], "callback.p_promised"),
            ctx.prob(r["p_made"], "callback.p_made"),
            Dist.parse(ctx, r["delay"], "callback.delay"),
            ctx.prob(chase.get("p", 1.0), "callback.chase.p"),
            Dist.parse(ctx, chase["delay"], "callback.chase.delay") if "delay" in chase else None,
        )

    seen: dict[str, int] = {}
    for i, s in enumerate(streams):
        if s.key in seen:
            raise ctx.fail(
                f"demand[{i}].type",
                f"{s.type!r} on {s.channel} repeats demand[{seen[s.key]}]; random numbers "
                "are keyed by type and channel, so give each stream its own type",
            )
        seen[s.key] = i
    served = {ch for t in teams for ch in t.channels}
    for i, s in enumerate(streams):
        if s.channel not in served:
            raise ctx.fail(f"demand[{i}].channel", f"no team serves {s.channel!r}; add it to a team's channels")
    for i, t in enumerate(teams):
        used = {s.channel for s in streams}
        if not set(t.channels) & used and not (kw.get("handoff") and kw["handoff"].team == t.team):
            raise ctx.fail(
                f"agents[{i}].channels", f"team {t.team!r} serves {', '.join(t.channels)}, which no demand uses"
            )
    return Scenario(**kw)


def _flag(ctx: _Ctx, value, key: str) -> bool:
    if not isinstance(value, bool):
        raise ctx.fail(key, "must be true or false")
    return value


def _priority(ctx: _Ctx, value, key: str) -> tuple[str, ...] | str:
    """``[phone, chat, email]`` (first served first; ``handoff`` names back-office work) or ``oldest``."""
    if value == "oldest":
        return "oldest"
    if not isinstance(value, list) or not value:
        raise ctx.fail(key, "must be a list of channels, most urgent first (e.g. [phone, chat, email]), or 'oldest'")
    for ch in value:
        if ch not in CHANNELS and ch != "handoff":
            raise ctx.fail(key, f"{ch!r} is not a channel; use {', '.join(CHANNELS)} or handoff")
    if len(set(value)) != len(value):
        raise ctx.fail(key, "names a channel twice")
    return tuple(value)


def _profile(ctx: _Ctx, values, key: str) -> tuple[float, ...]:
    if not isinstance(values, list) or len(values) not in (24, 48):
        raise ctx.fail(key, "must be a list of 24 hourly (or 48 half-hourly) rates per hour")
    return tuple(ctx.number(v, f"{key}[{h}]") for h, v in enumerate(values))
