"""Reference data every installation has: the article's channels and Zhengzhou's districts.

Used by the data migration and by tests that flush the database.
"""

CATEGORIES = [
    # (code, name, group, description)
    ("minsheng", "民生", "general", "住房、水电气暖、社区服务、社会保障等民生问题"),
    ("jiaotong", "交通", "general", "道路、公交地铁、出行管理等交通问题"),
    ("jiaoyu", "教育", "general", "入学、学校管理、课外培训等教育问题"),
    ("yiliao", "医疗", "general", "就医、医保、药品等医疗卫生问题"),
    ("xiaofei", "消费", "general", "消费纠纷、商家违法、价格与质量问题"),
    ("zhengwu", "政务", "general", "办事流程、政务服务、政策咨询"),
    ("yiqing-zhengce", "疫情政策", "emergency", "疫情防控政策咨询"),
    ("jiaotong-chuxing", "交通出行", "emergency", "疫情期间交通出行问题"),
    ("xunyi-maiyao", "寻医买药", "emergency", "就医、透析化疗、产检、买药等紧急需求"),
    ("xuesheng-jiaoyu", "学生教育", "emergency", "疫情期间学生教育问题"),
    ("shipin-gongying", "食品供应", "emergency", "生活物资和食品供应"),
    ("jiankangma", "健康码问题", "emergency", "健康码、行程码异常"),
]

DISTRICTS = [
    # (code, name, kind)
    ("zhongyuan", "中原区", "district"),
    ("erqi", "二七区", "district"),
    ("guancheng", "管城回族区", "district"),
    ("jinshui", "金水区", "district"),
    ("shangjie", "上街区", "district"),
    ("huiji", "惠济区", "district"),
    ("gongyi", "巩义市", "city"),
    ("xingyang", "荥阳市", "city"),
    ("xinmi", "新密市", "city"),
    ("xinzheng", "新郑市", "city"),
    ("dengfeng", "登封市", "city"),
    ("zhongmou", "中牟县", "county"),
    ("zhengdong", "郑东新区", "zone"),
    ("jingkai", "郑州经济技术开发区", "zone"),
    ("gaoxin", "郑州高新技术产业开发区", "zone"),
    ("hangkonggang", "郑州航空港经济综合实验区", "zone"),
]


def reference_data_seed(apps) -> None:
    """Create or update the channels and districts (idempotent). `apps` may be a migration's state."""
    Category = apps.get_model("requests_app", "Category")
    District = apps.get_model("requests_app", "District")
    for order, (code, name, group, description) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(
            code=code, defaults={"name": name, "group": group, "description": description, "order": order}
        )
    for order, (code, name, kind) in enumerate(DISTRICTS, start=1):
        District.objects.update_or_create(code=code, defaults={"name": name, "kind": kind, "order": order})
