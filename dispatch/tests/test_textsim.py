"""The knowledge base's use of textsim: a long text read against a short question (coverage, not Jaccard)."""

from dispatch.textsim import QueryProbe, bigram_set, coverage


def test_bigrams_break_at_punctuation_and_spaces():
    assert bigram_set("停水，来水") == frozenset({"停水", "来水"})
    assert bigram_set("A 路") == frozenset()


def test_coverage_is_the_share_of_the_short_set_found():
    assert coverage(frozenset("ab"), frozenset("abc")) == 1.0
    assert coverage(frozenset("ab"), frozenset("a")) == 0.5
    assert coverage(frozenset(), frozenset("a")) == 0.0


def test_a_question_asked_in_other_words_scores_above_an_unrelated_one():
    probe = QueryProbe.of("我的健康码突然变黄了，做了核酸还是不能转绿")
    asked = probe.score(question="健康码变成黄码了怎么转绿码", keywords=("黄码", "转绿", "变黄"))
    other = probe.score(question="身份证丢了怎么补办", keywords=("身份证", "补办"))
    assert asked > 0.6 > 0.1 > other


def test_keywords_only_lift_a_score():
    probe = QueryProbe.of("小区停水了")
    plain = probe.score(question="小区停水了什么时候来水")
    assert probe.score(question="小区停水了什么时候来水", keywords=("电梯",)) == plain
    assert probe.score(question="小区停水了什么时候来水", keywords=("停水",)) > plain
