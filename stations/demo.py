"""The demo: a county shaped like seed 003's, the city above it and a small second county.

示范县 has 13 townships and 187 villages, an intake centre in the county and in each
township, an intake station in every village, the county commission and a commission in
each township, county departments, the township service stations, and staff in every role.
Above it, the city 示范市 has an intake centre and a commission with their own staff; beside
it, 示范二县 (a tenant of its own) has two townships of three villages, enough to hand a
case down from the city to either county.

The codes are fictional (province 99 does not exist), so the demo never passes for a real
place. Loading is idempotent: running it again keeps what is there and adds what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from stations import codes
from stations.models import Membership, Region, Unit, User
from stations.services import RegionRow, membership_grant, regions_import, unit_ensure

DEMO_PASSWORD = "suqiu-demo-2026"

PROVINCE = ("990000000000", "示范省")
CITY = ("990100000000", "示范市")
COUNTY = ("990121000000", "示范县")
SECOND_COUNTY = ("990122000000", "示范二县")

Kind, Role = Unit.Kind, Membership.Role

# (name, number of villages); 洛党镇 comes from seed 003. The counts add up to 187.
TOWNSHIPS = [
    ("洛党镇", 19),
    ("城关镇", 17),
    ("永安镇", 16),
    ("青山镇", 15),
    ("河口镇", 15),
    ("太平乡", 14),
    ("和平乡", 14),
    ("红星乡", 14),
    ("东风乡", 14),
    ("新华乡", 14),
    ("石门乡", 13),
    ("白马乡", 12),
    ("龙泉乡", 10),
]
# The second county is kept small: (township code, name, its villages). No village name is
# one of 示范县's, so a name in the demo finds one place.
SECOND_COUNTY_TOWNSHIPS = [
    ("990122100000", "北山镇", ["杏花村", "柏树村", "清泉村"]),
    ("990122101000", "南河乡", ["河湾村", "桃源村", "龙潭村"]),
]

_FIRST = "新红光永东西南北中上下大小高龙凤金银石青白黄马牛桃李杨柳松柏竹梅兴和安平富宝"
_SECOND = "锋星明丰华河山岭坪坝沟湾营寨塘桥庄田林溪岩场关堡"

COUNTY_DEPARTMENTS = [
    "县民政局",
    "县人力资源和社会保障局",
    "县自然资源局",
    "县林业和草原局",
    "县交通运输局",
    "县住房和城乡建设局",
    "县农业农村局",
    "县医疗保障局",
    "县委政法委",
    "县司法局",
]
# Seed 000 appraised 15 basic-level stations in one township.
TOWNSHIP_STATIONS = [
    "财政所",
    "自然资源所",
    "林业站",
    "农业综合服务中心",
    "司法所",
    "派出所",
    "卫生院",
    "中心学校",
    "供电所",
    "社会保障服务中心",
    "民政办",
    "畜牧兽医站",
    "文化广播站",
    "水务站",
    "市场监管所",
]
STATIONS_ELSEWHERE = 5


def village_names(count: int, offset: int) -> list[str]:
    """`count` distinct village names, varied by township through `offset`."""
    names: list[str] = []
    i = offset
    while len(names) < count:
        name = _FIRST[i % len(_FIRST)] + _SECOND[(i * 7 + i // len(_FIRST)) % len(_SECOND)] + "村"
        if name not in names:
            names.append(name)
        i += 1
    return names


def region_rows() -> list[RegionRow]:
    """The demo's division-code list: the province, the city, both counties and all below them."""
    places = [PROVINCE, CITY, COUNTY, *_county_places(), SECOND_COUNTY, *_second_county_places()]
    return [RegionRow(line, code, name) for line, (code, name) in enumerate(places, start=1)]


def _county_places() -> list[tuple[str, str]]:
    """示范县's townships and villages as (code, name)."""
    places: list[tuple[str, str]] = []
    county_prefix = COUNTY[0][:6]
    for t, (township, villages) in enumerate(TOWNSHIPS):
        township_prefix = f"{county_prefix}{100 + t:03d}"
        places.append((codes.pad(township_prefix), township))
        names = village_names(villages, offset=t * 13)
        if t == 0:
            names[0] = "新锋村"  # the village of seed 003's example
        places += [(f"{township_prefix}{200 + v:03d}", village) for v, village in enumerate(names)]
    return places


def _second_county_places() -> list[tuple[str, str]]:
    """示范二县's townships and villages as (code, name)."""
    places: list[tuple[str, str]] = []
    for township_code, township, villages in SECOND_COUNTY_TOWNSHIPS:
        places.append((township_code, township))
        township_prefix = township_code[:9]
        places += [(f"{township_prefix}{200 + v:03d}", village) for v, village in enumerate(villages)]
    return places


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    unit: str


class _Staff:
    """Creates demo staff with one pre-computed password hash (hashing 300 times is slow)."""

    def __init__(self) -> None:
        self.password_hash = make_password(DEMO_PASSWORD)
        self.logins: list[DemoLogin] = []

    def add(self, username: str, full_name: str, unit: Unit, role: str, *, show: bool = False, **extra) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(username=username, full_name=full_name, password=self.password_hash, **extra)
        membership_grant(user=user, unit=unit, role=role)
        if show:
            self.logins.append(DemoLogin(username, Membership.Role(role).label, unit.name))
        return user


@transaction.atomic
def load_demo_county() -> list[DemoLogin]:
    """Create (or complete) the demo county, the city above it and the second county; return
    the logins worth printing."""
    regions_import(rows=region_rows())
    regions = Region.objects.in_bulk([CITY[0], COUNTY[0], SECOND_COUNTY[0]], field_name="code")
    county = regions[COUNTY[0]]
    staff = _Staff()
    _load_county(staff, county)
    _load_city(staff, regions[CITY[0]])
    _load_second_county(staff, regions[SECOND_COUNTY[0]])
    load_demo_reception_schedule(county)
    return staff.logins


def _load_county(staff: _Staff, county: Region) -> None:
    """示范县: its intake centre, commission and departments, then its townships."""
    centre = unit_ensure(region=county, name="县群众诉求中心", kind=Kind.INTAKE, phone="0888-12345")
    commission = unit_ensure(region=county, name="县纪委监委", kind=Kind.COMMISSION, phone="12388")
    staff.add("county_clerk", "赵立新", centre, Role.CLERK, show=True)
    staff.add("county_handler", "钱文华", centre, Role.HANDLER, show=True)
    staff.add("leader", "孙志强", centre, Role.LEADER, show=True)
    staff.add("supervisor", "李秀英", commission, Role.SUPERVISOR, show=True)
    # The commission's inspectors (纪检监察干部) accept and dispose the reports it holds.
    staff.add("county_inspector", "郑海涛", commission, Role.HANDLER, show=True)
    staff.add("county_inspector2", "罗晓梅", commission, Role.HANDLER)
    staff.add("observer", "周建国", commission, Role.OBSERVER, show=True)
    for n in range(2, 15):  # seed 003: 14 invited observers (特邀监督员)
        staff.add(f"observer{n:02d}", f"特邀监督员{n:02d}", commission, Role.OBSERVER)
    staff.add("admin", "吴管理", centre, Role.ADMIN, show=True, is_staff=True, is_superuser=True)
    for d, name in enumerate(COUNTY_DEPARTMENTS):
        department = unit_ensure(region=county, name=name, kind=Kind.DEPARTMENT)
        staff.add(f"dept{d + 1:02d}_handler", f"{name}承办人", department, Role.HANDLER, show=d == 0)
    for t, township in enumerate(county.children.order_by("code")):
        _load_township(staff, township, first=t == 0)


def _load_township(staff: _Staff, township: Region, *, first: bool) -> None:
    """A township of 示范县 with its staff, service stations and village stations; the logins
    of the first one are printed."""
    tag = township.code[6:9]
    t_centre, t_commission = _township_units(township)
    staff.add(f"t{tag}_clerk", f"{township.name}办理员", t_centre, Role.CLERK, show=first)
    staff.add(f"t{tag}_handler", f"{township.name}承办人", t_centre, Role.HANDLER, show=first)
    staff.add(f"t{tag}_leader", f"{township.name}乡镇长", t_centre, Role.LEADER, show=first)
    staff.add(f"t{tag}_supervisor", f"{township.name}纪委书记", t_commission, Role.SUPERVISOR, show=first)
    # The commission's inspector (纪检员) handles the reports against officials it holds.
    staff.add(f"t{tag}_inspector", f"{township.name}纪检员", t_commission, Role.HANDLER, show=first)
    stations = TOWNSHIP_STATIONS if first else TOWNSHIP_STATIONS[:STATIONS_ELSEWHERE]
    for s, station_name in enumerate(stations):
        station = unit_ensure(region=township, name=f"{township.name}{station_name}", kind=Kind.STATION)
        staff.add(f"t{tag}_s{s + 1:02d}", f"{station.name}承办人", station, Role.HANDLER, show=first and s == 0)
    desks = _village_desks(staff, township)
    if first:
        staff.add("clerk", "字红梅", desks[0], Role.CLERK, show=True)


def _township_units(township: Region) -> tuple[Unit, Unit]:
    """The township's intake centre and its commission."""
    centre = unit_ensure(region=township, name=f"{township.name}群众诉求中心", kind=Kind.INTAKE)
    commission = unit_ensure(region=township, name=f"{township.name}纪委", kind=Kind.COMMISSION)
    return centre, commission


def _village_desks(staff: _Staff, township: Region) -> list[Unit]:
    """An intake station (群众诉求站) in every village of the township, each with its clerk
    `clerk_<village code>`; in the order of the codes."""
    desks: list[Unit] = []
    for village in township.children.order_by("code"):
        desk = unit_ensure(region=village, name=f"{village.name}群众诉求站", kind=Kind.INTAKE)
        staff.add(f"clerk_{village.code}", f"{village.name}办理员", desk, Role.CLERK)
        desks.append(desk)
    return desks


def _load_city(staff: _Staff, city: Region) -> None:
    """示范市, above both counties: its intake centre and its commission, with their staff."""
    centre = unit_ensure(region=city, name="市群众诉求中心", kind=Kind.INTAKE, phone="0888-6012345")
    commission = unit_ensure(region=city, name="市纪委监委", kind=Kind.COMMISSION, phone="12388")
    staff.add("city_handler", "陈国平", centre, Role.HANDLER, show=True)
    staff.add("city_supervisor", "刘春燕", centre, Role.SUPERVISOR, show=True)
    staff.add("city_inspector", "王志刚", commission, Role.HANDLER, show=True)
    staff.add("city_commission_supervisor", "黄丽华", commission, Role.SUPERVISOR, show=True)


def _load_second_county(staff: _Staff, county: Region) -> None:
    """示范二县: its intake centre and commission with a few staff, and in each township the
    centre, the commission and the village stations. Its units carry the county's name, so
    they are told apart from 示范县's 县群众诉求中心 and 县纪委监委 wherever both are listed."""
    centre = unit_ensure(region=county, name=f"{county.name}群众诉求中心", kind=Kind.INTAKE, phone="0888-7212345")
    commission = unit_ensure(region=county, name=f"{county.name}纪委监委", kind=Kind.COMMISSION, phone="12388")
    staff.add("county2_clerk", "杨建军", centre, Role.CLERK, show=True)
    staff.add("county2_handler", "何玉兰", centre, Role.HANDLER, show=True)
    staff.add("county2_supervisor", "马文斌", commission, Role.SUPERVISOR, show=True)
    for township in county.children.order_by("code"):
        _township_units(township)
        _village_desks(staff, township)


def load_demo_reception_schedule(county: Region) -> None:
    """The county's reception schedule from seeds 001 and 003: the commission's leaders
    receive residents on the 15th of every month, a township commission secretary the same
    day, a party committee member is on duty every working day, and cadres receive at the
    market on market days (逢2、5、8). Kept as it is when already there."""
    from datetime import time

    from stations.models import ReceptionSlot

    if ReceptionSlot.objects.filter(region__code__startswith=county.code[:6]).exists():
        return
    Frequency = ReceptionSlot.Frequency
    township = Region.objects.filter(parent=county).order_by("code").first()
    slots = [
        (
            county,
            "县纪委领导班子成员（含纪委常委）",
            "县纪委监委信访接待室",
            Frequency.MONTHLY,
            "15",
            (9, 0),
            (17, 0),
            "",
        ),
        (county, "县级领导干部（轮流）", "县群众诉求中心接待大厅", Frequency.MONTHLY, "15", (9, 0), (12, 0), ""),
        (county, "县群众诉求中心值班人员", "县群众诉求中心接待大厅", Frequency.WORKING_DAYS, "", (8, 30), (17, 30), ""),
    ]
    if township is not None:
        slots += [
            (township, "乡镇纪委书记", f"{township.name}群众诉求中心", Frequency.MONTHLY, "15", (9, 0), (17, 0), ""),
            (
                township,
                "党委委员（值周轮流）",
                f"{township.name}群众工作办公室",
                Frequency.WORKING_DAYS,
                "",
                (8, 30),
                (17, 30),
                "",
            ),
            (
                township,
                "驻村干部",
                f"{township.name}场镇便民服务点",
                Frequency.MARKET,
                "2,5,8",
                (8, 0),
                (12, 0),
                "赶集日现场接待",
            ),
        ]
    for n, (region, who, place, frequency, days, start, end, note) in enumerate(slots):
        slot = ReceptionSlot(
            region=region,
            who=who,
            place=place,
            frequency=frequency,
            days=days,
            start_time=time(*start),
            end_time=time(*end),
            note=note,
            sort_order=n,
        )
        slot.full_clean()
        slot.save()
