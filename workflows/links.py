"""What a call-to-action may link to: an http(s) URL with a host, or a link relative to the app.

A CTA URL ends up in an ``href`` of a client app, so anything a browser would run or send
elsewhere is refused: ``javascript:``, ``data:``, ``vbscript:`` and every other scheme, links
that start with ``//`` (another site, same scheme), and the tricks that make a browser read a
different URL than a check did. Browsers drop tabs and line breaks anywhere in a URL, trim
spaces and control characters around it, and read ``\\`` as ``/``; so ``java\\tscript:`` and
`` javascript:`` are ``javascript:`` to them. Rather than imitate that, such characters are
refused outright.

- ``cta_url_problem(url)`` judges a final URL: on save when the template has no Liquid, and
  after rendering (previews now, delivery later), where the URL must be left out if it fails.
- ``cta_url_template_problem(source)`` judges a template on save: its literal text, and the
  scheme when the text before the first Liquid tag already spells one out.
"""

import html
import re
import unicodedata
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
# Liquid output and tags; a template that reaches this check has already parsed.
_LIQUID_MARKUP = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)

EXAMPLES = "https://example.com/orders/42 or /orders/42"


def _character_problem(text: str) -> str | None:
    for character in text:
        # Cc: control characters; Cf: invisible format characters (zero-width, bidi overrides).
        if character.isspace() or unicodedata.category(character) in ("Cc", "Cf"):
            return (
                "The URL contains a space, a line break or an invisible character. Remove it, "
                "or write a space as %20."
            )
    if "\\" in text:
        return "The URL contains a backslash (\\). Use / instead."
    return None


def _scheme_problem(text: str, *, complete: bool) -> str | None:
    """``complete``: ``text`` is the whole URL, not only the literal start of a template."""
    if text.startswith("//"):
        return (
            "A URL that starts with // leads to another site. Write it in full, starting with "
            f"https://, or link within the app: {EXAMPLES}."
        )
    scheme = _SCHEME.match(text)
    if scheme is None:
        return None
    name = scheme.group()[:-1].lower()
    if name not in ALLOWED_SCHEMES:
        return (
            f"“{name}:” links are not allowed. Use an http(s) URL or a link within the app: "
            f"{EXAMPLES}."
        )
    if complete:
        try:
            host = urlsplit(text).hostname
        except ValueError:
            host = None
        if not text[scheme.end() :].startswith("//") or not host:
            return f"Write the URL in full, with its host: {EXAMPLES}."
    return None


def cta_url_problem(url: str) -> str | None:
    """Why ``url`` may not be a call-to-action link, or ``None`` if it may. An empty URL is
    fine: the message then has no call to action."""
    problem = _character_problem(url) or _scheme_problem(url, complete=True)
    if problem is None and "&" in url:
        # A client app that writes the URL into HTML unescaped would turn "javascript&colon;"
        # into "javascript:".
        problem = _scheme_problem(html.unescape(url), complete=True)
    return problem


def cta_url_template_problem(source: str) -> str | None:
    """Why the CTA template ``source`` can only make an unsafe link, or ``None``.

    What Liquid outputs is known only when rendering: ``{{ payload.url }}`` passes here and its
    result is checked with ``cta_url_problem`` then. A source without Liquid is checked whole.
    """
    literal_parts = _LIQUID_MARKUP.split(source)
    if len(literal_parts) == 1:
        return cta_url_problem(source)
    for part in literal_parts:
        problem = _character_problem(part)
        if problem is not None:
            return problem
    start = literal_parts[0]
    return _scheme_problem(start, complete=False) or _scheme_problem(
        html.unescape(start), complete=False
    )
