"""Previews of steps: each channel's message rendered with a sample payload.

Email steps are composed the way they will be sent: the step's HTML inside its layout (or the
environment's default layout), with the environment's brand applied. The composed document is
served on its own URL with a CSP that allows inline styles (email HTML lives on them) and no
scripts, and is shown in a sandboxed iframe.

That URL must stay short whatever the payload (up to 100,000 characters; servers refuse request
lines over a few KB). The payload waits in the shared ``previews`` cache, one per person and
step, and the URL carries only a random id signed for the organization, environment, step and
person, valid for ten minutes.
"""

import json
import re
from dataclasses import dataclass, field

from django.core import signing
from django.core.cache import caches
from django.utils.crypto import constant_time_compare, get_random_string
from markupsafe import Markup

from branding.models import Brand, Layout
from workflows.links import cta_url_problem
from workflows.liquid import (
    TEMPLATE_SCOPE_NAMES,
    TemplateProblem,
    TemplateRenderError,
    template_problem,
    template_render,
    template_sample_paths,
    template_variables,
)
from workflows.models import TEMPLATE_FIELDS_BY_CHANNEL, Channel, Step

SAMPLE_SUBSCRIBER = {
    "subscriberId": "sub_0001",
    "firstName": "Ada",
    "lastName": "Lovelace",
    "email": "ada@example.com",
    "phone": "+15555550100",
    "locale": "en",
}

# A bare layout for environments that have none yet, so email previews still work.
FALLBACK_LAYOUT_HTML = (
    '<div style="max-width:600px;margin:0 auto;padding:24px;border-radius:8px;'
    'background:{{ brand.content_background_color }};">{{ content }}</div>'
)


def sample_payload_for(paths: list[str]) -> dict:
    """A payload that gives every ``payload.…`` path a placeholder, as a starting point to edit.

    ``payload.order.id`` becomes ``{"order": {"id": 1042}}``; ``payload.items[0].sku`` becomes
    a list with one item, so loops render something.
    """
    payload: dict = {}
    for path in sorted(paths, key=len, reverse=True):
        segments = _split_path(path)
        if len(segments) < 2 or segments[0] != "payload":
            continue
        _place(payload, segments[1:])
    return payload


def step_sample_payload(step: Step) -> dict:
    paths: set[str] = set()
    for field_name, html in TEMPLATE_FIELDS_BY_CHANNEL[step.channel]:
        source = getattr(step, field_name) or ""
        if source and template_problem(source, html=html) is None:
            paths.update(template_sample_paths(source))
    return sample_payload_for(sorted(paths))


def _split_path(path: str) -> list[str | int]:
    segments: list[str | int] = []
    for part in path.replace("]", "").replace("[", ".").split("."):
        if not part:
            continue
        stripped = part.strip("'\"")
        segments.append(int(stripped) if stripped.isdigit() else stripped)
    return segments


_NUMERIC_HINTS = ("id", "count", "total", "amount", "price", "quantity", "number", "minutes")


def _sample_value(key: str):
    lowered = key.lower()
    if lowered.endswith("url"):
        return f"https://example.com/{key.lower()}"
    if lowered.endswith(_NUMERIC_HINTS):
        return 3 if lowered in ("quantity", "count") else 1042
    return key.replace("_", " ").capitalize()


def _place(container: dict, segments: list) -> None:
    """Put a sample at ``segments`` inside ``container``; longer paths are placed first, so a
    leaf never overwrites a structure."""
    head, rest = segments[0], segments[1:]
    if isinstance(head, int):
        return
    if not rest:
        container.setdefault(head, _sample_value(head))
        return
    if isinstance(rest[0], int):
        items = container.get(head)
        if not isinstance(items, list):
            items = container[head] = [{}]
        if len(rest) > 1 and isinstance(items[0], dict):
            _place(items[0], rest[1:])
        return
    child = container.get(head)
    if not isinstance(child, dict):
        child = container[head] = {}
    _place(child, rest)


@dataclass(frozen=True)
class TemplateVariable:
    path: str

    @property
    def in_scope(self) -> bool:
        """False for a root that is not payload, subscriber or step: most likely a typo."""
        return self.path.split(".")[0].split("[")[0] in TEMPLATE_SCOPE_NAMES


def step_variables(step: Step) -> list[TemplateVariable]:
    """The variables all of ``step``'s templates read, in path order. Templates that do not
    parse contribute nothing (saved steps always parse; validation sees to it)."""
    paths: set[str] = set()
    for field_name, html in TEMPLATE_FIELDS_BY_CHANNEL[step.channel]:
        source = getattr(step, field_name) or ""
        if source and template_problem(source, html=html) is None:
            paths.update(template_variables(source))
    return [TemplateVariable(path) for path in sorted(paths)]


@dataclass
class StepPreview:
    channel: str
    subject: str = ""
    body: str = ""
    cta_url: str = ""
    # A rendered call-to-action URL that was left out, and why.
    refused_cta_url: str = ""
    cta_url_refusal: str = ""
    layout_name: str = ""
    problem: TemplateProblem | None = None
    problem_field: str = ""
    character_count: int = 0
    segments: int = 0
    extra: dict = field(default_factory=dict)


def _scope(*, step: Step, payload: dict, subscriber: dict) -> dict:
    return {
        "payload": payload,
        "subscriber": subscriber,
        "step": {"name": step.name, "channel": step.channel},
    }


def sms_segments(text: str) -> int:
    """How many SMS a text costs: 160 GSM characters, or 153 per part when split."""
    if not text:
        return 0
    per_single, per_part = (160, 153) if text.isascii() else (70, 67)
    if len(text) <= per_single:
        return 1
    return -(-len(text) // per_part)


def step_preview(*, step: Step, payload: dict, subscriber: dict | None = None) -> StepPreview:
    """Render ``step``'s templates. A render failure is reported on the preview, not raised."""
    scope = _scope(step=step, payload=payload, subscriber=subscriber or SAMPLE_SUBSCRIBER)
    preview = StepPreview(channel=step.channel)
    rendering = {"subject": (step.subject, False), "cta_url": (step.cta_url, False)}
    rendering["body"] = (step.body, step.channel == Channel.EMAIL)
    for field_name, (source, html) in rendering.items():
        try:
            setattr(preview, field_name, template_render(source, scope, html=html).strip())
        except TemplateRenderError as error:
            preview.problem, preview.problem_field = error.problem, field_name
            return preview
    refusal = cta_url_problem(preview.cta_url)
    if refusal is not None:
        # The payload can make any URL of a valid template: the unsafe result is dropped, as
        # delivery must drop it.
        preview.refused_cta_url, preview.cta_url = preview.cta_url, ""
        preview.cta_url_refusal = refusal
    if step.channel == Channel.EMAIL:
        preview.layout_name = layout_for(step).name
    if step.channel == Channel.SMS:
        preview.character_count = len(preview.body)
        preview.segments = sms_segments(preview.body)
    return preview


def layout_for(step: Step) -> Layout:
    """The step's layout, else the environment's default, else an unsaved bare layout."""
    if step.layout_id is not None:
        return step.layout
    default = Layout.objects.filter(is_default=True).first()
    return default or Layout(name="Built-in plain layout", html=FALLBACK_LAYOUT_HTML)


def brand_scope(brand: Brand | None) -> dict:
    brand = brand or Brand()
    return {
        "primary_color": brand.primary_color,
        "font_color": brand.font_color,
        "content_background_color": brand.content_background_color,
        "font_family": brand.font_family,
        "direction": brand.direction,
        "logo_url": brand.logo.url if brand.logo else "",
    }


def _css_value(value: str) -> str:
    # Brand values are validated by the brand app; stripping what could close the rule or the
    # <style> element keeps a bad value from breaking out anyway.
    return re.sub(r"[<>{};\\]", "", str(value))


def _brand_stylesheet(brand: dict) -> str:
    brand = {name: _css_value(value) for name, value in brand.items()}
    return (
        "body{margin:0;padding:24px 12px;background:#f4f4f7;"
        f"font-family:{brand['font_family']};color:{brand['font_color']};}}"
        f"a{{color:{brand['primary_color']};}}"
        ".herald-email img{max-width:100%;}"
    )


def email_compose(*, step: Step, payload: dict, subscriber: dict | None = None) -> str:
    """The whole email document for ``step``: body in layout, brand applied.

    Raises ``TemplateRenderError`` if the step's body or its layout cannot be rendered.
    """
    scope = _scope(step=step, payload=payload, subscriber=subscriber or SAMPLE_SUBSCRIBER)
    content = template_render(step.body, scope, html=True)
    brand = brand_scope(Brand.objects.first())
    layout = layout_for(step)
    layout_scope = {**scope, "brand": brand, "content": Markup(content)}
    framed = template_render(layout.html, layout_scope, html=True)
    stylesheet = _brand_stylesheet(brand)
    direction = "rtl" if brand["direction"] == "rtl" else "ltr"
    return (
        f'<!doctype html><html dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{stylesheet}</style></head>"
        f'<body><div class="herald-email" dir="{direction}">{framed}</div></body></html>'
    )


# Email documents ------------------------------------------------------------------------------

EMAIL_DOCUMENT_MAX_AGE = 10 * 60
# Stands for the step's sample payload, which is derived again rather than stored.
SAMPLE_PAYLOAD_ID = "sample"


class EmailDocumentGone(Exception):
    """The id of an email document is expired, replaced by a newer preview, damaged, or meant
    for another organization, environment, step or person. The message says what to do."""


def _email_document_salt(*, environment, step: Step, user) -> str:
    scope = f"{environment.organization_id}:{environment.pk}:{step.pk}:{user.pk}"
    return f"workflows.email-document:{scope}"


def _email_document_cache_key(*, environment, step: Step, user) -> str:
    return f"email-document:{environment.pk}:{step.pk}:{user.pk}"


def email_document_id(*, environment, step: Step, user, payload_source: str | None) -> str:
    """A short signed id under which the email frame finds ``payload_source`` (JSON text).

    ``None`` stands for the step's sample payload and stores nothing. A stored payload replaces
    the person's previous one for this step.
    """
    payload_id = SAMPLE_PAYLOAD_ID
    if payload_source is not None:
        payload_id = get_random_string(22)
        caches["previews"].set(
            _email_document_cache_key(environment=environment, step=step, user=user),
            {"id": payload_id, "payload": payload_source},
            EMAIL_DOCUMENT_MAX_AGE,
        )
    salt = _email_document_salt(environment=environment, step=step, user=user)
    return signing.TimestampSigner(salt=salt).sign(payload_id)


def email_document_payload(*, environment, step: Step, user, document_id: str) -> dict:
    """The payload behind ``document_id``. Raises ``EmailDocumentGone``."""
    salt = _email_document_salt(environment=environment, step=step, user=user)
    try:
        payload_id = signing.TimestampSigner(salt=salt).unsign(
            document_id, max_age=EMAIL_DOCUMENT_MAX_AGE
        )
    except signing.SignatureExpired as expired:
        raise EmailDocumentGone("This preview has expired. Render the preview again.") from expired
    except signing.BadSignature as foreign:
        raise EmailDocumentGone(
            "This preview link does not belong to this step, environment and account, or it is "
            "incomplete. Render the preview again."
        ) from foreign
    if payload_id == SAMPLE_PAYLOAD_ID:
        return step_sample_payload(step)
    stored = caches["previews"].get(
        _email_document_cache_key(environment=environment, step=step, user=user)
    )
    if not isinstance(stored, dict) or not constant_time_compare(stored["id"], payload_id):
        raise EmailDocumentGone(
            "This preview has expired or a newer one replaced it. Render the preview again."
        )
    return json.loads(stored["payload"])
