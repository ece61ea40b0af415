"""Analyse demand and flow: failure share, predictability, end-to-end time, one-stop, data use."""

from flowkit.analyse.capability import MIN_POINTS, XmR, xmr
from flowkit.analyse.datause import field_effects, field_usage
from flowkit.analyse.demand import (
    complete_week_count,
    failure_share,
    pareto,
    predictability,
    value_failure_links,
    volumes,
    weekly_by_type,
)
from flowkit.analyse.flow import (
    agent_hours,
    contacts_per_case,
    end_to_end,
    handoffs,
    identified,
    nth_contact_effect,
    one_stop,
)
from flowkit.analyse.service import SERVICE_LEVEL_S, phone_profile, phone_service

__all__ = [
    "MIN_POINTS",
    "SERVICE_LEVEL_S",
    "XmR",
    "agent_hours",
    "complete_week_count",
    "contacts_per_case",
    "end_to_end",
    "failure_share",
    "field_effects",
    "field_usage",
    "handoffs",
    "identified",
    "nth_contact_effect",
    "one_stop",
    "pareto",
    "phone_profile",
    "phone_service",
    "predictability",
    "value_failure_links",
    "volumes",
    "weekly_by_type",
    "xmr",
]
