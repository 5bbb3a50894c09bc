"""Writes of surges: detect them (beat and `manage.py detect_surges`); handling one is `handling.py`.

`surges_detect` is idempotent: a request joins at most one surge (a unique
row), a group that shares members with a surge, or reads like it, makes it
grow instead of flagging a second one, and supervisors are told through the
outbox only when a surge is first flagged. Two runs at once cannot both flag
the same requests: the second one's member rows collide and its transaction
for that district and channel rolls back.

Never log the texts read here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from requests_app.models import HelpRequest, State

from .. import notifications
from ..joins import joins_of
from ..models import Notification
from ..similar import CONTENT_HEAD
from ..similar import THRESHOLD as SIMILARITY_THRESHOLD
from ..textsim import Probe
from .models import Surge, SurgeMember
from .rule import Group, Item, Rule, Verdict, cell_label, cell_of, cells_near, groups_of, past_alike

logger = logging.getLogger(__name__)

Key = tuple[int, int]  # (district id, channel id)


def rule_from_settings() -> Rule:
    return Rule(
        window_seconds=settings.SURGE_WINDOW_SECONDS,
        weeks=settings.SURGE_BASELINE_WEEKS,
        threshold=settings.SURGE_THRESHOLD,
        min_size=settings.SURGE_MIN_SIZE,
        floor=settings.SURGE_BASELINE_FLOOR,
    )


@dataclass
class DetectResult:
    requests: int = 0  # requests in the window
    keys: int = 0  # districts × channels grouped
    flagged: list[int] = field(default_factory=list)  # new surges
    grown: list[int] = field(default_factory=list)  # surges that gained members


def _past_items(*, keys: set[Key], now: dt.datetime, rule: Rule) -> dict[Key, list[Item]]:
    """The requests of these districts and channels in the same window of each of the last `rule.weeks` weeks.

    One query over `rule.weeks` index ranges of `created_at`; a group's baseline
    counts those among them that read like it (`_baseline_count`).
    """
    window = dt.timedelta(seconds=rule.window_seconds)
    spans = Q()
    for week in range(1, rule.weeks + 1):
        end = now - dt.timedelta(weeks=week)
        spans |= Q(created_at__gt=end - window, created_at__lte=end)
    rows = (
        HelpRequest.objects.filter(spans, district_id__in={k[0] for k in keys})
        .exclude(state=State.INVALID)
        .annotate(head=Left("content", CONTENT_HEAD))
        .values_list("pk", "district_id", "category_claimed_id", "latitude", "longitude", "title", "head", "created_at")
    )
    past: dict[Key, list[Item]] = defaultdict(list)
    week_seconds = dt.timedelta(weeks=1).total_seconds()
    wanted = [row for row in rows if (row[1], row[2]) in keys]
    joins = joins_of(
        request_ids=[row[0] for row in wanted], since=now - dt.timedelta(weeks=rule.weeks) - window, until=now
    )
    for pk, district_id, channel_id, lat, lon, title, head, created_at in wanted:
        offset = (now - created_at).total_seconds() % week_seconds  # before the end of its week's window
        past[(district_id, channel_id)].append(
            Item(
                pk=pk,
                title=title,
                head=head,
                cell=cell_of(lat, lon),
                age=offset,
                joins=_past_join_offsets(joins.get(pk, []), now=now, rule=rule),
            )
        )
    return past


def _past_join_offsets(times: list[dt.datetime], *, now: dt.datetime, rule: Rule) -> tuple[float, ...]:
    """The joins that fell inside one of the past weeks' windows, as offsets before that window's end."""
    week = dt.timedelta(weeks=1).total_seconds()
    offsets = []
    for at in times:
        before = (now - at).total_seconds()
        weeks_back, offset = divmod(before, week)
        if 1 <= weeks_back <= rule.weeks and offset < rule.window_seconds:
            offsets.append(offset)
    return tuple(offsets)


def _judge(*, group: Group, members: list[Item], past: list[Item], rule: Rule) -> Verdict:
    """The rule for `members` (the group, or a surge's members in the window) against the past
    weeks' requests of the key that read like the group (and lie near it)."""
    return rule.judge(
        ages=[m.age for m in members],
        join_ages=[a for m in members for a in m.joins],
        past=past_alike(
            cell=group.cell, members=members, past=past, threshold=SIMILARITY_THRESHOLD, scales=rule.scales
        ),
    )


def window_items(*, since: dt.datetime, now: dt.datetime) -> dict[Key, list[Item]]:
    """The window's requests per district and channel, oldest first, with their joins in the window."""
    rows = (
        HelpRequest.objects.filter(created_at__gt=since, created_at__lte=now)
        .exclude(state=State.INVALID)
        .annotate(head=Left("content", CONTENT_HEAD))
        .order_by("created_at", "id")
        .values_list("pk", "district_id", "category_claimed_id", "latitude", "longitude", "title", "head", "created_at")
    )
    by_key: dict[Key, list[Item]] = defaultdict(list)
    for pk, district_id, channel_id, lat, lon, title, head, created_at in rows:
        by_key[(district_id, channel_id)].append(
            Item(pk=pk, title=title, head=head, cell=cell_of(lat, lon), age=(now - created_at).total_seconds())
        )
    # Joins (我也遇到) made in the window on the window's requests count like members (rule.py).
    joins = joins_of(request_ids=[i.pk for v in by_key.values() for i in v], since=since, until=now)
    if joins:
        for key, items in by_key.items():
            by_key[key] = [
                replace(i, joins=tuple((now - at).total_seconds() for at in joins[i.pk])) if i.pk in joins else i
                for i in items
            ]
    return by_key


def surges_detect(*, now: dt.datetime | None = None, rule: Rule | None = None) -> DetectResult:
    """Group the window's requests and flag or grow surges. Idempotent: safe to run at any time, twice."""
    now = now or timezone.now()
    rule = rule or rule_from_settings()
    since = now - dt.timedelta(seconds=rule.window_seconds)
    result = DetectResult()
    by_key = window_items(since=since, now=now)
    result.requests = sum(len(v) for v in by_key.values())
    # Surges still active may grow with any group; other keys matter only if they could flag.
    active = list(
        Surge.objects.filter(last_at__gt=since).select_related("district", "category").order_by("detected_at", "id")
    )
    active_by_key: dict[Key, list[Surge]] = defaultdict(list)
    for surge in active:
        active_by_key[(surge.district_id, surge.category_id)].append(surge)
    # A key with fewer requests than the minimum cannot flag; surges still active may grow with any group.
    wanted = {k for k, items in by_key.items() if len(items) + sum(len(i.joins) for i in items) >= rule.min_size} | (
        set(active_by_key) & set(by_key)
    )
    result.keys = len(wanted)
    if not wanted:
        return result
    window_pks = [i.pk for k in wanted for i in by_key[k]]
    member_of = dict(SurgeMember.objects.filter(request_id__in=window_pks).values_list("request_id", "surge_id"))
    past = _past_items(keys=wanted, now=now, rule=rule)
    for key in sorted(wanted):
        try:
            with transaction.atomic():
                _detect_key(
                    key=key,
                    items=by_key[key],
                    surges=active_by_key.get(key, []),
                    member_of=member_of,
                    past=past.get(key, []),
                    rule=rule,
                    now=now,
                    result=result,
                )
        except IntegrityError:  # another run flagged these requests first: it has them
            logger.info("Surge detection for district %s channel %s raced another run; skipped", *key)
    return result


def _surge_probe(surge: Surge, cache: dict[int, Probe]) -> Probe:
    if surge.pk not in cache:
        first = (
            HelpRequest.objects.filter(surge_membership__surge=surge)
            .annotate(head=Left("content", CONTENT_HEAD))
            .order_by("created_at", "id")
            .values_list("title", "head")
            .first()
        )
        cache[surge.pk] = Probe.of(*(first or ("", "")))
    return cache[surge.pk]


def _detect_key(
    *,
    key: Key,
    items: list[Item],
    surges: list[Surge],
    member_of: dict[int, int],
    past: list[Item],
    rule: Rule,
    now: dt.datetime,
    result: DetectResult,
) -> None:
    by_id = {s.pk: s for s in surges}
    probes: dict[int, Probe] = {}
    for group in groups_of(items, threshold=SIMILARITY_THRESHOLD):
        known = [member_of[pk] for pk in group.pks if pk in member_of and member_of[pk] in by_id]
        surge = by_id[known[0]] if known else None
        if surge is None:
            surge = next(
                (
                    s
                    for s in surges
                    if cells_near(_cell(s.cell), group.cell)
                    and _surge_probe(s, probes).similarity(group.leader.title, group.leader.head)
                    >= SIMILARITY_THRESHOLD
                ),
                None,
            )
        new = [pk for pk in group.pks if pk not in member_of]
        if surge is not None:
            members = [i for i in items if i.pk in set(new) or member_of.get(i.pk) == surge.pk]
            if new or any(m.joins for m in members):
                verdict = _judge(group=group, members=members, past=past, rule=rule)
                _grow(surge=surge, new=new, member_of=member_of, verdict=verdict, now=now)
                if new:
                    result.grown.append(surge.pk)
            continue
        if len(new) < len(group.pks) or group.size < rule.min_size:
            continue  # members of an older, inactive surge, or too few
        verdict = _judge(group=group, members=group.members, past=past, rule=rule)
        if not verdict.flagged:
            continue  # as many as usual
        surge = _flag(key=key, group=group, verdict=verdict, rule=rule, now=now)
        for pk in group.pks:
            member_of[pk] = surge.pk
        by_id[surge.pk] = surge
        surges.append(surge)
        result.flagged.append(surge.pk)


def _cell(label: str) -> tuple[int, int] | None:
    if not label:
        return None
    lat, lon = label.split(",")
    return cell_of(lat, lon)  # type: ignore[arg-type]  # Decimal accepts the label's strings


def _created_range(pks: list[int]) -> tuple[dt.datetime, dt.datetime]:
    times = HelpRequest.objects.filter(pk__in=pks).values_list("created_at", flat=True)
    return min(times), max(times)


def _flag(*, key: Key, group: Group, verdict: Verdict, rule: Rule, now: dt.datetime) -> Surge:
    first_at, last_at = _created_range(group.pks)
    surge = Surge.objects.create(
        district_id=key[0],
        category_id=key[1],
        cell=cell_label(group.cell),
        first_at=first_at,
        last_at=last_at,
        window_seconds=verdict.seconds,
        observed=verdict.n - verdict.joins,
        joins=verdict.joins,
        baseline=verdict.rate,
        baseline_weeks=rule.weeks,
        tail_probability=verdict.tail,
        threshold=rule.threshold,
        detected_at=now,
        updated_at=now,
        notified_at=now,
    )
    SurgeMember.objects.bulk_create([SurgeMember(surge=surge, request_id=pk, added_at=now) for pk in group.pks])
    surge = Surge.objects.select_related("district", "category").get(pk=surge.pk)
    _notify_supervisors(surge=surge, title=group.leader.title, now=now)
    return surge


def _grow(*, surge: Surge, new: list[int], member_of: dict[int, int], verdict: Verdict, now: dt.datetime) -> None:
    """Add the new members; keep the numbers of the most improbable window so far (joins alone may lower it)."""
    fields = []
    if new:
        SurgeMember.objects.bulk_create([SurgeMember(surge=surge, request_id=pk, added_at=now) for pk in new])
        for pk in new:
            member_of[pk] = surge.pk
        _, last_at = _created_range(new)
        surge.last_at = max(surge.last_at, last_at)
        surge.updated_at = now
        fields += ["last_at", "updated_at"]
    # The rule's numbers are those of the surge's most improbable window so far.
    if verdict.n > 0 and verdict.tail < surge.tail_probability:
        surge.observed, surge.joins, surge.window_seconds = verdict.n - verdict.joins, verdict.joins, verdict.seconds
        surge.baseline, surge.tail_probability = verdict.rate, verdict.tail
        fields += ["observed", "joins", "window_seconds", "baseline", "tail_probability"]
    if new and surge.state == Surge.State.MERGED:  # new members wait for the supervisor to merge them too
        surge.state = Surge.State.OPEN
        fields.append("state")
    if fields:
        surge.save(update_fields=fields)


def _notify_supervisors(*, surge: Surge, title: str, now: dt.datetime) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        summary = surge.summary
        body = gettext(
            "未诉先办：%(summary)s（尾概率 %(p).1e，阈值 %(threshold).0e）。代表诉求：「%(title)s」。请到工作台处置：%(url)s"
        ) % {
            "summary": summary,
            "p": surge.tail_probability,
            "threshold": surge.threshold,
            "title": title,
            "url": reverse("admin:dispatch_surge_change", args=[surge.pk]),
        }
        subject = gettext("【未诉先办】%(summary)s") % {"summary": summary}
    notifications.notifications_queue(
        messages=[
            notifications.Message(
                channel=Notification.Channel.EMAIL,
                recipients=notifications.supervisor_emails(),
                subject=subject,
                body=body,
                kind=Notification.Kind.SURGE,
            )
        ],
        now=now,
    )
