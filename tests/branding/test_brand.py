"""Brand settings and the logo upload, validated by content."""

import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from branding.models import Brand
from tests.factories import BrandFactory


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_bytes(size=(32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#4f46e5").save(buffer, format="PNG")
    return buffer.getvalue()


BRAND = {
    "primary_color": "#ff5500",
    "font_color": "#222222",
    "content_background_color": "#ffffff",
    "font_family": "Inter, Arial, sans-serif",
    "direction": "rtl",
}
CLEAN_SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>'


def post_brand(client, tenant, logo=None, **overrides):
    data = {**BRAND, **overrides}
    if logo is not None:
        data["logo"] = logo
    return client.post(tenant.url(tenant.development, "brand/"), data, follow=True)


def test_an_editor_saves_brand_settings_with_a_png_logo(client, login, tenant, media_root):
    login(tenant.editor.user)
    response = post_brand(client, tenant, SimpleUploadedFile("anything.bin", png_bytes()))
    assert "Saved the brand settings." in response.content.decode()
    brand = Brand.unscoped_across_environments.get(environment=tenant.development)
    assert brand.primary_color == "#ff5500"
    assert brand.direction == "rtl"
    assert brand.logo.name.endswith(".png")
    assert "anything" not in brand.logo.name
    assert (media_root / brand.logo.name).read_bytes() == png_bytes()
    assert brand.updated_by == tenant.editor.user


INKSCAPE_SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Created with Inkscape -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape"
     xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" width="40" height="40">
  <sodipodi:namedview id="view" inkscape:zoom="1"/>
  <defs><linearGradient id="g"><stop offset="0" stop-color="#4f46e5"/></linearGradient></defs>
  <style>.mark { fill: url(#g); }</style>
  <g inkscape:label="Layer 1"><rect class="mark" width="40" height="40" rx="8"/>
  <use xlink:href="#g"/><text x="8" y="28">A</text></g>
</svg>"""


def test_an_editor_exported_svg_is_accepted(client, login, tenant):
    login(tenant.editor.user)
    post_brand(client, tenant, SimpleUploadedFile("logo.svg", INKSCAPE_SVG))
    assert Brand.unscoped_across_environments.get().logo.name.endswith(".svg")


def test_a_clean_svg_is_accepted(client, login, tenant):
    login(tenant.editor.user)
    post_brand(
        client, tenant, SimpleUploadedFile("logo.svg", CLEAN_SVG, content_type="image/svg+xml")
    )
    assert Brand.unscoped_across_environments.get().logo.name.endswith(".svg")


SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">{}</svg>'


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.png", b"GIF89a not really a png", "Upload a PNG, JPEG, SVG or WebP image."),
        ("logo.png", b"%PDF-1.7 a document", "Upload a PNG, JPEG, SVG or WebP image."),
        (
            "logo.svg",
            SVG.format("<script>alert(1)</script>").encode(),
            "may not contain <script> elements",
        ),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
            "SVG logos may not contain scripts",
        ),
        (
            "logo.svg",
            SVG.format('<a x:href="javascript:alert(1)"><rect/></a>').encode(),
            "may not contain <a> elements",
        ),
        (
            "logo.svg",
            SVG.format('<use x:href="java&#9;script:alert(1)"/>').encode(),
            "may not contain scripts",
        ),
        (
            "logo.svg",
            SVG.format('<use href="java\nscript:alert(1)"/>').encode(),
            "may not contain scripts",
        ),
        (
            "logo.svg",
            SVG.format('<use href="https://evil.example/x.svg#a"/>').encode(),
            "may only link to their own parts",
        ),
        (
            "logo.svg",
            SVG.format('<set attributeName="href" to="javascript:alert(1)"/>').encode(),
            "may not contain <set> elements",
        ),
        (
            "logo.svg",
            SVG.format('<animate attributeName="href" values="x"/>').encode(),
            "may not contain <animate> elements",
        ),
        (
            "logo.svg",
            SVG.format("<foreignObject><p>hi</p></foreignObject>").encode(),
            "may not contain <foreignobject>",
        ),
        (
            "logo.svg",
            b'<?xml version="1.0"?><?xml-stylesheet href="https://evil.example/x.xsl"?>'
            + SVG.format("<rect/>").encode(),
            "processing instructions",
        ),
        (
            "logo.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
            "not a valid SVG",
        ),
    ],
    ids=[
        "gif-named-png",
        "pdf",
        "svg-script",
        "svg-onload",
        "svg-javascript-link",
        "svg-tab-in-scheme",
        "svg-newline-in-scheme",
        "svg-external-use",
        "svg-set-href",
        "svg-animate",
        "svg-foreign-object",
        "svg-stylesheet-instruction",
        "svg-entity",
    ],
)
def test_a_wrong_or_dangerous_logo_is_refused_and_nothing_is_saved(
    client, login, tenant, media_root, name, content, message
):
    login(tenant.editor.user)
    response = post_brand(client, tenant, SimpleUploadedFile(name, content))
    assert message in html.unescape(response.content.decode())
    assert not Brand.unscoped_across_environments.exists()
    assert not any(media_root.rglob("*.*"))


def test_a_logo_over_one_megabyte_is_refused(client, login, tenant):
    login(tenant.editor.user)
    big = png_bytes() + b"\0" * (1024 * 1024)
    response = post_brand(client, tenant, SimpleUploadedFile("logo.png", big))
    assert "the limit is 1 MB" in response.content.decode()
    assert not Brand.unscoped_across_environments.exists()


def test_colours_and_fonts_are_validated(client, login, tenant):
    login(tenant.editor.user)
    response = post_brand(
        client, tenant, primary_color="red", font_family="Arial; } body { color: red"
    )
    page = response.content.decode()
    assert "Enter a colour as #rrggbb" in page
    assert "Use font names, commas and quotes only." in page
    assert not Brand.unscoped_across_environments.exists()


def test_production_shows_brand_read_only_and_refuses_writes(client, login, tenant, other_tenant):
    BrandFactory(environment=tenant.production, primary_color="#123456")
    BrandFactory(environment=other_tenant.production, primary_color="#abcdef")
    login(tenant.admin.user)
    page = client.get(tenant.url(tenant.production, "brand/")).content.decode()
    assert 'data-testid="brand-read-only"' in page
    assert "#123456" in page and "#abcdef" not in page
    assert "Save brand" not in page
    response = client.post(tenant.url(tenant.production, "brand/"), {**BRAND})
    assert response.status_code == 403
    assert (
        Brand.unscoped_across_environments.get(environment=tenant.production).primary_color
        == "#123456"
    )


def test_viewers_see_the_brand_but_cannot_save(client, login, tenant):
    BrandFactory(environment=tenant.development, primary_color="#123456")
    login(tenant.viewer.user)
    page = client.get(tenant.url(tenant.development, "brand/")).content.decode()
    assert "#123456" in page and "Save brand" not in page
    assert client.post(tenant.url(tenant.development, "brand/"), {**BRAND}).status_code == 403
