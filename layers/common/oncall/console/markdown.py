"""A small, safe Markdown subset for the web surface's rendered message (OnCall's web templates write
Markdown: `**Firing**`, `[source](https://…)`, `- item`).

Supported: paragraphs and line breaks, bullet (`-`, `*`, `+`) and numbered (`1.`) lists, fenced code blocks
(```), `code`, **bold** / __bold__, *italics* / _italics_, and [links](https://…) whose target is http(s)
only. Everything else is text: every character from the source is escaped before it reaches the page, HTML in
the Markdown stays visible text, and a link with any other scheme (`javascript:`, `data:`) is shown as text.
The only tags produced are p, br, ul, ol, li, pre, code, strong, em and a (with href and rel only)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

MAX_SOURCE = 64_000  # a rendered message larger than this is shown as plain text (escaped)

_LIST_ITEM = re.compile(r"^\s{0,3}(?:([-*+])|(\d{1,9})[.)])\s+(.*)$")
_FENCE = re.compile(r"^\s{0,3}```")
# Inline tokens, leftmost first: a code span, a link, bold, italics. Link targets have no spaces or
# parentheses (enough for alert links; anything else stays text).
_INLINE = re.compile(
    r"(?P<code>`+)(?P<code_text>.+?)(?P=code)"
    r"|\[(?P<link_text>[^\[\]\n]{1,500})\]\((?P<link_url>[^()\s]{1,2000})\)"
    r"|(?P<bold>\*\*|__)(?P<bold_text>\S(?:.*?\S)?)(?P=bold)"
    r"|(?P<em>\*|_)(?P<em_text>[^\s*_](?:[^*_\n]*?[^\s*_])?)(?P=em)(?![*_])"
)


def safe_url(value: Any) -> str | None:
    """Only http(s) URLs become links (a `javascript:` source link from a payload must stay text)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in ("http", "https") else None


def inline(text: str, *, links: bool = True) -> str:
    """Escaped HTML for one run of inline Markdown."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        if match.group("em") == "_" and _inside_word(text, match.start(), match.end()):
            continue  # snake_case_names are not italics
        out.append(str(escape(text[position : match.start()])))
        if match.group("code"):
            out.append(f"<code>{escape(match.group('code_text'))}</code>")
        elif match.group("link_text") is not None:
            url = safe_url(match.group("link_url")) if links else None
            label = inline(match.group("link_text"), links=False)
            if url is None:
                out.append(str(escape(match.group(0))))
            else:
                out.append(f'<a href="{escape(url)}" rel="noopener noreferrer nofollow">{label}</a>')
        elif match.group("bold"):
            out.append(f"<strong>{inline(match.group('bold_text'), links=links)}</strong>")
        else:
            out.append(f"<em>{inline(match.group('em_text'), links=links)}</em>")
        position = match.end()
    out.append(str(escape(text[position:])))
    return "".join(out)


def _inside_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or after.isalnum()


def _fenced(lines: list[str], start: int) -> tuple[str, int]:
    """The code block opened at `start` (verbatim, escaped) and the index after its closing fence."""
    end = start + 1
    while end < len(lines) and not _FENCE.match(lines[end]):
        end += 1
    return f"<pre><code>{escape(chr(10).join(lines[start + 1 : end]))}</code></pre>", end + 1


def to_html(source: str | None) -> Markup:
    """The message as safe HTML (a Markup, so Jinja2 does not escape it twice)."""
    if not source:
        return Markup("")
    if len(source) > MAX_SOURCE:
        return Markup(f"<p>{escape(source)}</p>")
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def flush_paragraph() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(inline(line.strip()) for line in paragraph) + "</p>")
            paragraph.clear()

    def flush_list() -> None:
        nonlocal list_tag
        if items:
            blocks.append(f"<{list_tag}>" + "".join(f"<li>{item}</li>" for item in items) + f"</{list_tag}>")
            items.clear()
        list_tag = ""

    index = 0
    while index < len(lines):
        line = lines[index]
        if _FENCE.match(line):
            flush_paragraph()
            flush_list()
            block, index = _fenced(lines, index)
            blocks.append(block)
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush_paragraph()
            tag = "ul" if item.group(1) else "ol"
            if list_tag and tag != list_tag:
                flush_list()
            list_tag = tag
            items.append(inline(item.group(3).strip()))
        elif not line.strip():
            flush_paragraph()
            flush_list()
        elif items and line.startswith((" ", "\t")):
            items[-1] += "<br>" + inline(line.strip())  # a continuation line of the last item
        else:
            flush_list()
            paragraph.append(line)
        index += 1
    flush_paragraph()
    flush_list()
    return Markup("".join(blocks))
