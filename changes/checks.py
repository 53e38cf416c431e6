"""System checks of the promotable types: every promotable model is declared, and declared
completely, so the Changes page never meets a type it cannot show."""

from django.apps import apps
from django.core import checks

from changes.registry import BOOKKEEPING_FIELDS, is_registered, promotable_types


def unregistered_model_errors(models) -> list[checks.Error]:
    from environments.models import PromotableModel

    return [
        checks.Error(
            f"{model.__name__} is promotable but not registered, so the Changes page would "
            "never show it and promotion would never copy it.",
            hint=(
                f"Register it in {model._meta.app_label}/promotion.py: "
                f"`register({model.__name__}, url_name=...)`."
            ),
            obj=model,
            id="changes.E001",
        )
        for model in models
        if issubclass(model, PromotableModel)
        and not model._meta.abstract
        and not model._meta.proxy
        and not is_registered(model)
    ]


def declaration_errors(promotable_types) -> list[checks.Error]:
    errors = []
    keys = {}
    for promotable_type in promotable_types:
        model = promotable_type.model
        if not promotable_type.url_name:
            errors.append(
                checks.Error(
                    f"The promotable type {promotable_type.key} has no url_name: the Changes "
                    "page could not link to the entity.",
                    hint="Give register() the URL name of the page where it is edited.",
                    obj=model,
                    id="changes.E002",
                )
            )
        if promotable_type.key in keys:
            errors.append(
                checks.Error(
                    f"{model.__name__} and {keys[promotable_type.key].__name__} share the type "
                    f"key {promotable_type.key}.",
                    obj=model,
                    id="changes.E003",
                )
            )
        keys[promotable_type.key] = model
        for reference in promotable_type.references():
            if reference.name in BOOKKEEPING_FIELDS or is_registered(reference.reference):
                continue
            errors.append(
                checks.Error(
                    f"{model.__name__}'s document names a {reference.reference.__name__} "
                    f"({reference.name}), which is not promotable: its copy downstream could "
                    "not point at it.",
                    hint="Register that model too, or exclude the field from the document.",
                    obj=model,
                    id="changes.E004",
                )
            )
    return errors


@checks.register(checks.Tags.models)
def promotable_types_are_declared(app_configs=None, **kwargs):
    return unregistered_model_errors(apps.get_models()) + declaration_errors(promotable_types())
