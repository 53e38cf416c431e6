"""The demo content: realistic workflows on every channel in Development, and in Production a
promoted copy of part of it, sharing origins, so the Changes page has pending and promoted
items. Seeding twice changes nothing."""

from accounts.models import Organization
from branding.models import Brand, Layout
from demo.content import seed_demo_content
from onboarding.services import organization_create
from tests.factories import UserFactory
from workflows.liquid import template_problem
from workflows.models import (
    TEMPLATE_FIELDS_BY_CHANNEL,
    Channel,
    Feed,
    Step,
    Workflow,
    WorkflowGroup,
)

MODELS = (WorkflowGroup, Feed, Workflow, Step, Layout, Brand)


def _rows(environment):
    return {
        model.__name__: sorted(
            model.unscoped_across_environments.filter(environment=environment).values_list(),
            key=str,
        )
        for model in MODELS
    }


def _seed(settings, tmp_path):
    """``demo.content`` alone (``demo.changes`` edits on top of it)."""
    settings.MEDIA_ROOT = tmp_path
    owner = UserFactory()
    organization = Organization.objects.filter(slug="acme").first()
    if organization is None:
        organization, _ = organization_create(name="Acme", owner=owner)
    development = organization.environments.get(slug="development")
    production = organization.environments.get(slug="production")
    seed_demo_content(development=development, production=production, actor=owner)
    return development, production


def test_development_gets_realistic_content_on_every_channel(db, settings, tmp_path):
    development, _ = _seed(settings, tmp_path)
    workflows = Workflow.unscoped_across_environments.filter(environment=development)
    steps = Step.unscoped_across_environments.filter(environment=development)
    assert workflows.count() >= 6
    assert set(steps.values_list("channel", flat=True)) == set(Channel.values)
    assert WorkflowGroup.unscoped_across_environments.filter(environment=development).count() >= 3
    assert Feed.unscoped_across_environments.filter(environment=development).exists()
    layouts = Layout.unscoped_across_environments.filter(environment=development)
    assert layouts.count() == 2 and layouts.filter(is_default=True).count() == 1
    assert all("{{ content }}" in layout.html for layout in layouts)
    assert Brand.unscoped_across_environments.get(environment=development).logo
    for step in steps:
        for field_name, html in TEMPLATE_FIELDS_BY_CHANNEL[step.channel]:
            assert template_problem(getattr(step, field_name), html=html) is None, step


def test_production_holds_an_identical_copy_of_part_of_it(db, settings, tmp_path):
    development, production = _seed(settings, tmp_path)
    for model in MODELS:
        upstream = {
            row.origin_id: row
            for row in model.unscoped_across_environments.filter(environment=development)
        }
        copies = list(model.unscoped_across_environments.filter(environment=production))
        assert copies, f"Production has no {model.__name__}"
        for copy in copies:
            assert copy.origin_id in upstream, f"{copy} has no upstream original"
    promoted = Workflow.unscoped_across_environments.filter(environment=production)
    pending = Workflow.unscoped_across_environments.filter(environment=development).exclude(
        origin_id__in=promoted.values("origin_id")
    )
    assert promoted.exists() and pending.exists()
    for copy in promoted:
        original = Workflow.unscoped_across_environments.get(
            environment=development, origin_id=copy.origin_id
        )
        assert (copy.name, copy.identifier, copy.tags, copy.critical) == (
            original.name,
            original.identifier,
            original.tags,
            original.critical,
        )
        assert copy.group.environment == production
        assert copy.group.origin_id == original.group.origin_id
        original_steps = [
            (s.origin_id, s.position, s.body, s.feed and s.feed.origin_id)
            for s in Step.unscoped_across_environments.filter(workflow=original).order_by(
                "position"
            )
        ]
        copied_steps = [
            (s.origin_id, s.position, s.body, s.feed and s.feed.origin_id)
            for s in Step.unscoped_across_environments.filter(workflow=copy).order_by("position")
        ]
        assert copied_steps == original_steps
        assert (
            not Step.unscoped_across_environments.filter(workflow=copy)
            .exclude(environment=production)
            .exists()
        )


def test_seeding_again_changes_nothing(db, settings, tmp_path):
    development, production = _seed(settings, tmp_path)
    before = (_rows(development), _rows(production))
    _seed(settings, tmp_path)
    assert (_rows(development), _rows(production)) == before
