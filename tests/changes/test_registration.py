"""Promotable types are declared once, in each app's promotion.py, and completely: a system
check fails for a promotable model nobody registered, and for a type without a URL."""

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from changes import registry
from changes.checks import (
    declaration_errors,
    promotable_types_are_declared,
    unregistered_model_errors,
)
from changes.registry import PromotableType, register, unregister
from environments.models import PromotableModel
from tests.promotable_app.models import Snippet


def test_every_promotable_model_is_registered_by_its_app(db):
    assert promotable_types_are_declared() == []
    call_command("check", "--fail-level", "ERROR")
    keys = {promotable_type.key for promotable_type in registry.promotable_types()}
    assert {"workflow_group", "feed", "workflow", "layout", "brand", "snippet"} <= keys


@isolate_apps("tests.promotable_app")
def test_an_unregistered_promotable_model_fails_the_check():
    class Banner(PromotableModel):
        title = models.CharField(max_length=80)

        class Meta(PromotableModel.Meta):
            app_label = "promotable_app"

    [error] = unregistered_model_errors([Banner])

    assert error.id == "changes.E001"
    assert "Banner is promotable but not registered" in error.msg
    assert "promotable_app/promotion.py" in error.hint


@pytest.fixture
def snippet_unregistered():
    declared = registry.type_of_model(Snippet)
    unregister(Snippet)
    yield
    register(Snippet, type(declared))


def test_removing_a_registration_fails_the_check(snippet_unregistered):
    errors = promotable_types_are_declared()
    assert [(error.id, error.obj) for error in errors] == [("changes.E001", Snippet)]


def test_a_registered_type_without_a_url_fails_the_check():
    class NoUrl(PromotableType):
        url_name = None

    [error] = declaration_errors([NoUrl(Snippet)])

    assert error.id == "changes.E002"
    assert "has no url_name" in error.msg


@isolate_apps("tests.promotable_app")
def test_a_reference_to_content_that_is_not_promotable_fails_the_check():
    class Note(models.Model):  # noqa: DJ008
        class Meta:
            app_label = "promotable_app"

    class Pinned(PromotableModel):
        note = models.ForeignKey(Note, on_delete=models.CASCADE)

        class Meta(PromotableModel.Meta):
            app_label = "promotable_app"

    class PinnedPromotion(PromotableType):
        url_name = "promotable_app:pinned"

    [error] = declaration_errors([PinnedPromotion(Pinned)])

    assert error.id == "changes.E004"


def test_registering_a_model_twice_is_refused():
    with pytest.raises(registry.AlreadyRegistered):
        register(Snippet, url_name="promotable_app:snippet")
