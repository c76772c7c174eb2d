"""The one Markdown pipeline: CommonMark + tables, footnotes, anchors, callouts, highlighting,
then allow-list sanitising. Lessons, descriptions, quiz stems and explanations all go through it.
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import unquote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from app.courses.callouts import CALLOUT_CLASSES, callout_plugin

LinkResolver = Callable[[str], "str | None"]

#: every id in rendered content starts with this, so content can never clobber page globals
ID_PREFIX = "md-"
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_ALIGN_RE = re.compile(r"text-align:\s*(left|center|right)")
_CACHE_SIZE = 2048


@dataclass(frozen=True)
class LinkRef:
    """A link or image target found in Markdown, with its 0-based line in the text."""

    line: int
    url: str
    is_image: bool


def _heading_slug(title: str) -> str:
    """A heading id: lowercase words joined by hyphens, behind the content id prefix."""
    words = re.sub(r"[^\w\s-]", "", title.lower()).split()
    return ID_PREFIX + ("-".join(words).strip("-_") or "section")


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Pygments highlighting with CSS classes; "" lets markdown-it render plain code."""
    if not lang:
        return ""
    try:
        lexer = get_lexer_by_name(lang)
    except ClassNotFound:
        return ""
    spans = pygments_highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<pre class="highlight"><code>{spans}</code></pre>\n'


def pygments_css(selector: str = ".highlight") -> str:
    """The stylesheet for highlighted code (class-based, no inline styles)."""
    return HtmlFormatter(style="default").get_style_defs(selector)


def _footnote_name(tokens: Sequence[Token], idx: int) -> str:
    """A footnote's id stem, e.g. `md-fn1`."""
    return f"{ID_PREFIX}fn{tokens[idx].meta['id'] + 1}"


def _render_footnote_ref(self, tokens, idx, options, env) -> str:  # noqa: ANN001
    """`<sup class="footnote-ref"><a href="#md-fn1" id="md-fnref1">[1]</a></sup>`."""
    name = _footnote_name(tokens, idx)
    sub_id = tokens[idx].meta.get("subId", -1)
    ref_id = f"{ID_PREFIX}fnref{tokens[idx].meta['id'] + 1}" + (f":{sub_id}" if sub_id > 0 else "")
    caption = self.rules["footnote_caption"](tokens, idx, options, env)
    return f'<sup class="footnote-ref"><a href="#{name}" id="{ref_id}">{caption}</a></sup>'


def _render_footnote_open(self, tokens, idx, options, env) -> str:  # noqa: ANN001
    """`<li id="md-fn1" class="footnote-item">`."""
    return f'<li id="{_footnote_name(tokens, idx)}" class="footnote-item">'


def _render_footnote_anchor(self, tokens, idx, options, env) -> str:  # noqa: ANN001
    """The back-link from a footnote to where it is cited."""
    sub_id = tokens[idx].meta.get("subId", -1)
    ref_id = f"{ID_PREFIX}fnref{tokens[idx].meta['id'] + 1}" + (f":{sub_id}" if sub_id > 0 else "")
    return f' <a href="#{ref_id}" class="footnote-backref">\u21a9\ufe0e</a>'


def _finish_tokens(state) -> None:  # noqa: ANN001
    """Last core rule: rewrite links, lazy-load images, turn table alignment into classes."""
    resolver: LinkResolver | None = state.env.get("link_resolver")
    for token in state.tokens:
        if token.type in ("th_open", "td_open"):
            _align_class(token)
        for child in token.children or ():
            if child.type == "link_open":
                _rewrite_url(child, "href", resolver)
            elif child.type == "image":
                _rewrite_url(child, "src", resolver)
                child.attrSet("loading", "lazy")


def _align_class(cell: Token) -> None:
    """`style="text-align:right"` becomes `class="align-right"` (style attributes are stripped)."""
    match = _ALIGN_RE.search(str(cell.attrGet("style") or ""))
    if cell.attrs.pop("style", None) is not None and match:
        cell.attrSet("class", f"align-{match.group(1)}")


def _rewrite_url(token: Token, attr: str, resolver: LinkResolver | None) -> None:
    """In-page anchors get the id prefix; relative targets go through the resolver."""
    url = str(token.attrGet(attr) or "")
    if url.startswith("#"):
        if not url.startswith(f"#{ID_PREFIX}"):
            token.attrSet(attr, f"#{ID_PREFIX}{url[1:]}")
    elif resolver is not None and is_relative_url(url):
        resolved = resolver(unquote(url))
        if resolved is not None:
            token.attrSet(attr, resolved)


def is_relative_url(url: str) -> bool:
    """A path inside the course (no scheme, not absolute, not protocol-relative, not an anchor)."""
    return bool(url) and not _SCHEME_RE.match(url) and not url.startswith(("/", "#", "\\"))


def _build_parser() -> MarkdownIt:
    """markdown-it configured for course content."""
    md = MarkdownIt("commonmark", {"html": False, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    footnote_plugin(md)
    anchors_plugin(md, min_level=1, max_level=6, slug_func=_heading_slug)
    callout_plugin(md)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("footnote_open", _render_footnote_open)
    md.add_render_rule("footnote_anchor", _render_footnote_anchor)
    md.core.ruler.push("finish_tokens", _finish_tokens)
    return md


_PARSER = _build_parser()

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_ALIGN_CLASSES = {"align-left", "align-center", "align-right"}
_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"section", "aside"}
_ALLOWED_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag, _extra in {**{h: {"id"} for h in _HEADINGS}, "a": {"id", "title"}, "li": {"id"},
                     "img": {"title", "loading"}}.items():
    _ALLOWED_ATTRIBUTES.setdefault(_tag, set()).update(_extra)
_ALLOWED_CLASSES = {
    "aside": set(CALLOUT_CLASSES), "p": {"callout-title"},
    "sup": {"footnote-ref"}, "a": {"footnote-backref"}, "section": {"footnotes"},
    "ol": {"footnotes-list"}, "li": {"footnote-item"}, "hr": {"footnotes-sep"},
    "pre": {"highlight"}, "span": {c for c in STANDARD_TYPES.values() if c},
    "th": _ALIGN_CLASSES, "td": _ALIGN_CLASSES,
}


def sanitize_html(html: str) -> str:
    """Allow-list cleaning: no scripts, event handlers, styles, iframes or javascript:/data: URLs."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        id_prefix=ID_PREFIX,
        # a table scrolls sideways on a phone: keyboard users must be able to reach it
        set_tag_attribute_values={"table": {"tabindex": "0"}},
    )


class _RenderCache:
    """A small thread-safe LRU of rendered HTML keyed by (kind, sha256 of text, resolver)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple, str] = OrderedDict()
        self.lock = threading.Lock()

    def get_or_render(self, key: tuple, render: Callable[[], str]) -> str:
        """The cached HTML for `key`, rendering it on a miss."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        html = render()
        with self.lock:
            self.entries[key] = html
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return html

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self.lock:
            self.entries.clear()


_CACHE = _RenderCache(_CACHE_SIZE)


def _cache_key(kind: str, text: str, resolver: LinkResolver | None) -> tuple:
    """Cache key; the resolver counts by identity, so pass the same function for the same course."""
    return kind, hashlib.sha256(text.encode("utf-8")).hexdigest(), resolver


def render_markdown(text: str, *, link_resolver: LinkResolver | None = None,
                    locale: str = "en") -> str:
    """Render block Markdown to safe HTML.

    `link_resolver` receives each relative link/image target as written (e.g.
    `../assets/okr-cycle.svg`) and returns the URL to use, or None to leave it as is.
    `locale`: the language of the text, for the default titles of callouts.
    """
    def render() -> str:
        return sanitize_html(_PARSER.render(text, {"link_resolver": link_resolver,
                                                   "locale": locale}))

    return _CACHE.get_or_render(_cache_key(f"block-{locale}", text, link_resolver), render)


def render_inline_markdown(text: str, *, link_resolver: LinkResolver | None = None) -> str:
    """Render one line (a question stem or an option) to safe HTML without a wrapping <p>."""
    def render() -> str:
        return sanitize_html(_PARSER.renderInline(text, {"link_resolver": link_resolver}))

    return _CACHE.get_or_render(_cache_key("inline", text, link_resolver), render)


def find_links(text: str) -> list[LinkRef]:
    """Every link and image target in `text`, with its line (as the renderer will see them)."""
    found: list[LinkRef] = []
    for token in _PARSER.parse(text, {}):
        if token.type != "inline" or not token.children:
            continue
        line = token.map[0] if token.map else 0
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "link_open" and child.markup != "autolink":
                found.append(LinkRef(line, unquote(str(child.attrGet("href") or "")), False))
            elif child.type == "image":
                found.append(LinkRef(line, unquote(str(child.attrGet("src") or "")), True))
    return found
