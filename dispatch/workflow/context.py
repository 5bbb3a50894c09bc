"""The workflow's vocabulary: the context an action is checked and applied in, and what it produced.

Plain data, shared by the guards, the effects, the table and the engine.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User

from requests_app.models import HelpRequest

from ..access import Actor, Role, Scope
from ..models import Assignment, ExtensionRequest


class TransitionError(Exception):
    """An action that is not allowed now, for this user, on this request. Nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnitScope(enum.StrEnum):
    """Which of the request's units a handler must belong to (dispatchers and supervisors are not scoped)."""

    LEAD = "lead"  # the active lead unit (主办)
    LEAD_OR_ASSIST = "lead_or_assist"  # the lead or an active assisting unit (协办)


@dataclass
class Context:
    """What the checks and effects need, read under the request's row lock."""

    help_request: HelpRequest
    actor: Actor
    now: dt.datetime
    scope: Scope
    lead: Assignment | None
    assists: list[Assignment]
    pending_extension: ExtensionRequest | None

    @property
    def roles(self) -> frozenset[Role]:
        return self.scope.roles

    @property
    def actor_unit_ids(self) -> frozenset[int]:
        return self.scope.unit_ids

    # The effects' view of the row the table's guards required: an action that
    # uses the lead, the pending extension or a staff user is refused without one.

    @property
    def lead_required(self) -> Assignment:
        assert self.lead is not None, "the guards require an active lead for this action"
        return self.lead

    @property
    def extension_required(self) -> ExtensionRequest:
        assert self.pending_extension is not None, "the guards require a pending extension for this action"
        return self.pending_extension

    @property
    def staff_user(self) -> User:
        assert isinstance(self.actor, User), "the guards grant this action to staff users only"
        return self.actor

    @property
    def lead_unit_ids(self) -> frozenset[int]:
        return frozenset([self.lead.unit_id]) if self.lead else frozenset()

    @property
    def assist_unit_ids(self) -> frozenset[int]:
        return frozenset(a.unit_id for a in self.assists)


@dataclass
class Outcome:
    """What an action's effect did to the request, for the save and the timeline event."""

    message: str
    fields: set[str] = field(default_factory=set)
    note: str = ""
    unit_name: str = ""
    is_public: bool | None = None  # None: the table's default
    data: dict[str, Any] = field(default_factory=dict)
