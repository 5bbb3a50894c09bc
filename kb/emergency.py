"""Words that signal an emergency: the form shows the 110 / 120 / 119 notice before anything else.

A fixed list, reviewed with the hotline's supervisors; a city extends it with
`settings.KB_EMERGENCY_WORDS` (word → number). A false alarm costs a citizen
one glance at a notice; a missed fire costs more, so the words lean wide.
"""

from __future__ import annotations

from django.conf import settings

POLICE, AMBULANCE, FIRE = "110", "120", "119"

WORDS: dict[str, str] = {
    # 119: fire, gas, explosions, people trapped
    "着火": FIRE,
    "起火": FIRE,
    "失火": FIRE,
    "火灾": FIRE,
    "冒烟": FIRE,
    "烧起来": FIRE,
    "燃气泄漏": FIRE,
    "煤气泄漏": FIRE,
    "天然气泄漏": FIRE,
    "闻到煤气": FIRE,
    "爆炸": FIRE,
    "被困电梯": FIRE,
    "困在电梯": FIRE,
    # 120: someone not breathing, unconscious, bleeding, poisoned
    "没有呼吸": AMBULANCE,
    "没呼吸": AMBULANCE,
    "不呼吸": AMBULANCE,
    "喘不上气": AMBULANCE,
    "昏迷": AMBULANCE,
    "晕倒": AMBULANCE,
    "不省人事": AMBULANCE,
    "叫不醒": AMBULANCE,
    "心脏骤停": AMBULANCE,
    "大出血": AMBULANCE,
    "抽搐": AMBULANCE,
    "中毒": AMBULANCE,
    "溺水": AMBULANCE,
    "吞药": AMBULANCE,
    "割腕": AMBULANCE,
    "想自杀": AMBULANCE,
    "要自杀": AMBULANCE,
    "跳楼": AMBULANCE,
    "轻生": AMBULANCE,
    # 110: violence and threats
    "杀人": POLICE,
    "要杀": POLICE,
    "砍人": POLICE,
    "持刀": POLICE,
    "拿刀": POLICE,
    "打人": POLICE,
    "家暴": POLICE,
    "抢劫": POLICE,
    "绑架": POLICE,
    "威胁要": POLICE,
    "报复社会": POLICE,
    "正在偷": POLICE,
    "入室": POLICE,
}


def emergency_numbers(text: str) -> list[str]:
    """The numbers (110, 120, 119) the text's emergency words point to, in that order; [] for none."""
    words = {**WORDS, **getattr(settings, "KB_EMERGENCY_WORDS", {})}
    found = {number for word, number in words.items() if word in text}
    return [n for n in (POLICE, AMBULANCE, FIRE) if n in found]
