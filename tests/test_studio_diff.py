"""The rendered side-by-side comparison before publishing, and the editor's toolbar markup."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest

from app.authoring import services
from app.authoring.studio_diff import compare_blocks, fold, render_change, split_blocks
from tests.factories import EXAMPLE_COURSE, import_example_course

SLUG = "example-course"
LESSON = "01-foundations/01-origins.md"


def test_blocks_are_front_matter_fenced_code_and_paragraphs():
    text = ("---\ntitle: T\nminutes: 3\n---\n\n# Heading\n\nOne line\nsame paragraph\n\n"
            "```python\nx = 1\n\ny = 2\n```\n\n- a\n- b\n")
    assert split_blocks(text) == ["---\ntitle: T\nminutes: 3\n---", "# Heading",
                                  "One line\nsame paragraph", "```python\nx = 1\n\ny = 2\n```",
                                  "- a\n- b"]
    assert split_blocks("") == []
    assert split_blocks("---\nnot closed\n\ntext") == ["---\nnot closed", "text"]


def test_changed_added_and_removed_blocks_pair_up():
    rows = compare_blocks(["A", "B", "C", "D"], ["A", "B2", "C", "E", "F"])
    assert rows == [("same", "A", "A"), ("changed", "B", "B2"), ("same", "C", "C"),
                    ("changed", "D", "E"), ("added", "", "F")]
    assert compare_blocks(["A", "B"], ["A"]) == [("same", "A", "A"), ("removed", "B", "")]


def test_long_unchanged_runs_fold_to_one_block_of_context():
    rows = [("same", str(i), str(i)) for i in range(6)] + [("changed", "x", "y")] + \
        [("same", "z", "z")] * 4
    folded = fold(rows)
    assert folded == [5, ("same", "5", "5"), ("changed", "x", "y"), ("same", "z", "z"), 3]
    assert fold([("same", "a", "a")] * 3) == [3]


def test_rendering_shows_both_sides_without_repeating_heading_ids():
    old = "---\ntitle: Old\n---\n\n## Why\n\nThe **old** text.\n"
    new = "---\ntitle: New\n---\n\n## Why\n\nThe **new** text.\n\n![A chart](../assets/c.png)\n"
    change = render_change("m/l.md", old, new, None, lambda href: f"/draft/{href}")
    statuses = [row.status for row in change.rows]
    assert statuses == ["changed", "same", "changed", "added"]
    settings, heading, paragraph, image = change.rows
    assert "title: Old" in settings.old_html and "<pre" in settings.old_html
    assert "<strong>old</strong>" in paragraph.old_html
    assert "<strong>new</strong>" in paragraph.new_html
    assert 'id="' not in heading.old_html + heading.new_html
    assert "/draft/../assets/c.png" in image.new_html and image.old_html == ""


def test_markdown_in_a_block_is_sanitised():
    change = render_change("l.md", "", "<script>alert(1)</script>\n\n[x](javascript:alert(1))",
                           None, None)
    html = "".join(row.new_html for row in change.rows)
    assert "<script" not in html and "href=\"javascript" not in html


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def draft(db, login_as):
    course = import_example_course(db)
    trainer = login_as("trainer")
    services.add_maintainer(db.session, None, course, trainer.email, datetime.now(UTC))
    draft = services.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    db.session.commit()
    return draft, trainer


def test_the_publish_page_renders_the_change_and_keeps_the_raw_diff(db, client, draft):
    draft, trainer = draft
    services.save_file(db.session, trainer, draft, LESSON,
                       draft.files[LESSON].replace("in 1954", "in **1954**, famously"),
                       services.file_revision(draft, LESSON))
    db.session.commit()
    response = client.get(f"/studio/{SLUG}/publish")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    table = re.search(r'<table class="table studio-diff cards-on-phone">.*?</table>', html, re.S)
    assert table, "no rendered comparison"
    assert "Published (version 1)" in table.group(0) and "Draft" in table.group(0)
    changed = re.search(r'<tr class="studio-diff-changed">.*?</tr>', table.group(0), re.S).group(0)
    assert "in 1954." in changed and "<strong>1954</strong>, famously" in changed
    assert 'data-label="Published"' in changed and 'data-label="Draft"' in changed
    assert "Raw Markdown diff" in html and "+Peter Drucker" in html


def test_the_editor_wraps_and_offers_a_toolbar_only_with_the_script(client, draft):
    html = client.get(f"/studio/{SLUG}/edit/{LESSON}").get_data(as_text=True)
    textarea = re.search(r"<textarea[^>]*>", html).group(0)
    assert 'wrap="off"' not in textarea
    toolbar = re.search(r'<div class="studio-toolbar"[^>]*>', html).group(0)
    assert " hidden" in toolbar and 'role="toolbar"' in toolbar
    for label, keys in [("Bold", "Control+B"), ("Link", "Control+K"),
                        ("Bulleted list", "Control+Shift+7"), ("Heading", "Control+Shift+H"),
                        ("Image", "Control+Shift+G"), ("Callout", "Control+Shift+.")]:
        assert re.search(rf'aria-label="{re.escape(label)}" aria-keyshortcuts="{re.escape(keys)}',
                         html), label
    assert 'data-assets-prefix="../assets/"' in html
    assert "/css/studio." in html and "/js/studio." in html


def test_a_block_citing_a_footnote_renders_the_reference():
    text = "Drucker wrote it.[^d]\n\n[^d]: The Practice of Management.\n"
    change = render_change("l.md", text, text.replace("wrote", "first wrote"), None, None)
    paragraph = change.rows[0]
    assert paragraph.status == "changed"
    assert "[^d]" not in paragraph.new_html and "footnote-ref" in paragraph.new_html
    assert "footnotes" not in paragraph.new_html.replace("footnote-ref", "")
