"""The shapes of a declarative procedure table, shared by the case procedure (cases/workflow.py)
and the referral procedure (referrals/workflow.py), so that both enforce and print the same way.

No database writes here or in the tables built from these types.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Actors of a step. Kelurahan roles are accounts.models.Role values; these pseudo-roles are
# resolved against the object at hand by the service that fires the step:
COMPANION = "companion"  # the case's assigned pendamping (the kelurahan's koordinator may too)
STAFF = "staff"  # kelurahan staff: kasi_kesra and lurah
AGENCY = "agency"  # an officer of the agency a referral is addressed to
SYSTEM = "system"  # done by the app itself (e.g. sending to an agency with users)


class TransitionRefused(Exception):  # noqa: N818 (the name the design uses)
    """A step refused: `reasons` are the guards' messages; nothing was written."""

    def __init__(self, reasons):
        self.reasons = [str(r) for r in reasons]
        super().__init__("; ".join(self.reasons))


# A guard looks at a context object (the case or referral, the actor, the submitted data) and
# returns the reasons it refuses, as translatable strings; an empty list lets the step go.
Guard = Callable[[Any], list]


@dataclass(frozen=True)
class Step:
    source: frozenset  # states the step may start from
    target: str | None  # None: the state does not change; "return": back to the stored state
    action: str  # URL slug and button name
    label: Any  # translatable label of the button and of the printed step
    roles: frozenset  # who may fire it (role codes and pseudo-roles above)
    guards: tuple = ()
    # The guard in words, for the printed procedure (Alur Penanganan), one string per guard.
    requires: tuple = ()
    # Names of the fields the step's form asks for (note, reason, ...).
    fields: tuple = ()
    # Key of the deadline clock this step answers (for the printed table), if any.
    clock: str | None = None


@dataclass(frozen=True)
class Clock:
    key: str
    label: Any
    starts: Any  # the start event, in words
    stops: Any  # the stop event, in words
    who: Any  # who must act, in words
    default_hours: int
    emergency_hours: int | None = None  # a shorter deadline for emergency cases, if any
    extra: dict = field(default_factory=dict)
