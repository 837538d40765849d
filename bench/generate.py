"""Generate a province into PostgreSQL: the region tree, the units and staff of every level,
N cases with their assignments and timelines, and the statistics rollup.

Everything bulk is one set-based INSERT … SELECT over generate_series inside PostgreSQL (no
row crosses the wire), so a million cases take minutes. Random draws use setseed(): the same
--cases gives the same province. Run through `python -m bench generate` (see bench/README.md).

The shape (seed 003: cases registered 1 at county, 85 at township, 103 at village level;
categories infrastructure 43, other 35, social security 24, land 23, family and neighbour 20,
forest land 11, benefit policy 9, plus 27 reports against officials):

    1 province · 10 cities · 100 counties · 2,000 townships · 30,000 villages
    units: intake centre + commission at province, city, county and township; 10 departments
    per county; 5 service stations per township; an intake station in every village
    cases: ~85 % closed, the rest open with deadlines, ~10 % of the open ones overdue

A case's query code is derived from its id (`query_code(id)`), so the load client can prove
any case without storing codes; its HMAC is computed in SQL exactly like
`petitions.tracking.query_code_hash` (Django's salted_hmac, SHA-256)."""

from __future__ import annotations

import hashlib
import time

from bench.env import SECRET_KEY

PROVINCE = "980000000000"
CITIES, COUNTIES_PER_CITY, TOWNSHIPS_PER_COUNTY, VILLAGES_PER_TOWNSHIP = 10, 10, 20, 15
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# Raised whenever the generated data changes: a database of another version is generated again.
VERSION = 4
HMAC_SALT = "suqiu.query-code"

# (category code, weight) from seed 003; legal is not in the seed: a small share.
CATEGORY_WEIGHTS = [
    ("infrastructure", 43),
    ("other", 35),
    ("discipline", 27),
    ("social_security", 24),
    ("land", 23),
    ("neighbour_dispute", 20),
    ("forest_land", 11),
    ("benefit_policy", 9),
    ("legal", 8),
]
CHANNEL_WEIGHTS = [
    ("visit", 30),
    ("phone", 12),
    ("hotline", 10),
    ("online", 15),
    ("letter", 6),
    ("box", 5),
    ("outreach", 17),
    ("referral", 5),
]


def query_code(petition_id: int) -> str:
    """The receipt's query code of a generated case (also computed in SQL below)."""
    return f"{int(hashlib.md5(f'bench:{petition_id}'.encode()).hexdigest()[:8], 16) % 100_000_000:08d}"


def tracking_number_suffix(petition_id: int) -> str:
    return "".join(ALPHABET[(petition_id >> (5 * k)) & 31] for k in range(6))


def _case_sql(expr: str, weights: list[tuple[str, int]], draw: str) -> str:
    """A CASE expression picking a value by weight from a uniform draw in [0, 1)."""
    total = sum(w for _, w in weights)
    parts, acc = [], 0
    for value, weight in weights[:-1]:
        acc += weight
        parts.append(f"WHEN {draw} < {acc / total:.6f} THEN {expr.format(value=value)}")
    return f"CASE {' '.join(parts)} ELSE {expr.format(value=weights[-1][0])} END"


def _run(cur, label: str, sql: str, params=None) -> None:
    started = time.monotonic()
    cur.execute(sql, params)
    print(f"  {label}: {time.monotonic() - started:.1f} s", flush=True)


def generate(conn, *, cases: int, seed: float = 0.42) -> None:
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    cur.execute("SELECT setseed(%s)", [seed])
    _regions(cur)
    _units(cur)
    _staff(cur)
    _cases(cur, cases)
    _assignments_and_events(cur)
    _rollup(cur)
    cur.execute(
        "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL);"
        "DELETE FROM bench_meta;"
        "INSERT INTO bench_meta VALUES ('cases', %s), ('version', %s), ('generated_at', now()::text)",
        [str(cases), str(VERSION)],
    )
    conn.commit()
    conn.autocommit = True
    _run(cur, "vacuum analyze", "VACUUM ANALYZE")
    conn.autocommit = False


def _regions(cur) -> None:
    _run(
        cur,
        "regions",
        f"""
        INSERT INTO stations_region (code, name, level, parent_id) VALUES ('{PROVINCE}', '基准省', 'province', NULL);
        INSERT INTO stations_region (code, name, level, parent_id)
          SELECT '98' || lpad(c::text, 2, '0') || '00000000', '基准' || c || '市', 'city', p.id
          FROM generate_series(1, {CITIES}) c, stations_region p WHERE p.code = '{PROVINCE}';
        INSERT INTO stations_region (code, name, level, parent_id)
          SELECT substr(p.code, 1, 4) || lpad(k::text, 2, '0') || '000000', p.name || k || '县', 'county', p.id
          FROM generate_series(1, {COUNTIES_PER_CITY}) k, stations_region p WHERE p.level = 'city';
        INSERT INTO stations_region (code, name, level, parent_id)
          SELECT substr(p.code, 1, 6) || (100 + t)::text || '000', p.name || (t + 1) || '镇', 'township', p.id
          FROM generate_series(0, {TOWNSHIPS_PER_COUNTY - 1}) t, stations_region p WHERE p.level = 'county';
        INSERT INTO stations_region (code, name, level, parent_id)
          SELECT substr(p.code, 1, 9) || (200 + v)::text, p.name || (v + 1) || '村', 'village', p.id
          FROM generate_series(0, {VILLAGES_PER_TOWNSHIP - 1}) v, stations_region p WHERE p.level = 'township';
        """,
    )


DEPARTMENTS = [
    "民政局",
    "人社局",
    "自然资源局",
    "林草局",
    "交通运输局",
    "住建局",
    "农业农村局",
    "医保局",
    "政法委",
    "司法局",
]
STATIONS = ["财政所", "自然资源所", "林业站", "农业综合服务中心", "司法所"]


def _units(cur) -> None:
    departments = ", ".join(f"('{name}')" for name in DEPARTMENTS)
    stations = ", ".join(f"('{name}')" for name in STATIONS)
    _run(
        cur,
        "units",
        f"""
        INSERT INTO stations_unit (name, kind, region_id, phone, address, is_active)
          SELECT r.name || '群众诉求中心', 'intake', r.id, '', '', true FROM stations_region r
          WHERE r.level IN ('province', 'city', 'county', 'township');
        INSERT INTO stations_unit (name, kind, region_id, phone, address, is_active)
          SELECT r.name || '纪委监委', 'commission', r.id, '12388', '', true FROM stations_region r
          WHERE r.level IN ('province', 'city', 'county', 'township');
        INSERT INTO stations_unit (name, kind, region_id, phone, address, is_active)
          SELECT r.name || d.name, 'department', r.id, '', '', true
          FROM stations_region r, (VALUES {departments}) d(name) WHERE r.level = 'county';
        INSERT INTO stations_unit (name, kind, region_id, phone, address, is_active)
          SELECT r.name || s.name, 'station', r.id, '', '', true
          FROM stations_region r, (VALUES {stations}) s(name) WHERE r.level = 'township';
        INSERT INTO stations_unit (name, kind, region_id, phone, address, is_active)
          SELECT r.name || '群众诉求站', 'intake', r.id, '', '', true FROM stations_region r WHERE r.level = 'village';
        -- One row per village with every unit a case there can involve (dropped at the end).
        CREATE TABLE bench_village AS
          SELECT row_number() OVER (ORDER BY v.code) - 1 AS idx, v.id AS region_id, v.code,
                 vs.id AS village_desk, tc.id AS township_centre, tk.id AS township_commission,
                 cc.id AS county_centre, ck.id AS county_commission,
                 (SELECT array_agg(u.id ORDER BY u.id) FROM stations_unit u
                   WHERE u.region_id = t.id AND u.kind = 'station') AS stations,
                 (SELECT array_agg(u.id ORDER BY u.id) FROM stations_unit u
                   WHERE u.region_id = c.id AND u.kind = 'department') AS departments
          FROM stations_region v
          JOIN stations_region t ON t.id = v.parent_id
          JOIN stations_region c ON c.id = t.parent_id
          JOIN stations_unit vs ON vs.region_id = v.id AND vs.kind = 'intake'
          JOIN stations_unit tc ON tc.region_id = t.id AND tc.kind = 'intake'
          JOIN stations_unit tk ON tk.region_id = t.id AND tk.kind = 'commission'
          JOIN stations_unit cc ON cc.region_id = c.id AND cc.kind = 'intake'
          JOIN stations_unit ck ON ck.region_id = c.id AND ck.kind = 'commission'
          WHERE v.level = 'village';
        CREATE UNIQUE INDEX ON bench_village (idx);
        """,
    )


def _staff(cur) -> None:
    """A clerk at every intake unit, a handler at every township centre and station and every
    department, a supervisor at every commission, a leader at every county centre."""
    _run(
        cur,
        "staff",
        """
        CREATE TEMP TABLE bench_staff AS
          SELECT u.id AS unit_id, role, 's' || u.id || '_' || role AS username, u.name AS unit_name
          FROM stations_unit u
          JOIN stations_region r ON r.id = u.region_id
          CROSS JOIN LATERAL (VALUES ('clerk'), ('handler'), ('supervisor'), ('leader')) x(role)
          WHERE (x.role = 'clerk' AND u.kind = 'intake')
             OR (x.role = 'handler' AND u.kind IN ('department', 'station')
                 OR x.role = 'handler' AND u.kind = 'intake' AND r.level <> 'village')
             OR (x.role = 'supervisor' AND u.kind = 'commission')
             OR (x.role = 'leader' AND u.kind = 'intake' AND r.level IN ('county', 'city', 'province'));
        INSERT INTO stations_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined, full_name, phone)
          SELECT '!', false, username, '', '', '', false, true, now(), unit_name || role, '' FROM bench_staff;
        INSERT INTO stations_membership (user_id, unit_id, role, created_at)
          SELECT u.id, s.unit_id, s.role, now() FROM bench_staff s JOIN stations_user u ON u.username = s.username;
        """,
    )


TITLES = {
    "infrastructure": ("村道损毁需修复", "饮水管道破裂", "路灯不亮", "桥梁年久失修"),
    "other": ("咨询办事流程", "反映噪音扰民", "建议增设公交站点", "反映环境卫生问题"),
    "discipline": ("反映村干部截留参合金", "反映优亲厚友", "反映违规吃喝", "反映侵占集体资金"),
    "social_security": ("养老保险待遇未发放", "低保评定不公", "医保报销困难", "残疾补贴未到位"),
    "land": ("宅基地纠纷", "土地流转租金未付", "征地补偿争议", "承包地边界争议"),
    "neighbour_dispute": ("邻里排水纠纷", "赡养老人纠纷", "相邻通行纠纷", "房屋滴水纠纷"),
    "forest_land": ("林地界址纠纷", "林权证办理", "山林承包争议", "退耕还林补助"),
    "benefit_policy": ("惠民补贴未到户", "危房改造补助", "种粮补贴发放", "产业扶持资金"),
    "legal": ("判决执行难", "反映司法不公", "劳动争议仲裁", "合同纠纷"),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高字杨"
GIVEN = "明华建国秀英红梅志强文军丽芳海燕德福玉兰春生金花"


def _cases(cur, cases: int) -> None:
    category_ids = _category_ids(cur)
    category = _case_sql("{value}", [(str(category_ids[c]), w) for c, w in CATEGORY_WEIGHTS], "r.u_cat")
    channel = _case_sql("'{value}'", CHANNEL_WEIGHTS, "r.u_chan")
    titles = ", ".join(
        f"({category_ids[code]}, ARRAY[{', '.join(repr(t) for t in options)}])" for code, options in TITLES.items()
    )
    discipline = category_ids["discipline"]
    legal = category_ids["legal"]
    extra = _other_text_columns(cur)
    extra_columns = "".join(f", {name}" for name in extra)
    extra_values = ", ''" * len(extra)
    # Each draw once per row (OFFSET 0 keeps the planner from inlining the random() calls).
    _run(
        cur,
        f"cases ({cases:,})",
        f"""
        INSERT INTO petitions_petition (
            id, tracking_number, query_code_hash, channel, region_code, level, status, title, content, anonymous,
            complainant_name, complainant_phone, complainant_id_number, created_at, received_at, acceptance_due_at,
            accepted_at, due_at, extended_days, replied_at, closed_at, current_due_at, rejection_reason,
            rejection_guidance, reply_text, settled_on_the_spot, satisfaction, rating_comment, rated_at,
            review_requested_at, review_reason, review_count, repeat_count, level_skipping, version, source,
            category_id, holder_unit_id, intake_unit_id, region_id, registered_by_id, repeat_of_id{extra_columns})
        WITH r AS (
          SELECT g AS draw,
                 floor(power(random(), 1.25) * (SELECT count(*) FROM bench_village))::int AS vidx,
                 random() AS u_status, random() AS u_open, random() AS u_cat, random() AS u_chan,
                 random() AS u_level, random() AS u_when, random() AS u_due, random() AS u_sat,
                 random() AS u_unit, random() AS u_misc, random() AS u_reply
          FROM generate_series(1, {cases}) g OFFSET 0
        ), s AS (
          SELECT r.*, v.region_id, v.code, v.village_desk, v.township_centre, v.township_commission,
                 v.county_centre, v.stations, v.departments,
                 ({category}) AS category_id, ({channel}) AS channel,
                 CASE WHEN r.u_level < 0.005 THEN 'county' WHEN r.u_level < 0.45 THEN 'township' ELSE 'village' END
                   AS level,
                 CASE WHEN r.u_status < 0.85 THEN 'closed'
                      WHEN r.u_open < 0.20 THEN 'registered' WHEN r.u_open < 0.35 THEN 'accepted'
                      WHEN r.u_open < 0.90 THEN 'in_progress' ELSE 'under_review' END AS status
          FROM r JOIN bench_village v ON v.idx = r.vidx
        ), t AS (
          SELECT s.*,
                 -- closed: any time in the last three years; open: the last four months
                 CASE WHEN s.status = 'closed' THEN now() - interval '1095 days' * s.u_when - interval '10 days'
                      ELSE now() - interval '120 days' * s.u_when END AS created,
                 CASE WHEN s.level = 'county' THEN s.county_centre
                      WHEN s.level = 'township' THEN s.township_centre ELSE s.village_desk END AS intake,
                 CASE WHEN s.category_id = {discipline} THEN s.township_commission
                      WHEN s.status = 'registered' OR s.level = 'county'
                        THEN CASE WHEN s.level = 'county' THEN s.county_centre ELSE s.township_centre END
                      WHEN s.category_id = {legal} OR s.u_unit < 0.3
                        THEN s.departments[1 + floor(s.u_unit * 10)::int % 10]
                      WHEN s.u_unit < 0.8 THEN s.stations[1 + floor(s.u_unit * 50)::int % 5]
                      ELSE s.township_centre END AS holder,
                 -- open: ~10 % overdue (up to 20 days), the rest due within 30 days
                 CASE WHEN s.u_due < 0.10 THEN now() - interval '20 days' * s.u_misc - interval '1 hour'
                      ELSE now() + interval '30 days' * s.u_misc + interval '1 hour' END AS open_due
          FROM s
        )
        , o AS (
          -- Ids in registration order, as a live system assigns them (recent cases sit together).
          SELECT t.*, (row_number() OVER (ORDER BY t.created, t.draw))::int AS id FROM t
        ), u AS (
          SELECT t.*,
                 to_char(t.created AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-' ||
                   (SELECT string_agg(substr('{ALPHABET}', ((t.id >> (5 * k)) & 31)::int + 1, 1), '' ORDER BY k)
                    FROM generate_series(0, 5) k) AS tracking
          FROM o t
        )
        SELECT
          t.id,
          t.tracking,
          encode(hmac(convert_to(t.tracking || ':' || lpad(((('x' || substr(md5('bench:' || t.id), 1, 8))::bit(32)::bigint)
                                                           % 100000000)::text, 8, '0'), 'UTF8'),
                      digest(convert_to('{HMAC_SALT}' || '{SECRET_KEY}', 'UTF8'), 'sha256'), 'sha256'), 'hex'),
          t.channel, t.code, t.level, t.status,
          (SELECT ti.options[1 + floor(t.u_misc * 4)::int % 4] FROM (VALUES {titles}) ti(category_id, options)
            WHERE ti.category_id = t.category_id),
          '群众反映：' || t.code || ' 一带的问题长期得不到解决，影响生产生活，请求有关部门尽快调查处理并答复。'
            || repeat('相关情况说明。', 1 + floor(t.u_misc * 6)::int),
          t.u_chan < 0.05,
          CASE WHEN t.u_chan < 0.05 THEN ''
               ELSE substr('{SURNAMES}', 1 + floor(t.u_cat * {len(SURNAMES)})::int % {len(SURNAMES)}, 1)
                    || substr('{GIVEN}', 1 + floor(t.u_when * {len(GIVEN)})::int % {len(GIVEN)}, 1)
                    || substr('{GIVEN}', 1 + floor(t.u_sat * {len(GIVEN)})::int % {len(GIVEN)}, 1) END,
          '1' || (3 + floor(t.u_level * 7)::int)::text || lpad((t.id::bigint * 7919 % 1000000000)::text, 9, '0'),
          '',
          t.created,
          -- received: the same moment, but a village desk enters ~30 % of its cases 1 to 10 days late
          CASE WHEN t.level = 'village' AND t.u_misc > 0.7
               THEN t.created - interval '1 day' * (1 + floor((t.u_misc - 0.7) * 30)) ELSE t.created END,
          CASE WHEN t.status = 'registered' THEN t.open_due ELSE t.created + interval '21 days' END,
          CASE WHEN t.status = 'registered' THEN NULL ELSE t.created + interval '3 days' * t.u_reply END,
          CASE WHEN t.status = 'registered' THEN NULL
               WHEN t.status = 'closed' THEN t.created + interval '3 days' + interval '84 days'
               ELSE t.open_due END,
          0,
          CASE WHEN t.status IN ('closed', 'under_review')
               THEN t.created + interval '3 days' + interval '90 days' * power(t.u_reply, 2) END,
          CASE WHEN t.status = 'closed'
               THEN t.created + interval '3 days' + interval '90 days' * power(t.u_reply, 2) + interval '7 days' END,
          CASE WHEN t.status = 'closed' THEN NULL ELSE t.open_due END,
          '', '', CASE WHEN t.status IN ('closed', 'under_review') THEN '经调查核实，已按政策规定处理。' ELSE '' END,
          false,
          CASE WHEN t.status <> 'closed' THEN ''
               WHEN t.u_sat < 0.84 THEN 'satisfied' WHEN t.u_sat < 0.95 THEN 'basically_satisfied'
               WHEN t.u_sat < 0.97 THEN 'unsatisfied' ELSE 'no_response' END,
          '',
          CASE WHEN t.status = 'closed' AND t.u_sat < 0.97
               THEN t.created + interval '3 days' + interval '90 days' * power(t.u_reply, 2) + interval '5 days' END,
          CASE WHEN t.status = 'under_review' THEN now() - interval '2 days' END,
          CASE WHEN t.status = 'under_review' THEN '对答复不满意' ELSE '' END,
          CASE WHEN t.status = 'under_review' THEN 1 ELSE 0 END,
          0,
          t.level = 'county' AND t.channel <> 'referral',
          CASE WHEN t.status = 'closed' THEN 6 WHEN t.status = 'registered' THEN 1 ELSE 3 END,
          'own',
          t.category_id, t.holder, t.intake, t.region_id, NULL,
          CASE WHEN t.u_misc < 0.02 AND t.id > 1000 THEN t.id - 1 - floor(t.u_cat * 999)::int END{extra_values}
        FROM u t
        """,
    )
    _run(
        cur,
        "repeat counts, sequences",
        """
        UPDATE petitions_petition p SET repeat_count = x.n
          FROM (SELECT repeat_of_id, count(*) n FROM petitions_petition WHERE repeat_of_id IS NOT NULL
                GROUP BY 1) x WHERE p.id = x.repeat_of_id;
        SELECT setval(pg_get_serial_sequence('petitions_petition', 'id'), (SELECT max(id) FROM petitions_petition));
        """,
    )


KNOWN_COLUMNS = {
    "id", "tracking_number", "query_code_hash", "channel", "region_code", "level", "status", "title", "content",
    "anonymous", "complainant_name", "complainant_phone", "complainant_id_number", "created_at", "received_at",
    "acceptance_due_at",
    "accepted_at", "due_at", "extended_days", "replied_at", "closed_at", "current_due_at", "rejection_reason",
    "rejection_guidance", "reply_text", "settled_on_the_spot", "satisfaction", "rating_comment", "rated_at",
    "review_requested_at", "review_reason", "review_count", "repeat_count", "level_skipping", "version", "source",
    "category_id", "holder_unit_id", "intake_unit_id", "region_id", "registered_by_id", "repeat_of_id",
}  # fmt: skip


def _other_text_columns(cur) -> list[str]:
    """Text columns a later migration added to the case table that must not be NULL (e.g. a
    digest of an empty field): generated as ''. Other new required columns stop the generator."""
    cur.execute(
        """
        SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'petitions_petition' AND is_nullable = 'NO' AND column_default IS NULL
        """
    )
    extra = []
    for name, data_type in cur.fetchall():
        if name in KNOWN_COLUMNS:
            continue
        if data_type not in ("character varying", "text"):
            raise RuntimeError(f"bench/generate.py does not know the required column petitions_petition.{name}")
        extra.append(name)
    return sorted(extra)


def _category_ids(cur) -> dict[str, int]:
    cur.execute("SELECT code, id FROM petitions_category")
    return dict(cur.fetchall())


def _assignments_and_events(cur) -> None:
    _run(
        cur,
        "assignments",
        """
        INSERT INTO petitions_assignment (petition_id, unit_id, role, active, due_at, reply_text, replied_at, created_at)
          SELECT id, holder_unit_id, 'lead', status <> 'closed', due_at, '', replied_at,
                 coalesce(accepted_at, created_at) FROM petitions_petition
        """,
    )
    # ~4 events a case: registered, accepted, assigned (to a unit other than the intake),
    # replied, closed and rated for a closed case; fewer for an open one.
    _run(
        cur,
        "events",
        """
        INSERT INTO petitions_petitionevent (petition_id, verb, note, public, data, created_at,
                                             actor_id, actor_unit_id, from_unit_id, to_unit_id)
          SELECT id, 'registered', '', true,
                 jsonb_build_object('channel', channel, 'acceptance_due_at', acceptance_due_at),
                 created_at, NULL::bigint, intake_unit_id, NULL::bigint, holder_unit_id FROM petitions_petition
          UNION ALL
          SELECT id, 'accepted', '', true, '{}'::jsonb, accepted_at, NULL, holder_unit_id, NULL, NULL
            FROM petitions_petition WHERE accepted_at IS NOT NULL
          UNION ALL
          SELECT id, 'assigned', '', false, jsonb_build_object('due_at', due_at), accepted_at + interval '1 hour',
                 NULL, intake_unit_id, NULL, holder_unit_id
            FROM petitions_petition WHERE accepted_at IS NOT NULL AND holder_unit_id <> intake_unit_id
          UNION ALL
          SELECT id, 'replied', '', true, '{}'::jsonb, replied_at, NULL, holder_unit_id, NULL, NULL
            FROM petitions_petition WHERE replied_at IS NOT NULL
          UNION ALL
          SELECT id, 'closed', '', true, '{}'::jsonb, closed_at, NULL, NULL, NULL, NULL
            FROM petitions_petition WHERE closed_at IS NOT NULL
        """,
    )


# The monthly per-county marginals (`grievances.MonthlyCountyStat`) summed from the daily
# rollup, as `grievances.stats.rollup.monthly_rows` computes them; does nothing when the table has
# rows, so the runner can run it on a database generated before the table existed.
MONTHLY_FILL_SQL = """
    INSERT INTO grievances_monthlycountystat (month, region_code, dimension, value, cases, answered, on_time, repeats)
      SELECT date_trunc('month', date)::date, substr(region_code, 1, 6) || '000000', cell.dimension, cell.value,
             sum(cases), sum(answered), sum(on_time), sum(repeats)
      FROM grievances_dailystat
      CROSS JOIN LATERAL (VALUES ('level', level), ('category', category_id::text), ('channel', channel),
                                 ('status', status), ('satisfaction', satisfaction), ('source', source),
                                 ('days_late', coalesce(days_late::text, ''))) AS cell (dimension, value)
      WHERE NOT EXISTS (SELECT 1 FROM grievances_monthlycountystat)
      GROUP BY 1, 2, 3, 4
"""


def _rollup(cur) -> None:
    """The statistics rollup of every past day, exactly what `grievances.stats.rollup.rollup_day`
    writes (`rollup_rows`), in one grouped query: the cases by the day they were received, with
    the whole days they were registered late, registered before today's midnight (the cases
    typed in since are counted live)."""
    _run(
        cur,
        "statistics rollup",
        """
        CREATE TEMPORARY TABLE bench_cutoff AS
          SELECT (date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai') AT TIME ZONE 'Asia/Shanghai') AS at;
        INSERT INTO grievances_dailystat (date, region_code, level, category_id, channel, status, satisfaction,
                                          source, days_late, cases, answered, on_time, repeats)
          SELECT (received_at AT TIME ZONE 'Asia/Shanghai')::date, region_code, level, category_id, channel, status,
                 satisfaction, source,
                 CASE WHEN imported_at IS NULL
                      THEN GREATEST(floor(extract(epoch FROM (created_at - received_at)) / 86400), 0)::integer END,
                 count(*),
                 count(*) FILTER (WHERE replied_at IS NOT NULL),
                 count(*) FILTER (WHERE replied_at IS NOT NULL AND (
                   (due_at IS NOT NULL AND replied_at <= due_at) OR (due_at IS NULL AND replied_at <= acceptance_due_at))),
                 count(*) FILTER (WHERE repeat_of_id IS NOT NULL)
          FROM petitions_petition
          WHERE received_at < (SELECT at FROM bench_cutoff) AND created_at < (SELECT at FROM bench_cutoff)
          GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
        INSERT INTO grievances_dailystatday (date, rolled_at, registered_before, cases)
          SELECT date, now(), (SELECT at FROM bench_cutoff), sum(cases) FROM grievances_dailystat GROUP BY date;
        DROP TABLE bench_cutoff;
        """,
    )
    _run(cur, "monthly statistics rollup", MONTHLY_FILL_SQL)
