# ruff: noqa: E501, RUF001 (demo HTML and copy read better unwrapped)
"""Demo content for ``seed_demo``: realistic workflows in Development, part of them promoted.

Development gets groups, feeds, two layouts, brand settings and eight workflows that use every
channel. Production gets copies of part of it with the same ``origin_id`` values and the same
field values, as if promoted earlier; the rest shows as pending on the Changes page.

Idempotent: each entity is looked up by its natural key (Development) or its origin
(Production) and left alone if it exists. Maintenance code, so it uses the unscoped managers and
names the environment on every query.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from branding.models import Brand, Layout
from changes.documents import environment_content_hashes_refresh
from environments.models import Environment
from workflows.models import DEFAULT_GROUP_NAME, Channel, Feed, Step, Workflow, WorkflowGroup
from workflows.services import default_workflow_group_create

GROUPS = [DEFAULT_GROUP_NAME, "Account & security", "Orders & billing", "Collaboration", "Ops"]

FEEDS = [("Activity", "activity"), ("Mentions", "mentions")]

TRANSACTIONAL_LAYOUT = """<table role="presentation" width="100%" cellpadding="0" cellspacing="0">
  <tr><td align="center">
    <table role="presentation" width="100%" cellpadding="0" cellspacing="0"
           style="max-width:600px;border-radius:10px;border-top:4px solid {{ brand.primary_color }};background:{{ brand.content_background_color }};">
      <tr><td style="padding:28px 32px 0;">
        {% if brand.logo_url %}<img src="{{ brand.logo_url }}" alt="Acme" height="32">{% else %}<strong style="font-size:20px;color:{{ brand.primary_color }};">Acme</strong>{% endif %}
      </td></tr>
      <tr><td style="padding:16px 32px 32px;font-size:15px;line-height:1.6;">{{ content }}</td></tr>
    </table>
    <p style="max-width:600px;font-size:12px;color:#8a8a96;padding:16px 32px;">
      Acme Inc. · 1 Market Street, San Francisco · You receive this because you have an Acme account.
    </p>
  </td></tr>
</table>"""

NEWSLETTER_LAYOUT = """<table role="presentation" width="100%" cellpadding="0" cellspacing="0">
  <tr><td align="center">
    <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:640px;">
      <tr><td style="background:{{ brand.primary_color }};color:#ffffff;padding:24px 32px;border-radius:10px 10px 0 0;">
        {% if brand.logo_url %}<img src="{{ brand.logo_url }}" alt="Acme" height="28" style="vertical-align:middle;">{% endif %}
        <span style="font-size:18px;font-weight:bold;vertical-align:middle;">&nbsp;This week at Acme</span>
      </td></tr>
      <tr><td style="background:{{ brand.content_background_color }};padding:24px 32px 32px;font-size:15px;line-height:1.6;border-radius:0 0 10px 10px;">{{ content }}</td></tr>
    </table>
    <p style="font-size:12px;color:#8a8a96;padding:16px;">Weekly digest · change how often you hear from us in your notification settings.</p>
  </td></tr>
</table>"""

LAYOUTS = [
    ("Transactional", "transactional", TRANSACTIONAL_LAYOUT, True),
    ("Newsletter", "newsletter", NEWSLETTER_LAYOUT, False),
]

ACME_LOGO_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32">
<rect width="32" height="32" rx="8" fill="#4f46e5"/><path d="M9 23 16 8l7 15h-4l-3-7-3 7z" fill="#fff"/>
<text x="40" y="22" font-family="Helvetica, Arial, sans-serif" font-size="18" font-weight="700" fill="#1c1c24">Acme</text>
</svg>"""

BUTTON = (
    '<p><a href="{url}" style="display:inline-block;padding:10px 18px;border-radius:6px;'
    'background:#4f46e5;color:#ffffff;text-decoration:none;font-weight:bold;">{label}</a></p>'
)

# identifier, name, group, description, tags, active, critical, steps, promoted to Production
WORKFLOWS = [
    {
        "identifier": "order-confirmation",
        "name": "Order confirmation",
        "group": "Orders & billing",
        "description": "Sent when checkout succeeds.",
        "tags": ["orders", "transactional"],
        "promoted": True,
        "steps": [
            {
                "channel": Channel.EMAIL,
                "name": "Receipt email",
                "subject": "Your Acme order #{{ payload.order.id }} is confirmed",
                "body": (
                    "<h1>Thanks, {{ subscriber.firstName }}!</h1>\n"
                    "<p>We received your order <strong>#{{ payload.order.id }}</strong> and "
                    "will email you again when it ships.</p>\n"
                    '<table width="100%" cellpadding="6">\n'
                    "{% for item in payload.order.items %}\n"
                    "  <tr><td>{{ item.quantity }} × {{ item.name }}</td>"
                    "<td align=\"right\">{{ item.price | prepend: '$' }}</td></tr>\n"
                    "{% endfor %}\n"
                    "</table>\n"
                    "<p><strong>Total: ${{ payload.order.total }}</strong></p>\n"
                    + BUTTON.format(url="{{ payload.order.url }}", label="View your order")
                ),
                "layout": "transactional",
            },
            {
                "channel": Channel.IN_APP,
                "name": "Order in inbox",
                "body": "Order #{{ payload.order.id }} is confirmed: "
                "{{ payload.order.items | size }} items, ${{ payload.order.total }}.",
                "cta_url": "{{ payload.order.url }}",
                "feed": "activity",
            },
        ],
    },
    {
        "identifier": "password-reset",
        "name": "Password reset",
        "group": "Account & security",
        "description": "The link to choose a new password. Critical: always sent.",
        "tags": ["security"],
        "critical": True,
        "promoted": True,
        "steps": [
            {
                "channel": Channel.EMAIL,
                "name": "Reset link",
                "subject": "Reset your Acme password",
                "body": (
                    "<p>Hi {{ subscriber.firstName | default: 'there' }},</p>\n"
                    "<p>Someone asked to reset the password of {{ subscriber.email }}. "
                    "The link works for {{ payload.expires_in_minutes }} minutes.</p>\n"
                    + BUTTON.format(url="{{ payload.reset_url }}", label="Choose a new password")
                    + '\n<p style="color:#8a8a96;font-size:13px;">Didn\'t ask? Ignore this email;'
                    " your password stays the same.</p>"
                ),
            }
        ],
    },
    {
        "identifier": "login-code",
        "name": "Login code",
        "group": "Account & security",
        "description": "One-time code for two-factor sign-in.",
        "tags": ["security", "2fa"],
        "critical": True,
        "promoted": True,
        "steps": [
            {
                "channel": Channel.SMS,
                "name": "Code by SMS",
                "body": "{{ payload.code }} is your Acme login code. It expires in 10 minutes. "
                "Never share it.",
            }
        ],
    },
    {
        "identifier": "comment-mention",
        "name": "Comment mention",
        "group": "Collaboration",
        "description": "Someone @mentioned the subscriber in a comment.",
        "tags": ["collaboration"],
        "promoted": True,
        "steps": [
            {
                "channel": Channel.IN_APP,
                "name": "Mention in inbox",
                "body": "{{ payload.author.name }} mentioned you in {{ payload.document.title }}: "
                "“{{ payload.comment.excerpt | truncate: 80 }}”",
                "cta_url": "{{ payload.comment.url }}",
                "feed": "mentions",
            },
            {
                "channel": Channel.EMAIL,
                "name": "Mention email",
                "subject": "{{ payload.author.name }} mentioned you in {{ payload.document.title }}",
                "body": (
                    "<p>{{ payload.author.name }} wrote:</p>\n"
                    '<blockquote style="border-left:3px solid #d0d0da;margin:0;padding:4px 12px;'
                    '">{{ payload.comment.excerpt }}</blockquote>\n'
                    + BUTTON.format(url="{{ payload.comment.url }}", label="Reply")
                ),
            },
        ],
    },
    {
        "identifier": "deploy-failed",
        "name": "Deploy failed",
        "group": "Ops",
        "description": "A production deploy failed; tells the on-call team.",
        "tags": ["ops", "alerts"],
        "critical": True,
        "steps": [
            {
                "channel": Channel.CHAT,
                "name": "Alert the channel",
                "body": ":rotating_light: Deploy of *{{ payload.service }}* "
                "({{ payload.commit | slice: 0, 7 }}) failed at {{ payload.stage }}.\n"
                "{{ payload.error | truncate: 200 }}\n<{{ payload.logs_url }}|Open the logs>",
            },
            {
                "channel": Channel.SMS,
                "name": "Page the on-call",
                "body": "Deploy of {{ payload.service }} failed at {{ payload.stage }}. "
                "Logs: {{ payload.logs_url }}",
            },
        ],
    },
    {
        "identifier": "weekly-digest",
        "name": "Weekly digest",
        "group": DEFAULT_GROUP_NAME,
        "description": "Monday summary of what happened in the subscriber's projects.",
        "tags": ["digest", "marketing"],
        "steps": [
            {
                "channel": Channel.EMAIL,
                "name": "Digest email",
                "subject": "Your week at Acme: {{ payload.stats.updates }} updates",
                "body": (
                    "<h2>Hi {{ subscriber.firstName }}, here is your week</h2>\n"
                    "<ul>\n{% for project in payload.projects %}\n"
                    "  <li><strong>{{ project.name }}</strong>: {{ project.summary }}</li>\n"
                    "{% endfor %}\n</ul>\n"
                    "<p>{{ payload.stats.comments }} comments · "
                    "{{ payload.stats.updates }} updates</p>"
                ),
                "layout": "newsletter",
            }
        ],
    },
    {
        "identifier": "welcome",
        "name": "Welcome",
        "group": DEFAULT_GROUP_NAME,
        "description": "First hello after sign-up.",
        "tags": ["onboarding"],
        "steps": [
            {
                "channel": Channel.IN_APP,
                "name": "Welcome in inbox",
                "body": "Welcome to Acme, {{ subscriber.firstName }}! Start with your first "
                "project.",
                "cta_url": "/projects/new",
                "feed": "activity",
            },
            {
                "channel": Channel.EMAIL,
                "name": "Welcome email",
                "subject": "Welcome to Acme, {{ subscriber.firstName }}",
                "body": (
                    "<h1>Welcome aboard!</h1>\n<p>Your workspace "
                    "<strong>{{ payload.workspace.name }}</strong> is ready.</p>\n"
                    + BUTTON.format(url="{{ payload.workspace.url }}", label="Open Acme")
                ),
            },
        ],
    },
    {
        "identifier": "invoice-overdue",
        "name": "Invoice overdue",
        "group": "Orders & billing",
        "description": "Reminder for unpaid invoices. Paused while billing copy is reviewed.",
        "tags": ["billing"],
        "active": False,
        "steps": [
            {
                "channel": Channel.EMAIL,
                "name": "Reminder email",
                "subject": "Invoice {{ payload.invoice.number }} is overdue",
                "body": (
                    "<p>Invoice {{ payload.invoice.number }} for "
                    "{{ payload.invoice.amount }} was due on "
                    "{{ payload.invoice.due_date | date: '%B %d' }}.</p>\n"
                    + BUTTON.format(url="{{ payload.invoice.url }}", label="Pay now")
                ),
            },
            {
                "channel": Channel.SMS,
                "name": "Reminder SMS",
                "body": "Acme: invoice {{ payload.invoice.number }} "
                "({{ payload.invoice.amount }}) is overdue. Pay: {{ payload.invoice.url }}",
            },
        ],
    },
]

# Promoted to Production as well (same origins, same values).
PROMOTED_GROUPS = {DEFAULT_GROUP_NAME, "Account & security", "Orders & billing", "Collaboration"}
PROMOTED_FEEDS = {"activity", "mentions"}
PROMOTED_LAYOUTS = {"transactional"}


def _copy_fields(instance, names):
    return {name: getattr(instance, name) for name in names}


@transaction.atomic
def seed_demo_content(*, development: Environment, production: Environment, actor) -> None:
    """Fill ``development`` with the demo content and ``production`` with a promoted part."""
    now = timezone.now()
    default_workflow_group_create(environments=[development, production])

    groups = {}
    for offset, name in enumerate(GROUPS):
        groups[name], _ = WorkflowGroup.unscoped_across_environments.get_or_create(
            environment=development,
            name=name,
            defaults={"updated_by": actor, "updated_at": now - timedelta(days=20 - offset)},
        )
    feeds = {}
    for name, identifier in FEEDS:
        feeds[identifier], _ = Feed.unscoped_across_environments.get_or_create(
            environment=development,
            identifier=identifier,
            defaults={"name": name, "updated_by": actor, "updated_at": now - timedelta(days=18)},
        )
    layouts = {}
    for name, identifier, html, is_default in LAYOUTS:
        layouts[identifier], _ = Layout.unscoped_across_environments.get_or_create(
            environment=development,
            identifier=identifier,
            defaults={
                "name": name,
                "html": html,
                "is_default": is_default
                and not Layout.unscoped_across_environments.filter(
                    environment=development, is_default=True
                ).exists(),
                "updated_by": actor,
                "updated_at": now - timedelta(days=15),
            },
        )
    brand = Brand.unscoped_across_environments.filter(environment=development).first()
    if brand is None:
        brand = Brand(
            environment=development,
            primary_color="#4f46e5",
            font_color="#1c1c24",
            content_background_color="#ffffff",
            font_family="Helvetica, Arial, sans-serif",
            updated_by=actor,
            updated_at=now - timedelta(days=15),
        )
        brand.logo.save("acme-logo.svg", ContentFile(ACME_LOGO_SVG), save=False)
        brand.save()

    workflows = {}
    for offset, spec in enumerate(WORKFLOWS):
        workflow = Workflow.unscoped_across_environments.filter(
            environment=development, identifier=spec["identifier"]
        ).first()
        if workflow is None:
            workflow = Workflow.unscoped_across_environments.create(
                environment=development,
                identifier=spec["identifier"],
                name=spec["name"],
                description=spec["description"],
                group=groups[spec["group"]],
                tags=spec["tags"],
                active=spec.get("active", True),
                critical=spec.get("critical", False),
                updated_by=actor,
                updated_at=now - timedelta(days=10 - offset, hours=offset),
            )
            for position, step_spec in enumerate(spec["steps"]):
                Step.unscoped_across_environments.create(
                    environment=development,
                    workflow=workflow,
                    position=position,
                    channel=step_spec["channel"],
                    name=step_spec["name"],
                    subject=step_spec.get("subject", ""),
                    body=step_spec["body"],
                    cta_url=step_spec.get("cta_url", ""),
                    feed=feeds.get(step_spec.get("feed")),
                    layout=layouts.get(step_spec.get("layout")),
                )
        workflows[spec["identifier"]] = (workflow, spec.get("promoted", False))

    _promote_part(
        production=production,
        groups=[group for name, group in groups.items() if name in PROMOTED_GROUPS],
        feeds=[feed for identifier, feed in feeds.items() if identifier in PROMOTED_FEEDS],
        layouts=[layout for key, layout in layouts.items() if key in PROMOTED_LAYOUTS],
        brand=brand,
        workflows=[workflow for workflow, promoted in workflows.values() if promoted],
    )
    # The demo writes rows directly: their content hashes follow, as on every write path.
    environment_content_hashes_refresh(environments=[development, production])


PROMOTABLE_COMMON = ("origin_id", "updated_by", "updated_at")


def _copy(model, source, *, production, values):
    """Production's copy of ``source`` (same origin), created once."""
    existing = model.unscoped_across_environments.filter(
        environment=production, origin_id=source.origin_id
    ).first()
    if existing is not None:
        return existing
    return model.unscoped_across_environments.create(
        environment=production, **_copy_fields(source, PROMOTABLE_COMMON), **values
    )


def _promote_part(*, production, groups, feeds, layouts, brand, workflows) -> None:
    """Copy the given Development rows to Production, as an earlier promotion would have."""
    group_copies = {}
    for group in groups:
        # The default group already exists downstream with the same origin.
        group_copies[group.pk] = _copy(
            WorkflowGroup, group, production=production, values={"name": group.name}
        )
    feed_copies = {
        feed.pk: _copy(
            Feed, feed, production=production, values=_copy_fields(feed, ("name", "identifier"))
        )
        for feed in feeds
    }
    layout_copies = {
        layout.pk: _copy(
            Layout,
            layout,
            production=production,
            values=_copy_fields(layout, ("name", "identifier", "html", "is_default")),
        )
        for layout in layouts
    }
    if not Brand.unscoped_across_environments.filter(environment=production).exists():
        Brand.unscoped_across_environments.create(
            environment=production,
            **_copy_fields(brand, PROMOTABLE_COMMON),
            **_copy_fields(
                brand,
                (
                    "primary_color",
                    "font_color",
                    "content_background_color",
                    "font_family",
                    "direction",
                    "logo",
                ),
            ),
        )
    for workflow in workflows:
        if Workflow.unscoped_across_environments.filter(
            environment=production, origin_id=workflow.origin_id
        ).exists():
            continue
        copy = _copy(
            Workflow,
            workflow,
            production=production,
            values={
                **_copy_fields(
                    workflow,
                    (
                        "name",
                        "identifier",
                        "description",
                        "tags",
                        "active",
                        "critical",
                        "preference_defaults",
                    ),
                ),
                "group": group_copies[workflow.group_id],
            },
        )
        for step in Step.unscoped_across_environments.filter(workflow=workflow).order_by(
            "position"
        ):
            Step.unscoped_across_environments.create(
                environment=production,
                workflow=copy,
                **_copy_fields(
                    step,
                    (
                        "origin_id",
                        "position",
                        "channel",
                        "name",
                        "active",
                        "subject",
                        "body",
                        "cta_url",
                    ),
                ),
                feed=feed_copies.get(step.feed_id),
                layout=layout_copies.get(step.layout_id),
            )
