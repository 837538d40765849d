"""A few demo cases in the demo county, in every state, made through the case services so
their timelines are real. Loaded by `manage.py demo_cases` (and `make run`) once."""

from __future__ import annotations

from django.db import transaction

from petitions import services
from petitions.models import Category, Petition
from stations.demo import COUNTY
from stations.models import Region, Unit, User

# (village index in 洛党镇, category, channel, title, content, complainant, phone, what happens next)
CASES = [
    (
        0,
        "benefit_policy",
        "visit",
        "新农合参合金缴了却显示未参保",
        "2015年10月上交了全家6口人的参合金，今年儿子住院时被告知未参加新型农村合作医疗，不能报销。",
        "字某",
        "13988001001",
        "in_progress",
    ),
    (
        1,
        "infrastructure",
        "visit",
        "村道雨后塌方无法通行",
        "三组到五组的村道雨后塌方约20米，车辆无法通行，学生上学绕行。",
        "杨春花",
        "13988001002",
        "registered",
    ),
    (
        2,
        "neighbour_dispute",
        "visit",
        "邻居排水沟堵塞污水流入院内",
        "邻居修房时堵了排水沟，雨天污水流进我家院子。",
        "李国富",
        "13988001003",
        "settled",
    ),
    (
        3,
        "social_security",
        "phone",
        "养老金连续两个月未到账",
        "本人今年满60周岁，已办理领取手续，9月、10月养老金都没有到账。",
        "王秀兰",
        "13988001004",
        "accepted",
    ),
    (
        4,
        "land",
        "letter",
        "宅基地界址与邻户有争议",
        "与邻户宅基地界址不清，对方在争议地上砌墙。",
        "张建华",
        "13988001005",
        "replied",
    ),
    (
        5,
        "forest_land",
        "visit",
        "集体林地被邻村占用",
        "我组集体林地约30亩被邻村村民开垦种植。",
        "赵永福",
        "13988001006",
        "closed",
    ),
    (
        6,
        "infrastructure",
        "box",
        "村里路灯坏了半年没人修",
        "村委会门口到学校一段路灯坏了半年，晚上很黑。",
        "",
        "",
        "closed",
    ),
    (
        7,
        "legal",
        "visit",
        "交通事故赔偿判决执行不到位",
        "法院判决对方赔偿，至今未执行。",
        "孙玉梅",
        "13988001008",
        "rejected",
    ),
]


@transaction.atomic
def load_demo_cases() -> int:
    """Create the demo cases unless the demo county already has cases; return how many."""
    county = Region.objects.get(code=COUNTY[0])
    if Petition.objects.filter(region_code__startswith=county.prefix).exists():
        return 0
    township = Region.objects.get(name="洛党镇", parent=county)
    villages = list(township.children.order_by("code"))
    categories = {c.code: c for c in Category.objects.all()}
    users = {u.username: u for u in User.objects.filter(username__in=["clerk", "t100_handler", "t100_s01"])}
    clerk, handler, station_handler = users["clerk"], users["t100_handler"], users["t100_s01"]
    station = Unit.objects.get(name="洛党镇财政所")
    made = 0
    for index, code, channel, title, content, name, phone, outcome in CASES:
        registration = services.petition_register(
            actor=clerk,
            channel=channel,
            category=categories[code],
            region=villages[index],
            title=title,
            content=content,
            anonymous=not name,
            complainant_name=name,
            complainant_phone=phone,
        )
        case = registration.petition.pk
        made += 1
        if outcome == "settled":
            services.petition_settle(petition_id=case, actor=clerk, text="村调解员现场调解，双方同意共同疏通排水沟。")
            continue
        if outcome == "rejected":
            services.petition_reject(
                petition_id=case,
                actor=handler,
                reason="属于法院执行事项，不属于信访受理范围。",
                guidance="请向县人民法院执行局申请强制执行。",
            )
            continue
        if outcome == "registered":
            continue
        services.petition_accept(petition_id=case, actor=handler)
        if outcome == "accepted":
            continue
        services.petition_assign(petition_id=case, actor=handler, unit=station, note="请财政所会同村委会核实。")
        if outcome == "in_progress":
            services.petition_note(petition_id=case, actor=station_handler, text="已到村核实缴费名单。")
            continue
        services.petition_reply(petition_id=case, actor=station_handler, text="经核实已处理，详见答复意见书。")
        if outcome == "closed":
            services.petition_rate(petition_id=case, actor=None, satisfaction="satisfied")
    made += _load_demo_report(villages[0], categories["discipline"], clerk)
    return made


def _load_demo_report(village: Region, category: Category, clerk: User) -> int:
    """Seed 003's example: a villager of 新锋村 reports at the village desk that the village
    Party deputy secretary pocketed 64 residents' medical-insurance contributions; the
    township commission verifies it, opens a case and expels him from the Party."""
    registration = services.petition_register(
        actor=clerk,
        channel="visit",
        category=category,
        region=village,
        title="村党支部副书记截留群众参合金",
        content="本村64户群众2015年度新农合参合金已交给村党支部副书记，但未上缴，群众住院时被告知未参合。",
        complainant_name="字某",
        complainant_phone="13988001009",
        accused=[{"name": "杨某", "post": "村党支部副书记"}],
    )
    case = registration.petition
    inspector = User.objects.get(username=f"t{village.code[6:9]}_inspector")
    assert case.holder_unit.kind == Unit.Kind.COMMISSION, "a report against officials goes to the commission"
    services.petition_accept(petition_id=case.pk, actor=inspector)
    services.petition_dispose(petition_id=case.pk, actor=inspector, kind="preliminary_verification")
    services.petition_dispose(
        petition_id=case.pk,
        actor=inspector,
        kind="case_opened",
        sanctioned_count=1,
        sanction_kind="expulsion",
        note="查实截留64名群众2015年度参合金，给予开除党籍处分，并责令承担相应医疗费用。",
    )
    services.petition_reply(
        petition_id=case.pk,
        actor=inspector,
        text="您反映的问题经查属实，相关人员已受到严肃处理，被截留的参合金问题已责令整改。",
    )
    return 1
