"""Demo history and pending changes for ``seed_demo``; runs after ``demo.content``.

Leaves two past promotions in History and, on the Changes page, pending changes of every
action and type: workflows, groups, feeds and layouts created, updated and deleted, and the
brand updated. Goes through the real promotion services, so History holds real diffs.

Idempotent: it does nothing once the organization has any recorded promotion. Maintenance
code, so it uses the unscoped managers and names the environment on every query.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from branding.models import Brand, Layout
from changes.diff import ChangeSet
from changes.documents import environment_content_hashes_refresh
from changes.models import Promotion, PromotionKind
from changes.services import changes_apply
from environments.models import Environment
from workflows.models import Channel, Feed, Step, Workflow, WorkflowGroup

PLAIN_LAYOUT = '<html>\n<body style="font-family: sans-serif">\n{{ content }}\n</body>\n</html>'


def _create(model, *, environment, actor, **values):
    return model.unscoped_across_environments.create(
        environment=environment, updated_by=actor, **values
    )


def _step(workflow, *, position, **values):
    return Step.unscoped_across_environments.create(
        environment=workflow.environment, workflow=workflow, position=position, **values
    )


def _apply(*, development, actor, pick, when) -> None:
    # The demo writes rows directly: their content hashes follow before changes are read.
    environment_content_hashes_refresh(environments=[development, development.get_downstream()])
    change_set = ChangeSet.compute(source=development, target=development.get_downstream())
    selection = [(c.change_id, c.fingerprint) for c in change_set.changes if pick(c)]
    if not selection:
        return
    result = changes_apply(
        source=development, selection=selection, actor=actor, kind=PromotionKind.APPLY_SELECTED
    )
    if result.promotion is not None:
        Promotion.objects.filter(pk=result.promotion.pk).update(created_at=when)


@transaction.atomic
def seed_changes_demo(*, development: Environment, production: Environment, actor) -> None:
    if actor is None or Promotion.objects.filter(organization=development.organization).exists():
        return
    now = timezone.now()
    dev = {"environment": development, "actor": actor}

    # 1. Three days ago: the Welcome workflow went out on its own.
    _apply(
        development=development,
        actor=actor,
        pick=lambda change: change.type_key == "workflow" and change.name == "Welcome",
        when=now - timedelta(days=3),
    )

    # 2. Yesterday: a batch that Development has since changed again.
    legacy = _create(WorkflowGroup, name="Legacy", **dev)
    growth = _create(WorkflowGroup, name="Growth", **dev)
    announcements = _create(Feed, name="Announcements", identifier="announcements", **dev)
    billing_alerts = _create(Feed, name="Billing alerts", identifier="billing-alerts", **dev)
    plain = _create(Layout, name="Plain", identifier="plain", html=PLAIN_LAYOUT, **dev)
    digest = _create(
        Workflow,
        name="Legacy digest",
        identifier="legacy-digest",
        group=legacy,
        description="The old monthly digest, replaced by the weekly one.",
        **dev,
    )
    _step(
        digest,
        position=0,
        channel=Channel.IN_APP,
        name="Digest in inbox",
        body="Your monthly summary is ready.",
        feed=announcements,
    )
    _step(
        digest,
        position=1,
        channel=Channel.EMAIL,
        name="Digest email",
        subject="Your month at Acme",
        body="<p>Here is what happened this month.</p>",
        layout=plain,
    )
    trial = _create(
        Workflow,
        name="Trial ending",
        identifier="trial-ending",
        group=growth,
        tags=["billing"],
        **dev,
    )
    _step(
        trial,
        position=0,
        channel=Channel.EMAIL,
        name="Reminder email",
        subject="Your trial ends in 3 days",
        body="<p>Hi {{ subscriber.firstName }},</p>\n<p>Your Acme trial ends soon.</p>",
    )
    _step(
        trial,
        position=1,
        channel=Channel.IN_APP,
        name="Inbox reminder",
        body="Your trial ends in 3 days.",
        feed=billing_alerts,
    )
    created_here = {
        str(entity.origin_id)
        for entity in (legacy, growth, announcements, billing_alerts, plain, digest, trial)
    }
    _apply(
        development=development,
        actor=actor,
        pick=lambda change: change.origin_id in created_here,
        when=now - timedelta(days=1),
    )

    # 3. Since then, in Development: one of each pending action, of every type.
    # Deleted: the legacy digest and everything only it used.
    Step.unscoped_across_environments.filter(workflow=digest).delete()
    digest.delete()
    legacy.delete()
    announcements.delete()
    plain.delete()
    # Updated.
    WorkflowGroup.unscoped_across_environments.filter(pk=growth.pk).update(
        name="Growth & retention", updated_at=now
    )
    Feed.unscoped_across_environments.filter(pk=billing_alerts.pk).update(
        name="Billing", updated_at=now
    )
    Workflow.unscoped_across_environments.filter(pk=trial.pk).update(
        identifier="trial-ends-soon", name="Trial ends soon", updated_at=now
    )
    trial_steps = list(
        Step.unscoped_across_environments.filter(workflow=trial).order_by("position")
    )
    trial_steps[0].position, trial_steps[1].position = 1, 0
    trial_steps[0].subject = "Your trial ends on {{ payload.trialEndsOn }}"
    trial_steps[0].body = (
        "<p>Hi {{ subscriber.firstName }},</p>\n"
        "<p>Your Acme trial ends on {{ payload.trialEndsOn }}.</p>\n"
        '<p><a href="{{ payload.upgradeUrl }}">Choose a plan</a></p>'
    )
    Step.unscoped_across_environments.bulk_update(trial_steps, ["position", "subject", "body"])
    order = Workflow.unscoped_across_environments.filter(
        environment=development, identifier="order-confirmation"
    ).first()
    if order is not None:
        email = Step.unscoped_across_environments.filter(workflow=order, channel=Channel.EMAIL)
        email.update(subject="Order #{{ payload.order.id }} confirmed: thank you!")
        Workflow.unscoped_across_environments.filter(pk=order.pk).update(updated_at=now)
    Layout.unscoped_across_environments.filter(
        environment=development, identifier="transactional"
    ).update(html=_retouched_transactional(development), updated_at=now)
    Brand.unscoped_across_environments.filter(environment=development).update(
        primary_color="#7c3aed", updated_at=now
    )
    # Created (demo.content leaves created workflows, a group and a layout pending too).
    _create(Feed, name="Product news", identifier="product-news", **dev)
    environment_content_hashes_refresh(environments=[development, production])


def _retouched_transactional(development) -> str:
    layout = Layout.unscoped_across_environments.filter(
        environment=development, identifier="transactional"
    ).first()
    html = layout.html if layout else ""
    return html.replace("Acme Inc. · 1 Market Street", "Acme Inc. · 500 Howard Street")
