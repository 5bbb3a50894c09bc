"""factory_boy factories for the citizen side."""

import factory

from requests_app import services
from requests_app.models import Category, District, HelpRequest, Urgency


def category(code: str = "minsheng") -> Category:
    return Category.objects.get(code=code)


def district(code: str = "jinshui") -> District:
    return District.objects.get(code=code)


class HelpRequestFactory(factory.Factory):
    """Builds requests through the real service, as a citizen's submission would."""

    class Meta:
        model = HelpRequest

    category = factory.LazyFunction(category)
    urgency = Urgency.NORMAL
    district = factory.LazyFunction(district)
    name = "张三"
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    address = "金水路1号"
    title = "小区停水三天"
    content = "我们小区从周一开始停水，至今没有恢复，老人孩子生活很困难，请帮忙协调。"

    @classmethod
    def _create(cls, model_class, **kwargs):
        return services.request_submit(**kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        return services.request_submit(**kwargs)
