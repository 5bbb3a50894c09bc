"""Hand-written labelled sets for routing (交单) and duplicate suggestions (列单).

Every problem kind below was written by hand from the kinds of requests a
Zhengzhou 12345 desk hears every day: a few ways a citizen titles it, a few
ways they describe it, the channel a dispatcher files it under, and the unit
that really owns it (`DISTRICT` = the government of the request's district).

The sets are built from these deterministically (a fixed seed):

- `routing_set()`: 240 requests with their correct lead unit, in time order
  (the last quarter is the held-out part);
- `duplicate_pairs()`: 120 duplicate pairs (the same problem at the same
  place, worded by two different citizens) and 120 near-miss pairs (the same
  street and community, a different problem).

`python -m dispatch.tests.data.labelled` prints both sets as JSON lines.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

DISTRICT = "DISTRICT"  # the district government of the request's district

CG = "郑州市城市管理局"
GA = "郑州市公安局"
JT = "郑州市交通运输局"
ZF = "郑州市住房保障和房地产管理局"
RS = "郑州市人力资源和社会保障局"
YB = "郑州市医疗保障局"
WJ = "郑州市卫生健康委员会"
JY = "郑州市教育局"
SJ = "郑州市市场监督管理局"
SW = "郑州市商务局"
MZ = "郑州市民政局"
ZW = "郑州市政务服务办公室"


@dataclass(frozen=True)
class Kind:
    key: str
    category: str  # the channel's code (requests_app.reference_data.CATEGORIES)
    unit: str  # a unit's name, or DISTRICT
    titles: tuple[str, ...]
    contents: tuple[str, ...]  # "{place}" is where it happens


KINDS: tuple[Kind, ...] = (
    Kind(
        "streetlight",
        "minsheng",
        CG,
        ("路灯不亮", "路灯坏了好几天", "晚上整条路黑漆漆的"),
        (
            "{place}附近的路灯已经一个多星期不亮了，晚上出门一片漆黑，老人摔倒过好几次，请尽快维修。",
            "我住在{place}，门口这段路的路灯从上周开始就坏了，晚上走路很危险，希望有关部门来修一下。",
            "{place}这一段连着五六盏路灯都不亮，下晚自习的孩子回家很害怕，麻烦派人检修。",
        ),
    ),
    Kind(
        "water_cut",
        "minsheng",
        CG,
        ("小区停水三天", "突然停水没有通知", "家里没水了"),
        (
            "{place}从周一开始停水，到现在已经三天了，物业说是管网问题，没人给个准话，老人孩子生活很困难。",
            "{place}今天早上突然停水，事先没有任何通知，家里做饭洗漱都没办法，请问什么时候能恢复供水？",
            "我们{place}一栋楼都没水了，打自来水公司电话一直占线，请帮忙协调尽快恢复。",
        ),
    ),
    Kind(
        "heating",
        "minsheng",
        CG,
        ("暖气不热", "供暖温度不达标", "交了暖气费家里还是冷"),
        (
            "{place}今年供暖以来家里暖气一直是温的，室内只有十四五度，交了暖气费却不达标，请督促热力公司处理。",
            "我家在{place}，暖气片上面热下面凉，报修了好几次都没人上门，家里有刚出生的孩子。",
            "{place}整栋楼暖气都不热，测温只有十几度，希望供热单位来排查管道。",
        ),
    ),
    Kind(
        "gas",
        "minsheng",
        CG,
        ("燃气表充值后没气", "天然气停了", "闻到燃气味"),
        (
            "{place}家里燃气表充了值但是一直没气，燃气公司营业厅说系统问题，已经两天没法做饭了。",
            "{place}从昨天开始停气，没有提前通知，请问燃气什么时候能恢复？",
            "{place}楼道里经常能闻到燃气味，担心漏气出事，希望燃气公司派人来检查管道。",
        ),
    ),
    Kind(
        "road_pothole",
        "jiaotong",
        CG,
        ("路面坑洼不平", "马路上有个大坑", "井盖松动"),
        (
            "{place}门口的路面坑坑洼洼，下雨天全是积水，电动车经过经常摔倒，请尽快修补。",
            "{place}路中间塌了一个大坑，晚上看不清，已经有车爆胎了，希望赶快处理。",
            "{place}人行道上的井盖松动，踩上去会翻，很危险，请相关部门更换。",
        ),
    ),
    Kind(
        "vendors",
        "minsheng",
        DISTRICT,
        ("占道经营", "流动摊贩堵路", "夜市摊位占满人行道"),
        (
            "{place}每天晚上流动摊贩占满了人行道和半条马路，行人只能走机动车道，油烟也很大。",
            "{place}门口早市的摊位摆到马路上，早上上班堵得走不动，希望管一管。",
            "{place}的烧烤摊把桌子摆到人行道上，一直营业到凌晨，垃圾满地。",
        ),
    ),
    Kind(
        "construction_noise",
        "minsheng",
        DISTRICT,
        ("夜间施工噪音扰民", "工地半夜还在施工", "晚上施工吵得睡不着"),
        (
            "{place}旁边的工地每天晚上施工到凌晨两三点，打桩机声音特别大，全家人都睡不着觉。",
            "{place}附近工地夜里一直有渣土车进出和机器作业，多次投诉没有改善，请依法处理。",
            "{place}东边的建筑工地半夜浇筑混凝土，噪音很大，孩子明天还要考试。",
        ),
    ),
    Kind(
        "garbage",
        "minsheng",
        DISTRICT,
        ("小区垃圾没人清运", "垃圾堆成山", "垃圾站臭气熏天"),
        (
            "{place}的垃圾桶已经好几天没人清运了，垃圾堆到路边，天气热臭味很大，还有苍蝇老鼠。",
            "{place}楼下垃圾越堆越多，物业说环卫不来拉，请协调尽快清运。",
            "{place}门口的垃圾中转站常年臭气熏天，污水流到路上，请整改。",
        ),
    ),
    Kind(
        "illegal_building",
        "minsheng",
        DISTRICT,
        ("小区私搭乱建", "一楼住户违建", "楼顶加盖违章建筑"),
        (
            "{place}一楼住户把院子圈起来盖了房子，占用公共绿地，物业管不了，请依法拆除。",
            "{place}有住户在楼顶私自加盖板房，存在安全隐患，也影响其他住户，请查处。",
            "{place}沿街商户私自搭建彩钢棚占用消防通道，请相关部门处理。",
        ),
    ),
    Kind(
        "signal",
        "jiaotong",
        GA,
        ("红绿灯故障", "路口信号灯一直闪黄灯", "红绿灯时间太短"),
        (
            "{place}路口的红绿灯一直闪黄灯，早晚高峰车辆抢行，非常危险，请尽快维修。",
            "{place}十字路口的信号灯坏了两天了，交通很乱，差点出事故。",
            "{place}路口行人绿灯只有十几秒，老人根本走不过去，建议延长时间。",
        ),
    ),
    Kind(
        "illegal_parking",
        "jiaotong",
        GA,
        ("违停堵塞消防通道", "车辆乱停乱放", "门口被车堵死了"),
        (
            "{place}的消防通道每天晚上都被私家车占满，万一着火消防车进不来，请交警来处理。",
            "{place}路边两侧全是违停车辆，公交车都过不去，请加强管理。",
            "{place}小区门口天天有车乱停，把出入口堵死，出不去也进不来。",
        ),
    ),
    Kind(
        "bus",
        "jiaotong",
        JT,
        ("公交线路调整不合理", "公交车等一个小时", "公交司机态度差"),
        (
            "{place}附近的公交线路调整后，最近的站点要走二十分钟，老人出行很不方便，希望恢复原来的站点。",
            "{place}站的公交车经常一个小时才来一趟，上班天天迟到，请增加班次。",
            "在{place}站上车时公交司机不等老人坐稳就急刹急起，态度也很恶劣，请处理。",
        ),
    ),
    Kind(
        "taxi",
        "jiaotong",
        JT,
        ("出租车拒载", "网约车乱收费", "出租车绕路"),
        (
            "在{place}打出租车，司机听说去的地方近就拒载，已经记下车牌号，请处理。",
            "从{place}坐网约车，到了以后平台多收了一倍的钱，客服不理，请有关部门查处。",
            "昨晚从{place}打车回家，司机故意绕路多收了三十块钱。",
        ),
    ),
    Kind(
        "metro",
        "jiaotong",
        JT,
        ("地铁站出口封闭", "地铁早高峰太挤", "地铁站电梯坏了"),
        (
            "{place}附近的地铁站B口已经封闭两个月了，要绕很远才能进站，请问什么时候开放？",
            "早高峰从{place}坐地铁挤不上去，连等三趟车，建议增加班次。",
            "{place}地铁站的直梯坏了很久，推婴儿车和坐轮椅的人进不了站。",
        ),
    ),
    Kind(
        "property_fee",
        "minsheng",
        ZF,
        ("物业乱收费", "物业不作为", "物业费涨价没有公示"),
        (
            "{place}物业今年突然把物业费涨了三成，没有开业主大会也没有公示，请住房部门查一下。",
            "{place}的物业收费不干活，电梯坏了一个月不修，楼道也没人打扫。",
            "{place}物业强制收取停车管理费和装修押金，不交就不给门禁卡。",
        ),
    ),
    Kind(
        "title_deed",
        "minsheng",
        ZF,
        ("房产证办不下来", "交房五年没有不动产证", "开发商不给办证"),
        (
            "我在{place}买的房子交房已经五年了，开发商一直拖着不给办房产证，孩子上学都受影响。",
            "{place}小区几百户业主至今拿不到不动产证，开发商说手续没办完，请住房部门督促。",
            "{place}的房子网签备案一直办不了，售楼处说等通知，等了两年。",
        ),
    ),
    Kind(
        "public_housing",
        "minsheng",
        ZF,
        ("公租房申请", "公租房排队太久", "人才公寓怎么申请"),
        (
            "我在{place}附近上班，想申请公租房，请问需要什么条件、在哪里递交材料？",
            "我们家在{place}申请公租房已经排队三年了，一直没有消息，请问现在排到哪里了？",
            "刚毕业来郑州工作，住在{place}，想了解人才公寓的申请条件和流程。",
        ),
    ),
    Kind(
        "wages",
        "minsheng",
        RS,
        ("拖欠工资", "工地老板欠薪跑了", "公司不发工资"),
        (
            "我在{place}的工地干了半年活，包工头拖欠工资三万多元，现在人找不到了，请帮忙讨薪。",
            "{place}一家公司已经三个月没发工资了，几十个员工去找老板都说没钱。",
            "我们在{place}的装修队干完活，老板一直拖着不结工钱，快过年了请帮帮农民工。",
        ),
    ),
    Kind(
        "social_insurance",
        "minsheng",
        RS,
        ("单位不给交社保", "养老保险转移接续", "退休金怎么算"),
        (
            "我在{place}的一家公司上班两年，单位一直不给缴纳社保，请问该怎么维权？",
            "我从外省回到郑州，现在住{place}，养老保险关系转移办了两个月还没办好。",
            "我住在{place}，明年退休，想咨询养老金怎么计算、需要提前准备什么材料。",
        ),
    ),
    Kind(
        "medical_insurance",
        "yiliao",
        YB,
        ("医保报销不了", "异地就医备案", "医保卡被冒用"),
        (
            "我在{place}附近的医院住院花了两万多，出院时医保却不给报销，说不在目录内，请核实。",
            "我住在{place}，父母在外地，想咨询异地就医备案怎么办理，能不能直接结算。",
            "{place}的药店用我的医保卡刷了我没买过的药，怀疑医保卡被冒用。",
        ),
    ),
    Kind(
        "hospital",
        "yiliao",
        WJ,
        ("医院挂号难", "医生态度恶劣", "急诊等了三个小时"),
        (
            "带孩子去{place}附近的医院看病，网上挂号一直约不上，现场也不给挂，请问该怎么办？",
            "在{place}的社区医院看病时医生态度很恶劣，不听病人说完就开药。",
            "昨晚在{place}附近医院急诊等了三个多小时都没人接诊，病人疼得受不了。",
        ),
    ),
    Kind(
        "vaccine",
        "yiliao",
        WJ,
        ("疫苗预约不上", "孩子打疫苗没有苗", "九价疫苗怎么预约"),
        (
            "{place}社区卫生服务中心的儿童疫苗一直显示无苗，孩子已经超过接种时间了。",
            "住在{place}，想给孩子约疫苗，社区医院说要等通知，请问什么时候有苗？",
            "{place}附近的接种点九价疫苗一直约不上，请问还有其他预约渠道吗？",
        ),
    ),
    Kind(
        "school_place",
        "jiaoyu",
        JY,
        ("孩子入学咨询", "划片入学不合理", "外地户籍孩子上学"),
        (
            "我们家住{place}，孩子今年上小学，想问一下对口的是哪所学校、需要准备哪些材料。",
            "{place}划片到的学校离家四公里，旁边的学校却不让上，划片不合理。",
            "外地户籍在{place}租房居住，孩子今年上初中，请问随迁子女入学需要什么手续？",
        ),
    ),
    Kind(
        "tutoring",
        "jiaoyu",
        JY,
        ("培训机构不退费", "校外培训班跑路", "培训机构违规补课"),
        (
            "给孩子在{place}的一家培训机构报了一年的课，现在机构关门了，学费一万多退不了。",
            "{place}的一家校外培训机构周末偷偷给中小学生上学科课，请教育部门查处。",
            "{place}的英语培训班突然停课，老师也联系不上，几十个家长的学费没有着落。",
        ),
    ),
    Kind(
        "food_safety",
        "xiaofei",
        SJ,
        ("饭店卫生差", "买到过期食品", "外卖吃坏肚子"),
        (
            "在{place}的一家饭店吃饭，后厨卫生很差，吃完后全家拉肚子，请市场监管部门检查。",
            "在{place}的超市买的牛奶已经过期了还在卖，找店家只肯换不肯赔。",
            "点了{place}一家店的外卖，吃完上吐下泻，店家拒不承认，请查处。",
        ),
    ),
    Kind(
        "prices",
        "xiaofei",
        SJ,
        ("超市哄抬物价", "商家价格欺诈", "明码标价和结账不一样"),
        (
            "{place}的超市蔬菜价格一天涨了三倍，明显哄抬物价，请市场监管部门查处。",
            "在{place}的商场买衣服，先提价再打折，属于价格欺诈。",
            "{place}的便利店标签价格和结账价格不一样，多收钱还不承认。",
        ),
    ),
    Kind(
        "prepaid_card",
        "xiaofei",
        SW,
        ("预付卡商家跑路", "健身房关门卡里钱退不了", "美容院办卡后倒闭"),
        (
            "{place}的健身房突然关门，会员卡余额几千元无法退还，涉及上百名会员。",
            "在{place}的美容院办了一张充值卡，现在店面转让，老板不认账，请帮忙维权。",
            "{place}的理发店办卡后就关门了，卡里还有两千多，请问单用途预付卡怎么投诉？",
        ),
    ),
    Kind(
        "subsistence",
        "minsheng",
        MZ,
        ("低保申请", "低保被取消", "困难家庭救助"),
        (
            "我家在{place}，丈夫重病没有收入，想申请低保，请问需要什么条件和材料？",
            "{place}的低保户，今年突然被取消了低保，社区没有说明原因，请核实。",
            "{place}有一户老人独居，生活非常困难，希望民政部门给予临时救助。",
        ),
    ),
    Kind(
        "elderly_care",
        "minsheng",
        MZ,
        ("养老院收费不合理", "社区养老服务", "高龄补贴没发"),
        (
            "父亲住在{place}附近的养老院，收费一再上涨，服务却越来越差，请民政部门管一管。",
            "{place}社区的老年食堂关了，老人吃饭成了问题，希望恢复社区养老服务。",
            "我家老人住{place}，今年满八十岁，高龄津贴到现在还没有发放。",
        ),
    ),
    Kind(
        "service_window",
        "zhengwu",
        ZW,
        ("办事窗口排队太久", "政务服务大厅来回跑", "网上办事系统登不上"),
        (
            "在{place}附近的政务服务中心办营业执照，排了一上午的队，窗口只开了两个。",
            "去{place}的政务大厅办事，材料每次都说缺一样，已经跑了四趟。",
            "住在{place}，在郑好办上办理业务一直登录失败，客服电话也打不通。",
        ),
    ),
    Kind(
        "hukou",
        "zhengwu",
        GA,
        ("户口迁移", "身份证补办", "居住证办理"),
        (
            "我在{place}买了房，想把户口迁过来，请问需要准备哪些材料、去哪个派出所办？",
            "身份证丢了，我住在{place}，请问在哪里补办、多久能拿到？",
            "在{place}租房住了一年，想办居住证给孩子上学用，请问流程是什么？",
        ),
    ),
    Kind(
        "community_noise",
        "minsheng",
        DISTRICT,
        ("广场舞噪音扰民", "楼下商铺音响太吵", "小区里天天有人吵闹"),
        (
            "{place}的广场舞每天晚上音响开得特别大，一直跳到十点多，影响居民休息。",
            "{place}楼下的商铺每天用大音响放音乐招揽顾客，从早吵到晚。",
            "{place}的小广场上每天晚上有人唱歌喊麦到半夜，居民多次劝阻无效。",
        ),
    ),
)

# (district code, street, community) for each place; district codes from requests_app.reference_data.
PLACES: tuple[tuple[str, str, str], ...] = (
    ("jinshui", "花园路", "锦艺城小区"),
    ("jinshui", "农业路", "农科院家属院"),
    ("jinshui", "经三路", "省财政厅家属院"),
    ("jinshui", "丰产路", "丰产路社区"),
    ("jinshui", "东风路", "东风新村"),
    ("jinshui", "纬五路", "纬五路一号院"),
    ("zhongyuan", "中原路", "绿城百合公寓"),
    ("zhongyuan", "建设路", "建设路社区"),
    ("zhongyuan", "桐柏路", "桐柏路小区"),
    ("zhongyuan", "伏牛路", "伏牛路社区"),
    ("erqi", "大学路", "郑大一附院家属院"),
    ("erqi", "长江路", "长江路小区"),
    ("erqi", "航海路", "航海路万达广场"),
    ("erqi", "淮河路", "淮河路社区"),
    ("guancheng", "紫荆山路", "紫荆山公园南"),
    ("guancheng", "城东路", "城东路社区"),
    ("guancheng", "商城路", "商城路小区"),
    ("huiji", "天河路", "天河路社区"),
    ("huiji", "开元路", "开元路小区"),
    ("zhengdong", "商务外环", "CBD如意湖"),
    ("zhengdong", "金水东路", "龙湖一号"),
    ("gaoxin", "科学大道", "科学大道大学城"),
    ("gaoxin", "莲花街", "莲花街社区"),
    ("jingkai", "第八大街", "经开第八大街小区"),
    ("xinzheng", "中华路", "新郑中华路小区"),
)

DISTRICT_UNITS = {
    "zhongyuan": "中原区人民政府",
    "erqi": "二七区人民政府",
    "guancheng": "管城回族区人民政府",
    "jinshui": "金水区人民政府",
    "huiji": "惠济区人民政府",
    "xinzheng": "新郑市人民政府",
    "zhengdong": "郑东新区管委会",
    "jingkai": "郑州经济技术开发区管委会",
    "gaoxin": "郑州高新技术产业开发区管委会",
}


def place_text(place: tuple[str, str, str]) -> str:
    return f"{place[1]}{place[2]}"


def unit_for(kind: Kind, district: str) -> str:
    return DISTRICT_UNITS[district] if kind.unit == DISTRICT else kind.unit


def request_for(kind: Kind, place: tuple[str, str, str], rng: random.Random) -> dict:
    content = rng.choice(kind.contents).format(place=place_text(place))
    return {
        "kind": kind.key,
        "category": kind.category,
        "district": place[0],
        "title": rng.choice(kind.titles),
        "content": content,
        "unit": unit_for(kind, place[0]),
    }


def routing_set(size: int = 240, seed: int = 12) -> list[dict]:
    """`size` requests in time order, each with the unit that really owns it."""
    rng = random.Random(seed)
    return [request_for(rng.choice(KINDS), rng.choice(PLACES), rng) for _ in range(size)]


def duplicate_pairs(per_label: int = 120, seed: int = 34) -> list[dict]:
    """Duplicate pairs (label True) and near-miss pairs (same street, another problem; label False)."""
    rng = random.Random(seed)
    pairs = []
    while sum(p["label"] for p in pairs) < per_label:
        kind, place = rng.choice(KINDS), rng.choice(PLACES)
        a, b = rng.sample(range(len(kind.contents)), 2)
        first = dict(request_for(kind, place, rng), content=kind.contents[a].format(place=place_text(place)))
        second = dict(request_for(kind, place, rng), content=kind.contents[b].format(place=place_text(place)))
        pairs.append({"a": first, "b": second, "label": True})
    while len(pairs) < 2 * per_label:
        kind, other = rng.sample(KINDS, 2)
        place = rng.choice(PLACES)
        pairs.append({"a": request_for(kind, place, rng), "b": request_for(other, place, rng), "label": False})
    return pairs


if __name__ == "__main__":
    for row in routing_set():
        print(json.dumps({"set": "routing", **row}, ensure_ascii=False))
    for pair in duplicate_pairs():
        print(json.dumps({"set": "duplicates", **pair}, ensure_ascii=False))
