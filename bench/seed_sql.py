"""The SQL behind bench/seed_million.py, one statement per table (run in this order, in one transaction).

Parameters: n (requests), span (seconds of history), tz, prefix (ticket
prefix), phones (size of the encrypted phone pool), accept_window (seconds).
The temp tables seed_phone, seed_name and seed_address hold the encrypted
pools. Random choices are drawn per row with random(); shares are stated
where they are chosen.
"""

# State by age: older than two days, ~2 % still open (reopened 1 %, accepted 0.5 %,
# returned 0.3 %, handed over 0.2 %); the last two days spread over every step.
STATE_SQL = """
CASE WHEN age > interval '2 days' THEN
    CASE WHEN r < 0.86 THEN 'closed' WHEN r < 0.865 THEN 'resolved' WHEN r < 0.945 THEN 'invalid'
         WHEN r < 0.955 THEN 'reopened' WHEN r < 0.960 THEN 'accepted' WHEN r < 0.963 THEN 'returned'
         WHEN r < 0.965 THEN 'handed_over' ELSE 'closed' END
ELSE
    CASE WHEN r < 0.10 THEN 'submitted' WHEN r < 0.20 THEN 'listed' WHEN r < 0.35 THEN 'handed_over'
         WHEN r < 0.60 THEN 'accepted' WHEN r < 0.65 THEN 'returned' WHEN r < 0.80 THEN 'resolved'
         WHEN r < 0.95 THEN 'closed' ELSE 'invalid' END
END
"""

# 30 places x 40 problems = 1,200 distinct titles.
PLACES = (
    "ARRAY['小区','楼道','路口','公交站','学校门口','菜市场','医院附近','地铁口','公园','商场','老旧小区','新建小区',"
    "'工地','河道','村里','街道','停车场','农贸市场','幼儿园','养老院','写字楼','城中村','高速出口','桥下','广场',"
    "'夜市','批发市场','加油站','火车站','隧道']"
)
PROBLEMS = (
    "ARRAY['停水三天','路灯不亮','垃圾无人清运','噪音扰民','暖气不热','井盖缺失','物业乱收费','占道经营',"
    "'违章停车','污水外溢','燃气异味','电梯故障','私搭乱建','油烟扰民','道路破损','积水严重','树木倒伏','信号灯故障',"
    "'公交晚点','施工扰民','拖欠工资','入学咨询','医保报销难','买不到药','房屋漏水','断电频繁','网络诈骗举报',"
    "'食品安全','哄抬物价','流浪动物','消防通道堵塞','充电桩不足','无障碍设施缺失','广告牌松动','共享单车乱放',"
    "'下水道堵塞','违规养犬','黑车拉客','快递丢失','租房纠纷']"
)

REQUESTS_SQL = f"""
INSERT INTO requests_app_helprequest (
    ticket_number, submit_token, category_claimed_id, urgency_claimed, district_id, name, phone, phone_hash, address,
    title, content, category_id, is_urgent, tag_nan, tag_chou, tag_pan, request_type, duplicate_of_id, state,
    created_at, updated_at, first_contact_at, resolved_at, closed_at, escalated_at, anonymised_at, extensions_used,
    reopen_count, next_due_at, next_due_kind, missed_due_at, missed_kind, source, publish_consent)
SELECT ticket, token, cat, CASE WHEN urgent THEN 'urgent' ELSE 'normal' END, dist, nm.ct, ph.ct, ph.hash, ad.ct,
    title, content, cat, urgent, r2 < 0.05, r2 >= 0.05 AND r2 < 0.09, r2 >= 0.09 AND r2 < 0.12, rtype, NULL, state,
    ts, LEAST(COALESCE(closed, resolved, contact, ts) + interval '1 minute', now()), contact, resolved, closed,
    -- The sweep flags the first promise that was late (or still running past due): the 督办 time.
    CASE WHEN state IN ('invalid', 'duplicate') THEN NULL
         WHEN ts + interval '1 hour' < now() AND (contact IS NULL OR contact > ts + interval '1 hour')
              THEN ts + interval '1 hour 30 seconds'
         WHEN urgent AND ts + interval '3 hours' < now() AND (resolved IS NULL OR resolved > ts + interval '3 hours')
              THEN ts + interval '3 hours 30 seconds'
         WHEN ts + interval '7 hours' < now() AND (resolved IS NULL OR resolved > ts + interval '7 hours')
              THEN ts + interval '7 hours 30 seconds'
         WHEN ts + interval '1 day' < now() AND (closed IS NULL OR closed > ts + interval '1 day')
              THEN ts + interval '1 day 30 seconds'
    END,
    NULL, CASE WHEN r3 > 0.9 THEN 1 ELSE 0 END, CASE WHEN state = 'reopened' THEN 1 ELSE 0 END,
    NULL, '', NULL, '',
    -- Channels: web 55 %%, phone 35 %%, visit 5 %%, api 5 %%; nobody consented to publication.
    CASE WHEN (i * 17) %% 20 < 11 THEN 'web' WHEN (i * 17) %% 20 < 18 THEN 'phone' WHEN (i * 17) %% 20 < 19 THEN 'visit'
         ELSE 'api' END, false
FROM (
    SELECT s.*,
        CASE WHEN state IN ('accepted', 'resolved', 'reopened', 'closed')
             THEN LEAST(ts + (5 + r3 * 70) * interval '1 minute', now()) END AS contact,
        CASE WHEN state IN ('resolved', 'closed', 'reopened')
             THEN LEAST(ts + (1 + r3 * 8) * interval '1 hour', now()) END AS resolved,
        CASE WHEN state = 'closed' THEN LEAST(ts + (6 + r3 * 24) * interval '1 hour', now()) END AS closed,
        %(prefix)s || to_char(day, 'YYYYMMDD') || '-' || lpad(nday::text, 4, '0') AS ticket,
        md5(i::text || 'seed')::uuid AS token,
        cats[1 + (i * 7) %% array_length(cats, 1)] AS cat,
        dists[1 + (i * 13) %% array_length(dists, 1)] AS dist,
        ({PLACES})[1 + i %% 30] || ({PROBLEMS})[1 + (i / 30) %% 40] AS title,
        repeat('问题已经持续了一段时间，影响老人孩子的正常生活，请相关部门尽快协调解决。', (1 + i %% 4)::int) AS content,
        (ARRAY['', 'consult', 'help', 'complaint', 'report', 'suggestion'])[1 + i %% 6] AS rtype
    FROM (
        SELECT g.*, {STATE_SQL} AS state
        FROM (
            SELECT i, ts, day, row_number() OVER (PARTITION BY day ORDER BY i) AS nday,
                   random() AS r, random() AS r2, random() AS r3, random() < 0.15 AS urgent, now() - ts AS age,
                   (SELECT array_agg(id ORDER BY id) FROM requests_app_category) AS cats,
                   (SELECT array_agg(id ORDER BY id) FROM requests_app_district) AS dists
            FROM (
                SELECT i, ts, (ts AT TIME ZONE %(tz)s)::date AS day
                FROM (
                    -- Seconds as a float, not interval arithmetic: 5 M x 3 years overflows an interval product.
                    SELECT i, now() - make_interval(secs => %(span)s * (1 - (i - 0.5) / %(n)s)) AS ts
                    FROM generate_series(1::bigint, %(n)s) AS i
                ) t
            ) d
        ) g
    ) s
) x
JOIN seed_phone ph ON ph.k = (x.i * 7919) %% %(phones)s
JOIN seed_name nm ON nm.k = (x.i * 31) %% 5000
JOIN seed_address ad ON ad.k = (x.i * 17) %% 5000
ORDER BY x.i
"""

DUPLICATES_SQL = """
UPDATE requests_app_helprequest h
SET state = 'duplicate', duplicate_of_id = (
    SELECT p.id FROM requests_app_helprequest p WHERE p.id < h.id ORDER BY p.id DESC LIMIT 1)
WHERE h.state = 'invalid' AND h.created_at < now() - interval '2 days' AND h.id %% 8 < 3
"""

DEADLINES_SQL = """
INSERT INTO requests_app_deadline (request_id, kind, due_at, met_at, breached_at, reminded_at, waived_at)
SELECT id, kind, due,
       met,
       CASE WHEN due < now() AND waived IS NULL AND (met IS NULL OR met > due) THEN due + interval '30 seconds' END,
       CASE WHEN due - interval '15 minutes' < now() AND (met IS NULL OR met > due - interval '15 minutes')
            AND waived IS NULL THEN due - interval '15 minutes' END,
       waived
FROM (
    SELECT h.id, k.kind, h.created_at + k.after AS due,
           CASE k.kind WHEN 'contact' THEN h.first_contact_at WHEN 'feedback' THEN h.closed_at
                       ELSE h.resolved_at END AS met,
           CASE WHEN h.state IN ('invalid', 'duplicate') THEN h.created_at + interval '50 minutes' END AS waived
    FROM requests_app_helprequest h
    CROSS JOIN (VALUES ('contact', interval '1 hour'), ('urgent', interval '3 hours'),
                       ('resolve', interval '7 hours'), ('feedback', interval '1 day')) AS k(kind, after)
    WHERE k.kind <> 'urgent' OR h.is_urgent
) x
"""

# The request's clock columns from its deadline rows (the rule of requests_app.clock), set-based.
CLOCK_SQL = """
UPDATE requests_app_helprequest h
SET next_due_at = x.nd, next_due_kind = x.nk, missed_due_at = x.md, missed_kind = COALESCE(x.mk, '')
FROM (
    SELECT request_id,
           (array_agg(due_at ORDER BY due_at, id))[1] AS nd, (array_agg(kind ORDER BY due_at, id))[1] AS nk,
           (array_agg(due_at ORDER BY due_at, id) FILTER (WHERE breached_at IS NOT NULL))[1] AS md,
           (array_agg(kind ORDER BY due_at, id) FILTER (WHERE breached_at IS NOT NULL))[1] AS mk
    FROM requests_app_deadline WHERE met_at IS NULL AND waived_at IS NULL GROUP BY request_id
) x
WHERE h.id = x.request_id
"""

# Hand-overs: one in twenty requests past hand-over was first returned by another unit;
# returned requests hold only that returned (inactive) lead; an assisting unit for one in ten.
ASSIGNMENTS_SQL = """
INSERT INTO dispatch_assignment (request_id, unit_id, role, instructions, assigned_by_id, assigned_at,
                                 accepted_at, returned_at, return_reason, is_active)
SELECT h.id, units[1 + ((h.id * 31 + a.shift) %% array_length(units, 1))], a.role,
       '请按职责办理并及时回复市民', NULL, h.created_at + a.after,
       CASE WHEN a.kind = 'lead' AND h.first_contact_at IS NOT NULL
            THEN LEAST(h.created_at + a.after + (h.id %% 90) * interval '1 minute',
                       GREATEST(h.first_contact_at, h.created_at + a.after)) END,
       CASE WHEN a.kind = 'returned' THEN LEAST(h.created_at + interval '40 minutes', now()) END,
       CASE WHEN a.kind = 'returned' THEN '不属于本单位职责' ELSE '' END,
       a.kind <> 'returned'
FROM (SELECT h.*, h.id %% 20 = 0 AS bounced FROM requests_app_helprequest h
      WHERE h.state IN ('handed_over', 'accepted', 'returned', 'reopened', 'resolved', 'closed')) h
CROSS JOIN (SELECT array_agg(id ORDER BY id) AS units FROM dispatch_unit) u
JOIN (VALUES ('returned', 'lead', 1, interval '15 minutes'), ('lead', 'lead', 0, interval '15 minutes'),
             ('bounced', 'lead', 0, interval '50 minutes'), ('assist', 'assist', 2, interval '15 minutes'))
    AS a(kind, role, shift, after)
  ON CASE a.kind WHEN 'returned' THEN h.bounced OR h.state = 'returned'
                 WHEN 'lead' THEN NOT h.bounced AND h.state <> 'returned'
                 WHEN 'bounced' THEN h.bounced AND h.state <> 'returned'
                 ELSE h.id %% 10 = 1 AND h.state <> 'returned' END
"""

# The request's denormalised active lead unit (HelpRequest.lead_unit_id), as the
# workflow keeps it and requests_app migration 0016 backfills it.
LEAD_UNITS_SQL = """
UPDATE requests_app_helprequest AS h SET lead_unit_id = a.unit_id
FROM dispatch_assignment a
WHERE a.request_id = h.id AND a.is_active AND a.role = 'lead'
"""

# Ratings: every closed request (85 % 满意, 15 % 基本满意), an 不满意 for each reopened one.
FEEDBACK_SQL = """
INSERT INTO requests_app_feedback (request_id, round, rating, comment, channel, recorded_by_id, created_at)
SELECT id, 0,
       CASE WHEN state = 'reopened' THEN 'unsatisfied' WHEN (id * 37) %% 100 < 85 THEN 'satisfied' ELSE 'basic' END,
       CASE WHEN state = 'reopened' THEN '问题没有解决' ELSE '' END,
       CASE WHEN id %% 5 < 2 THEN 'online' ELSE 'phone' END, NULL,
       CASE WHEN state = 'closed' THEN closed_at - interval '10 minutes'
            ELSE LEAST(resolved_at + interval '2 hours', now()) END
FROM requests_app_helprequest WHERE state IN ('closed', 'reopened')
"""

# One row per step a request has reached: (rank, kind, from_state, to_state, actor, message, public, minutes).
# Contact, resolution and close events carry the request's own times.
EVENTS_SQL = """
INSERT INTO requests_app_event (request_id, kind, from_state, to_state, actor_id, actor_label, unit_name,
                                message, note, is_public, data, created_at)
SELECT h.id, s.kind, s.from_state, CASE WHEN s.rank = 9 THEN h.state ELSE s.to_state END, NULL, s.actor,
       CASE WHEN s.rank IN (2, 3, 4, 7) THEN '承办单位' ELSE '' END,
       CASE WHEN h.state = 'duplicate' AND s.rank = 9 THEN '与其他求助重复，已合并办理' ELSE s.message END, '', s.public,
       CASE WHEN s.rank = 8 THEN '{"escalated": true}'::jsonb ELSE '{}'::jsonb END,
       LEAST(CASE s.rank WHEN 3 THEN h.first_contact_at WHEN 4 THEN h.resolved_at WHEN 5 THEN h.closed_at
                         WHEN 8 THEN h.escalated_at
                         ELSE h.created_at + s.minutes * interval '1 minute' END, now())
FROM requests_app_helprequest h
JOIN (VALUES
    (0, 'submitted', '', 'submitted', '市民', '市民提交求助', true, 0),
    (1, 'triage', 'submitted', 'listed', '平台交办员', '平台已列单', true, 8),
    (2, 'transition', 'listed', 'handed_over', '平台交办员', '已交办承办单位', true, 15),
    (3, 'contact', 'handed_over', 'accepted', '承办人', '承办单位已联系市民', true, 50),
    (4, 'transition', 'accepted', 'resolved', '承办人', '已办结', true, 300),
    (5, 'feedback', 'resolved', 'closed', '平台交办员', '回访满意，已销号', true, 1200),
    (6, 'feedback', 'resolved', 'reopened', '市民', '市民不满意，重办', true, 480),
    (7, 'transition', 'handed_over', 'returned', '承办人', '承办单位退回', false, 40),
    (8, 'deadline', '', '', '时限监控', '超时未完成，已列入督办', false, 0),
    (9, 'transition', 'submitted', 'invalid', '平台交办员', '经核实为无效求助', true, 30)
) AS s(rank, kind, from_state, to_state, actor, message, public, minutes)
  ON (s.rank <= 5 AND s.rank <= CASE h.state WHEN 'submitted' THEN 0 WHEN 'listed' THEN 1 WHEN 'handed_over' THEN 2
                            WHEN 'returned' THEN 2 WHEN 'accepted' THEN 3 WHEN 'resolved' THEN 4
                            WHEN 'reopened' THEN 4 WHEN 'closed' THEN 5 ELSE -1 END)
     OR (s.rank = 0 AND h.state IN ('invalid', 'duplicate'))
     OR (s.rank = 6 AND h.state = 'reopened')
     OR (s.rank = 7 AND h.state = 'returned')
     OR (s.rank = 8 AND h.escalated_at IS NOT NULL)
     OR (s.rank = 9 AND h.state IN ('invalid', 'duplicate'))
"""

COUNTER_SQL = """
INSERT INTO requests_app_ticketcounter (day, last)
SELECT to_date(substr(ticket_number, length(%(prefix)s) + 1, 8), 'YYYYMMDD'), count(*)
FROM requests_app_helprequest GROUP BY 1
ON CONFLICT (day) DO UPDATE SET last = GREATEST(requests_app_ticketcounter.last, EXCLUDED.last)
"""

# The outbox: the breach e-mail the sweep wrote for every escalated request (sent a minute later),
# a few failed ones among them. One encrypted recipient (encrypted once, a parameter).
NOTIFICATIONS_SQL = """
INSERT INTO dispatch_notification (channel, recipient, subject, body, kind, request_id, event_id, state, attempts,
                                   last_error, created_at, sent_at)
SELECT 'email', %(recipient)s, '【督办】' || ticket_number || ' 超时', '求助件「' || title || '」超时未完成，已列入督办。',
       'breach', id, NULL, CASE WHEN id %% 200 = 0 THEN 'failed' ELSE 'sent' END, 1,
       CASE WHEN id %% 200 = 0 THEN 'SMTP 421' ELSE '' END, escalated_at,
       CASE WHEN id %% 200 = 0 THEN NULL ELSE escalated_at + interval '1 minute' END
FROM requests_app_helprequest WHERE escalated_at IS NOT NULL
ORDER BY escalated_at
"""
