"""The citizen side's data: channels, districts, the help request, its clock and its timeline.

Invariants:
- A request's citizen-submitted fields (name, phone, address, title, content,
  urgency_claimed, category_claimed) are written once, at submission.
- The timeline (`Event`) is append-only: events are never edited or deleted.
- `state` changes only through `dispatch.workflow` (the one transition table);
  the only state this app ever writes is the initial SUBMITTED.
- Times are stored in UTC and shown in Asia/Shanghai.

The models live in one module per part (catalog, request, clock, timeline,
attachments, open311, publication); this package re-exports them, so `requests_app.models.X`
keeps working for callers and migrations (0004 names `private_storage` and
`_attachment_path` here).
"""

from .attachments import Attachment, PrivateMediaStorage, _attachment_path, private_storage
from .catalog import Category, District
from .clock import Deadline, DeadlineQuerySet
from .open311 import ApiClient, ApiSubmission, WebhookDelivery
from .publication import Publication
from .request import (
    FINISHED_STATES,
    NOT_FINISHED_STATES,
    OPEN_STATES,
    RESOLVED_STATES,
    HelpRequest,
    RequestType,
    Source,
    State,
    TicketCounter,
    Urgency,
    running_due_expression,
)
from .timeline import Event, Feedback

__all__ = [
    "ApiClient",
    "ApiSubmission",
    "Attachment",
    "Category",
    "Deadline",
    "DeadlineQuerySet",
    "District",
    "Event",
    "FINISHED_STATES",
    "NOT_FINISHED_STATES",
    "running_due_expression",
    "Feedback",
    "HelpRequest",
    "OPEN_STATES",
    "PrivateMediaStorage",
    "Publication",
    "RESOLVED_STATES",
    "RequestType",
    "Source",
    "State",
    "TicketCounter",
    "Urgency",
    "WebhookDelivery",
    "_attachment_path",
    "private_storage",
]
