"""Validation of brand logo uploads by their content, never by their name alone.

A logo is drawn by every page and every email that shows it, so every cost it can impose is
bounded here, once, when it is uploaded: bytes, pixels and frames for raster images; elements,
nesting, ``<use>`` copies and blur widths for SVG. An SVG may only draw its own parts: anything
it could load from elsewhere (links, ``url(…)`` and ``@import`` in CSS) is refused.
"""

import io
import re
import struct
import uuid
from collections.abc import Iterator
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

MAX_LOGO_BYTES = 1024 * 1024
RASTER_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# A logo is shown a few hundred pixels wide; 4096 on a side leaves room for any high-density
# export, and keeps a decoded frame under 64 MB (RGBA) here and in every browser.
MAX_LOGO_SIDE = 4096
# Summed over the frames of an animated PNG or WebP: an animation costs no more to decode than
# one full-size still. The frame cap bounds the per-frame overhead of many tiny frames.
MAX_LOGO_PIXELS = MAX_LOGO_SIDE * MAX_LOGO_SIDE
MAX_LOGO_FRAMES = 100

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
# What a logo may be drawn with: shapes, text, paint servers, clipping and a few filters.
# Anything else (script, foreignObject, animation that can rewrite links, embedded documents,
# external images) is refused, rather than a list of known-bad elements kept up to date.
ALLOWED_SVG_ELEMENTS = frozenset(
    {
        "svg",
        "g",
        "defs",
        "title",
        "desc",
        "metadata",
        "style",
        "symbol",
        "use",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "lineargradient",
        "radialgradient",
        "stop",
        "pattern",
        "clippath",
        "mask",
        "filter",
        "fegaussianblur",
        "feoffset",
        "feblend",
        "fecolormatrix",
        "feflood",
        "fecomposite",
        "femerge",
        "femergenode",
    }
)
# Editors' bookkeeping (Inkscape, Sodipodi, RDF metadata): inert, and common in exported logos.
INERT_NAMESPACES = (
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://creativecommons.org/ns#",
    "http://purl.org/dc/elements/1.1/",
)
# Only references inside the file, or embedded raster images, may be linked to.
SAFE_REFERENCE = re.compile(r"^(#|data:image/(png|jpeg|gif|webp);)")
PROCESSING_INSTRUCTION = re.compile(rb"<\?([^\s?>]*)")

# Every element a browser builds for the logo, counting each copy that <use> makes and each
# time a pattern, mask or clip path is drawn for an element that refers to it. Exported logos
# have a few hundred; a "billion laughs" of nested <use> has 10⁹.
MAX_SVG_ELEMENTS = 10_000
# Editors nest layers and groups a dozen levels deep; browsers recurse once per level.
MAX_SVG_DEPTH = 64
# A <use> of a group that holds a <use> …: a clone of a clone is common, deeper chains are not.
MAX_USE_NESTING = 4
# Gaussian blur costs grow with the kernel: a soft shadow needs a few units, not thousands.
MAX_BLUR_DEVIATION = 100

# Elements that draw their content once more for each element that refers to them. Gradients
# and filters (whose primitives here draw nothing of the file) add no elements.
PAINTED_ON_REFERENCE = frozenset({"pattern", "mask", "clippath"})

WHITESPACE_AND_CONTROLS = re.compile(r"[\x00-\x20]+")
# Without one of these characters, CSS can neither call a function nor import (escapes included).
MAY_BE_CSS_REFERENCE = re.compile(r"[(@\\]")
CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\r\n|[\n\r\f])|(.))", re.DOTALL)
# Comments, strings and escapes, split as a browser's CSS tokenizer splits them: a "/*" inside a
# string or after a backslash starts no comment, and a string ends at a newline.
CSS_TOKEN = re.compile(
    r"""(?P<comment>/\*.*?(?:\*/|\Z))
    |(?P<string>"(?:[^"\\\n\r\f]|\\.)*(?:"|(?=[\n\r\f])|\Z)
               |'(?:[^'\\\n\r\f]|\\.)*(?:'|(?=[\n\r\f])|\Z))
    |(?P<escape>\\.)
    |(?P<brace>[{}])
    |(?P<other>[^/"'\\{}]+|.)""",
    re.DOTALL | re.VERBOSE,
)
# Functions that load a URL: url() and src() take one, the image functions take bare strings.
CSS_URL_FUNCTION = re.compile(r"(url|src)\((['\"]?)(.?)", re.IGNORECASE)
CSS_IMAGE_FUNCTION = re.compile(r"(image-set|image|cross-fade)\(", re.IGNORECASE)
CSS_FRAGMENT = re.compile(r"url\(['\"]?#([^'\")]*)", re.IGNORECASE)
CSS_CUSTOM_PROPERTY_URL = re.compile(r"(^|[;{])--[^:;]*:[^;]*url\(", re.IGNORECASE)
CSS_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?", re.IGNORECASE)


# Raster images


def _pixels(width: int, height: int) -> str:
    return f"{width}\N{MULTIPLICATION SIGN}{height} pixels"


def _too_many_pixels(width: int, height: int) -> str:
    return (
        f"The logo is {_pixels(width, height)}; it may be at most "
        f"{_pixels(MAX_LOGO_SIDE, MAX_LOGO_SIDE)}."
    )


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 9 <= len(content):
        if content[position] != 0xFF:
            return None
        marker = content[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            height, width = struct.unpack(">HH", content[position + 5 : position + 9])
            return width, height
        if marker == 0xDA:  # start of scan: no frame header came first
            return None
        position += 2 + struct.unpack(">H", content[position + 2 : position + 4])[0]
    return None


def _webp_size(content: bytes) -> tuple[int, int] | None:
    chunk = content[12:16]
    if chunk == b"VP8 " and content[23:26] == b"\x9d\x01\x2a" and len(content) >= 30:
        width, height = struct.unpack("<HH", content[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8X" and len(content) >= 30:
        width = int.from_bytes(content[24:27], "little") + 1
        return width, int.from_bytes(content[27:30], "little") + 1
    if chunk == b"VP8L" and len(content) >= 25 and content[20] == 0x2F:
        bits = int.from_bytes(content[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _declared_size(content: bytes) -> tuple[int, int] | None:
    """Width and height as the PNG, JPEG or WebP header states them, read without decoding
    anything (Pillow's WebP decoder allocates its canvas when it opens a file); None if the
    header is not one of these or states no size."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        if len(content) >= 24:
            width, height = struct.unpack(">II", content[16:24])
            return width, height
        return None
    if content.startswith(b"\xff\xd8"):
        return _jpeg_size(content)
    if content.startswith(b"RIFF") and content[8:12] == b"WEBP":
        return _webp_size(content)
    return None


def _raster_extension(content: bytes) -> str | None:
    """The extension of a PNG, JPEG or WebP logo within the limits, fully decoded once; None if
    the bytes are none of these formats. Raises ValidationError if they are one but refused."""
    declared = _declared_size(content)
    if declared and max(declared) > MAX_LOGO_SIDE:
        raise ValidationError(_too_many_pixels(*declared))
    try:
        # Only these decoders ever see the bytes. Pillow's own decompression-bomb check runs in
        # open() against a far larger limit; the check above refuses any size it would warn about.
        with Image.open(io.BytesIO(content), formats=list(RASTER_FORMATS)) as image:
            extension = RASTER_FORMATS.get(image.format)
            if extension is None:  # a JPEG variant such as MPO
                return None
            width, height = image.size
            if max(width, height) > MAX_LOGO_SIDE:
                raise ValidationError(_too_many_pixels(width, height))
            frames = getattr(image, "n_frames", 1)
            if frames > MAX_LOGO_FRAMES:
                raise ValidationError(
                    f"The logo is an animation of {frames} frames; the limit is {MAX_LOGO_FRAMES}."
                )
            if width * height * frames > MAX_LOGO_PIXELS:
                raise ValidationError(
                    f"The logo is an animation of {frames} frames of {_pixels(width, height)}; "
                    "all frames together may have at most "
                    f"{_pixels(MAX_LOGO_SIDE, MAX_LOGO_SIDE)}."
                )
            # Decode every frame: a file that only starts like an image is refused here, not
            # left broken in every email.
            for frame in range(frames):
                image.seek(frame)
                image.load()
            return extension
    except UnidentifiedImageError:
        return None
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise ValidationError(
            "The logo declares more pixels than any logo needs; it may be at most "
            f"{_pixels(MAX_LOGO_SIDE, MAX_LOGO_SIDE)}."
        ) from bomb
    except Exception as damaged:  # decoders fail in many ways on crafted bytes; none is a 500
        raise ValidationError(
            "The logo could not be read: the PNG, JPEG or WebP file is damaged or incomplete."
        ) from damaged


# SVG


def _split_tag(tag: str) -> tuple[str, str]:
    namespace, _, local = tag.rpartition("}")
    return namespace.lstrip("{"), local.lower()


def _squeezed(value: str) -> str:
    # Browsers ignore whitespace and control characters inside a URL scheme ("java\tscript:").
    return WHITESPACE_AND_CONTROLS.sub("", value)


def _css_unescaped(text: str) -> str:
    def unescape(match: re.Match) -> str:
        if match[1]:
            code = int(match[1], 16)
            valid = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
            return chr(code) if valid else "\ufffd"
        return "" if match[2] else match[3]

    return CSS_ESCAPE.sub(unescape, text)


def _css_tokens(text: str) -> Iterator[tuple[str, str]]:
    return ((match.lastgroup, match[0]) for match in CSS_TOKEN.finditer(text))


def _css_normalized(text: str) -> str:
    """CSS as a browser reads it, whitespace removed: comments dropped (``ur/**/l(`` is read
    as ``url(``, stricter than a browser) and escapes decoded (``u\\rl(`` is ``url(``)."""
    kept = "".join(token for kind, token in _css_tokens(text) if kind != "comment")
    return _squeezed(_css_unescaped(kept))


def _css_problem(css: str) -> str | None:
    """Why this CSS (a style sheet, a style attribute or a presentation attribute) is refused:
    it may load nothing, and refer only to the logo's own parts with ``url(#id)``."""
    lowered = css.lower()
    if "javascript:" in lowered or "vbscript:" in lowered:
        return "SVG logos may not contain scripts (javascript: links)."
    if "@import" in lowered:
        return "SVG logos may not import style sheets (@import)."
    if any(match[3] != "#" for match in CSS_URL_FUNCTION.finditer(css)):
        return "SVG logos may only refer to their own parts: url(…) in their CSS must be url(#id)."
    if CSS_IMAGE_FUNCTION.search(css):
        return "SVG logos may not load images from their CSS (image-set(), image())."
    return None


def _css_fragments(css: str) -> set[str]:
    """The ids that ``url(#id)`` references in this CSS name (percent-escapes decoded too)."""
    fragments = set()
    for fragment in CSS_FRAGMENT.findall(css):
        fragments.update({fragment, unquote(fragment)})
    return fragments


def _css_blocks(sheet: str) -> Iterator[tuple[str, str, bool]]:
    """``(prelude, body, nested)`` for each top-level block of a style sheet, comments dropped;
    a brace inside a string or after a backslash does not open or close a block."""
    prelude, body, depth, nested = [], [], 0, False
    for kind, token in _css_tokens(sheet):
        if kind == "comment":
            continue
        if token == "{" and kind == "brace":
            depth += 1
            nested = nested or depth > 1
            if depth == 1:
                continue
        elif token == "}" and kind == "brace" and depth:
            depth -= 1
            if depth == 0:
                yield "".join(prelude), "".join(body), nested
                prelude, body, nested = [], [], False
                continue
        (body if depth else prelude).append(token)
    if depth:
        yield "".join(prelude), "".join(body), True


class _Document:
    """The parsed logo, indexed for resolving references and matching simple selectors."""

    def __init__(self, root: Element):
        self.root = root
        self.elements = [element for element in root.iter() if isinstance(element.tag, str)]
        self.by_id: dict[str, Element] = {}
        self.by_class: dict[str, list[Element]] = {}
        self.by_name: dict[str, list[Element]] = {}
        for element in self.elements:
            self.by_id.setdefault(element.get("id", ""), element)
            for name in element.get("class", "").split():
                self.by_class.setdefault(name, []).append(element)
            self.by_name.setdefault(_split_tag(element.tag)[1], []).append(element)

    def target(self, fragment: str) -> Element | None:
        element = self.by_id.get(fragment)
        return element if element is not None else self.by_id.get(unquote(fragment))

    def matching(self, prelude: str) -> list[Element] | None:
        """Every element a rule's selectors could match, or None for "possibly any element".

        Reads only the last compound selector of each, and only its id, first class or type:
        a superset of what a browser matches. Anything it cannot read this way (escapes,
        functional pseudo-classes, namespaces, at-rules) counts as any element.
        """
        if any(character in prelude for character in "\\()|@\"'") or not prelude.strip():
            return None
        matched: list[Element] = []
        for selector in prelude.split(","):
            compound = re.split(r"[\s>+~]+", selector.strip())[-1]
            compound = re.sub(r"\[[^\]]*\]|::?[\w-]+", "", compound)
            if identifier := re.search(r"#([\w-]+)", compound):
                element = self.by_id.get(identifier[1])
                matched.extend([element] if element is not None else [])
            elif class_name := re.search(r"\.([\w-]+)", compound):
                matched.extend(self.by_class.get(class_name[1], []))
            elif name := re.match(r"[A-Za-z][\w-]*", compound):
                matched.extend(self.by_name.get(name[0].lower(), []))
            else:
                return None
        return matched


class _Refused(Exception):
    pass


class _References:
    """What each element draws besides its children: the element a ``<use>`` copies, and the
    patterns, masks and clip paths drawn again for it. Capped at MAX_SVG_ELEMENTS references,
    since each one draws at least one element more."""

    USE, ADDED, PAINT = "use", "added", "paint"

    def __init__(self, document: _Document):
        self.document = document
        self.of: dict[Element, list[tuple[str, Element]]] = {}
        self.count = 0

    def add(self, source: Element, fragment: str, *, kind: str | None = None) -> None:
        target = self.document.target(fragment)
        if target is None:
            return
        target_name = _split_tag(target.tag)[1]
        if kind is None:
            if target_name not in PAINTED_ON_REFERENCE:
                return
            # Fill and stroke, the properties that take a pattern, are inherited: every element
            # inside the one that names it may draw it once more.
            kind = self.PAINT if target_name == "pattern" else self.ADDED
        self.of.setdefault(source, []).append((kind, target))
        self.count += 1
        if self.count > MAX_SVG_ELEMENTS:
            raise _Refused(_too_many_drawn())


def _too_many_drawn() -> str:
    return (
        f"The SVG logo would draw more than {MAX_SVG_ELEMENTS:,} elements once its <use> "
        "copies, patterns, masks and clip paths are expanded."
    )


def _drawn(document: _Document, references: _References) -> tuple[int, int]:
    """How many elements a browser draws for the logo (saturating just above the limit) and
    how deep ``<use>`` copies nest. Raises _Refused on a reference loop.

    An element draws itself, its children and what it references; an inherited pattern is
    drawn again for everything the element draws. Iterative, since chains can be long.
    """
    drawn: dict[Element, int] = {}
    use_depth: dict[Element, int] = {}
    on_path: set[Element] = set()

    def successors(element: Element) -> list[Element]:
        children = [child for child in element if isinstance(child.tag, str)]
        return children + [target for _, target in references.of.get(element, [])]

    stack = [(document.root, iter(successors(document.root)))]
    on_path.add(document.root)
    while stack:
        element, pending = stack[-1]
        for successor in pending:
            if successor in drawn:
                continue
            if successor in on_path:
                raise _Refused(
                    "The SVG logo refers to itself: a <use> or url(#…) reference leads back "
                    "to an element that contains it."
                )
            on_path.add(successor)
            stack.append((successor, iter(successors(successor))))
            break
        else:
            stack.pop()
            on_path.discard(element)
            children = [child for child in element if isinstance(child.tag, str)]
            own = references.of.get(element, [])
            itself = 1 + sum(drawn[child] for child in children)
            itself += sum(drawn[target] for kind, target in own if kind != references.PAINT)
            painted = sum(drawn[target] for kind, target in own if kind == references.PAINT)
            drawn[element] = min(itself * (1 + painted), MAX_SVG_ELEMENTS + 1)
            use_depth[element] = max(
                [use_depth[child] for child in children]
                + [use_depth[target] + (kind == references.USE) for kind, target in own],
                default=0,
            )
    return drawn[document.root], use_depth[document.root]


def _size_problem(root: Element) -> str | None:
    count, deepest, stack = 0, 0, [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        deepest = max(deepest, depth)
        if count > MAX_SVG_ELEMENTS:
            return f"The SVG logo has more than {MAX_SVG_ELEMENTS:,} elements."
        if deepest > MAX_SVG_DEPTH:
            return f"The SVG logo nests elements more than {MAX_SVG_DEPTH} levels deep."
        stack.extend((child, depth + 1) for child in element)
    return None


def _element_problem(element: Element, local: str, references: _References) -> str | None:
    """Why one element of the logo is refused; records its references on the way."""
    for name, value in element.attrib.items():
        namespace, attribute = _split_tag(name)
        squeezed = _squeezed(value).lower()
        if attribute.startswith("on"):
            return "SVG logos may not contain scripts (event handler attributes)."
        if "javascript:" in squeezed or "vbscript:" in squeezed:
            return "SVG logos may not contain scripts (javascript: links)."
        if attribute == "href":
            if not SAFE_REFERENCE.match(squeezed):
                return "SVG logos may only link to their own parts or to embedded images."
            if squeezed.startswith("#") and namespace not in INERT_NAMESPACES:
                kind = references.USE if local == "use" else None
                if local == "pattern":
                    kind = references.ADDED  # a pattern takes the content of the one it names
                references.add(element, _squeezed(value)[1:], kind=kind)
            continue
        if namespace in INERT_NAMESPACES:
            continue
        if namespace == XML_NAMESPACE and attribute == "base":
            return "SVG logos may not set xml:base."
        # Every attribute, not only style: presentation attributes (fill, stroke, filter,
        # mask, clip-path, marker-*) are CSS values too.
        if not MAY_BE_CSS_REFERENCE.search(value):
            continue
        css = _css_normalized(value)
        if problem := _css_problem(css):
            return problem
        anywhere = _sets_custom_property_to_url(css)
        if anywhere and (problem := _reference_from_anywhere(css, references.document)):
            return problem
        for fragment in _css_fragments(css):
            references.add(element, fragment)
    if local == "fegaussianblur":
        deviations = CSS_NUMBER.findall(element.get("stdDeviation", ""))
        if any(float(deviation) > MAX_BLUR_DEVIATION for deviation in deviations):
            return (
                f"A blur in the SVG logo is too wide; stdDeviation may be at most "
                f"{MAX_BLUR_DEVIATION}."
            )
    return None


def _sheet_problem(sheet: str, document: _Document, references: _References) -> str | None:
    """Why a ``<style>`` sheet is refused. Its ``url(#id)`` references to patterns, masks and
    clip paths count for every element its rules could match."""
    if problem := _css_problem(_css_normalized(sheet)):
        return problem
    for prelude, body, nested in _css_blocks(sheet):
        css = _css_normalized(body)
        if nested or _sets_custom_property_to_url(css):
            matched = None
        else:
            matched = document.matching(prelude)
        if matched is None:
            if problem := _reference_from_anywhere(css, document):
                return problem
            continue
        for fragment in _css_fragments(css):
            for element in matched:
                references.add(element, fragment)
    return None


def _sets_custom_property_to_url(css: str) -> bool:
    # A custom property carries its value to every element inside the one it is set on, where
    # any property may use it with var().
    return bool(CSS_CUSTOM_PROPERTY_URL.search(css))


def _reference_from_anywhere(css: str, document: _Document) -> str | None:
    """Refuse ``url(#id)`` of a pattern, mask or clip path from CSS that could apply to any
    element: through such CSS, each could be drawn inside another, nested without end, in a
    way that counting cannot follow."""
    for fragment in _css_fragments(css):
        target = document.target(fragment)
        if target is not None and _split_tag(target.tag)[1] in PAINTED_ON_REFERENCE:
            return (
                "In an SVG logo's CSS, url(#…) may point at a pattern, mask or clip path only "
                "from a rule for a class, an id or an element type, and not through a custom "
                "property; use a class or the element's own attribute."
            )
    return None


def _svg_problem(content: bytes) -> str | None:
    """Why this SVG is refused, or None. Parsed with defusedxml: no DTD, no entities."""
    instructions = [name.lower() for name in PROCESSING_INSTRUCTION.findall(content)]
    if any(name != b"xml" for name in instructions):
        return "SVG logos may not contain processing instructions such as stylesheets."
    try:
        root = ElementTree.fromstring(content, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return "This file is not a valid SVG image."
    if _split_tag(root.tag) != (SVG_NAMESPACE, "svg"):
        return "This file is not a valid SVG image."
    if problem := _size_problem(root):
        return problem
    document = _Document(root)
    references = _References(document)
    try:
        for element in document.elements:
            namespace, local = _split_tag(element.tag)
            if namespace in INERT_NAMESPACES:
                continue
            if namespace != SVG_NAMESPACE or local not in ALLOWED_SVG_ELEMENTS:
                return (
                    f"SVG logos may not contain <{local}> elements "
                    "(scripts, animations or embedded content)."
                )
            if problem := _element_problem(element, local, references):
                return problem
            sheet = "".join(element.itertext()) if local == "style" else ""
            if sheet and (problem := _sheet_problem(sheet, document, references)):
                return problem
        drawn, use_depth = _drawn(document, references)
    except _Refused as refused:
        return str(refused)
    if use_depth > MAX_USE_NESTING:
        return (
            f"The SVG logo nests <use> copies {use_depth} deep (a <use> of a group that holds "
            f"a <use> …); the limit is {MAX_USE_NESTING}."
        )
    if drawn > MAX_SVG_ELEMENTS:
        return _too_many_drawn()
    return None


def logo_extension_of(content: bytes) -> str:
    """The file extension for a valid logo, or raise ValidationError saying what is wrong.

    Accepts PNG, JPEG and WebP (recognised by Pillow from the bytes, within the pixel limits)
    and SVG without scripts, outside references or runaway size.
    """
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationError(
            f"The logo is {len(content) / 1024 / 1024:.1f} MB; the limit is 1 MB."
        )
    extension = _raster_extension(content)
    if extension:
        return extension
    if b"<svg" in content[:4096].lower():
        problem = _svg_problem(content)
        if problem:
            raise ValidationError(problem)
        return "svg"
    raise ValidationError("Upload a PNG, JPEG, SVG or WebP image.")


def logo_file_name(extension: str) -> str:
    """A fresh name: the uploader's file name is never used on disk."""
    return f"logo-{uuid.uuid4().hex}.{extension}"
