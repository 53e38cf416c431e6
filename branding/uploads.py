"""Validation of brand logo uploads by their content, never by their name alone."""

import io
import re
import uuid

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

MAX_LOGO_BYTES = 1024 * 1024
RASTER_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
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


def _split_tag(tag: str) -> tuple[str, str]:
    namespace, _, local = tag.rpartition("}")
    return namespace.lstrip("{"), local.lower()


def _squeezed(value: str) -> str:
    # Browsers ignore whitespace and control characters inside a URL scheme ("java\tscript:").
    return "".join(character for character in value if character > " ").lower()


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
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        namespace, local = _split_tag(element.tag)
        if namespace in INERT_NAMESPACES:
            continue
        if namespace != SVG_NAMESPACE or local not in ALLOWED_SVG_ELEMENTS:
            return (
                f"SVG logos may not contain <{local}> elements "
                "(scripts, animations or embedded content)."
            )
        for name, value in element.attrib.items():
            attribute = _split_tag(name)[1]
            squeezed = _squeezed(value)
            if attribute.startswith("on"):
                return "SVG logos may not contain scripts (event handler attributes)."
            if "javascript:" in squeezed or "vbscript:" in squeezed:
                return "SVG logos may not contain scripts (javascript: links)."
            if attribute == "href" and not SAFE_REFERENCE.match(squeezed):
                return "SVG logos may only link to their own parts or to embedded images."
        if local == "style" and "javascript:" in _squeezed(element.text or ""):
            return "SVG logos may not contain scripts (javascript: links)."
    return None


def logo_extension_of(content: bytes) -> str:
    """The file extension for a valid logo, or raise ValidationError saying what is wrong.

    Accepts PNG, JPEG and WebP (recognised by Pillow from the bytes) and SVG without scripts.
    """
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationError(
            f"The logo is {len(content) / 1024 / 1024:.1f} MB; the limit is 1 MB."
        )
    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        image_format = None
    if image_format in RASTER_FORMATS:
        return RASTER_FORMATS[image_format]
    if image_format is None and b"<svg" in content[:4096].lower():
        problem = _svg_problem(content)
        if problem:
            raise ValidationError(problem)
        return "svg"
    raise ValidationError("Upload a PNG, JPEG, SVG or WebP image.")


def logo_file_name(extension: str) -> str:
    """A fresh name: the uploader's file name is never used on disk."""
    return f"logo-{uuid.uuid4().hex}.{extension}"
