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
    made += _load_demo_linkage(villages, categories)
    return made


def _load_demo_linkage(villages: list[Region], categories: dict[str, Category]) -> int:
    """Five-level linkage at work: a call to the city's hotline handed down city → county →
    township, reported back level by level (the city's decision still to come); and a 12388
    report to the city handed down to the county commission, each accused person disposed of
    in turn, reported to the city."""

    from django.utils import timezone

    from petitions.deadlines import deadline_add
    from petitions.models import DayType

    names = ["city_handler", "city_inspector", "county_handler", "county_inspector", "t100_handler"]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    units = {
        u.name: u
        for u in Unit.objects.filter(name__in=["市群众诉求中心", "县群众诉求中心", "县纪委监委", "洛党镇群众诉求中心"])
    }
    if len(users) < len(names) or len(units) < 4:
        return 0  # a demo loaded before the city had staff
    due = deadline_add(timezone.now(), 10, DayType.WORKING).date()
    city, county, township = users["city_handler"], users["county_handler"], users["t100_handler"]
    case = services.petition_register(
        actor=city,
        intake_unit=units["市群众诉求中心"],
        channel="hotline",
        category=categories["infrastructure"],
        region=villages[8],
        title="饮水工程停水一个月",
        content="村里的人饮工程水管破裂，停水已一个月，村民到两公里外挑水。",
        complainant_name="罗红英",
        complainant_phone="13988001010",
    ).petition
    services.petition_hand_down(
        petition_id=case.pk,
        actor=city,
        unit=units["县群众诉求中心"],
        report_due=due,
        instructions="请县里督促乡镇尽快恢复供水，十个工作日内报结。",
    )
    services.petition_accept(petition_id=case.pk, actor=county)
    services.petition_hand_down(
        petition_id=case.pk,
        actor=county,
        unit=units["洛党镇群众诉求中心"],
        report_due=deadline_add(timezone.now(), 7, DayType.WORKING).date(),
        instructions="请镇里组织抢修，七个工作日内报结。",
    )
    services.petition_reply(petition_id=case.pk, actor=township, text="水管已抢修，3日起恢复供水。")
    upper, lower = case.referrals.order_by("created_at", "id")
    services.referral_report(referral_id=lower.pk, actor=township, text="已抢修管道并恢复供水，群众表示认可。")
    services.referral_accept(referral_id=lower.pk, actor=county, note="经电话回访属实。")
    services.referral_report(referral_id=upper.pk, actor=county, text="洛党镇已恢复供水，县里电话回访属实。")

    inspector = users["city_inspector"]
    report = services.petition_register(
        actor=city,
        intake_unit=units["市群众诉求中心"],
        channel="hotline",
        category=categories["discipline"],
        region=villages[9],
        title="村干部虚报冒领危房改造补助",
        content="村委会主任和文书给不符合条件的亲属申报危房改造补助。",
        complainant_name="李某",
        complainant_phone="13988001011",
        accused=[{"name": "王某", "post": "村委会主任"}, {"name": "陈某", "post": "村文书"}],
    ).petition
    services.petition_hand_down(
        petition_id=report.pk,
        actor=inspector,
        unit=units["县纪委监委"],
        report_due=due,
        instructions="市纪委转交办，请依规处置并报结。",
    )
    officer = users["county_inspector"]
    services.petition_accept(petition_id=report.pk, actor=officer)
    wang, chen = report.accused.order_by("id")
    services.petition_dispose(
        petition_id=report.pk,
        actor=officer,
        people=[
            {"accused": wang.pk, "outcome": "case_opened", "sanction": "serious_warning"},
            {"accused": chen.pk, "outcome": "talk_reminder"},
        ],
        note="王某立案审查并给予严重警告处分；陈某谈话提醒。",
    )
    services.referral_report(
        referral_id=report.referrals.get().pk, actor=officer, text="经查属实：王某给予严重警告处分，陈某谈话提醒。"
    )
    return 2


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
