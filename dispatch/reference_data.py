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
