"""The web message is Markdown (OnCall's web templates write it): a small subset rendered safely."""

import re

import pytest

from oncall.console.markdown import to_html
from oncall.console.render import environment

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "pre", "code", "strong", "em", "a"}


def tags(html: str) -> set[str]:
    return {name.lower() for name in re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", html)}


def test_bold_italics_code_and_line_breaks():
    html = to_html("**Firing** since *now*\nrun `df -h` on __db-1__")
    assert html == (
        "<p><strong>Firing</strong> since <em>now</em><br>run <code>df -h</code> on <strong>db-1</strong></p>"
    )


def test_lists_and_paragraphs():
    html = to_html("Alerts:\n- one\n- two\n\n1. first\n2. second\n\nend")
    assert html == ("<p>Alerts:</p><ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol><p>end</p>")


def test_http_links_become_links():
    html = to_html("[Grafana](https://grafana.example/d/x?a=1&b=2)")
    assert (
        html
        == '<p><a href="https://grafana.example/d/x?a=1&amp;b=2" rel="noopener noreferrer nofollow">Grafana</a></p>'
    )


def test_snake_case_stays_text_and_code_blocks_are_verbatim():
    assert to_html("disk_usage_high on node_1") == "<p>disk_usage_high on node_1</p>"
    assert to_html("```\n**not bold** <b>\n```") == "<pre><code>**not bold** &lt;b&gt;</code></pre>"


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](javascript:alert`1`)",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click]( javascript:alert(1))",
        "[click](vbscript:msgbox)",
    ],
)
def test_links_with_other_schemes_stay_text(source):
    html = to_html(source)
    assert "<a" not in html
    assert "href" not in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "**<img src=x onerror=alert(1)>**",
        "- <iframe src=javascript:alert(1)>",
        "`<svg onload=alert(1)>`",
        '[x](https://a.example/"onmouseover="alert(1))',
        "[x](https://a.example/'onmouseover='alert(1))",
        "[<img src=x onerror=alert(1)>](https://a.example/)",
        "*<a href=javascript:alert(1)>x</a>*",
        "```\n</code></pre><script>alert(1)</script>\n```",
    ],
)
def test_html_in_markdown_is_text_and_attributes_cannot_be_injected(source):
    html = to_html(source)
    assert tags(html) <= ALLOWED_TAGS
    assert "<script" not in html and "<img" not in html and "<svg" not in html and "<iframe" not in html
    # Every attribute is one we wrote: a single href (quoted, no quote inside) and rel.
    for attributes in re.findall(r"<a ([^>]*)>", html):
        assert re.fullmatch(r'href="[^"]*" rel="noopener noreferrer nofollow"', attributes)
        assert "'" not in attributes and "onmouseover=" not in attributes.replace("&#34;", "")


def test_the_group_page_renders_the_message_as_markdown():
    # given the filter the group page applies to the rendered message (autoescape on)
    rendered = environment().from_string("{{ text | markdown }}").render(text="**Firing** <b>x</b>")
    assert rendered == "<p><strong>Firing</strong> &lt;b&gt;x&lt;/b&gt;</p>"
