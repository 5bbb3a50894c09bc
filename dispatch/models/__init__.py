"""The back office's data: the units requests are handed to, who works in them, and hand-overs.

Invariants:
- A request has at most one active lead assignment (主办) at a time; assisting
  units (协办) may be several.
- Units are never deleted once used (PROTECT), so history keeps its meaning;
  switch `is_active` off instead.
"""

from ..surges.models import Surge as Surge
from ..surges.models import SurgeMember as SurgeMember
from .core import Assignment as Assignment
from .core import AssignmentQuerySet as AssignmentQuerySet
from .core import ClockRun as ClockRun
from .core import ContactAccess as ContactAccess
from .core import ExtensionRequest as ExtensionRequest
from .core import LateRequest as LateRequest
from .core import Notification as Notification
from .core import ReportExport as ReportExport
from .core import Unit as Unit
from .core import UnitMembership as UnitMembership
from .rollups import ProblemDayCell as ProblemDayCell
from .rollups import SourceDayCell as SourceDayCell
from .rollups import StatsCell as StatsCell
from .rollups import StatsDay as StatsDay
from .rollups import UnitDayCell as UnitDayCell
from .routing import ResponsibilityRule as ResponsibilityRule
from .routing import RoutingRecord as RoutingRecord
