"""The migrations that add ``public_id`` give every existing row its own value."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("workflows", "0002_content_maximum_lengths"),
    ("branding", "0002_content_maximum_lengths"),
]
AFTER = [("workflows", "0003_workflow_public_id"), ("branding", "0003_layout_public_id")]


def migrate(targets):
    """Migrate ``targets``, every other app to its latest migration (so the historical models
    match the tables of apps this test does not move)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    moved = {app for app, _ in targets}
    targets = targets + [
        node for node in executor.loader.graph.leaf_nodes() if node[0] not in moved
    ]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_rows_get_distinct_public_ids():
    old = migrate(BEFORE)
    try:
        Organization = old.get_model("accounts", "Organization")
        Environment = old.get_model("environments", "Environment")
        organization = Organization.objects.create(name="Acme", slug="acme")
        environments = [
            Environment.objects.create(organization=organization, name=name, slug=name.lower())
            for name in ("Development", "Production")
        ]
        origin = uuid.uuid4()
        for environment in environments:
            # Copies share their origin_id; each must still get its own public_id.
            group = old.get_model("workflows", "WorkflowGroup").objects.create(
                environment=environment, name="General", origin_id=origin
            )
            workflow = old.get_model("workflows", "Workflow").objects.create(
                environment=environment, name="Welcome", identifier="welcome", group=group
            )
            for position in range(3):
                old.get_model("workflows", "Step").objects.create(
                    environment=environment,
                    workflow=workflow,
                    position=position,
                    channel="sms",
                    name=f"Step {position}",
                )
            old.get_model("workflows", "Feed").objects.create(
                environment=environment, name="Updates", identifier="updates"
            )
            old.get_model("branding", "Layout").objects.create(
                environment=environment, name="Plain", identifier="plain", html="{{ content }}"
            )
            old.get_model("branding", "Brand").objects.create(environment=environment)

        new = migrate(AFTER)

        for app_label, model_name, expected in [
            ("workflows", "WorkflowGroup", 2),
            ("workflows", "Workflow", 2),
            ("workflows", "Step", 6),
            ("workflows", "Feed", 2),
            ("branding", "Layout", 2),
            ("branding", "Brand", 2),
        ]:
            public_ids = list(
                new.get_model(app_label, model_name).objects.values_list("public_id", flat=True)
            )
            assert len(public_ids) == expected
            assert None not in public_ids
            assert len(set(public_ids)) == expected, model_name
        field = new.get_model("workflows", "Workflow")._meta.get_field("public_id")
        assert field.unique and field.default is uuid.uuid4
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
