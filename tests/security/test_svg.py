"""SVG drawings are parsed (defusedxml) and kept only through an allow-list, on every way in.

Before: a regular expression looked for `<script`, `on...=` and `javascript:` in the raw bytes,
so `<x:script>` in the SVG namespace, an entity-encoded `javascript&#58;` href, SMIL `<set>`
rewriting an href, and any payload saved as UTF-16 passed the studio's image upload, the zip
upload and `flask courses import`; opened on its own, such a file ran script on our origin.
Every hostile drawing below is refused on each of those paths, with a sentence naming what is
wrong, while harmless drawings (including the shipped ones, an editor's export, other
encodings) still pass byte for byte; and SVGs are served sandboxed, so a missed one runs nothing.
"""
from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.authoring import services as studio
from app.authoring.archive import write_zip
from app.authoring.revisions import asset_row
from app.courses.svg import svg_problem
from app.models import Course, CourseDraft
from tests.factories import EXAMPLE_COURSE, FIXTURES, import_example_course

SLUG = EXAMPLE_COURSE.name
ROOT = Path(__file__).resolve().parents[2]
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def drawing(body: str, root_attributes: str = "") -> str:
    """A small SVG document holding `body`."""
    return (f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" viewBox="0 0 10 10"'
            f'{root_attributes}>{body}</svg>')


LAUGHS = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))

#: name: (document text, what the refusal must name)
HOSTILE: dict[str, tuple[str, str]] = {
    "script in a prefixed SVG namespace": (
        f'<svg xmlns="{SVG_NS}" xmlns:x="{SVG_NS}"><x:script>alert(1)</x:script></svg>',
        "<script>"),
    "entity-encoded javascript: in href": (
        drawing('<a href="javascript&#58;alert(1)"><circle r="4"/></a>'), "href of <a>"),
    "entity-encoded javascript: in xlink:href": (
        drawing('<a xlink:href="javascript&#58;alert(1)"><circle r="4"/></a>'),
        "xlink:href of <a>"),
    "SMIL set rewriting an href": (
        drawing('<a href="#c"><set attributeName="href" to="javascript:alert(1)"/>'
                '<circle id="c" r="4"/></a>'), "<set>"),
    "SMIL animate rewriting an href": (
        drawing('<a href="#c"><animate attributeName="href" values="javascript:alert(1)"/>'
                '<circle id="c" r="4"/></a>'), "<animate>"),
    "SMIL animate of any attribute": (
        drawing('<circle r="4"><animate attributeName="fill" to="red" dur="1s"/></circle>'),
        "<animate>"),
    "onload on the root": (drawing('<circle r="4"/>', ' onload="alert(1)"'), "onload"),
    "script in the default namespace": (drawing("<script>alert(1)</script>"), "<script>"),
    "tab inside javascript:": (
        drawing('<a xlink:href="java&#x09;script:alert(1)"><circle r="4"/></a>'),
        "xlink:href of <a>"),
    "use of an outside drawing": (drawing('<use href="https://evil.example/x.svg#a"/>'),
                                  "href of <use>"),
    "style importing a stylesheet": (
        drawing("<style>@import url(https://evil.example/x.css);</style><circle r='4'/>"),
        "<style>"),
    "style attribute loading a resource": (
        drawing('<rect width="4" height="4" style="fill:url(https://evil.example/p.svg#g)"/>'),
        "style attribute of <rect>"),
    "CSS escape spelling url(": (
        drawing('<rect width="4" height="4" style="fill:u\\72l(https://evil.example/p)"/>'),
        "style attribute of <rect>"),
    "foreignObject with HTML": (
        drawing(f'<foreignObject width="10" height="10"><div xmlns="{XHTML_NS}">'
                '<iframe src="javascript:alert(1)"></iframe></div></foreignObject>'),
        "<foreignObject>"),
    "XHTML script": (drawing(f'<h:script xmlns:h="{XHTML_NS}">alert(1)</h:script>'), "script"),
    "xml-stylesheet instruction": (
        '<?xml-stylesheet type="text/xsl" href="https://evil.example/x.xsl"?>'
        + drawing('<circle r="4"/>'), "xml-stylesheet"),
    "xml:base turning a fragment into a URL": (
        drawing('<a xml:base="javascript:alert(1)//" href="#c"><circle id="c" r="4"/></a>'),
        "xml:base"),
    "xml:base on an editor's element": (
        drawing('<s:g xmlns:s="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" '
                'xml:base="javascript:alert(1)//"><a href="#c"><circle id="c" r="4"/></a></s:g>'),
        "xml:base"),
    "an SVG inside an image": (
        drawing('<image href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/>'),
        "href of <image>"),
    "XXE": ('<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            + drawing("<text>&x;</text>"), "DTD"),
    "billion laughs": (f'<!DOCTYPE svg [<!ENTITY l0 "ha">{LAUGHS}]>'
                       + drawing("<text>&l9;</text>"), "DTD"),
}


def encodings(text: str) -> dict[str, bytes]:
    """The document as UTF-8, as UTF-16 with either byte-order mark, and as windows-1252
    named by its XML declaration."""
    return {
        "utf-8": text.encode(),
        "utf-16-le": b"\xff\xfe" + text.encode("utf-16-le"),
        "utf-16-be": b"\xfe\xff" + text.encode("utf-16-be"),
        "declared": b'<?xml version="1.0" encoding="windows-1252"?>\n' + text.encode("cp1252"),
    }


HOSTILE_FILES = [(f"{name} ({encoding})", data, named)
                 for name, (text, named) in HOSTILE.items()
                 for encoding, data in encodings(text).items()]
#: every payload once, in each encoding in turn, for the slower ways in (the check itself gets
#: them all)
ENCODINGS = len(encodings(""))
HOSTILE_SAMPLE = [HOSTILE_FILES[n * ENCODINGS + n % ENCODINGS] for n in range(len(HOSTILE))]

#: an editor's export: comments, a DOCTYPE line, metadata, gradients, fragments and a data image
EDITOR_EXPORT = f"""<!-- Created with a drawing program -->
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
     xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
     xmlns:cc="http://creativecommons.org/ns#" xmlns:dc="http://purl.org/dc/elements/1.1/"
     width="120" height="60" viewBox="0 0 120 60" version="1.1" inkscape:version="1.3">
  <title>Objectives and key results — café</title>
  <sodipodi:namedview id="base" pagecolor="#ffffff" inkscape:zoom="1.5"/>
  <metadata><rdf:RDF><cc:Work rdf:about=""><dc:format>image/svg+xml</dc:format>
    <dc:type rdf:resource="http://purl.org/dc/dcmitype/StillImage"/></cc:Work></rdf:RDF></metadata>
  <defs>
    <style type="text/css"><![CDATA[ .kr {{ fill: url(#g2); stroke: #333; }} ]]></style>
    <linearGradient id="g1"><stop offset="0" style="stop-color:#2b6cb0"/></linearGradient>
    <linearGradient id="g2" xlink:href="#g1" x1="0" x2="1"/>
  </defs>
  <g inkscape:label="Layer 1" inkscape:groupmode="layer" transform="translate(0,0)">
    <a href="#objective"><rect id="objective" class="kr" width="50" height="20"
       style="fill:url( '#g2' );stroke-width:2"/></a>
    <use xlink:href="#objective" x="60"/>
    <image width="4" height="4" href="data:image/png;base64,iVBORw0KGgo
      AAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="/>
    <text x="5" y="50" font-family="sans-serif" xml:space="preserve">Key results</text>
  </g>
</svg>
"""

HARMLESS_FILES = {
    "editor export (utf-8)": EDITOR_EXPORT.encode(),
    "editor export (utf-16)": EDITOR_EXPORT.encode("utf-16"),
    "editor export (declared iso-8859-1)": b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
                                            + EDITOR_EXPORT.replace("—", "-").encode("latin-1"),
    "prefixed svg namespace": f'<s:svg xmlns:s="{SVG_NS}"><s:circle r="4"/></s:svg>'.encode(),
}

SHIPPED_SVGS = sorted([*ROOT.glob("courses/*/assets/*.svg"),
                       *(FIXTURES / "courses").glob("*/assets/*.svg")])


# --- the check itself -------------------------------------------------------------------------


@pytest.mark.parametrize("name, data, named", HOSTILE_FILES,
                         ids=[name for name, _, _ in HOSTILE_FILES])
def test_a_hostile_drawing_is_refused_naming_the_culprit(name, data, named):
    problem = svg_problem(data)
    assert problem is not None, f"{name} was accepted"
    assert named in problem, problem


@pytest.mark.parametrize("name", sorted(HARMLESS_FILES))
def test_a_harmless_drawing_passes_in_any_encoding(name):
    assert svg_problem(HARMLESS_FILES[name]) is None


def test_the_shipped_and_fixture_drawings_pass():
    assert len(SHIPPED_SVGS) >= 4, SHIPPED_SVGS
    problems = {path.relative_to(ROOT).as_posix(): svg_problem(path.read_bytes())
                for path in SHIPPED_SVGS}
    assert {path: problem for path, problem in problems.items() if problem} == {}


@pytest.mark.parametrize("data, named", [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><circle r='4'></svg>", "not well-formed"),
    (b'<?xml version="1.0" encoding="UTF-7"?><svg/>', "encoding"),
    (b"<svg><circle r='4'/></svg>", "SVG namespace"),
    (drawing("<html:p xmlns:html='http://www.w3.org/1999/xhtml'>x</html:p>").encode(), "<html:p>"),
])
def test_what_is_not_a_plain_drawing_is_named(data, named):
    problem = svg_problem(data)
    assert problem is not None and named in problem, problem


# --- the ways in ------------------------------------------------------------------------------


@pytest.fixture
def course(db):
    return import_example_course(db)


@pytest.fixture
def draft(db, course, login_as) -> CourseDraft:
    """The course's draft, with a trainer who maintains the course logged in."""
    trainer = login_as("trainer")
    studio.add_maintainer(db.session, None, course, trainer.email, datetime.now(UTC))
    draft = studio.start_draft(db.session, trainer, course, EXAMPLE_COURSE.parent)
    db.session.commit()
    return draft


def page(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_the_studio_image_upload_refuses_every_hostile_drawing(draft, browser, db):
    before, revision = studio.draft_assets(draft), draft.revision
    got_through = {}
    for name, data, named in HOSTILE_SAMPLE:
        response = browser.post(f"/studio/{SLUG}/images", {"image": (io.BytesIO(data), "x.svg")})
        text = page(response)
        if response.status_code != 415 or "SVG refused" not in text or named not in text:
            got_through[name] = (response.status_code, text[:200])
    assert got_through == {}
    db.session.expire_all()
    assert studio.draft_assets(draft) == before and draft.revision == revision


def test_the_studio_image_upload_keeps_harmless_drawings_byte_for_byte(draft, browser, client):
    for number, data in enumerate(HARMLESS_FILES.values()):
        name = f"drawing-{number}.svg"
        response = browser.post(f"/studio/{SLUG}/images", {"image": (io.BytesIO(data), name)})
        assert response.status_code == 302, page(response)[:500]
        assert client.get(f"/studio/{SLUG}/assets/{name}").data == data


def course_archive(extra: dict[str, bytes]) -> bytes:
    """The example course folder as a zip, with some files added."""
    files = {path.relative_to(EXAMPLE_COURSE).as_posix(): path.read_bytes()
             for path in EXAMPLE_COURSE.rglob("*") if path.is_file()}
    return write_zip(SLUG, {**files, **extra})


def upload_zip(browser, data: bytes):
    return browser.post(f"/studio/{SLUG}/upload",
                        {"archive": (io.BytesIO(data), "course.zip"), "confirm": "y"})


def test_the_zip_upload_refuses_every_hostile_drawing(draft, browser, db):
    before, revision = studio.draft_assets(draft), draft.revision
    got_through = {}
    for name, data, named in HOSTILE_SAMPLE:
        response = upload_zip(browser, course_archive({"assets/figures/x.SVG": data}))
        text = page(response)
        if not 400 <= response.status_code < 500 or "assets/figures/x.SVG" not in text \
                or named not in text:
            got_through[name] = (response.status_code, text[:200])
    assert got_through == {}
    db.session.expire_all()
    assert studio.draft_assets(draft) == before and draft.revision == revision
    harmless = {f"assets/drawing-{n}.svg": data for n, data in enumerate(HARMLESS_FILES.values())}
    assert upload_zip(browser, course_archive(harmless)).status_code == 302
    db.session.expire_all()
    assert {f"assets/{path}": data for path, data in studio.draft_assets(draft).items()
            if path.startswith("drawing-")} == harmless


def test_the_course_import_refuses_every_hostile_drawing(db, runner, tmp_path):
    folder = tmp_path / "courses" / SLUG
    shutil.copytree(EXAMPLE_COURSE, folder)
    got_through = {}
    for name, data, named in HOSTILE_SAMPLE:
        (folder / "assets" / "x.svg").write_bytes(data)
        result = runner.invoke(args=["courses", "import", str(folder.parent)])
        if result.exit_code != 1 or "assets/x.svg" not in result.output or named not in \
                result.output:
            got_through[name] = (result.exit_code, result.output[:200])
    assert got_through == {}
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    for number, data in enumerate(HARMLESS_FILES.values()):
        (folder / "assets" / f"x-{number}.svg").write_bytes(data)
    (folder / "assets" / "x.svg").unlink()
    result = runner.invoke(args=["courses", "import", str(folder.parent)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Course)) == 1


# --- serving ----------------------------------------------------------------------------------


def assert_fenced(response) -> None:
    """Served as an SVG that can run nothing, load nothing and be read as nothing else."""
    directives = {part.strip() for part in response.headers["Content-Security-Policy"].split(";")}
    assert {"default-src 'none'", "sandbox"} <= directives, directives
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # no charset: the browser reads the encoding from the file, as the check did
    assert response.headers["Content-Type"] == "image/svg+xml"


def test_published_drawings_are_served_sandboxed(course, client):
    assert_fenced(client.get(f"/courses/{SLUG}/assets/okr-cycle.svg"))


def test_draft_drawings_are_served_sandboxed_even_one_that_slipped_in(draft, client, db):
    assert_fenced(client.get(f"/studio/{SLUG}/assets/okr-cycle.svg"))
    hostile = HOSTILE["onload on the root"][0].encode()
    draft.assets.append(asset_row("old.svg", hostile))  # stored before the check existed
    db.session.commit()
    response = client.get(f"/studio/{SLUG}/assets/old.svg")
    assert response.data == hostile
    assert_fenced(response)
