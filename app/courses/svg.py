"""SVG drawings a course may hold: parsed safely and kept only through an allow-list.

An SVG opened on its own is a document of our origin, so a course SVG must be a plain drawing:
no scripts, event handlers, animations, embedded documents, or links and styles that reach
outside the file. The check reads the parsed document, never the raw bytes: defusedxml refuses
entity declarations and external references (a DTD may only be the usual bare DOCTYPE line),
so elements and attributes are compared by namespace URI and local name whatever their prefix
or the file's encoding, and values after the parser has decoded character references.
Anything not on the allow-list is refused with a sentence that names it; nothing is rewritten,
so the bytes stored are the bytes checked.
"""
from __future__ import annotations

import re

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

SVG_TYPE = "image/svg+xml"
SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
XML = "http://www.w3.org/XML/1998/namespace"
XHTML = "http://www.w3.org/1999/xhtml"
PLAIN_DRAWING = ("Export a plain drawing: no scripts, event handlers, animations, embedded "
                 "content or links outside the drawing.")

#: what drawing programs record about the file; browsers give these namespaces no behaviour
EDITOR_NAMESPACES = frozenset({
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#", "http://web.resource.org/cc/",
    "http://purl.org/dc/elements/1.1/", "http://purl.org/dc/terms/",
    "http://www.bohemiancoding.com/sketch/ns",
    "http://ns.adobe.com/AdobeIllustrator/10.0/", "http://ns.adobe.com/Extensibility/1.0/",
    "http://ns.adobe.com/Graphs/1.0/", "http://ns.adobe.com/SaveForWeb/1.0/",
    "http://ns.adobe.com/Variables/1.0/",
})
#: element names that run, embed or animate, refused in any namespace
ACTIVE_ELEMENTS = frozenset({
    "script", "foreignobject", "iframe", "embed", "object", "handler", "listener", "set",
    "discard", "animation", "audio", "video",
})
ELEMENTS = frozenset("""
    svg g defs symbol use switch a view title desc metadata style image
    path rect circle ellipse line polyline polygon text tspan textPath
    linearGradient radialGradient stop pattern clipPath mask marker
    filter feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix
    feDiffuseLighting feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB
    feFuncG feFuncR feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset
    fePointLight feSpecularLighting feSpotLight feTile feTurbulence
""".split())
#: presentation attributes: CSS values, checked like a style attribute
PRESENTATION_ATTRIBUTES = frozenset("""
    alignment-baseline baseline-shift clip clip-path clip-rule color color-interpolation
    color-interpolation-filters color-rendering cursor direction display dominant-baseline
    enable-background fill fill-opacity fill-rule filter flood-color flood-opacity font
    font-family font-size font-size-adjust font-stretch font-style font-variant font-weight
    glyph-orientation-horizontal glyph-orientation-vertical image-rendering isolation kerning
    letter-spacing lighting-color marker marker-end marker-mid marker-start mask mix-blend-mode
    opacity overflow paint-order pointer-events shape-rendering stop-color stop-opacity stroke
    stroke-dasharray stroke-dashoffset stroke-linecap stroke-linejoin stroke-miterlimit
    stroke-opacity stroke-width text-anchor text-decoration text-rendering transform-origin
    unicode-bidi vector-effect visibility white-space word-spacing writing-mode style
""".split())
ATTRIBUTES = PRESENTATION_ATTRIBUTES | frozenset("""
    id class lang tabindex role focusable href target type media transform
    x y width height rx ry cx cy r fx fy fr x1 y1 x2 y2 d points pathLength dx dy rotate
    viewBox preserveAspectRatio version baseProfile zoomAndPan
    textLength lengthAdjust startOffset method spacing side path
    gradientUnits gradientTransform spreadMethod offset patternUnits patternContentUnits
    patternTransform clipPathUnits maskUnits maskContentUnits markerUnits markerWidth
    markerHeight refX refY orient filterUnits primitiveUnits filterRes
    in in2 result mode operator k1 k2 k3 k4 values stdDeviation kernelMatrix order divisor bias
    targetX targetY edgeMode kernelUnitLength preserveAlpha surfaceScale diffuseConstant
    specularConstant specularExponent azimuth elevation pointsAtX pointsAtY pointsAtZ
    limitingConeAngle z scale xChannelSelector yChannelSelector radius baseFrequency
    numOctaves seed stitchTiles tableValues slope intercept amplitude exponent crossorigin
    systemLanguage requiredFeatures requiredExtensions
""".split())
NAMESPACED_ATTRIBUTES = frozenset({
    f"{{{XLINK}}}href", f"{{{XLINK}}}title", f"{{{XLINK}}}type", f"{{{XLINK}}}show",
    f"{{{XLINK}}}actuate", f"{{{XLINK}}}role", f"{{{XLINK}}}arcrole",
    f"{{{XML}}}space", f"{{{XML}}}lang", f"{{{XML}}}id",
})
_PREFIXES = {SVG: "", XLINK: "xlink:", XML: "xml:", XHTML: "html:"}
#: an href keeps to the drawing: a fragment of this file, or an embedded raster image
_FRAGMENT_RE = re.compile(r"#[^\s\"'()\\]*")
_DATA_IMAGE_RE = re.compile(r"data:image/(?:png|jpeg|gif|webp)[;,]", re.IGNORECASE)
_URL_INVISIBLE_RE = re.compile(r"[\x00-\x20\x7f]")
_CSS_FRAGMENT_URL_RE = re.compile(r"""url\(\s*(["']?)#[^\s"'()\\]*\1\s*\)""")
_CSS_LOADS = ("@import", "expression(", "image(", "image-set(", "javascript:", "behavior:",
              "-moz-binding")


class UnsafeSvg(ValueError):
    """The SVG is not a plain drawing; the message names what is wrong."""


def svg_problem(data: bytes) -> str | None:
    """What keeps `data` from being a plain SVG drawing, as a sentence; None when it is one."""
    try:
        check_svg(data)
    except UnsafeSvg as error:
        return f"SVG refused: {error}. {PLAIN_DRAWING}"
    return None


def check_svg(data: bytes) -> None:
    """Parse `data` and walk every element and attribute; raises `UnsafeSvg`."""
    checker = _DrawingChecker()
    parser = _DrawingParser(checker)
    try:
        parser.feed(data)
        parser.close()
    except UnsafeSvg:
        raise
    except DTDForbidden:
        raise UnsafeSvg("it declares a DTD (<!DOCTYPE svg [...]>) with entities or "
                        "attribute defaults") from None
    except EntitiesForbidden:
        raise UnsafeSvg("it declares entities (a DTD with <!ENTITY ...>)") from None
    except ExternalReferenceForbidden:
        raise UnsafeSvg("it refers to an external entity") from None
    except ParseError as error:
        raise UnsafeSvg(f"it is not well-formed XML ({error})") from None
    except (ValueError, LookupError) as error:
        raise UnsafeSvg(f"its encoding cannot be read ({error})") from None
    if checker.first_problem is not None:
        raise UnsafeSvg(checker.first_problem)


class _DrawingParser(DefusedXMLParser):
    """defusedxml's parser, letting through only a bare DOCTYPE line (one that declares
    nothing), which drawing programs write."""

    def __init__(self, target: _DrawingChecker) -> None:
        super().__init__(target=target, forbid_dtd=True, forbid_entities=True,
                         forbid_external=True)

    def defused_start_doctype_decl(self, name: str, sysid: str | None, pubid: str | None,
                                   has_internal_subset: int) -> None:
        if has_internal_subset:
            raise DTDForbidden(name, sysid, pubid)


class _DrawingChecker:
    """The parser's target: checks each element as it opens.

    Active content (scripts, handlers, outside links, loading styles) raises at once; the
    first element or attribute merely off the allow-list is kept and raised at the end, so
    the sentence names the most telling problem.
    """

    def __init__(self) -> None:
        self.first_problem: str | None = None
        self.depth = 0
        self.style_text: list[str] | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.style_text is not None:
            raise UnsafeSvg(f"<style> holds an element ({_element(tag)}), not only CSS")
        uri, local = _split(tag)
        if local.lower() in ACTIVE_ELEMENTS or local.lower().startswith("animate"):
            target = attrib.get("attributeName")
            raise UnsafeSvg(f"it contains {_element(tag)}"
                            + (f", which changes the {_shorten(target)} attribute" if target
                               else ""))
        for name, value in attrib.items():
            _check_active_attribute(tag, name, value)
        if self.depth == 0 and tag != f"{{{SVG}}}svg":
            self._note(f"its root element is {_element(tag)}, not an <svg> element in the SVG "
                       f'namespace (xmlns="{SVG}")')
        self.depth += 1
        if uri == SVG and local == "style":
            self.style_text = []
        editor_data = uri in EDITOR_NAMESPACES
        if not editor_data and (uri != SVG or local not in ELEMENTS):
            self._note(f"{_element(tag)} is not an element of a plain drawing")
            return
        for name in attrib:
            if not _allowed_attribute(name, editor_data):
                self._note(f"the {_attribute(name)} attribute of {_element(tag)} is not one a "
                           "plain drawing needs")

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.style_text is not None:
            problem = _css_problem("".join(self.style_text))
            self.style_text = None
            if problem:
                raise UnsafeSvg(f"a <style> element {problem}")

    def data(self, text: str) -> None:
        if self.style_text is not None:
            self.style_text.append(text)

    def pi(self, target: str, text: str | None = None) -> None:
        raise UnsafeSvg(f"it holds a processing instruction (<?{target} ...?>)")

    def close(self) -> None:
        return None

    def _note(self, problem: str) -> None:
        if self.first_problem is None:
            self.first_problem = problem


def _check_active_attribute(tag: str, name: str, value: str) -> None:
    """Event handlers, hrefs leaving the drawing and styles that load things; any namespace."""
    _, local = _split(name)
    if local.lower().startswith("on"):
        raise UnsafeSvg(f"the {_attribute(name)} attribute of {_element(tag)} is an event "
                        "handler")
    if local == "href" and not _href_is_local(value):
        raise UnsafeSvg(f"the {_attribute(name)} of {_element(tag)} points outside the drawing "
                        f"({_shorten(value)}): only #fragments and embedded PNG, JPEG, GIF or "
                        "WebP images may be linked")
    if name in PRESENTATION_ATTRIBUTES:
        problem = _css_problem(value)
        if problem:
            raise UnsafeSvg(f"the {name} attribute of {_element(tag)} {problem}")


def _href_is_local(value: str) -> bool:
    """A fragment of this file or a data: raster image, as a browser reads the URL (it drops
    tabs, newlines and surrounding spaces)."""
    url = _URL_INVISIBLE_RE.sub("", value)
    return bool(_FRAGMENT_RE.fullmatch(url) or _DATA_IMAGE_RE.match(url))


def _css_problem(css: str) -> str | None:
    """How a piece of CSS would reach outside the drawing, or None.

    Comments are left in on purpose: `ur/**/l(` is no url() to a browser, and stripping them
    could hide a real one after a `/*` inside a string. Escapes are refused, since `u\\72l(` is.
    """
    if "\\" in css:
        return "uses a CSS escape (\\)"
    lowered = css.lower()
    loader = next((token for token in _CSS_LOADS if token in lowered), None)
    if loader:
        return f"uses {loader}"
    if "url(" in _CSS_FRAGMENT_URL_RE.sub("", lowered):
        return "loads a url() from outside the drawing (only url(#id) is kept)"
    return None


def _allowed_attribute(name: str, editor_data: bool) -> bool:
    """Whether an attribute is on the allow-list; an editor's own elements may carry any
    attribute without a namespace (they have no behaviour), but no `xml:base`."""
    if name.startswith("{"):
        return name in NAMESPACED_ATTRIBUTES or _split(name)[0] in EDITOR_NAMESPACES
    return editor_data or name in ATTRIBUTES or name.startswith(("aria-", "data-"))


def _split(name: str) -> tuple[str, str]:
    """(namespace URI, local name) of an expanded `{uri}local` name; a local name holds no
    `}`, so the last one ends the URI."""
    if not name.startswith("{"):
        return "", name
    uri, _, local = name[1:].rpartition("}")
    return uri, local


def _element(tag: str) -> str:
    """An element as the trainer would write it: `<script>`, `<html:div>`."""
    uri, local = _split(tag)
    if uri in _PREFIXES:
        return f"<{_PREFIXES[uri]}{local}>"
    return f"<{local}> (outside the SVG namespace)" if not uri else f"<{local}> (of {uri})"


def _attribute(name: str) -> str:
    """An attribute as the trainer would write it: `onload`, `xlink:href`."""
    uri, local = _split(name)
    if not uri or uri in _PREFIXES:
        return f"{_PREFIXES.get(uri, '')}{local}"
    return f"{{{uri}}}{local}"


def _shorten(value: str, limit: int = 40) -> str:
    """A value quoted for a sentence, cut to `limit` characters."""
    return repr(value if len(value) <= limit else value[:limit] + "...")
