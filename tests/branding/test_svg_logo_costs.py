"""What an SVG logo costs a browser is bounded: elements, nesting, the copies <use> makes, the
patterns, masks and clip paths drawn again for each element that refers to them, and blurs.
Logos as design tools export them stay well inside every limit."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from branding.models import Brand
from branding.uploads import MAX_SVG_DEPTH, MAX_SVG_ELEMENTS, MAX_USE_NESTING, logo_extension_of

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'viewBox="0 0 100 100">{}</svg>'
)
TOO_MANY_DRAWN = (
    "The SVG logo would draw more than 10,000 elements once its <use> copies, patterns, masks "
    "and clip paths are expanded."
)


def use_laughs(levels: int, copies: int) -> bytes:
    """The "billion laughs" of SVG: each level is a group of ``copies`` <use> of the level
    below, so the last one draws copies**levels shapes."""
    levels_markup = "".join(
        f'<g id="l{level}">' + f'<use href="#l{level - 1}"/>' * copies + "</g>"
        for level in range(1, levels + 1)
    )
    return SVG.format(
        f'<defs><path id="l0" d="M0 0h1v1z"/>{levels_markup}</defs><use href="#l{levels}"/>'
    ).encode()


def refusal(content: bytes) -> str:
    with pytest.raises(ValidationError) as refused:
        logo_extension_of(content)
    [message] = refused.value.messages
    return message


def test_a_billion_laughs_of_use_is_a_form_error(client, login, tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    content = use_laughs(levels=9, copies=10)
    assert len(content) < 2048  # 10⁹ shapes from under 2 KB
    login(tenant.editor.user)
    response = client.post(
        tenant.url(tenant.development, "brand/"),
        {
            "primary_color": "#ff5500",
            "font_color": "#222222",
            "content_background_color": "#ffffff",
            "font_family": "Inter, Arial, sans-serif",
            "direction": "ltr",
            "logo": SimpleUploadedFile("logo.svg", content),
        },
    )
    assert response.status_code == 200
    assert (
        "The SVG logo nests &lt;use&gt; copies 10 deep (a &lt;use&gt; of a group that holds "
        "a &lt;use&gt; …); the limit is 4." in response.content.decode()
    )
    assert not Brand.unscoped_across_environments.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_use_nesting_is_limited():
    chain = '<path id="u0" d="M0 0h1v1z"/>' + "".join(
        f'<use id="u{level}" href="#u{level - 1}"/>' for level in range(1, MAX_USE_NESTING + 2)
    )
    assert refusal(SVG.format(chain).encode()) == (
        "The SVG logo nests <use> copies 5 deep (a <use> of a group that holds a <use> …); "
        "the limit is 4."
    )
    allowed = chain.rpartition("<use")[0]
    assert logo_extension_of(SVG.format(allowed).encode()) == "svg"


def test_few_levels_of_many_copies_are_counted():
    # 40 copies of 40 copies of 40 copies: 64,000 shapes, three levels deep.
    assert refusal(use_laughs(levels=3, copies=40)) == TOO_MANY_DRAWN
    assert logo_extension_of(use_laughs(levels=2, copies=40)) == "svg"  # 1,600


def test_patterns_drawn_inside_patterns_are_counted():
    # Each pattern draws ten rectangles filled with the next one: 10⁹ rectangles.
    patterns = "".join(
        f'<pattern id="p{level}" width="1" height="1"><g fill="url(#p{level + 1})">'
        + '<rect width="1" height="1"/>' * 10
        + "</g></pattern>"
        for level in range(9)
    )
    content = SVG.format(f'{patterns}<pattern id="p9"><rect/></pattern><rect fill="url(#p0)"/>')
    assert refusal(content.encode()) == TOO_MANY_DRAWN


def test_masks_and_clip_paths_in_style_sheet_classes_are_counted():
    rules = "".join(f".m{level} {{ mask: url(#m{level}) }}" for level in range(10))
    masks = "".join(
        f'<mask id="m{level}">' + f'<rect class="m{level + 1}"/>' * 10 + "</mask>"
        for level in range(10)
    )
    content = SVG.format(f'<style>{rules}</style>{masks}<rect class="m0"/>')
    assert refusal(content.encode()) == TOO_MANY_DRAWN


@pytest.mark.parametrize(
    "markup",
    [
        '<style>* { clip-path: url(#c) }</style><clipPath id="c"><rect/></clipPath><rect/>',
        "<style>@media screen { rect { clip-path: url(#c) } }</style>"
        '<clipPath id="c"><rect/></clipPath><rect/>',
        "<style>svg { --paint: url(#p) } rect { fill: var(--paint) }</style>"
        '<pattern id="p"><rect/></pattern><rect/>',
        '<g style="--paint: url(#p)"><rect style="fill: var(--paint)"/></g>'
        '<pattern id="p"><rect/></pattern>',
    ],
    ids=["any-element", "at-rule", "custom-property-in-sheet", "custom-property-in-attribute"],
)
def test_css_that_could_apply_anywhere_may_not_point_at_drawn_content(markup):
    assert refusal(SVG.format(markup).encode()) == (
        "In an SVG logo's CSS, url(#…) may point at a pattern, mask or clip path only from a "
        "rule for a class, an id or an element type, and not through a custom property; use a "
        "class or the element's own attribute."
    )


@pytest.mark.parametrize(
    "markup",
    [
        '<g id="a"><use href="#a"/></g>',
        '<use id="a" href="#b"/><use id="b" href="#a"/>',
        '<clipPath id="c"><rect clip-path="url(#c)"/></clipPath>',
    ],
)
def test_a_logo_that_refers_to_itself_is_refused(markup):
    assert refusal(SVG.format(markup).encode()) == (
        "The SVG logo refers to itself: a <use> or url(#…) reference leads back to an element "
        "that contains it."
    )


def test_element_count_and_nesting_are_limited():
    assert refusal(SVG.format("<rect/>" * MAX_SVG_ELEMENTS).encode()) == (
        "The SVG logo has more than 10,000 elements."
    )
    assert logo_extension_of(SVG.format("<rect/>" * (MAX_SVG_ELEMENTS - 1)).encode()) == "svg"
    nested = "<g>" * MAX_SVG_DEPTH + "</g>" * MAX_SVG_DEPTH  # one more level than allowed
    assert refusal(SVG.format(nested).encode()) == (
        "The SVG logo nests elements more than 64 levels deep."
    )
    nested = "<g>" * (MAX_SVG_DEPTH - 1) + "</g>" * (MAX_SVG_DEPTH - 1)
    assert logo_extension_of(SVG.format(nested).encode()) == "svg"


@pytest.mark.parametrize("deviation", ["101", "1e6", "2 5000", "  0.5,  1000.5 "])
def test_a_wide_blur_is_refused(deviation):
    markup = f'<filter id="f"><feGaussianBlur stdDeviation="{deviation}"/></filter>'
    assert refusal(SVG.format(markup).encode()) == (
        "A blur in the SVG logo is too wide; stdDeviation may be at most 100."
    )


ILLUSTRATOR = """<defs><style>.cls-1{fill:none;}.cls-2{clip-path:url(#clip-path);}
.cls-3{fill:url(#linear-gradient);}</style>
<clipPath id="clip-path"><rect class="cls-1" width="50" height="50"/></clipPath>
<linearGradient id="linear-gradient" x1="0" x2="1"><stop offset="0" stop-color="#fff"/>
<stop offset="1"/></linearGradient></defs>
<g class="cls-2"><path class="cls-3" d="M0 0h50v50z"/><path class="cls-3" d="M0 0h20v20z"/></g>"""
FIGMA = """<g filter="url(#filter0_d)"><rect width="10" height="10" fill="url(#pattern0)"/></g>
<defs><filter id="filter0_d" x="0" y="0" width="20" height="20" filterUnits="userSpaceOnUse">
<feFlood flood-opacity="0" result="BackgroundImageFix"/><feOffset dy="4"/>
<feGaussianBlur stdDeviation="2"/><feBlend mode="normal" in2="BackgroundImageFix"/></filter>
<pattern id="pattern0" patternContentUnits="objectBoundingBox" width="1" height="1">
<use xlink:href="#shape0" transform="scale(0.01)"/></pattern>
<path id="shape0" d="M0 0h100v100z"/></defs>"""
SPRITE = '<symbol id="s"><path d="M0 0h1v1z"/></symbol>' + '<use href="#s"/>' * 500
GRADIENT_FILLS = (
    '<linearGradient id="g"><stop/><stop/><stop/></linearGradient>'
    + '<path d="M0 0h1v1z" fill="url(#g)"/>' * 3000
)


@pytest.mark.parametrize(
    "markup",
    [ILLUSTRATOR, FIGMA, SPRITE, GRADIENT_FILLS],
    ids=["illustrator-classes-and-clip-path", "figma-shadow-and-pattern", "sprite", "gradients"],
)
def test_logos_as_design_tools_export_them_are_accepted(markup):
    assert logo_extension_of(SVG.format(markup).encode()) == "svg"
