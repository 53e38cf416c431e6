"""A step's templates rendered for one subscriber: the only place the pipeline renders Liquid.

Every render goes through ``_render`` (step fields) or ``email_compose`` (an email body in its
layout, with the brand applied, exactly as the editor previews it). Whatever a template or the
payload does, ``step_render`` returns a ``RenderedStep`` or raises ``StepRenderFailed`` with an
operator-readable message; the pipeline turns that into a failed execution log.

Strict variables (``settings.ACTIVITY_STRICT_VARIABLES``): a step whose templates read a variable
the trigger did not provide fails, naming the variable, instead of rendering it as empty text.
"Provide" means the path exists in the render scope, even with an empty or null value.
"""

import re
from dataclasses import dataclass

from liquid.exceptions import LiquidError

from subscribers.models import Subscriber
from workflows.links import cta_url_problem
from workflows.liquid import TemplateRenderError, template_render, template_variables
from workflows.models import TEMPLATE_FIELDS_BY_CHANNEL, Channel, Step
from workflows.previews import email_compose

FIELD_LABELS = {"subject": "subject", "body": "content", "cta_url": "call-to-action URL"}


class StepRenderFailed(Exception):
    def __init__(self, *, field: str, message: str):
        super().__init__(f"{FIELD_LABELS.get(field, field)}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class RenderedStep:
    subject: str = ""
    content: str = ""
    cta_url: str = ""
    # A rendered call-to-action URL that was left out, and why.
    refused_cta_url: str = ""
    cta_url_refusal: str = ""

    def cta(self) -> dict:
        """Novu's ``cta``: a redirect to the URL, or nothing."""
        return {"type": "redirect", "data": {"url": self.cta_url}} if self.cta_url else {}


def subscriber_variables(subscriber: Subscriber) -> dict:
    """What templates read as ``subscriber.…``: Novu's names for the profile fields."""
    return {
        "subscriberId": subscriber.subscriber_id,
        "firstName": subscriber.first_name,
        "lastName": subscriber.last_name,
        "email": subscriber.email,
        "phone": subscriber.phone,
        "avatar": subscriber.avatar,
        "locale": subscriber.locale,
        "data": subscriber.data,
    }


def render_scope(*, payload: dict, subscriber: Subscriber, step: Step) -> dict:
    return {
        "payload": payload,
        "subscriber": subscriber_variables(subscriber),
        "step": {"name": step.name, "channel": step.channel},
    }


def _render(source: str, scope: dict, *, html: bool = False) -> str:
    return template_render(source, scope, html=html).strip()


_PATH_PART = re.compile(r"""\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]""")
_SIZE_PROPERTIES = ("size", "first", "last")


def _path_present(scope: dict, path: str) -> bool:
    """Whether ``path`` (as ``template_variables`` writes it) exists in ``scope``. A path this
    cannot follow (an index computed from another variable) counts as present."""
    current, position = scope, 0
    while position < len(path):
        match = _PATH_PART.match(path, position)
        if match is None:
            return True
        position = match.end()
        name, index, single, double = match.groups()
        key = name if name is not None else single if single is not None else double
        if isinstance(current, dict) and key is not None and key in current:
            current = current[key]
        elif isinstance(current, list) and index is not None and int(index) < len(current):
            current = current[int(index)]
        else:
            # Liquid's size, first and last apply to any list, string or hash.
            return isinstance(current, list | str | dict) and key in _SIZE_PROPERTIES
    return True


def _missing_variables(source: str, scope: dict) -> list[str]:
    try:
        paths = template_variables(source)
    except LiquidError:
        return []  # the render reports the syntax error itself
    return [path for path in paths if not _path_present(scope, path)]


def _checked(step: Step, scope: dict) -> None:
    for field_name, _html in TEMPLATE_FIELDS_BY_CHANNEL[step.channel]:
        missing = _missing_variables(getattr(step, field_name) or "", scope)
        if missing:
            names = ", ".join(missing[:5])
            raise StepRenderFailed(
                field=field_name,
                message=f"{names} {'is' if len(missing) == 1 else 'are'} missing from the "
                "trigger, and variables are strict in this installation.",
            )


def step_render(*, step: Step, scope: dict, strict: bool = False) -> RenderedStep:
    """Render ``step``'s templates with ``scope`` (``render_scope``). Email bodies are composed in
    the step's layout. Raises ``StepRenderFailed``."""
    if strict:
        _checked(step, scope)
    field_name = "body"
    try:
        if step.channel == Channel.EMAIL:
            field_name = "subject"
            subject = _render(step.subject, scope)
            field_name = "body"
            content = email_compose(
                step=step, payload=scope["payload"], subscriber=scope["subscriber"]
            )
            return RenderedStep(subject=subject, content=content)
        content = _render(step.body, scope)
        if step.channel != Channel.IN_APP:
            return RenderedStep(content=content)
        field_name = "cta_url"
        cta_url = _render(step.cta_url, scope)
    except TemplateRenderError as error:
        raise StepRenderFailed(field=field_name, message=str(error.problem)) from error
    refusal = cta_url_problem(cta_url)
    if refusal is not None:
        # The payload can make any URL of a valid template: an unsafe one is left out.
        return RenderedStep(content=content, refused_cta_url=cta_url, cta_url_refusal=refusal)
    return RenderedStep(content=content, cta_url=cta_url)
