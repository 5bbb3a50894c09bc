"""The help request (求助件), its states and its ticket counter."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..crypto import EncryptedDecimalField, EncryptedTextField
from .catalog import Category, District


class TicketCounter(models.Model):
    """Per-day counter behind ticket numbers; bumped with one atomic upsert."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数")
        verbose_name_plural = pgettext_lazy("plural", "编号计数")

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class State(models.TextChoices):
    """Workflow states. The allowed moves between them live in dispatch.workflow."""

    SUBMITTED = "submitted", _("已提交")
    LISTED = "listed", _("已列单")
    HANDED_OVER = "handed_over", _("已交办")
    ACCEPTED = "accepted", _("办理中")
    RETURNED = "returned", _("已退回")
    RESOLVED = "resolved", _("已办结")
    REOPENED = "reopened", _("重办")
    CLOSED = "closed", _("已销号")
    INVALID = "invalid", _("无效")
    DUPLICATE = "duplicate", _("重复")


# State groups every figure, filter and rule uses (one definition, here):
# OPEN: someone must still act before the request is resolved.
OPEN_STATES = frozenset(
    {State.SUBMITTED, State.LISTED, State.HANDED_OVER, State.ACCEPTED, State.RETURNED, State.REOPENED}
)
# FINISHED: nobody needs to act any more (a missed promise stays on record).
FINISHED_STATES = frozenset({State.CLOSED, State.INVALID, State.DUPLICATE})
# The rest, listed (sorted, for stable migrations): a query written as `state IN (...)` can use
# the partial index below, one written as `NOT IN FINISHED` cannot.
NOT_FINISHED_STATES = tuple(sorted(set(State.values) - FINISHED_STATES))


def running_due_expression() -> models.Case:
    """The earliest running promise of a request nobody has finished, else NULL: "late" is this < now.

    One expression, so the planner estimates "late" from its own statistics (the
    expression index req_late_due_idx): written as `next_due_at < now AND state IN
    (...)`, the two dependent clauses were estimated at 1/40 of the late rows, and
    the list sorted every late request instead of walking an index (0.2 s at 1 M).
    """
    return models.Case(models.When(state__in=NOT_FINISHED_STATES, then=models.F("next_due_at")))


# "解决事项": resolved, whether closed out yet or not.
RESOLVED_STATES = frozenset({State.RESOLVED, State.CLOSED})


class Urgency(models.TextChoices):
    URGENT = "urgent", _("紧急")
    NORMAL = "normal", _("一般")


class RequestType(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class Source(models.TextChoices):
    """How the request reached the city: the web form, a call or a walk-in typed in by an operator, the API."""

    WEB = "web", pgettext_lazy("source", "网页")
    PHONE = "phone", pgettext_lazy("source", "电话")
    VISIT = "visit", pgettext_lazy("source", "来访")
    API = "api", pgettext_lazy("source", "接口")


class HelpRequest(models.Model):
    """A citizen's help request (求助件), identified publicly by its ticket number."""

    ticket_number = models.CharField(_("编号"), max_length=24, unique=True)
    # Idempotency key from the form: a double click or a resubmitted POST maps
    # to the same request instead of creating a second one.
    submit_token = models.UUIDField(_("提交令牌"), unique=True, null=True, blank=True, editable=False)

    # --- What the citizen submitted (never edited afterwards) ---
    category_claimed = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("市民所选类别")
    )
    urgency_claimed = models.CharField(_("市民所选紧急程度"), max_length=8, choices=Urgency.choices)
    district = models.ForeignKey(District, on_delete=models.PROTECT, verbose_name=_("所在区县(市)"))
    # Personal data is encrypted at rest (requests_app.crypto); the phone's
    # keyed hash keeps "find by phone" an indexed equality lookup.
    name = EncryptedTextField(_("姓名"))
    phone = EncryptedTextField(_("联系电话"))
    phone_hash = models.CharField(_("电话指纹"), max_length=64, db_index=True, editable=False, default="")
    address = EncryptedTextField(_("地址"), blank=True)
    # The exact point (WGS-84, ~0.1 m), personal data like the address: encrypted at
    # rest, staff only. Public outputs round it (public.coordinate_public);
    # anonymisation keeps only that.
    latitude = EncryptedDecimalField(_("纬度"), max_digits=8, decimal_places=6, null=True, blank=True)
    longitude = EncryptedDecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    title = models.CharField(_("标题"), max_length=60)
    content = models.TextField(_("求助内容"), max_length=2000)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.WEB)
    # 问政板: the citizen's consent to publish the request and its answer (off unless ticked at
    # intake). Withdrawn from the progress page; the timeline keeps both moments.
    publish_consent = models.BooleanField(_("同意公开"), default=False)
    publish_consent_at = models.DateTimeField(_("同意公开时间"), null=True, blank=True)

    # --- Triage (staff) ---
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("类别"))
    is_urgent = models.BooleanField(_("急"), default=False, help_text=_("紧急：3小时内落实解决"))
    tag_nan = models.BooleanField(_("难"), default=False)
    tag_chou = models.BooleanField(_("愁"), default=False)
    tag_pan = models.BooleanField(_("盼"), default=False)
    request_type = models.CharField(_("诉求类型"), max_length=16, choices=RequestType.choices, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates", verbose_name=_("重复于")
    )

    # --- Workflow ---
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.SUBMITTED)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    first_contact_at = models.DateTimeField(_("首次联系时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("匿名化时间"), null=True, blank=True)
    extensions_used = models.PositiveSmallIntegerField(_("已延期次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)

    # --- The clock, denormalised from the deadline rows (requests_app.clock keeps it) ---
    # The earliest running promise (neither met nor waived) and the earliest one the
    # sweep has flagged as missed: what the worklist sorts by and the 督办 queue lists.
    # Written only by `clock.request_clock_refresh`, in the transaction that changed
    # the deadlines, so they always equal what the deadline rows say.
    next_due_at = models.DateTimeField(_("下一个截止时间"), null=True, blank=True, editable=False)
    next_due_kind = models.CharField(_("下一个时限"), max_length=16, blank=True, default="", editable=False)
    missed_due_at = models.DateTimeField(_("最早超时的截止时间"), null=True, blank=True, editable=False)
    missed_kind = models.CharField(_("最早超时的时限"), max_length=16, blank=True, default="", editable=False)

    # --- The active lead unit, denormalised from the hand-overs (dispatch.workflow keeps it) ---
    # The dispatch.Unit id of the request's active lead assignment (主办), None before the
    # hand-over and after a return. A plain integer, not a foreign key: requests_app knows
    # nothing of dispatch. Written only by the workflow's hand-over and return, in the
    # transaction that changes the Assignment rows, so a handler's scope, the unit filter and
    # the dashboard's "late now" per unit are index scans on this table.
    lead_unit_id = models.IntegerField(_("主办单位编号"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("求助件")
        verbose_name_plural = pgettext_lazy("plural", "求助件")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="req_created_idx"),
            models.Index(fields=["state", "-created_at"], name="req_state_created_idx"),
            # 每月一题's repeat callers (dispatch.problems): an earlier request of the phone within 30 days.
            models.Index(fields=["phone_hash", "created_at"], name="req_phone_created_idx"),
            models.Index(fields=["district", "-created_at"], name="req_district_created_idx"),
            models.Index(fields=["category", "-created_at"], name="req_category_created_idx"),
            models.Index(fields=["escalated_at"], name="req_escalated_idx", condition=Q(escalated_at__isnull=False)),
            # Holds every column the public totals read (selectors.public_totals), so
            # counting a million requests is an index-only scan of a narrow index
            # instead of a scan of the wide table (≈2x faster at 1M rows).
            models.Index(fields=["state", "is_urgent", "tag_nan", "tag_chou", "tag_pan", "id"], name="req_totals_idx"),
            # The worklist's sorts: admin appends the default order (-created_at, -id) to the
            # clicked column in either direction, so each sortable column has an index per
            # direction ending in -created_at (the ascending ones of state, district and
            # category are above). next_due_at also serves the "late" filter (< now).
            models.Index(fields=["next_due_at", "-created_at"], name="req_next_due_idx"),
            models.Index(fields=["-next_due_at", "-created_at"], name="req_next_due_desc_idx"),
            models.Index(fields=["-state", "-created_at"], name="req_state_desc_idx"),
            models.Index(fields=["-district", "-created_at"], name="req_district_desc_idx"),
            models.Index(fields=["-category", "-created_at"], name="req_category_desc_idx"),
            models.Index(fields=["is_urgent", "-created_at"], name="req_urgent_created_idx"),
            models.Index(fields=["-is_urgent", "-created_at"], name="req_urgent_desc_idx"),
            # "Late now" (the late filter, the dashboard): a running promise past due on a request
            # not finished; a few per cent of the table, so a small index on a small heap set.
            models.Index(
                fields=["next_due_at"],
                name="req_active_due_idx",
                condition=Q(state__in=NOT_FINISHED_STATES),
            ),
            # "Late now" as one expression (running_due_expression): its statistics give the
            # planner the true number of late requests; the included columns let the capped
            # count read the index alone.
            models.Index(
                running_due_expression(),
                name="req_late_due_idx",
                include=["state", "next_due_at", "id"],
            ),
            # The 督办 queue: requests with a flagged, still running promise, longest late first.
            models.Index(
                fields=["missed_due_at", "id"], name="req_missed_due_idx", condition=Q(missed_due_at__isnull=False)
            ),
            # The late filter in the list's default order: the open requests, newest first (the
            # late ones are all old: the page stops early instead of sorting every late row).
            models.Index(
                fields=["-created_at", "-id"],
                include=["next_due_at"],
                name="req_open_created_idx",
                condition=Q(state__in=NOT_FINISHED_STATES),
            ),
            # 难/愁/盼 and the request type: a few per cent of the table each, so the capped
            # count and the page are index scans instead of a walk of the whole table.
            models.Index(fields=["-created_at", "-id"], name="req_nan_created_idx", condition=Q(tag_nan=True)),
            models.Index(fields=["-created_at", "-id"], name="req_chou_created_idx", condition=Q(tag_chou=True)),
            models.Index(fields=["-created_at", "-id"], name="req_pan_created_idx", condition=Q(tag_pan=True)),
            models.Index(fields=["request_type", "-created_at"], name="req_type_created_idx"),
            # A unit's requests as lead (a handler's list, the unit filter), newest first, and its
            # open ones by due time (the dashboard's "late now" per unit, read from the index).
            models.Index(fields=["lead_unit_id", "-created_at"], name="req_lead_created_idx"),
            # A unit's requests follow its districts and channels, so walking the global
            # district/channel sort index for one unit's rows reads most of the table first
            # (0.9 s at 1 M); these serve a handler's district and channel sorts, each direction.
            models.Index(fields=["lead_unit_id", "district", "-created_at"], name="req_lead_district_idx"),
            models.Index(fields=["lead_unit_id", "-district", "-created_at"], name="req_lead_district_desc_idx"),
            models.Index(fields=["lead_unit_id", "category", "-created_at"], name="req_lead_category_idx"),
            models.Index(fields=["lead_unit_id", "-category", "-created_at"], name="req_lead_category_desc_idx"),
            models.Index(
                fields=["lead_unit_id", "next_due_at"],
                name="req_lead_active_due_idx",
                condition=Q(state__in=NOT_FINISHED_STATES),
            ),
            # A handler's filters: a unit's requests follow its channels, so a global filter
            # index walked for one unit's rows reads them all when the unit has none of that
            # kind (a request-type filter took 2.8 s at 5 M). Handed-over requests only, so a
            # submission writes none of these.
            *(
                models.Index(
                    fields=["lead_unit_id", column, "-created_at"],
                    name=f"req_lead_{column.removeprefix('is_').removeprefix('request_')}_idx",
                    condition=Q(lead_unit_id__isnull=False),
                )
                for column in ("request_type", "source", "is_urgent", "state")
            ),
            *(
                models.Index(
                    fields=["lead_unit_id", "-created_at"],
                    name=f"req_lead_{tag}_idx",
                    condition=Q(lead_unit_id__isnull=False, **{tag: True}),
                )
                for tag in ("tag_nan", "tag_chou", "tag_pan")
            ),
            # A handler's "late" and the dashboard's "late now" per unit: a unit's requests by
            # running_due_expression.
            models.Index(
                models.F("lead_unit_id"),
                running_due_expression(),
                name="req_lead_late_due_idx",
                # The dashboard's "late now" per unit counts from the index alone.
                include=["state", "next_due_at"],
                condition=Q(lead_unit_id__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=State.values), name="req_state_valid"),
            models.CheckConstraint(condition=Q(urgency_claimed__in=Urgency.values), name="req_urgency_valid"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="req_source_valid"),
            models.CheckConstraint(
                condition=Q(request_type="") | Q(request_type__in=RequestType.values), name="req_type_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state=State.DUPLICATE) | Q(duplicate_of__isnull=False),
                name="req_duplicate_has_main",
            ),
            # A point has both coordinates or none. They are ciphertext, so their range is
            # checked where they come in: HelpRequestForm (the web form and Open311) holds them to the city's box.
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="req_location_valid",
            ),
            models.CheckConstraint(
                condition=Q(publish_consent=False) | Q(publish_consent_at__isnull=False),
                name="req_consent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.ticket_number

    @property
    def is_open(self) -> bool:
        return self.state not in FINISHED_STATES
