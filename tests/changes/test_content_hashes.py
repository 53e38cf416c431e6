"""Every promotable row stores the hash of its canonical document, and every write path keeps
it: random sequences of edits through the services, and promotions, leave no wrong hash; the
command finds and fixes a wrong one."""

import contextlib
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branding import services as branding
from branding.models import Brand, Layout
from changes.diff import ChangeSet
from changes.documents import (
    content_hash_of,
    content_hashes_after_migrate,
    content_hashes_check,
)
from changes.models import Promotion
from changes.registry import REGISTRY
from changes.services import (
    PromotionRefused,
    change_discard,
    changes_apply,
    changes_promote_all,
    promotion_revert,
)
from environments.scoping import environment_scope
from workflows import services as workflows
from workflows.models import Channel, Feed, Step, Workflow, WorkflowGroup

LAYOUT_HTML = "<html><body>{{ content }}</body></html>"
WORDS = st.sampled_from(["Alpha", "Beta", "Gamma", "Delta", "Hello {{ payload.name }}"])
OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "group_create",
                "group_update",
                "feed_create",
                "feed_update",
                "workflow_create",
                "workflow_update",
                "workflow_delete",
                "step_create",
                "step_update",
                "step_move",
                "step_delete",
                "layout_create",
                "layout_update",
                "layout_make_default",
                "brand_update",
                "promote_all",
                "apply_one",
                "discard_one",
                "revert_last",
            ]
        ),
        st.integers(min_value=0, max_value=50),
        WORDS,
    ),
    min_size=1,
    max_size=12,
)


def unique(text: str) -> str:
    return f"{text.split()[0].lower()}-{uuid.uuid4().hex[:8]}"


def pick(queryset, index):
    rows = list(queryset.order_by("pk"))
    return rows[index % len(rows)] if rows else None


def run(operation, index, text, *, tenant):
    """One edit through the service an operator's click would call."""
    development, actor = tenant.development, tenant.editor.user
    group = pick(WorkflowGroup.objects.all(), index)
    workflow = pick(Workflow.objects.all(), index)
    step = pick(Step.objects.all(), index)
    if operation == "group_create":
        workflows.workflow_group_create(environment=development, name=unique(text), actor=actor)
    elif operation == "group_update" and group and group.name != "General":
        workflows.workflow_group_update(group=group, name=unique(text), actor=actor)
    elif operation == "feed_create":
        name = unique(text)
        workflows.feed_create(environment=development, name=name, identifier=name, actor=actor)
    elif operation == "feed_update" and (feed := pick(Feed.objects.all(), index)):
        workflows.feed_update(feed=feed, name=text, identifier=feed.identifier, actor=actor)
    elif operation == "workflow_create" and group:
        workflows.workflow_create(
            environment=development,
            actor=actor,
            name=text,
            identifier=unique(text),
            group=group,
            tags=[text.split()[0]],
        )
    elif operation == "workflow_update" and workflow:
        workflows.workflow_update(
            workflow=workflow, actor=actor, name=text, critical=index % 2 == 0
        )
    elif operation == "workflow_delete" and workflow:
        workflows.workflow_delete(workflow=workflow, actor=actor)
    elif operation == "step_create" and workflow:
        channel = [Channel.EMAIL, Channel.IN_APP, Channel.SMS][index % 3]
        workflows.step_create(
            workflow=workflow,
            channel=channel,
            actor=actor,
            name=text,
            active=True,
            subject=text,
            body=text,
            cta_url="",
        )
    elif operation == "step_update" and step:
        workflows.step_update(step=step, actor=actor, body=f"{text} {index}")
    elif operation == "step_move" and step:
        workflows.step_move(step=step, direction="up" if index % 2 else "down", actor=actor)
    elif operation == "step_delete" and step:
        workflows.step_delete(step=step, actor=actor)
    elif operation == "layout_create":
        name = unique(text)
        branding.layout_create(
            environment=development,
            name=name,
            identifier=name,
            html=LAYOUT_HTML,
            is_default=index % 2 == 0,
            actor=actor,
        )
    elif operation == "layout_update" and (layout := pick(Layout.objects.all(), index)):
        branding.layout_update(
            layout=layout,
            name=text,
            identifier=layout.identifier,
            html=f"<p>{index}</p>{LAYOUT_HTML}",
            is_default=True,
            actor=actor,
        )
    elif operation == "layout_make_default" and (layout := pick(Layout.objects.all(), index)):
        branding.layout_make_default(layout=layout, actor=actor)
    elif operation == "brand_update":
        branding.brand_update(
            environment=development, actor=actor, primary_color=f"#{index:06x}", font_family="Arial"
        )
    elif operation == "promote_all":
        changes_promote_all(source=development, actor=actor)
    elif operation == "apply_one":
        changes = ChangeSet(source=development, target=tenant.production).page()[0:1]
        for change in changes:
            changes_apply(
                source=development, selection=[(change.change_id, change.fingerprint)], actor=actor
            )
    elif operation == "discard_one":
        changes = ChangeSet(source=development, target=tenant.production).page()[0:1]
        for change in changes:
            change_discard(
                source=development,
                change_id=change.change_id,
                fingerprint=change.fingerprint,
                actor=actor,
            )
    elif operation == "revert_last":
        promotion = (
            Promotion.objects.filter(organization=tenant.organization).order_by("-pk").first()
        )
        if promotion is not None:
            promotion_revert(promotion=promotion, actor=tenant.admin.user)


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_random_edits_and_promotions_keep_every_hash(tenant, operations):
    # Each example starts from the same empty tenant: its writes are rolled back after it.
    with transaction.atomic():
        check_example(tenant, operations)
        transaction.set_rollback(True)


def check_example(tenant, operations):
    with environment_scope(tenant.development):
        for operation, index, text in operations:
            # A refused edit is refused as a whole: nothing written, so nothing to keep.
            with contextlib.suppress(ValidationError, PromotionRefused, PermissionDenied):
                run(operation, index, text, tenant=tenant)
    assert content_hashes_check() == []
    # And the hashes mean what they say: in sync after Promote all, every pair equal.
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    assert len(ChangeSet(source=tenant.development, target=tenant.production)) == 0
    for promotable_type in REGISTRY.values():
        development = dict(
            promotable_type.rows(tenant.development).values_list("origin_id", "content_hash")
        )
        production = dict(
            promotable_type.rows(tenant.production).values_list("origin_id", "content_hash")
        )
        assert development == production
    assert content_hashes_check() == []


def test_the_hash_is_of_the_canonical_document():
    document = {"name": "Welcome", "steps": [{"origin_id": "a"}, {"origin_id": "b"}]}
    same = {"steps": [{"origin_id": "a"}, {"origin_id": "b"}], "name": "Welcome"}
    reordered = {"name": "Welcome", "steps": [{"origin_id": "b"}, {"origin_id": "a"}]}
    assert content_hash_of(document) == content_hash_of(same)  # key order does not matter
    assert content_hash_of(document) != content_hash_of(reordered)  # step order does
    assert -(2**63) <= content_hash_of(document) < 2**63  # a PostgreSQL bigint


def test_verify_reports_a_wrong_hash_and_fix_repairs_it(tenant, content, capsys):
    call_command("content_hashes", "--verify")
    assert "Every content hash matches its document." in capsys.readouterr().out
    # A write around the services: the document changes, its hash does not.
    Workflow.unscoped_across_environments.filter(pk=content.welcome.pk).update(name="Sneaky")

    with pytest.raises(CommandError, match="1 content hash"):
        call_command("content_hashes", "--verify")
    assert f"workflow {content.welcome.pk} “Sneaky”" in capsys.readouterr().out

    call_command("content_hashes", "--fix")
    assert "Fixed 1 content hash(es)." in capsys.readouterr().out
    call_command("content_hashes", "--verify")
    [change] = ChangeSet(source=tenant.development, target=tenant.production).changes
    assert change.name == "Sneaky"


def test_a_row_without_a_hash_shows_as_a_change_never_as_equal(tenant, content):
    Brand.unscoped_across_environments.filter(environment=tenant.development).update(
        content_hash=None
    )
    [change] = ChangeSet(source=tenant.development, target=tenant.production).changes
    assert change.type_key == "brand"
    assert change.summary == "no visible difference"


def test_migrating_a_promotable_app_recomputes_the_hashes(tenant, content):
    Workflow.unscoped_across_environments.update(content_hash=None)

    class Migration:
        app_label = "workflows"

    content_hashes_after_migrate(None, plan=[(Migration, False)], using="default")

    assert content_hashes_check() == []
    assert len(ChangeSet(source=tenant.development, target=tenant.production)) == 0
