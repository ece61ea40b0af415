"""When to call back, when to be open (issue 16, question 3): the log's answer in one call.

Shared by ``flowkit hours``, the report section and notebook 02: the opening hours (given or
inferred), attempts on a closed line, redials at opening, and - when the log records callback
promises and outbound calls - promises kept and the failure demand a missed one brings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from flowkit.analyse.callbacks import CallbackEffect, has_callbacks, missed_callback_effect, outbound
from flowkit.analyse.hours import ClosedLine, closed_line

__all__ = ["HoursAnswer", "answer_hours"]


@dataclass
class HoursAnswer:
    closed: ClosedLine
    callbacks: CallbackEffect | None
    callbacks_note: str
    options: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSVs ``flowkit hours`` writes, by file stem."""
        hours = pd.DataFrame(
            [
                {"channel": h.channel, "open_hours": h.text, "source": h.source, "note": h.note}
                for h in self.closed.hours.values()
            ]
        )
        out = {
            "opening_hours": hours,
            "closed_attempts": self.closed.attempts,
            "redials_at_opening": self.closed.redials,
        }
        if self.callbacks is not None:
            out["callbacks"] = self.callbacks.table
            e = self.callbacks.effect
            out["missed_callback_effect"] = pd.DataFrame(
                [
                    {
                        "promises": self.callbacks.promises,
                        "kept": self.callbacks.kept,
                        "kept_share": self.callbacks.kept_share[0],
                        "kept_ci_low": self.callbacks.kept_share[1],
                        "kept_ci_high": self.callbacks.kept_share[2],
                        "extra_failure": e.get("estimate"),
                        "ci_low": e.get("ci_low"),
                        "ci_high": e.get("ci_high"),
                        "naive": e.get("naive"),
                        "n_missed": e.get("n_missed"),
                        "n_kept": e.get("n_kept"),
                        "verdict": e.get("verdict"),
                        "rule": self.callbacks.rule,
                    }
                ]
            )
        return out


def answer_hours(
    c: pd.DataFrame,
    open_hours: dict[str, str] | None = None,
    within_hours: float = 2.0,
    callback_hours: float = 24.0,
    days: float = 7.0,
) -> HoursAnswer:
    """The closed-line and callback answers for classified contacts ``c``."""
    closed = closed_line(c, open_hours, within_hours)
    cb, note = None, ""
    if not has_callbacks(c):
        note = "the log records no callback promises (a callback_promised column)"
    elif outbound(c) is None:
        note = "the log records callback promises but not which contacts were outbound calls (a direction column)"
    else:
        cb = missed_callback_effect(c, callback_hours, days)
    opts = {"within_hours": within_hours, "callback_hours": callback_hours, "days": days}
    return HoursAnswer(closed, cb, note, opts)
