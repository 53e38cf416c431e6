"""Validation of brand logo uploads by their content, never by their name alone."""

import io
import uuid

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

MAX_LOGO_BYTES = 1024 * 1024
RASTER_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
# Elements that can run script or pull in other documents from inside an SVG.
FORBIDDEN_SVG_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "handler"}


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _svg_problem(content: bytes) -> str | None:
    """Why this SVG is refused, or None. Parsed with defusedxml: no entities, no external DTDs."""
    try:
        root = ElementTree.fromstring(content)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return "This file is not a valid SVG image."
    if _local_name(root.tag) != "svg":
        return "This file is not a valid SVG image."
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if _local_name(element.tag) in FORBIDDEN_SVG_ELEMENTS:
            return "SVG logos may not contain scripts or embedded documents."
        for name, value in element.attrib.items():
            attribute = _local_name(name)
            if attribute.startswith("on"):
                return "SVG logos may not contain scripts (event handler attributes)."
            if attribute == "href" and value.strip().lower().startswith(
                ("javascript:", "data:text/html")
            ):
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
