"""Calibrate a scenario from a contact log, so the what-ifs start from the service as it is.

Every number is measured once, from what the log holds, and a number the log cannot give
is an error or a stated assumption, never a silent default:
- **arrivals** per demand stream, per weekday x 30 minutes, over all contacts offered, less
  the repeats the model makes itself (redials; recontacts when the log says what was
  resolved), taken out half hour by half hour from the streams the logged repeats belong to;
  repeat shares are measured on identified customers only (placeholder ids such as 0 are
  not one customer), and calls to a closed line stay as logged;
- **handle time** per stream from answered contacts, empirical (or lognormal when few); a
  channel with no handle times cannot be calibrated (``FlowkitError``), it is not assumed;
- **resolution and the failure-demand loop**, counted once: with a resolution flag,
  ``resolve_p`` from it and ``recontact.p`` = unresolved contacts followed by another within
  the case window; without one, no loop (a repeat cannot be told from a new need) and it says so;
- **abandonment**: IVR-only exits (gave up with no queue time) apart from queue abandonment;
  patience fitted to queued callers' waits as censored data (answered = censored), by
  lifelines, exponential or lognormal, whichever fits better (AIC); redial after giving up;
- **agents on duty** per weekday x 30 minutes from busy intervals: each agent's service
  intervals, joined across idle gaps up to ``idle_gap_s`` while nobody waited (a gap while
  callers waited is a break or wrap-up), so occupancy and (apparent) shrinkage are stated;
- **closed line**: calls to a closed line are not in a log; ``closed_return_p`` is an explicit
  parameter (default 0: callers who came back are already among the logged arrivals);
- data-field effects from the observational ``data_used`` estimate, where recorded
  (``_data_fields``, kept separate).
The result is a scenario file with comments saying where each number came from.

Modules, one idea each: :mod:`.estimate` (the orchestration), :mod:`.identities`,
:mod:`.profiles`, :mod:`.staffing`, :mod:`.repeats`, :mod:`.demand`, :mod:`.durations`,
:mod:`.patience`, and :mod:`.result` (the commented scenario YAML).
"""

from flowkit.sim.calibrate.estimate import calibrate, untimed_channels, without_left_out
from flowkit.sim.calibrate.identities import placeholder_customers
from flowkit.sim.calibrate.result import Calibration, save, write_scenario
from flowkit.sim.calibrate.staffing import agents_on_duty

__all__ = [
    "Calibration",
    "agents_on_duty",
    "calibrate",
    "placeholder_customers",
    "save",
    "untimed_channels",
    "without_left_out",
    "write_scenario",
]
