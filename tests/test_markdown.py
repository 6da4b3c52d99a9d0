"""Markdown bodies come out as HTML in which nothing can run: checked on the parsed output, not by string matching."""

from html.parser import HTMLParser

import pytest

from core.markdown import render_markdown


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_inert(html):
    for tag, attrs in Elements(html).tags:
        assert tag not in {"script", "style", "iframe", "object", "embed", "img", "svg", "form", "input", "meta",
                           "link", "base"}, html
        assert not [name for name in attrs if name.startswith("on")], html
        assert "style" not in attrs, html
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            value = "".join((attrs.get(name) or "").split()).lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:")), html


HOSTILE = {
    "script tag": "Hello <script>alert(1)</script> world",
    "script block": "<script>\nalert(document.cookie)\n</script>",
    "javascript link": "[click](javascript:alert(1))",
    "javascript link mixed case": "[click](JaVaScRiPt:alert(1))",
    "javascript link with entity": "[click](jav&#x09;ascript:alert(1))",
    "javascript autolink": "<javascript:alert(1)>",
    "javascript reference link": "[click][x]\n\n[x]: javascript:alert(1)",
    "data link": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "raw anchor": '<a href="javascript:alert(1)">click</a>',
    "onerror image": '<img src=x onerror="alert(1)">',
    "markdown image with onerror title": '![x](https://example.com/a.png "x\\" onerror=\\"alert(1)")',
    "javascript image": "![x](javascript:alert(1))",
    "svg onload": "<svg onload=alert(1)><circle r=1></svg>",
    "iframe": '<iframe src="https://evil.example"></iframe>',
    "event handler in table": "| a |\n|---|\n| <b onmouseover=alert(1)>x</b> |",
    "html in code span stays text": "`<script>alert(1)</script>`",
    "style attribute": '<p style="background:url(javascript:alert(1))">x</p>',
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markdown_is_inert(source):
    assert_inert(render_markdown(source))


def test_script_text_is_shown_escaped_not_dropped_silently():
    html = render_markdown("Hello <script>alert(1)</script> world")
    assert "<script" not in html
    assert "&lt;script&gt;" in html  # the reader sees what was written, as text


def test_ordinary_markdown_still_renders():
    html = render_markdown("# Title\n\n**bold** and *em* and `code`\n\n- one\n- two\n\n[site](https://example.com)")
    tags = dict(Elements(html).tags)
    assert {"h1", "strong", "em", "code", "ul", "li", "a"} <= set(tags)
    assert tags["a"]["href"] == "https://example.com"
    assert set(tags["a"]["rel"].split()) >= {"noopener", "noreferrer", "nofollow"}


def test_mailto_links_are_kept():
    html = render_markdown("[mail us](mailto:desk@example.com)")
    assert dict(Elements(html).tags)["a"]["href"] == "mailto:desk@example.com"


def test_chinese_text_and_tables_render():
    html = render_markdown("| 服务 | 状态 |\n|---|---|\n| 邮件 | 正常 |")
    assert "<table>" in html and "邮件" in html


@pytest.mark.parametrize("empty", [None, ""])
def test_empty_body_renders_empty(empty):
    assert render_markdown(empty) == ""
