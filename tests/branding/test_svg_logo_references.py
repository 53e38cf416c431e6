"""SVG logos may draw only their own parts: nothing from outside the file, in markup or in CSS
(style sheets, style attributes and presentation attributes), however it is spelled."""

import html

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from branding.models import Brand
from branding.uploads import logo_extension_of

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
    '<linearGradient id="g"><stop offset="0"/></linearGradient>{}</svg>'
)
OUTSIDE = "SVG logos may only refer to their own parts: url(…) in their CSS must be url(#id)."


def refusal(markup: str) -> str:
    with pytest.raises(ValidationError) as refused:
        logo_extension_of(SVG.format(markup).encode())
    [message] = refused.value.messages
    return message


@pytest.mark.parametrize(
    "markup",
    [
        "<style>rect { fill: url(https://evil.example/p.svg#p) }</style><rect/>",
        '<style>rect { fill: url("https://evil.example/p.svg#p") }</style><rect/>',
        '<rect style="fill:url(https://evil.example/p.svg#p)"/>',
        '<rect fill="url(https://evil.example/p.svg#p)"/>',
        '<rect stroke="url(//evil.example/p.svg#p)"/>',
        '<rect filter="url(&quot;https://evil.example/f.svg#f&quot;)"/>',
        '<rect mask="url(https://evil.example/m.svg#m)"/>',
        '<rect clip-path="url(https://evil.example/c.svg#c)"/>',
        '<path marker-start="url(https://evil.example/m.svg#m)"/>',
        '<rect fill="url(p.svg#p)"/>',
        '<rect fill="url(data:image/svg+xml,%3Csvg%3E)"/>',
        # Spelled so that a plain search for "url(https" misses it.
        "<style>rect { fill: u\\rl(https://evil.example/p.svg#p) }</style><rect/>",
        "<style>rect { fill: \\75 rl(https://evil.example/p.svg#p) }</style><rect/>",
        '<rect style="fill:\\000075rl(https://evil.example/p.svg#p)"/>',
        '<rect style="fill:ur/**/l(https://evil.example/p.svg#p)"/>',
        '<rect style="fill:URL(https://evil.example/p.svg#p)"/>',
        '<rect style="fill:url(  https://evil.example/p.svg#p )"/>',
        '<rect style="fill:url(\\68ttps://evil.example/p.svg#p)"/>',
        '<rect style="fill:&#117;rl(https://evil.example/p.svg#p)"/>',
        # A "/*" inside a string starts no comment: the rule after it is real CSS.
        '<style>text { font-family: "/*" } rect { fill: url(https://evil.example/p) } /* "*/'
        "</style><rect/>",
        # A string ends at a newline, so the next quote opens another one.
        '<style>text { font-family: "a\n" /* " } rect { fill: url(https://evil.example/p) }'
        "</style><rect/>",
        "<style>@font-face { font-family: x; src: src('https://evil.example/f.woff') }</style>",
    ],
)
def test_url_in_css_that_is_not_a_fragment_is_refused(markup):
    assert refusal(markup) == OUTSIDE


@pytest.mark.parametrize(
    ("markup", "message"),
    [
        (
            "<style>@import url(https://evil.example/x.css);</style>",
            "SVG logos may not import style sheets (@import).",
        ),
        (
            '<style>@import "https://evil.example/x.css";</style>',
            "SVG logos may not import style sheets (@import).",
        ),
        (
            '<style>@\\69mport "https://evil.example/x.css";</style>',
            "SVG logos may not import style sheets (@import).",
        ),
        (
            "<rect style=\"mask-image: image-set('https://evil.example/m.png' 1x)\"/>",
            "SVG logos may not load images from their CSS (image-set(), image()).",
        ),
        (
            "<style>rect { fill: u\\72l(j\\61vascript:alert(1)) }</style>",
            "SVG logos may not contain scripts (javascript: links).",
        ),
        (
            '<g xml:base="https://evil.example/"><use href="#g"/></g>',
            "SVG logos may not set xml:base.",
        ),
        (
            '<pattern id="p" x:href="https://evil.example/p.svg#p"/>',
            "SVG logos may only link to their own parts or to embedded images.",
        ),
        (
            '<linearGradient id="h" href="//evil.example/g.svg#g"/>',
            "SVG logos may only link to their own parts or to embedded images.",
        ),
        (
            '<image href="https://evil.example/a.png"/>',
            "SVG logos may not contain <image> elements (scripts, animations or embedded content).",
        ),
        (
            '<filter id="f"><feImage href="https://evil.example/a.png"/></filter>',
            "SVG logos may not contain <feimage> elements (scripts, animations or embedded "
            "content).",
        ),
        (
            '<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" '
            'src="https://evil.example/"/></foreignObject>',
            "SVG logos may not contain <foreignobject> elements (scripts, animations or "
            "embedded content).",
        ),
    ],
)
def test_other_ways_to_reach_outside_are_refused(markup, message):
    assert refusal(markup) == message


@pytest.mark.parametrize(
    "markup",
    [
        '<rect fill="url(#g)"/>',
        "<rect style=\"fill: url( '#g' )\"/>",
        '<style>.mark { fill: url("#g"); }</style><rect class="mark"/>',
        '<rect fill="url(#g) #4f46e5"/>',
        # Comments and strings are no CSS to load: a URL in them is only text.
        "<style>/* from https://example.com, url(https://example.com/logo) */ .a{fill:red}</style>",
        '<style>text { font-family: "Open Sans", "Helvetica Neue", sans-serif }</style>'
        "<text>A</text>",
    ],
)
def test_references_to_the_logos_own_parts_are_accepted(markup):
    assert logo_extension_of(SVG.format(markup).encode()) == "svg"


def test_the_brand_page_names_the_refused_import_and_saves_nothing(
    client, login, tenant, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    login(tenant.editor.user)
    content = SVG.format("<style>@import url(https://evil.example/x.css);</style>").encode()
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
    assert "SVG logos may not import style sheets (@import)." in html.unescape(
        response.content.decode()
    )
    assert not Brand.unscoped_across_environments.exists()
    assert not any(tmp_path.rglob("*.*"))
