"""Analyse demand and flow: failure share, predictability, end-to-end time, one-stop, data use."""

from flowkit.analyse.capability import MIN_POINTS, XmR, xmr
from flowkit.analyse.datause import field_effects, field_usage
from flowkit.analyse.demand import complete_week_count, failure_share, pareto, predictability, value_failure_links, volumes, weekly_by_type
from flowkit.analyse.flow import (agent_hours, contacts_per_case, end_to_end, handoffs, identified, nth_contact_effect,
                                  one_stop)
from flowkit.analyse.service import SERVICE_LEVEL_S, phone_profile, phone_service

__all__ = ["MIN_POINTS", "XmR", "xmr", "failure_share", "volumes", "pareto", "value_failure_links", "weekly_by_type",
           "predictability", "end_to_end", "one_stop", "contacts_per_case", "handoffs", "nth_contact_effect",
           "agent_hours", "field_usage", "field_effects", "identified", "phone_service", "phone_profile",
           "SERVICE_LEVEL_S", "complete_week_count"]
