"""The scenario file's contract: every key, its type and its sane bounds, in one declaration.

The bounds are far beyond any real service centre (five years of hours, 10,000 agents, 1,000
replications) so that they never stop real work, yet a typo such as ``horizon_hours: 1e12`` or
``count: 1000000000`` is refused in milliseconds instead of hanging a simulation.
:mod:`flowkit.sim.scenario` turns a checked file into the frozen dataclasses the model runs;
``flowkit schema scenario`` prints this contract as JSON Schema for editors.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, WrapValidator, field_validator, model_validator
from pydantic_core import PydanticCustomError

from flowkit.contract import Contract, explained
from flowkit.schema import CHANNELS, FAILURE_TYPES
from flowkit.sim.customer_keys import LeavingSpec, RetellingSpec, TellUsOnceSpec
from flowkit.sim.routing_spec import RoutingFile

__all__ = ["BOUNDS", "DAYS", "ScenarioFile", "day_span", "open_intervals"]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_HOURS = 5 * 365 * 24  # five years of simulated time
MAX_SECONDS = 365 * 86400  # any duration: a year
MAX_AGENTS = 10_000
MAX_REPLICATIONS = 1_000
MAX_RATE = 100_000.0  # contacts per hour, one stream
MAX_FACTOR = 100.0
MAX_CONTACTS = 100_000_000  # expected arrivals in one replication (checked in flowkit.sim.scenario)
#: the limits, for messages and the README
BOUNDS = {
    "hours": MAX_HOURS,
    "seconds": MAX_SECONDS,
    "agents": MAX_AGENTS,
    "replications": MAX_REPLICATIONS,
    "rate_per_hour": MAX_RATE,
    "factor": MAX_FACTOR,
    "contacts_per_replication": MAX_CONTACTS,
}

Channel = Annotated[
    Literal[CHANNELS],  # type: ignore[valid-type]
    explained(f"{{got}} is not a channel; use one of {', '.join(CHANNELS)}"),
]
FailureType = Annotated[
    Literal[FAILURE_TYPES],  # type: ignore[valid-type]
    explained(f"{{got}}: use one of {', '.join(FAILURE_TYPES)}"),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, description="a probability, 0 to 1")]
Seconds = Annotated[float, Field(ge=0.0, le=MAX_SECONDS, allow_inf_nan=False, description="seconds, at most a year")]
PositiveSeconds = Annotated[float, Field(gt=0.0, le=MAX_SECONDS, allow_inf_nan=False, description="seconds, > 0")]
Hours = Annotated[float, Field(ge=0.0, le=MAX_HOURS, allow_inf_nan=False, description="hours, at most five years")]
Rate = Annotated[
    float, Field(ge=0.0, le=MAX_RATE, allow_inf_nan=False, description="contacts per hour, at most 100,000")
]
Factor = Annotated[float, Field(gt=0.0, le=MAX_FACTOR, allow_inf_nan=False, description="a multiplier, > 0")]
Agents = Annotated[int, Field(ge=1, le=MAX_AGENTS, description="people, 1 to 10,000")]
Clock = Annotated[
    str,
    Field(pattern=r"^\d{1,2}:\d{2}$", description="HH:MM, quoted ('09:30')"),
    explained("{got}: must be a time HH:MM in quotes, e.g. '09:30' (unquoted, YAML reads 9:30 as minutes)"),
]

_SPAN = re.compile(
    r"^\s*(?P<days>[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


def minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def day_span(text: str) -> list[int]:
    """``Mon-Fri`` as [0, 1, 2, 3, 4]; ``Sat-Mon`` wraps round the week."""
    parts = [p.strip().title() for p in text.split("-")]
    for p in parts:
        if p not in DAYS:
            raise ValueError(f"{p!r} is not a day; use {', '.join(DAYS)}")
    a, b = DAYS.index(parts[0]), DAYS.index(parts[-1])
    return list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))


def open_intervals(text: str) -> tuple[tuple[float, float], ...]:
    """ "Mon-Fri 08:00-18:00; Sat 09:00-13:00" as sorted (start, end) seconds from Monday 00:00."""
    spans = []
    for part in text.split(";"):
        m = _SPAN.match(part)
        if not m:
            raise ValueError(f"{part.strip()!r} is not like 'Mon-Fri 08:00-18:00'")
        start, end = minutes(m["start"]), minutes(m["end"])
        if not 0 <= start < end <= 24 * 60:
            raise ValueError(f"{part.strip()!r}: the end must be after the start, within one day")
        for d in day_span(m["days"]):
            spans.append((d * 86400.0 + start * 60, d * 86400.0 + end * 60))
    return tuple(sorted(spans))


def _checked_open_hours(text: str) -> str:
    open_intervals(text)
    return text


def _checked_days(text: str) -> str:
    day_span(text)
    return text


OpenHoursText = Annotated[
    str,
    AfterValidator(_checked_open_hours),
    Field(description='weekly hours, e.g. "Mon-Fri 08:00-18:00; Sat 09:00-13:00"'),
]
DaySpan = Annotated[str, AfterValidator(_checked_days), Field(description="a day or a range: Mon, Mon-Fri, Sat-Sun")]


def _check_priority(value: Any, handler: Any) -> Any:
    """Specific messages for the usual mistakes, before the type check."""
    if value == "oldest":
        return handler(value)
    if not isinstance(value, list) or not value:
        raise PydanticCustomError(
            "priority", "must be a list of channels, most urgent first (e.g. [phone, chat, email]), or 'oldest'"
        )
    for ch in value:
        if ch not in CHANNELS and ch != "handoff":
            raise PydanticCustomError("priority", f"{ch!r} is not a channel; use {', '.join(CHANNELS)} or handoff")
    if len(set(value)) != len(value):
        raise PydanticCustomError("priority", "names a channel twice")
    return handler(value)


Priority = Annotated[
    Literal["oldest"] | list[Literal[(*CHANNELS, "handoff")]],  # type: ignore[valid-type]
    WrapValidator(_check_priority),
    Field(description="channels most urgent first ('handoff' names back-office work), or 'oldest' (first come)"),
]


def _24_or_48(values: list[float]) -> list[float]:
    if len(values) not in (24, 48):
        raise ValueError("must be a list of 24 hourly (or 48 half-hourly) rates per hour")
    return values


Profile = Annotated[
    list[Rate], AfterValidator(_24_or_48), Field(description="24 hourly or 48 half-hourly rates per hour")
]


class Exponential(Contract):
    dist: Literal["exponential"]
    mean_s: PositiveSeconds
    cv: float | None = Field(None, description="not allowed: an exponential distribution has cv 1")

    @field_validator("cv", mode="before")
    @classmethod
    def _no_cv(cls, value: Any) -> None:
        raise ValueError("an exponential distribution has cv 1; use lognormal for another cv")


class Lognormal(Contract):
    dist: Literal["lognormal"]
    mean_s: PositiveSeconds
    cv: Annotated[float, Field(gt=0.0, le=MAX_FACTOR, allow_inf_nan=False)] = 1.0


class Fixed(Contract):
    dist: Literal["fixed"]
    mean_s: Seconds
    cv: Annotated[float, Field(ge=0.0, le=MAX_FACTOR, allow_inf_nan=False)] = 1.0


class Empirical(Contract):
    dist: Literal["empirical"]
    values: list[Seconds] = Field(min_length=1, max_length=1_000_000, description="observed durations in seconds")
    mean_s: Seconds | None = None
    cv: float | None = None


Dist = Annotated[
    Exponential | Lognormal | Fixed | Empirical,
    Field(
        discriminator="dist", description="a duration in seconds: exponential, lognormal (mean_s, cv), fixed, empirical"
    ),
]


class Shift(Contract):
    days: DaySpan
    start: Clock
    end: Clock
    count: Agents

    @model_validator(mode="after")
    def _ordered(self) -> Shift:
        if not 0 <= minutes(self.start) < minutes(self.end) <= 24 * 60:
            raise ValueError("end must be after start, within one day")
        return self


class Team(Contract):
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["count"]}, {"required": ["shifts"]}]})
    team: Name
    channels: list[Channel] = Field(min_length=1, max_length=len(CHANNELS))
    count: Agents | None = Field(None, description="a fixed number of agents (or give shifts)")
    shifts: list[Shift] | None = Field(None, min_length=1, max_length=1_000)
    priority: Priority | None = None
    deferred_reserve: Annotated[int, Field(ge=0, le=MAX_AGENTS)] | None = None
    interrupt_deferred: bool | None = None
    profile: Name | None = Field(None, description="the agents' profile, for routing: matching")
    types: list[Name] | None = Field(
        None, min_length=1, max_length=10_000, description="demand types the team takes, most urgent first"
    )

    @model_validator(mode="after")
    def _count_or_shifts(self) -> Team:
        if (self.count is None) == (self.shifts is None):
            raise ValueError("give either count or shifts")
        return self


class Weekly(Contract):
    Mon: Profile
    Tue: Profile
    Wed: Profile
    Thu: Profile
    Fri: Profile
    Sat: Profile
    Sun: Profile


class Stream(Contract):
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": [k]} for k in ("rate_per_hour", "profile_per_hour", "by_weekday")]}
    )
    type: Name
    demand: Literal["value", "failure"] = "value"
    failure_type: FailureType | None = None
    channel: Channel
    rate_per_hour: Rate | None = None
    profile_per_hour: Profile | None = None
    by_weekday: Weekly | None = None
    handle: Dist
    resolve_p: Prob = 1.0
    needs: list[Name] = Field(default_factory=list, max_length=1_000, description="data fields (under data_fields)")

    @model_validator(mode="after")
    def _one_rate(self) -> Stream:
        given = [self.rate_per_hour, self.profile_per_hour, self.by_weekday]
        if sum(g is not None for g in given) != 1:
            raise ValueError("give exactly one of rate_per_hour, profile_per_hour, by_weekday")
        if self.demand == "value" and self.failure_type:
            raise ValueError("value demand has no failure type; drop failure_type or say demand: failure")
        return self


class Closed(Contract):
    return_p: Prob = Field(description="call again when the line opens (the storm at opening)")
    within_hours: Hours = Field(1.0, description="... spread evenly over this many hours after opening")
    elsewhere_p: Prob = Field(0.0, description="go to another channel instead (the rest are lost)")
    elsewhere_channel: Channel | None = Field(None, description="the channel they go to")
    elsewhere_delay: Dist | None = Field(None, description="how long after meeting the closed line")

    @model_validator(mode="after")
    def _shares(self) -> Closed:
        if self.return_p + self.elsewhere_p > 1.0 + 1e-9:
            raise ValueError(
                f"return_p {self.return_p:g} + elsewhere_p {self.elsewhere_p:g} is more than 1: "
                "they are shares of the same customers"
            )
        if self.elsewhere_p > 0 and (self.elsewhere_channel is None or self.elsewhere_delay is None):
            raise ValueError("elsewhere_p needs elsewhere_channel (e.g. email) and elsewhere_delay")
        return self


class CustomerWindow(Contract):
    share: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False, description="share of customers, > 0")]
    hours: OpenHoursText


class ContactWindows(Contract):
    """When customers can be reached: a callback attempted outside the customer's window fails."""

    customers: list[CustomerWindow] = Field(min_length=1, max_length=100)
    attempt_s: Seconds = Field(60.0, description="agent time of a callback that reaches nobody")

    @model_validator(mode="after")
    def _whole(self) -> ContactWindows:
        total = sum(w.share for w in self.customers)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the customers' shares add up to {total:g}, not 1")
        return self


class Redial(Contract):
    p: Prob
    delay: Dist


class Ivr(Contract):
    delay_s: Seconds = 0.0
    reauth_s: Seconds = 0.0
    exit_p: Prob = 0.0


class Recontact(Contract):
    p: Prob
    delay: Dist
    as_: FailureType = Field("progress_chasing", alias="as")
    handle_factor: Factor = 1.0
    channels: dict[Channel, dict[Channel, Prob]] | None = Field(
        None,
        description="where a recontact comes in, by the channel of the contact it follows: shares that "
        "sum to 1 (a channel not listed: the same channel)",
    )

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Recontact:
        for parent, row in (self.channels or {}).items():
            total = sum(row.values())
            if abs(total - 1.0) > 0.01:
                raise ValueError(f"channels.{parent}: the shares add up to {total:g}, not 1")
        return self


class Handoff(Contract):
    p: Prob
    team: Name
    handle: Dist
    resolve_p: Prob = 1.0


class Chase(Contract):
    p: Prob = 1.0
    delay: Dist | None = None


class Callback(Contract):
    p_promised: Prob
    p_made: Prob
    delay: Dist
    chase: Chase | None = None


class DataFieldSpec(Contract):
    available: bool
    handle_factor: Factor = 1.0
    resolve_p_add: Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)] = 0.0
    handle_factor_se: Annotated[float, Field(ge=0.0, le=MAX_FACTOR, allow_inf_nan=False)] = 0.0
    resolve_p_add_se: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.0


class Fit(Contract):
    """Written by ``flowkit calibrate``: how the baseline fitted its log (read, not used by the model)."""

    verdict: Any = None
    reproduces: Any = None
    tolerance: Any = None
    figures: Any = None
    log: Any = None


class ScenarioFile(Contract):
    """A flowkit scenario: one service centre, its demand, its people and its rules."""

    name: Name
    description: str | None = Field(None, description="free text for the reader")
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = Field(1, description="same seed, same result")
    horizon_hours: Annotated[float, Field(gt=0.0, le=MAX_HOURS, allow_inf_nan=False)] = Field(
        120.0, description="simulated hours after warm-up, at most five years"
    )
    warmup_hours: (
        Annotated[Hours | Literal["auto"], explained(f"must be hours (0 to {MAX_HOURS:,}) or auto, got {{got}}")] | None
    ) = Field(None, description="hours, or auto (from the failure loop)")
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = Field(
        20, description="independent runs behind each 95% CI, 1 to 1,000"
    )
    service_level_s: Seconds = Field(20.0, description="answered within this many seconds counts as in service level")
    open_hours: dict[Channel, OpenHoursText] | None = Field(
        None, description="channel -> weekly hours; always open if left out"
    )
    closed: Closed | None = Field(None, description="callers who meet a closed channel, and when they try again")
    agents: list[Team] = Field(min_length=1, max_length=1_000, description="teams, each a count or shifts")
    patience: Dist | None = Field(None, description="how long phone callers wait before hanging up")
    redial: Redial | None = Field(None, description="callers who hung up and call again")
    ivr: Ivr | None = None
    demand: list[Stream] = Field(min_length=1, max_length=10_000, description="demand streams")
    recontact: Recontact | None = Field(None, description="the failure-demand loop: unresolved contacts come back")
    handoff: Handoff | None = Field(None, description="contacts passed to a back-office team")
    callback: Callback | None = Field(None, description="callbacks promised to unresolved contacts")
    contact_windows: ContactWindows | None = Field(
        None, description="when customers can be reached by a callback; outside it the callback fails"
    )
    data_fields: dict[Name, DataFieldSpec] | None = Field(
        None, max_length=1_000, description="data available at the point of contact, and what it changes"
    )
    leaving: LeavingSpec | None = Field(None, description="customers who leave after contact k of a case")
    retelling: RetellingSpec | None = Field(None, description="the story told again on hand-offs and switches")
    tell_us_once: TellUsOnceSpec | None = Field(None, description="what-if: context carried, nothing told twice")
    priority: Priority | None = None
    priority_age_limit_hours: Hours | None = Field(None, description="deferred work this old jumps the queue")
    deferred_reserve: Annotated[int, Field(ge=0, le=MAX_AGENTS)] = Field(
        0, description="deferred work only while this many teammates stay idle"
    )
    interrupt_deferred: bool | None = Field(None, description="a call may pre-empt deferred work (default: true)")
    switch_cost_s: Seconds = Field(0.0, description="added to a deferred item each time it is resumed")
    routing: RoutingFile | None = Field(None, description="who answers: longest_idle, skills or matching")
    fit: Fit | None = None
