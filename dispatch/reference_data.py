"""Reference data every installation has: the city's departments and district governments.

Used by the data migration and by tests that flush the database.
"""

DEPARTMENTS = [
    ("郑州市卫生健康委员会", "市卫健委"),
    ("郑州市交通运输局", "市交通运输局"),
    ("郑州市教育局", "市教育局"),
    ("郑州市市场监督管理局", "市市场监管局"),
    ("郑州市人力资源和社会保障局", "市人社局"),
    ("郑州市民政局", "市民政局"),
    ("郑州市住房保障和房地产管理局", "市住房保障局"),
    ("郑州市城市管理局", "市城管局"),
    ("郑州市公安局", "市公安局"),
    ("郑州市医疗保障局", "市医保局"),
    ("郑州市商务局", "市商务局"),
    ("郑州市政务服务办公室", "市政务办"),
]

# District code -> governing unit name.
DISTRICT_UNITS = {
    "zhongyuan": "中原区人民政府",
    "erqi": "二七区人民政府",
    "guancheng": "管城回族区人民政府",
    "jinshui": "金水区人民政府",
    "shangjie": "上街区人民政府",
    "huiji": "惠济区人民政府",
    "gongyi": "巩义市人民政府",
    "xingyang": "荥阳市人民政府",
    "xinmi": "新密市人民政府",
    "xinzheng": "新郑市人民政府",
    "dengfeng": "登封市人民政府",
    "zhongmou": "中牟县人民政府",
    "zhengdong": "郑东新区管委会",
    "jingkai": "郑州经济技术开发区管委会",
    "gaoxin": "郑州高新技术产业开发区管委会",
    "hangkonggang": "郑州航空港经济综合实验区管委会",
}


def reference_data_seed(apps) -> None:
    """Create or update the city's units (idempotent). `apps` may be a migration's state."""
    Unit = apps.get_model("dispatch", "Unit")
    District = apps.get_model("requests_app", "District")
    for order, (name, short) in enumerate(DEPARTMENTS, start=1):
        Unit.objects.update_or_create(name=name, defaults={"short_name": short, "kind": "department", "order": order})
    for order, district in enumerate(District.objects.filter(code__in=DISTRICT_UNITS).order_by("order"), start=1):
        Unit.objects.update_or_create(
            name=DISTRICT_UNITS[district.code],
            defaults={"short_name": district.name, "kind": "district", "district": district, "order": order},
        )


# A demo 权责清单 for Zhengzhou: (category code or None, district code or None, keywords, lead unit,
# assisting units, note). Partial on purpose, like a real one: what no rule covers is suggested
# from past hand-overs. Seeded by `manage.py seed_demo`, kept by the dispatchers in admin.
RESPONSIBILITY_RULES = [
    ("jiaotong", None, "红绿灯 信号灯 违停 乱停 消防通道", "郑州市公安局", [], "道路交通秩序、信号设施（交警）"),
    ("jiaotong", None, "公交 地铁 出租车 网约车", "郑州市交通运输局", [], "公共交通、客运"),
    ("jiaotong", None, "路面 坑 井盖", "郑州市城市管理局", [], "城市道路、市政设施"),
    ("minsheng", None, "路灯", "郑州市城市管理局", [], "城市照明"),
    ("minsheng", None, "停水 供水 自来水 暖气 供暖 燃气 天然气", "郑州市城市管理局", [], "供水、供热、燃气"),
    ("minsheng", None, "物业 房产证 不动产证 公租房", "郑州市住房保障和房地产管理局", [], "物业、房产、住房保障"),
    ("minsheng", None, "工资 欠薪 社保 养老保险", "郑州市人力资源和社会保障局", [], "劳动保障"),
    ("minsheng", None, "低保 养老院 救助", "郑州市民政局", [], "社会救助、养老服务"),
    ("minsheng", "jinshui", "噪音 占道 摊贩 垃圾 违建", "金水区人民政府", [], "属地管理"),
    ("minsheng", "zhongyuan", "噪音 占道 摊贩 垃圾 违建", "中原区人民政府", [], "属地管理"),
    ("minsheng", "erqi", "噪音 占道 摊贩 垃圾 违建", "二七区人民政府", [], "属地管理"),
    ("jiaoyu", None, "", "郑州市教育局", [], "教育"),
    ("yiliao", None, "医保", "郑州市医疗保障局", [], "医疗保障"),
    ("yiliao", None, "", "郑州市卫生健康委员会", [], "医疗卫生"),
    ("xiaofei", None, "预付卡 办卡 会员卡 充值卡", "郑州市商务局", ["郑州市市场监督管理局"], "单用途预付卡"),
    ("xiaofei", None, "", "郑州市市场监督管理局", [], "市场监管"),
    ("zhengwu", None, "户口 身份证 居住证", "郑州市公安局", [], "户政"),
    ("zhengwu", None, "", "郑州市政务服务办公室", [], "政务服务"),
    ("yiqing-zhengce", None, "", "郑州市卫生健康委员会", [], "应急"),
    ("jiaotong-chuxing", None, "", "郑州市交通运输局", [], "应急"),
    ("xunyi-maiyao", None, "", "郑州市卫生健康委员会", ["郑州市医疗保障局"], "应急"),
    ("xuesheng-jiaoyu", None, "", "郑州市教育局", [], "应急"),
    ("shipin-gongying", None, "", "郑州市商务局", [], "应急"),
    ("jiankangma", None, "", "郑州市政务服务办公室", ["郑州市卫生健康委员会"], "应急"),
]


def responsibility_rules_seed(apps) -> int:
    """Create the demo rules that do not exist yet (matched on channel, district, keywords); how many."""
    Rule = apps.get_model("dispatch", "ResponsibilityRule")
    Unit = apps.get_model("dispatch", "Unit")
    Category = apps.get_model("requests_app", "Category")
    District = apps.get_model("requests_app", "District")
    made = 0
    for category, district, keywords, lead, assists, note in RESPONSIBILITY_RULES:
        rule, created = Rule.objects.get_or_create(
            category=Category.objects.get(code=category) if category else None,
            district=District.objects.get(code=district) if district else None,
            keywords=keywords,
            defaults={"lead_unit": Unit.objects.get(name=lead), "note": note},
        )
        if created:
            rule.assist_units.set(Unit.objects.filter(name__in=assists))
            made += 1
    return made
