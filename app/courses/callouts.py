"""Callouts: GitHub-style `> [!NOTE]` blockquotes rendered as `<aside class="callout ...">`."""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

CALLOUT_TITLES: dict[str, str] = {
    "note": "Note",
    "tip": "Tip",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
}
#: the default titles in the languages courses are translated into (see app/courses/locales.py)
TRANSLATED_TITLES: dict[str, dict[str, str]] = {
    "de": {"note": "Hinweis", "tip": "Tipp", "important": "Wichtig", "warning": "Achtung",
           "caution": "Vorsicht"},
    "fr": {"note": "Remarque", "tip": "Conseil", "important": "Important",
           "warning": "Avertissement", "caution": "Attention"},
    "es": {"note": "Nota", "tip": "Consejo", "important": "Importante", "warning": "Advertencia",
           "caution": "Precaución"},
}
CALLOUT_CLASSES: frozenset[str] = frozenset(
    {"callout", "callout-title", *(f"callout-{kind}" for kind in CALLOUT_TITLES)}
)
_MARKER_RE = re.compile(r"^\[!([A-Za-z]+)\][ \t]*([^\n]*)(?:\n|$)")


def callout_plugin(md: MarkdownIt) -> None:
    """Turn blockquotes whose first line is `[!KIND] optional title` into callouts."""
    md.core.ruler.before("inline", "callout", _convert_callouts)


def _convert_callouts(state: StateCore) -> None:
    """Rewrite matching blockquote tokens in place, before inline parsing."""
    tokens = state.tokens
    titles = TRANSLATED_TITLES.get(state.env.get("locale", "en"), CALLOUT_TITLES)
    index = 0
    while index < len(tokens):
        if _is_callout_start(tokens, index):
            _convert(tokens, index, titles)
        index += 1


def _is_callout_start(tokens: list[Token], index: int) -> bool:
    """A blockquote whose first paragraph starts with a known `[!KIND]` marker."""
    if tokens[index].type != "blockquote_open" or index + 2 >= len(tokens):
        return False
    paragraph, inline = tokens[index + 1], tokens[index + 2]
    if paragraph.type != "paragraph_open" or inline.type != "inline":
        return False
    match = _MARKER_RE.match(inline.content)
    return bool(match) and match.group(1).lower() in CALLOUT_TITLES


def _convert(tokens: list[Token], index: int, titles: dict[str, str]) -> None:
    """Make the blockquote an aside, add its title, drop the marker."""
    opening, inline = tokens[index], tokens[index + 2]
    match = _MARKER_RE.match(inline.content)
    if match is None:  # the rule only calls _convert on a matched marker
        return
    kind = match.group(1).lower()
    title = match.group(2).strip() or titles[kind]
    opening.tag = "aside"
    opening.attrSet("class", f"callout callout-{kind}")
    _closing_token(tokens, index).tag = "aside"
    inline.content = inline.content[match.end():]
    if not inline.content.strip():
        del tokens[index + 1:index + 4]
    tokens[index + 1:index + 1] = _title_tokens(title, opening)


def _closing_token(tokens: list[Token], index: int) -> Token:
    """The blockquote_close matching the blockquote_open at `index`."""
    depth = 0
    for token in tokens[index:]:
        if token.type == "blockquote_open":
            depth += 1
        elif token.type == "blockquote_close":
            depth -= 1
            if depth == 0:
                return token
    raise ValueError("unbalanced blockquote tokens")


def _title_tokens(title: str, opening: Token) -> list[Token]:
    """`<p class="callout-title">Title</p>` as tokens; the title is still inline-parsed."""
    paragraph_open = Token("paragraph_open", "p", 1, level=opening.level + 1, block=True)
    paragraph_open.attrSet("class", "callout-title")
    paragraph_open.map = opening.map
    inline = Token("inline", "", 0, content=title, level=opening.level + 2, children=[])
    inline.map = opening.map
    paragraph_close = Token("paragraph_close", "p", -1, level=opening.level + 1, block=True)
    return [paragraph_open, inline, paragraph_close]
