"""Minutes and conclusions as formatted text: CommonMark through markdown-it-py, raw HTML off.

With `html` disabled every `<` a person types is escaped, and markdown-it's link check refuses
`javascript:`, `vbscript:`, `file:` and `data:` URLs, so the HTML it returns is safe to show as
it is. Links open outside the app with no referrer.
"""
from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _link_open(renderer, tokens, idx, options, env):
    tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
    return renderer.renderToken(tokens, idx, options, env)


_md.add_render_rule("link_open", _link_open)


def formatted(text: str | None) -> Markup:
    """The HTML of a formatted text (empty for none)."""
    return Markup(_md.render(text or ""))
