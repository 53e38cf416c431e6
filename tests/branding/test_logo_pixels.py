"""Raster logos: pixel dimensions are checked from the header before anything is decoded, and
whatever Pillow cannot decode is a form error, never a 500."""

import html
import io
import struct
import warnings
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from branding import uploads
from branding.models import Brand
from branding.uploads import MAX_LOGO_SIDE, logo_extension_of

BRAND = {
    "primary_color": "#ff5500",
    "font_color": "#222222",
    "content_background_color": "#ffffff",
    "font_family": "Inter, Arial, sans-serif",
    "direction": "ltr",
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def chunk(kind: bytes, payload: bytes) -> bytes:
    checksum = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", checksum)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` by ``height`` pixels, with a few bytes of image data:
    a decompression bomb needs no more than this to make a decoder allocate the whole canvas."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def webp_declaring(width: int, height: int) -> bytes:
    """An extended WebP (VP8X) whose header declares a canvas of ``width`` by ``height``."""
    canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    extended = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + canvas
    return b"RIFF" + struct.pack("<I", 4 + len(extended)) + b"WEBP" + extended


def encoded(size, image_format="PNG", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#4f46e5").save(buffer, format=image_format, **options)
    return buffer.getvalue()


def animation(frames: int, size=(2, 2)) -> bytes:
    # Each frame differs, or the encoder would merge them.
    images = [Image.new("RGB", size, (index % 256, index // 256, 0)) for index in range(frames)]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PNG", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def pixels(width: int, height: int) -> str:
    return f"{width}\N{MULTIPLICATION SIGN}{height}"


LIMIT = f"it may be at most {pixels(4096, 4096)} pixels."


def post_logo(client, tenant, content: bytes, name="logo.png"):
    data = {**BRAND, "logo": SimpleUploadedFile(name, content)}
    return client.post(tenant.url(tenant.development, "brand/"), data, follow=True)


def test_a_png_declaring_65535_pixels_square_is_a_form_error_not_a_500(
    client, login, tenant, other_tenant, media_root
):
    login(tenant.editor.user)
    response = post_logo(client, tenant, png_declaring(65535, 65535))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert f"The logo is {pixels(65535, 65535)} pixels; {LIMIT}" in page
    assert not Brand.unscoped_across_environments.exists()
    assert not any(media_root.rglob("*.*"))


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (png_declaring(10_000, 10_000), pixels(10_000, 10_000)),
        (png_declaring(MAX_LOGO_SIDE + 1, 1), pixels(4097, 1)),
        (webp_declaring(16_384, 16_384), pixels(16_384, 16_384)),
        (encoded((MAX_LOGO_SIDE + 1, 8), "JPEG"), pixels(4097, 8)),
        (encoded((8, MAX_LOGO_SIDE + 1), "WEBP"), pixels(8, 4097)),
    ],
    ids=["png-100-megapixels", "png-one-too-wide", "webp-canvas", "jpeg", "webp"],
)
def test_dimensions_over_the_limit_are_refused_before_pillow_sees_them(content, declared):
    # Any warning (Pillow's DecompressionBombWarning among them) fails the test: the header
    # check refuses first.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValidationError) as refused:
            logo_extension_of(content)
    assert refused.value.messages == [f"The logo is {declared} pixels; {LIMIT}"]


@pytest.mark.parametrize("warnings_are_errors", [False, True])
def test_pillows_own_bomb_check_is_a_form_error_too(monkeypatch, warnings_are_errors):
    # Should the header check ever miss a variant of a format, Pillow's check stands behind it.
    monkeypatch.setattr(uploads, "_declared_size", lambda content: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error" if warnings_are_errors else "ignore")
        for content in (png_declaring(65535, 65535), png_declaring(10_000, 10_000)):
            with pytest.raises(ValidationError, match=LIMIT):
                logo_extension_of(content)


def test_the_largest_allowed_logo_is_accepted():
    assert logo_extension_of(encoded((MAX_LOGO_SIDE, MAX_LOGO_SIDE))) == "png"
    assert logo_extension_of(encoded((MAX_LOGO_SIDE, 16), "JPEG")) == "jpg"
    assert logo_extension_of(encoded((16, MAX_LOGO_SIDE), "WEBP", lossless=True)) == "webp"


@pytest.mark.parametrize(
    "content",
    [
        png_declaring(64, 64),  # image data far shorter than the header promises
        encoded((64, 64))[:-40],  # cut off before its last chunks
        encoded((64, 64), "JPEG")[:200],
        encoded((64, 64), "WEBP")[:60],
    ],
    ids=["png-short-data", "png-truncated", "jpeg-truncated", "webp-truncated"],
)
def test_a_damaged_image_is_refused_with_a_message(content):
    with pytest.raises(ValidationError) as refused:
        logo_extension_of(content)
    assert refused.value.messages == [
        "The logo could not be read: the PNG, JPEG or WebP file is damaged or incomplete."
    ]


def test_a_damaged_png_is_a_form_error_and_nothing_is_saved(client, login, tenant, media_root):
    login(tenant.editor.user)
    response = post_logo(client, tenant, png_declaring(64, 64))
    assert "the PNG, JPEG or WebP file is damaged or incomplete" in response.content.decode()
    assert not Brand.unscoped_across_environments.exists()
    assert not any(media_root.rglob("*.*"))


def test_animations_are_bounded_by_frames_and_by_pixels_over_all_frames():
    assert logo_extension_of(animation(3)) == "png"
    with pytest.raises(ValidationError, match="an animation of 101 frames; the limit is 100"):
        logo_extension_of(animation(101))
    with pytest.raises(ValidationError, match="all frames together may have at most"):
        logo_extension_of(animation(2, size=(3000, 3000)))


def test_the_brand_form_states_the_limits_before_an_upload(client, login, tenant):
    login(tenant.editor.user)
    page = client.get(tenant.url(tenant.development, "brand/")).content.decode()
    assert f"at most 1 MB and {pixels(4096, 4096)} pixels" in html.unescape(page)
