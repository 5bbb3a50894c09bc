from kb.render import markdown_render


def test_markdown_is_rendered():
    html = markdown_render("**办理**\n\n- 拨打 [12345](tel:12345)\n- [网上办](https://www.zzzwfw.gov.cn/)")
    assert "<strong>办理</strong>" in html
    assert '<a href="tel:12345" rel="noopener noreferrer nofollow">12345</a>' in html
    assert "<li>" in html


def test_no_raw_html_or_script_reaches_the_page():
    payload = (
        "正文<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        '[点我](javascript:alert(3))\n\n<a href="#" onclick="alert(4)">x</a>\n\n<iframe src="//evil"></iframe>'
        "\n\n<style>body{display:none}</style>"
    )
    html = markdown_render(payload)
    lowered = html.lower()
    for bad in ("<script", "alert(1)", "onerror", "<img", "javascript:", "onclick", "<iframe", "<style"):
        assert bad not in lowered, bad
    assert "正文" in html
