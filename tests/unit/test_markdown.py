"""The Markdown pipeline: features trainers use, and nothing dangerous reaching a browser."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.courses.markdown import (
    find_links,
    pygments_css,
    render_inline_markdown,
    render_markdown,
    sanitize_html,
)


def assets(href: str) -> str | None:
    """A resolver like the app's: ../assets/x maps to the asset URL."""
    prefix = "../assets/"
    return f"/courses/demo/assets/{href[len(prefix):]}" if href.startswith(prefix) else None


def test_paragraphs_and_emphasis() -> None:
    assert render_markdown("Hello *there* **you** ~~not~~") == (
        "<p>Hello <em>there</em> <strong>you</strong> <s>not</s></p>\n"
    )


def test_tables_with_alignment_classes_not_styles() -> None:
    html = render_markdown("| A | B | C |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n")
    assert "<table tabindex=\"0\">" in html and "<thead>" in html and "<tbody>" in html
    assert '<th class="align-left">A</th>' in html
    assert '<td class="align-center">2</td>' in html
    assert '<td class="align-right">3</td>' in html
    assert "style" not in html


def test_footnotes_link_both_ways_with_prefixed_ids() -> None:
    html = render_markdown("Claim.[^1]\n\n[^1]: Source.\n")
    assert '<sup class="footnote-ref"><a href="#md-fn1" id="md-fnref1"' in html
    assert '<section class="footnotes">' in html
    assert '<li id="md-fn1" class="footnote-item">' in html
    assert 'href="#md-fnref1" class="footnote-backref"' in html


def test_heading_anchors_are_slugified_unique_and_prefixed() -> None:
    html = render_markdown("# Why OKRs?\n\n## Why OKRs?\n\n### Score: 0.7 & up\n")
    assert '<h1 id="md-why-okrs">Why OKRs?</h1>' in html
    assert '<h2 id="md-why-okrs-1">Why OKRs?</h2>' in html
    assert '<h3 id="md-score-07-up">' in html


def test_in_page_links_follow_the_prefixed_anchors() -> None:
    html = render_markdown("# Scoring\n\nSee [scoring](#scoring).")
    assert 'href="#md-scoring"' in html


@pytest.mark.parametrize(("kind", "title"), [
    ("NOTE", "Note"), ("TIP", "Tip"), ("WARNING", "Warning"), ("IMPORTANT", "Important"),
    ("CAUTION", "Caution"),
])
def test_callouts(kind: str, title: str) -> None:
    html = render_markdown(f"> [!{kind}]\n> Scores are *not* grades.\n")
    assert html == (
        f'<aside class="callout callout-{kind.lower()}">\n'
        f'<p class="callout-title">{title}</p>\n'
        "<p>Scores are <em>not</em> grades.</p>\n"
        "</aside>\n"
    )


def test_callout_with_custom_title_and_several_paragraphs() -> None:
    html = render_markdown("> [!TIP] Try this\n> First.\n>\n> Second.\n")
    assert '<p class="callout-title">Try this</p>' in html
    assert "<p>First.</p>" in html and "<p>Second.</p>" in html


def test_callout_marker_alone_on_its_paragraph() -> None:
    html = render_markdown("> [!NOTE]\n>\n> Body.\n")
    assert html.count("<p>") == 1 and "[!NOTE]" not in html


def test_plain_and_unknown_blockquotes_stay_blockquotes() -> None:
    assert render_markdown("> quoted").startswith("<blockquote>")
    html = render_markdown("> [!FOO]\n> text")
    assert html.startswith("<blockquote>") and "[!FOO]" in html


def test_code_highlighting_uses_classes_only() -> None:
    html = render_markdown("```python\ndef score(x):\n    return x\n```\n")
    assert html.startswith('<pre class="highlight"><code>')
    assert '<span class="k">def</span>' in html and '<span class="nf">score</span>' in html
    assert "style" not in html


def test_code_without_or_with_unknown_language_is_escaped_plain_code() -> None:
    assert render_markdown("```\n<b>x</b>\n```\n") == "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n"
    assert "&lt;b&gt;" in render_markdown("```nosuchlang\n<b>x</b>\n```\n")


def test_pygments_css_is_class_based() -> None:
    assert ".highlight .k " in pygments_css()
    assert ".code .k " in pygments_css(".code")


def test_relative_images_and_links_go_through_the_resolver() -> None:
    html = render_markdown("![Cycle](../assets/okr-cycle.svg)\n\n[Template](../assets/okr%20template.pdf)",
                           link_resolver=assets)
    assert '<img src="/courses/demo/assets/okr-cycle.svg" alt="Cycle" loading="lazy">' in html
    assert 'href="/courses/demo/assets/okr template.pdf"' in html


def test_resolver_none_leaves_the_link_and_externals_are_not_resolved() -> None:
    seen: list[str] = []

    def resolver(href: str) -> str | None:
        seen.append(href)
        return None

    html = render_markdown("[a](other.md) [b](https://example.com) [c](mailto:a@example.com) [d](#x)",
                           link_resolver=resolver)
    assert seen == ["other.md"]
    assert 'href="other.md"' in html and 'href="https://example.com"' in html
    assert 'href="mailto:a@example.com"' in html


def test_links_get_noopener_noreferrer() -> None:
    assert 'rel="noopener noreferrer"' in render_markdown("[x](https://example.com)")


def test_inline_rendering_has_no_paragraph() -> None:
    assert render_inline_markdown("Raise *conversion* from `4%`") == (
        "Raise <em>conversion</em> from <code>4%</code>"
    )
    assert render_inline_markdown("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"


def test_inline_images_use_the_resolver() -> None:
    html = render_inline_markdown("![c](../assets/c.svg)", link_resolver=assets)
    assert 'src="/courses/demo/assets/c.svg"' in html


def test_rendering_is_cached_per_text_and_resolver() -> None:
    text = "Cached *once* ![i](../assets/i.svg)"
    first = render_markdown(text, link_resolver=assets)
    assert render_markdown(text, link_resolver=assets) is first
    assert render_markdown(text) != first


def test_find_links_reports_lines_of_links_and_images() -> None:
    text = "Intro\n\n[a](../assets/a.pdf) and\n![b](../assets/b%20c.svg)\n\n| x |\n|---|\n| [t](t.md) |\n"
    found = [(link.line, link.url, link.is_image) for link in find_links(text)]
    assert found == [(2, "../assets/a.pdf", False), (3, "../assets/b c.svg", True), (7, "t.md", False)]


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "<iframe src=\"https://evil.example\"></iframe>",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<p style=\"color:red\">x</p>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<details open ontoggle=alert(1)>",
    "<object data=x></object>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "![a\" onerror=\"alert(1)](x.png)",
    "[a](x.png \"t\\\" onmouseover=alert(1)\")",
    "> [!NOTE] <img src=x onerror=alert(1)>\n> body",
    "# <script>alert(1)</script>",
]

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "form", "base", "style",
                  "link", "meta"}
FORBIDDEN_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


class _MarkupAudit(HTMLParser):
    """Collects what a browser would see as elements and attributes (escaped text is ignored)."""

    def __init__(self) -> None:
        super().__init__()
        self.findings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.findings.append(f"<{tag}>")
        for name, value in attrs:
            url = "".join((value or "").split()).lower()
            if name.startswith("on") or name == "style":
                self.findings.append(f"{tag}[{name}]")
            elif name in ("href", "src", "action", "formaction", "xlink:href") and url.startswith(FORBIDDEN_SCHEMES):
                self.findings.append(f"{tag}[{name}={value}]")


def dangerous_markup(html: str) -> list[str]:
    """Elements or attributes that could run script or restyle the page."""
    audit = _MarkupAudit()
    audit.feed(html)
    audit.close()
    return audit.findings


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload: str) -> None:
    assert dangerous_markup(render_markdown(payload)) == []
    assert dangerous_markup(render_inline_markdown(payload)) == []


RAW_HTML_PAYLOADS = [
    "<script>alert(1)</script><p>ok</p>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<svg onload=alert(1)></svg>",
    "<p style=\"background:url(javascript:alert(1))\">x</p>",
    "<div onclick=\"alert(1)\">x</div>",
    "<style>body{display:none}</style>",
    "<base href=\"https://evil.example/\">",
    "<h2 id=\"csrf_token\">x</h2>",
    "<aside class=\"callout evil\">x</aside>",
]


def test_the_audit_itself_spots_dangerous_markup() -> None:
    assert dangerous_markup('<img src=x onerror=alert(1)><a href=" javascript:x">a</a><svg></svg>') == [
        "img[onerror]", "a[href= javascript:x]", "<svg>"]
    assert dangerous_markup('<p title="x&quot; onerror=&quot;y">&lt;script&gt;</p>') == []


@pytest.mark.parametrize("payload", RAW_HTML_PAYLOADS)
def test_the_sanitiser_cleans_raw_html_too(payload: str) -> None:
    assert dangerous_markup(sanitize_html(payload)) == []


def test_sanitiser_prefixes_foreign_ids_and_drops_unknown_classes() -> None:
    assert sanitize_html('<h2 id="csrf_token">x</h2>') == '<h2 id="md-csrf_token">x</h2>'
    assert sanitize_html('<aside class="callout evil">x</aside>') == '<aside class="callout">x</aside>'


def test_resolver_output_is_still_sanitised() -> None:
    html = render_markdown("[x](../assets/a.svg)", link_resolver=lambda href: "javascript:alert(1)")
    assert "javascript" not in html
