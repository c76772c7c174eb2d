"""The review before publishing, rendered: each changed Markdown file side by side, the
published version left and the draft right, as learners would read them.

Files are compared block by block (a block is the front matter, a fenced code block, or a run
of lines between blank lines) with difflib, so a changed paragraph shows as that paragraph,
rendered, beside its old self. Long runs of unchanged blocks are folded to one block of context
on each side of a change.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Literal

from markupsafe import Markup, escape

from app.authoring.folder import file_kind
from app.authoring.preview import depth_of
from app.authoring.sources import FileChange
from app.courses.markdown import render_markdown

RowStatus = Literal["same", "changed", "added", "removed", "folded"]
#: a link resolver for a file at a depth of the course folder (0 top, 1 in a module)
ResolverFor = Callable[[int], "Callable[[str], str | None] | None"]

CONTEXT_BLOCKS = 1
_FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
#: rendered headings carry ids; the same heading on both sides must not repeat one
_ID_RE = re.compile(r'\sid="md-[^"]*"')
_FOOTNOTE_RE = re.compile(r"^\[\^[^\]]+\]:")
#: the footnotes section appended to a block (the definitions have a block of their own)
_NOTES_RE = re.compile(r'<hr class="footnotes-sep"\s*/?>|<section class="footnotes">.*?</section>',
                       re.S)


@dataclass(frozen=True)
class BlockRow:
    """One row of the comparison: a block before and after (either side may be missing)."""

    status: RowStatus
    old_html: Markup = Markup("")
    new_html: Markup = Markup("")
    folded: int = 0


@dataclass(frozen=True)
class RenderedChange:
    """A changed Markdown file, rendered side by side."""

    path: str
    rows: tuple[BlockRow, ...]


def split_blocks(text: str) -> list[str]:
    """The blocks of a Markdown file: front matter, fenced code, runs of non-blank lines."""
    lines = text.splitlines()
    blocks: list[str] = []
    start = 0
    if lines and lines[0].rstrip() == "---":
        closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
        if closing is not None:
            blocks.append("\n".join(lines[:closing + 1]))
            start = closing + 1
    current: list[str] = []
    fence: str | None = None
    for line in lines[start:]:
        marker = _FENCE_RE.match(line)
        if fence is None and marker:
            fence = marker.group(1)[0] * 3
        elif fence is not None and line.strip().startswith(fence):
            fence = None
        elif fence is None and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def compare_blocks(old: Sequence[str], new: Sequence[str]) -> list[tuple[RowStatus, str, str]]:
    """(status, old block, new block) rows in order; unchanged runs are not folded yet."""
    rows: list[tuple[RowStatus, str, str]] = []
    matcher = difflib.SequenceMatcher(None, list(old), list(new), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [("same", block, block) for block in old[i1:i2]]
            continue
        for before, after in zip_longest(old[i1:i2], new[j1:j2]):
            if before is None:
                rows.append(("added", "", after))
            elif after is None:
                rows.append(("removed", before, ""))
            else:
                rows.append(("changed", before, after))
    return rows


def fold(rows: list[tuple[RowStatus, str, str]],
         context: int = CONTEXT_BLOCKS) -> list[tuple[RowStatus, str, str] | int]:
    """Rows with each run of unchanged blocks beyond `context` of a change replaced by its
    length (an int)."""
    changed = [i for i, row in enumerate(rows) if row[0] != "same"]
    keep = {j for i in changed for j in range(i - context, i + context + 1)}
    folded: list[tuple[RowStatus, str, str] | int] = []
    for index, row in enumerate(rows):
        if index in keep or row[0] != "same":
            folded.append(row)
        elif folded and isinstance(folded[-1], int):
            folded[-1] += 1
        else:
            folded.append(1)
    return folded


def render_change(path: str, old_text: str, new_text: str, old_links, new_links) -> RenderedChange:
    """One file's comparison, each block rendered with its side's asset links."""
    old_notes, new_notes = _footnotes(old_text), _footnotes(new_text)
    rows = []
    for row in fold(compare_blocks(split_blocks(old_text), split_blocks(new_text))):
        if isinstance(row, int):
            rows.append(BlockRow("folded", folded=row))
        else:
            status, before, after = row
            rows.append(BlockRow(status, _render_block(before, old_links, old_notes),
                                 _render_block(after, new_links, new_notes)))
    return RenderedChange(path, tuple(rows))


def _footnotes(text: str) -> str:
    """The file's footnote definitions, so a block citing one renders its reference."""
    return "\n".join(line for line in text.splitlines() if _FOOTNOTE_RE.match(line))


def _render_block(block: str, links, footnotes: str = "") -> Markup:
    """A block as learners read it; front matter (the file's settings) as it is written."""
    if not block:
        return Markup("")
    if block.startswith("---"):
        return Markup('<pre class="studio-settings">') + escape(block) + Markup("</pre>")
    if footnotes and not _FOOTNOTE_RE.match(block):
        html = _NOTES_RE.sub("", render_markdown(f"{block}\n\n{footnotes}", link_resolver=links))
    else:
        html = render_markdown(block, link_resolver=links)
    return Markup(_ID_RE.sub("", html))  # nosec B704: output of the nh3-sanitised pipeline


def render_changes(changes: Sequence[FileChange], old_files: Mapping[str, str],
                   new_files: Mapping[str, str], old_links: ResolverFor,
                   new_links: ResolverFor) -> dict[str, RenderedChange]:
    """The rendered comparison of every added, removed or changed Markdown file, by path."""
    rendered = {}
    for change in changes:
        if change.is_asset or change.status == "renamed":
            continue
        files = new_files if change.path in new_files else old_files
        depth = depth_of(file_kind(files, change.path))
        rendered[change.path] = render_change(
            change.path, old_files.get(change.path, ""), new_files.get(change.path, ""),
            old_links(depth), new_links(depth))
    return rendered
