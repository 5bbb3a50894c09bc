"""Surge detection (未诉先办): is a burst flagged in time, how many false surges on quiet days, what a run costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/yibang_bench_surge \\
        .venv/bin/python bench/surge_bench.py [--per-day 3000] [--days 30] [--trials 20] [--filler 0]

Drops and recreates the database named in DATABASE_URL (it must contain
"bench"), migrates it, and loads a synthetic city with COPY:

- background: `--per-day` requests a day (default 3,000, roughly a large
  city's 12345 online share) over `weeks + days` days, as a Poisson process
  per district × channel × hour: districts and channels weighted unevenly
  (金水区 and 民生 busiest), a day curve (quiet at night, peaks at 10:00 and
  15:00 local time), weekends at 75 %. Texts are drawn from 6-8 common
  problems per channel with a street name, so similar requests meet by chance
  every day (the hard case for a grouping by similarity); 30 % carry a point;
- `--filler` older requests before all that (same rate, further back), to
  measure one run on a large table (e.g. 5,000,000).

Then it measures, with the portal's settings (interval, window, weeks,
threshold, minimum size, floor):

1. replay: `surges_detect(now=t)` at every interval of the last `--days` days
   (nothing injected), counting surges flagged per local day: all are false;
2. bursts: `--trials` times, 15 requests about one water cut, phrased
   differently by each citizen, within 10 minutes at a random time, district
   and channel of the background (and the busiest district × channel at its
   peak hour), detection run at each beat tick; records after how many ticks
   from the burst's start the surge is flagged. The burst and its surge are
   removed after each trial;
3. cost: the replay's run times (median, p95, max), and the EXPLAIN of the
   baseline query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ["CELERY_BROKER_URL"] = "memory://"

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Relative volume by local hour 0..23.
HOURS = [
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.5,
    1.0,
    2.0,
    3.0,
    3.4,
    3.0,
    2.0,
    2.0,
    2.8,
    3.2,
    3.0,
    2.6,
    1.8,
    1.6,
    1.5,
    1.2,
    0.8,
    0.4,
]
DISTRICT_WEIGHTS = {
    "jinshui": 10, "zhongyuan": 7, "erqi": 7, "guancheng": 5, "zhengdong": 6, "gaoxin": 4, "jingkai": 4,
    "huiji": 3, "xinzheng": 3, "zhongmou": 2, "xingyang": 2, "gongyi": 2, "xinmi": 2, "dengfeng": 1.5,
    "hangkonggang": 3, "shangjie": 1,
}  # fmt: skip
CATEGORY_WEIGHTS = {
    "minsheng": 40, "jiaotong": 15, "jiaoyu": 10, "yiliao": 10, "xiaofei": 10, "zhengwu": 10,
    "yiqing-zhengce": 1, "jiaotong-chuxing": 1, "xunyi-maiyao": 1, "xuesheng-jiaoyu": 1, "shipin-gongying": 1,
    "jiankangma": 1,
}  # fmt: skip
STREETS = [
    "金水路",
    "中原路",
    "建设路",
    "农业路",
    "花园路",
    "紫荆山路",
    "文化路",
    "经三路",
    "大学路",
    "航海路",
    "嵩山路",
    "桐柏路",
]
TOPICS = {
    "minsheng": [
        ("{s}小区停水", "{s}小区今天停水了，没有接到通知，什么时候恢复？"),
        ("{s}小区停电", "{s}附近小区晚上突然停电，冰箱里的东西都坏了。"),
        ("暖气不热", "{s}小区暖气温度只有十几度，家里有老人孩子，请协调供暖公司。"),
        ("垃圾清运不及时", "{s}小区垃圾桶满了好几天没人清运，气味很大。"),
        ("噪音扰民", "{s}楼下饭店排风扇整夜运转，噪音太大无法休息。"),
        ("物业不作为", "{s}小区物业收费不管事，电梯坏了一周没人修。"),
        ("燃气异味", "{s}小区楼道里有燃气味，担心泄漏，请尽快检查。"),
        ("下水道堵塞", "{s}小区下水道堵了，污水漫到路面上。"),
    ],
    "jiaotong": [
        ("路灯不亮", "{s}北段的路灯连续一周晚上不亮，行人过马路很危险。"),
        ("红绿灯故障", "{s}路口红绿灯一直闪黄灯，早高峰很堵。"),
        ("公交车不按站停", "经过{s}的公交车经常不进站，等车很久。"),
        ("道路坑洼", "{s}路面有个大坑，电动车容易摔倒。"),
        ("乱停车", "{s}人行道上停满汽车，行人只能走机动车道。"),
        ("地铁站出口封闭", "{s}地铁站B出口封闭很久了，什么时候开放？"),
    ],
    "jiaoyu": [
        ("入学咨询", "孩子户口在{s}，今年上小学该去哪个学校报名？"),
        ("课外培训退费", "{s}一家培训机构关门了，预交的学费退不回来。"),
        ("校门口拥堵", "{s}小学门口接送孩子的车太多，很不安全。"),
        ("学校收费", "{s}中学要求统一购买校服和资料，价格偏高。"),
        ("幼儿园学位", "{s}附近公办幼儿园学位不够，排不上。"),
        ("校车安全", "{s}一带接送学生的车辆超载。"),
    ],
    "yiliao": [
        ("医保报销", "在{s}医院看病，医保报销比例和说明不一样。"),
        ("挂号难", "{s}医院专家号一直挂不上，线上总是约满。"),
        ("药店药价", "{s}药店同一种药比别处贵很多。"),
        ("社区医院", "{s}社区卫生服务中心周末不开门。"),
        ("疫苗预约", "{s}社区的疫苗预约不上，想问什么时候有。"),
        ("医院停车", "{s}医院门口停车太难，排队一小时。"),
    ],
    "xiaofei": [
        ("商家拒绝退货", "在{s}商场买的衣服有质量问题，商家拒绝退货。"),
        ("预付卡跑路", "{s}健身房突然关门，会员卡里的钱退不了。"),
        ("外卖食品安全", "{s}一家外卖店的饭菜里吃出异物。"),
        ("价格欺诈", "{s}超市标价和结账价格不一样。"),
        ("快递丢件", "寄到{s}的快递显示签收但没收到。"),
        ("网购纠纷", "网购的家电送到{s}后是坏的，客服不处理。"),
    ],
    "zhengwu": [
        ("办事难", "在{s}政务服务中心办营业执照，来回跑了三趟。"),
        ("社保转移", "社保从外地转到郑州，{s}社保所说材料不全。"),
        ("公积金提取", "在{s}办理公积金提取，网上一直审核不通过。"),
        ("户口迁移", "想把户口迁到{s}，需要哪些材料？"),
        ("不动产登记", "{s}的房子办不动产证排队太久。"),
        ("政策咨询", "想咨询{s}街道的创业补贴政策。"),
    ],
}
EMERGENCY = [
    ("健康码异常", "在{s}一直是黄码，已经做了核酸，怎么还不转绿？"),
    ("买药困难", "{s}附近药店买不到常用药，老人需要长期服用。"),
    ("物资供应", "{s}小区封控后买菜困难，团购送不进来。"),
    ("出行证明", "从{s}去医院复查需要什么证明？"),
    ("网课问题", "{s}学校网课平台经常卡顿，孩子跟不上。"),
    ("核酸点排队", "{s}核酸检测点排队太长，能否增加采样点？"),
]
# One water cut, as fifteen citizens describe it.
BURST = [
    ("{s}停水了", "{s}一带从中午开始停水，到现在还没来水，也没有看到停水通知。"),
    ("家里没水", "住在{s}，今天突然没水了，做饭洗漱都不行，请问什么时候恢复供水？"),
    ("突然停水", "{s}附近突然停水，问物业说是市政管道的问题，请尽快抢修。"),
    ("停水没有通知", "{s}这边停水没有任何通知，老人孩子在家很不方便。"),
    ("{s}小区停水", "我们{s}小区全楼停水好几个小时了，供水公司电话打不通。"),
    ("请尽快恢复供水", "{s}停水已经半天，家里一点储备水都没有，希望尽快恢复。"),
    ("停水几个小时了", "{s}周边几个小区都停水了，是不是水管爆了？"),
    ("自来水停了", "{s}的自来水停了，超市的桶装水都卖完了。"),
    ("没水做饭", "{s}停水，中午饭都没法做，请相关部门处理。"),
    ("停水问题", "反映{s}停水问题，从上午到现在一直没有水。"),
    ("水管爆裂停水", "看到{s}路边水管爆了，周边小区都停水了。"),
    ("什么时候来水", "{s}停水，打听不到什么时候来水，请给个说法。"),
    ("停水影响生活", "{s}大面积停水，严重影响生活，请尽快修复。"),
    ("小区没水", "{s}小区没水了，楼上楼下都一样，请帮忙问问。"),
    ("紧急停水", "{s}紧急停水，家里有病人需要用水，请尽快恢复。"),
]
CENTRE = (34.75, 113.65)


def recreate_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the bench database name must contain 'bench'")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Loader:
    """Writes requests with COPY (the detector reads no personal data; the columns hold placeholders)."""

    COLUMNS = (
        "ticket_number, category_claimed_id, urgency_claimed, district_id, name, phone, phone_hash, address, "
        "latitude, longitude, title, content, category_id, is_urgent, tag_nan, tag_chou, tag_pan, request_type, "
        "state, created_at, updated_at, extensions_used, reopen_count, source, missed_kind, next_due_kind, "
        "publish_consent"
    )

    def __init__(self) -> None:
        from requests_app.models import Category, District

        self.districts = dict(District.objects.values_list("code", "pk"))
        self.categories = dict(Category.objects.values_list("code", "pk"))
        self.district_centre = {
            code: (CENTRE[0] + 0.25 * math.cos(i), CENTRE[1] + 0.35 * math.sin(i))
            for i, code in enumerate(self.districts)
        }
        self.serial = 0

    def row(
        self,
        rng: random.Random,
        *,
        at: dt.datetime,
        district: str,
        category: str,
        text: tuple[str, str],
        state="closed",
    ) -> str:
        self.serial += 1
        street = rng.choice(STREETS)
        title, content = (part.format(s=street) for part in text)
        lat = lon = "\\N"
        if rng.random() < 0.3:
            c = self.district_centre[district]
            lat, lon = f"{c[0] + rng.gauss(0, 0.02):.6f}", f"{c[1] + rng.gauss(0, 0.02):.6f}"
        cat = self.categories[category]
        return "\t".join(
            [
                f"B{self.serial:010d}", str(cat), "normal", str(self.districts[district]), "张三", "13800000000",
                f"h{self.serial}", "", lat, lon, title[:60], content, str(cat), "f", "f", "f", "f", "", state,
                at.isoformat(), at.isoformat(), "0", "0", "web", "", "", "f",
            ]
        )  # fmt: skip

    def copy(self, rows: list[str]) -> None:
        from django.db import connection

        if not rows:
            return
        with connection.cursor() as cur:
            raw = cur.cursor  # psycopg 3
            with raw.copy(f"COPY requests_app_helprequest ({self.COLUMNS}) FROM STDIN") as copy:
                copy.write(io.StringIO("\n".join(rows) + "\n").getvalue())

    def background(self, rng: random.Random, *, start: dt.datetime, end: dt.datetime, per_day: float) -> int:
        """A Poisson process per district × channel × hour between start and end (UTC hours)."""
        total_hours = sum(HOURS)
        dsum, csum = sum(DISTRICT_WEIGHTS.values()), sum(CATEGORY_WEIGHTS.values())
        rows: list[str] = []
        n = 0
        hour = start
        while hour < end:
            local = hour.astimezone(SHANGHAI)
            day_factor = 0.75 if local.weekday() >= 5 else 1.0
            per_hour = per_day * HOURS[local.hour] / total_hours * day_factor
            for d, dw in DISTRICT_WEIGHTS.items():
                for c, cw in CATEGORY_WEIGHTS.items():
                    for _ in range(poisson(rng, per_hour * dw / dsum * cw / csum)):
                        topics = TOPICS.get(c, EMERGENCY)
                        at = hour + dt.timedelta(seconds=rng.uniform(0, 3600))
                        rows.append(self.row(rng, at=at, district=d, category=c, text=rng.choice(topics)))
            if len(rows) > 50_000:
                self.copy(rows)
                n += len(rows)
                rows = []
            hour += dt.timedelta(hours=1)
        self.copy(rows)
        return n + len(rows)


def filler(n: int, *, before: dt.datetime, per_day: float) -> None:
    """`n` older requests before `before`, at the same daily rate, generated inside PostgreSQL."""
    from django.db import connection

    from requests_app.models import Category, District

    cats = list(Category.objects.values_list("pk", flat=True))
    dists = list(District.objects.values_list("pk", flat=True))
    seconds = 86400 / per_day
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO requests_app_helprequest
              (ticket_number, category_claimed_id, urgency_claimed, district_id, name, phone, phone_hash, address,
               title, content, category_id, is_urgent, tag_nan, tag_chou, tag_pan, request_type, state, created_at,
               updated_at, extensions_used, reopen_count, source, missed_kind, next_due_kind, publish_consent)
            SELECT 'F' || lpad(i::text, 10, '0'), c, 'normal', d, '张三', '13800000000', 'f' || i, '',
                   '小区停水', '小区停水，请尽快恢复。', c, false, false, false, false, '', 'closed', t, t, 0, 0, 'web', '', '', false
            FROM (SELECT i, %s::timestamptz - make_interval(secs => i * %s) AS t,
                         (%s::int[])[1 + (i * 7) %% %s] AS c, (%s::int[])[1 + (i * 13) %% %s] AS d
                  FROM generate_series(1, %s) AS i) AS s
            """,
            [before, seconds, cats, len(cats), dists, len(dists), n],
        )


def ticks(start: dt.datetime, end: dt.datetime, interval: int) -> list[dt.datetime]:
    """Beat's ticks: every `interval` seconds on the clock, between start and end."""
    first = dt.datetime.fromtimestamp(math.ceil(start.timestamp() / interval) * interval, tz=dt.UTC)
    out = []
    t = first
    while t <= end:
        out.append(t)
        t += dt.timedelta(seconds=interval)
    return out


def diagnose(burst_ids: set[int], now: dt.datetime, rule) -> None:
    """Why a burst went unflagged at `now`: the groups its requests fell into, as the detector judged them."""
    from dispatch.models import SurgeMember
    from dispatch.similar import THRESHOLD
    from dispatch.surges import services
    from dispatch.surges.rule import groups_of
    from requests_app.models import HelpRequest

    some = HelpRequest.objects.filter(pk__in=burst_ids).first()
    key = (some.district_id, some.category_claimed_id)
    items = services.window_items(since=now - dt.timedelta(seconds=rule.window_seconds), now=now).get(key, [])
    past = services._past_items(keys={key}, now=now, rule=rule).get(key, [])
    member_of = dict(
        SurgeMember.objects.filter(request_id__in=[i.pk for i in items]).values_list("request_id", "surge_id")
    )
    for g in groups_of(items, threshold=THRESHOLD):
        inside = len(set(g.pks) & burst_ids)
        if inside:
            v = services._judge(group=g, members=g.members, past=past, rule=rule)
            taken = sum(1 for pk in g.pks if pk in member_of)
            print(
                f"    group: {len(g.pks)} requests ({inside} of the burst, {taken} in surges), past alike {v.past} "
                f"of {len(past)} -> lambda {v.rate:.2f}, n {v.n} in {v.seconds}s, p {v.tail:.1e}; "
                f"window holds {len(items)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-day", type=float, default=3000)
    parser.add_argument("--days", type=int, default=30, help="quiet days replayed")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--filler", type=int, default=0, help="older requests to add (table size for the cost)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--reuse", action="store_true", help="keep the loaded database")
    parser.add_argument("--no-replay", action="store_true", help="bursts only")
    parser.add_argument("--only", default="", help="run only these bursts (comma separated, 1-based)")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    if not args.reuse:
        recreate_database(url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q

    from dispatch.models import Notification, Surge, SurgeMember
    from dispatch.surges.services import rule_from_settings, surges_detect
    from requests_app.models import HelpRequest

    rule = rule_from_settings()
    interval = settings.SURGE_INTERVAL_SECONDS
    print(
        f"rule: window {rule.window_seconds}s, {rule.weeks} weeks, p < {rule.threshold:g}, n >= {rule.min_size}, "
        f"floor {rule.floor}; interval {interval}s"
    )
    rng = random.Random(args.seed)
    end = dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)  # local midnight
    replay_start = end - dt.timedelta(days=args.days)
    history_start = replay_start - dt.timedelta(weeks=rule.weeks, hours=3)
    call_command("migrate", verbosity=0)  # also on --reuse: the database may predate a migration
    if not args.reuse:
        loader = Loader()
        started = time.perf_counter()
        n = loader.background(rng, start=history_start, end=end + dt.timedelta(hours=1), per_day=args.per_day)
        print(
            f"background: {n:,} requests over {(end - history_start).days} days in {time.perf_counter() - started:.0f}s"
        )
        if args.filler:
            started = time.perf_counter()
            filler(args.filler, before=history_start, per_day=args.per_day)
            print(f"filler: {args.filler:,} older requests in {time.perf_counter() - started:.0f}s")
        with connection.cursor() as cur:
            cur.execute("ANALYZE requests_app_helprequest")
    total = HelpRequest.objects.count()
    print(f"table: {total:,} requests")

    # 1. Replay of quiet days: every surge flagged is false.
    Surge.objects.all().delete()
    times: list[float] = [0.0]
    per_day: dict[str, int] = {}
    replay = [] if args.no_replay else ticks(replay_start, end, interval)
    started = time.perf_counter()
    for t in replay:
        t0 = time.perf_counter()
        result = surges_detect(now=t)
        times.append(time.perf_counter() - t0)
        day = t.astimezone(SHANGHAI).date().isoformat()
        per_day[day] = per_day.get(day, 0) + len(result.flagged)
    elapsed = time.perf_counter() - started
    false = sum(per_day.values())
    worst = max(per_day.values()) if per_day else 0
    days_over = sum(1 for v in per_day.values() if v > 1)
    print(
        f"replay: {len(replay):,} runs over {len(per_day)} days in {elapsed:.0f}s; false surges {false} "
        f"({false / max(len(per_day), 1):.2f}/day, worst day {worst}, days with more than 1: {days_over})"
    )
    for s in Surge.objects.select_related("district", "category").order_by("detected_at")[:10]:
        print(f"  false: {s.detected_at.astimezone(SHANGHAI):%m-%d %H:%M} {s.summary} p={s.tail_probability:.1e}")
    times.sort()
    print(
        f"cost per run: median {statistics.median(times) * 1000:.1f} ms, p95 {times[int(0.95 * len(times))] * 1000:.1f} ms, "
        f"max {times[-1] * 1000:.1f} ms"
    )

    # 2. Bursts among the background.
    loader = Loader()
    loader.serial = 10**9
    rng = random.Random(args.seed + 1)  # the bursts' own draws: the same with --reuse as after a load
    delays: list[int | None] = []
    keys = list(DISTRICT_WEIGHTS), list(CATEGORY_WEIGHTS)
    only = {int(k) for k in args.only.split(",") if k}
    end_ticks = (600 + interval - 1) // interval  # ticks until a burst's last request at the latest
    for trial in range(args.trials):
        Surge.objects.all().delete()
        if trial == 0:  # the worst case: the busiest district and channel at its peak hour
            district, category = "jinshui", "minsheng"
            day = replay_start + dt.timedelta(days=rng.randrange(args.days))
            start = day.replace(hour=2, minute=rng.randrange(60))  # 10:xx in Zhengzhou
        else:
            district = rng.choices(keys[0], weights=list(DISTRICT_WEIGHTS.values()))[0]
            category = rng.choices(keys[1], weights=list(CATEGORY_WEIGHTS.values()))[0]
            start = replay_start + dt.timedelta(seconds=rng.uniform(0, args.days * 86400 - 3600))
        street = rng.choice(STREETS)
        # Every citizen names the same street (one water cut), each in their own words.
        rows = [
            loader.row(random.Random(i), at=start + dt.timedelta(seconds=rng.uniform(0, 600)), district=district,
                       category=category, text=(t[0].replace("{s}", street), t[1].replace("{s}", street)), state="submitted")
            for i, t in enumerate(rng.sample(BURST, 15))
        ]  # fmt: skip
        if only and trial + 1 not in only:
            continue  # the same draws as a full run, nothing loaded
        loader.copy(rows)
        burst_ids = set(HelpRequest.objects.filter(ticket_number__startswith="B1").values_list("pk", flat=True))
        flagged_at = None
        for k, t in enumerate(ticks(start, start + dt.timedelta(seconds=600 + 4 * interval), interval), start=1):
            surges_detect(now=t)
            if SurgeMember.objects.filter(request_id__in=burst_ids).exists():
                flagged_at = k
                break
            if only:
                print(f"    tick {k} ({t.astimezone(SHANGHAI):%H:%M}):")
                diagnose(burst_ids, t, rule)
        delays.append(flagged_at)
        local = start.astimezone(SHANGHAI)
        print(
            f"  burst {trial + 1}: {district}/{category} {local:%a %H:%M} -> "
            + (f"flagged at tick {flagged_at} after its start" if flagged_at else "NOT flagged")
        )
        if flagged_at is None and not only:
            diagnose(burst_ids, t, rule)
        SurgeMember.objects.all().delete()
        Notification.objects.all().delete()
        Surge.objects.all().delete()
        HelpRequest.objects.filter(pk__in=burst_ids).delete()
    flagged = [d for d in delays if d is not None]
    within = sum(1 for d in flagged if d <= end_ticks + 2)
    print(
        f"bursts: {len(flagged)}/{len(delays)} flagged; {within}/{len(delays)} within 2 intervals of the burst's end "
        f"(tick <= {end_ticks + 2}); ticks after start: {sorted(flagged)}"
    )

    # 3. The baseline query's plan.
    t = end - dt.timedelta(hours=8)
    window = dt.timedelta(seconds=rule.window_seconds)
    spans = Q()
    for week in range(1, rule.weeks + 1):
        e = t - dt.timedelta(weeks=week)
        spans |= Q(created_at__gt=e - window, created_at__lte=e)
    from django.db.models import Count

    qs = (
        HelpRequest.objects.filter(spans)
        .values_list("district_id", "category_claimed_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    print("EXPLAIN baseline:\n" + qs.explain(analyze=True))


if __name__ == "__main__":
    main()
