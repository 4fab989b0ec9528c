"""Rendering agent-written Markdown for operators.

Memory content is untrusted: an agent (or whoever prompted it) may have written
<script>, event handlers or `javascript:` links. markdown-it runs with raw HTML
off (so HTML is escaped, not passed through) and rejects unsafe link schemes;
nh3 then sanitizes the output again as a second, independent line of defence.
"""

import nh3
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")

_URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    html = _md.render(text)
    return mark_safe(nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow"))
