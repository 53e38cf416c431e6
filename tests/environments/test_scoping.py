"""The environment scope fails closed: outside it, scoped queries raise instead of leaking."""

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from environments.checks import manager_errors_of, scoped_models_have_both_managers
from environments.models import ApiKey, EnvironmentScopedModel
from environments.scoping import (
    EnvironmentMismatch,
    EnvironmentScopeMissing,
    current_environment,
    environment_scope,
)
from tests.factories import ApiKeyFactory, StepFactory, WorkflowFactory
from workflows.models import Step, Workflow


@pytest.mark.parametrize(
    "query",
    [
        lambda: list(Workflow.objects.all()),
        lambda: Workflow.objects.filter(name="x"),
        lambda: Workflow.objects.exclude(name="x"),
        lambda: Workflow.objects.get(pk=1),
        lambda: Workflow.objects.count(),
        lambda: Workflow.objects.exists(),
        lambda: Workflow.objects.first(),
        lambda: Workflow.objects.update(name="x"),
        lambda: Workflow.objects.all().delete(),
        lambda: list(Workflow.objects.values_list("name")),
        lambda: list(Workflow.objects.iterator()),
        lambda: Workflow.objects.aggregate(models.Count("pk")),
    ],
)
def test_unscoped_queries_raise(db, query):
    WorkflowFactory()
    with pytest.raises(EnvironmentScopeMissing):
        query()


def test_the_error_names_the_model_and_the_escape_hatches(db):
    with pytest.raises(EnvironmentScopeMissing) as raised:
        list(ApiKey.objects.all())
    message = str(raised.value)
    assert "No environment in scope for ApiKey" in message
    assert "environment_scope(environment)" in message
    assert "ApiKey.unscoped_across_environments" in message


def test_related_managers_fail_closed_too(db):
    workflow = StepFactory().workflow
    with pytest.raises(EnvironmentScopeMissing):
        list(workflow.steps.all())


def test_none_still_works_outside_a_scope(db):
    WorkflowFactory()
    assert list(Workflow.objects.none()) == []


def test_a_scoped_query_sees_only_its_environment(tenant, other_tenant):
    mine = WorkflowFactory(environment=tenant.development, identifier="welcome")
    WorkflowFactory(environment=tenant.production, identifier="welcome")
    WorkflowFactory(environment=other_tenant.development, identifier="welcome")

    with environment_scope(tenant.development):
        assert list(Workflow.objects.all()) == [mine]
        assert Workflow.objects.get(identifier="welcome") == mine
        assert Workflow.objects.count() == 1


def test_create_inside_a_scope_defaults_to_its_environment(tenant):
    group = WorkflowFactory(environment=tenant.development).group
    with environment_scope(tenant.development):
        created = Workflow.objects.create(name="Digest", identifier="digest", group=group)
    assert created.environment == tenant.development


def test_scopes_nest_and_are_left_even_on_error(tenant):
    assert current_environment() is None
    with pytest.raises(RuntimeError), environment_scope(tenant.development):
        with environment_scope(tenant.production):
            assert current_environment() == tenant.production
        assert current_environment() == tenant.development
        raise RuntimeError("boom")
    assert current_environment() is None


def test_factories_create_without_a_scope_and_the_escape_hatch_sees_all(tenant, other_tenant):
    ApiKeyFactory(environment=tenant.development)
    ApiKeyFactory(environment=other_tenant.production)
    StepFactory(workflow__environment=tenant.production)
    assert ApiKey.unscoped_across_environments.count() == 2
    assert Step.unscoped_across_environments.get().environment == tenant.production


def test_every_scoped_model_has_both_managers(db):
    assert scoped_models_have_both_managers() == []
    call_command("check")


@isolate_apps("environments")
def test_the_system_check_reports_a_model_without_the_scoped_manager():
    class Careless(EnvironmentScopedModel):
        objects = models.Manager()

        class Meta:
            app_label = "environments"

    ids = [error.id for error in manager_errors_of(Careless)]
    assert ids == ["environments.E001"]


def test_a_create_naming_another_environment_is_refused_inside_a_scope(tenant, other_tenant):
    group = WorkflowFactory(environment=tenant.development).group
    for elsewhere in (tenant.production, other_tenant.development):
        with environment_scope(tenant.development), pytest.raises(EnvironmentMismatch):
            Workflow.objects.create(
                environment=elsewhere, name="Leak", identifier="leak", group=group
            )
        with environment_scope(tenant.development), pytest.raises(EnvironmentMismatch):
            Workflow.objects.get_or_create(
                identifier="leak",
                defaults={"environment": elsewhere, "name": "Leak", "group": group},
            )
    assert not Workflow.unscoped_across_environments.filter(identifier="leak").exists()


def test_bulk_create_refuses_rows_of_another_environment_and_fills_missing_ones(tenant):
    group = WorkflowFactory(environment=tenant.development).group
    with environment_scope(tenant.development):
        with pytest.raises(EnvironmentMismatch):
            Workflow.objects.bulk_create(
                [
                    Workflow(name="Mine", identifier="mine", group=group),
                    Workflow(
                        environment=tenant.production, name="Leak", identifier="leak", group=group
                    ),
                ]
            )
        assert not Workflow.objects.filter(identifier="mine").exists()
        Workflow.objects.bulk_create([Workflow(name="Mine", identifier="mine", group=group)])
    assert Workflow.unscoped_across_environments.get(identifier="mine").environment == (
        tenant.development
    )
    with pytest.raises(EnvironmentScopeMissing):
        Workflow.objects.bulk_create([Workflow(environment=tenant.development, name="Out")])


def test_an_update_cannot_move_rows_to_another_environment(tenant):
    workflow = WorkflowFactory(environment=tenant.development)
    with environment_scope(tenant.development), pytest.raises(EnvironmentMismatch):
        Workflow.objects.filter(pk=workflow.pk).update(environment=tenant.production)
    workflow.refresh_from_db()
    assert workflow.environment == tenant.development


def test_related_managers_claim_the_scope_too(tenant):
    workflow = WorkflowFactory(environment=tenant.development)
    with environment_scope(tenant.development), pytest.raises(EnvironmentMismatch):
        workflow.steps.create(environment=tenant.production, name="Leak", position=9)


def test_raw_sql_is_refused_inside_and_outside_a_scope(tenant):
    WorkflowFactory(environment=tenant.development)
    table = Workflow._meta.db_table
    with pytest.raises(EnvironmentScopeMissing):
        list(Workflow.objects.raw(f"SELECT * FROM {table}"))
    with environment_scope(tenant.development), pytest.raises(EnvironmentScopeMissing):
        list(Workflow.objects.raw(f"SELECT * FROM {table}"))
