from django.apps import apps
from django.core import checks

from environments.scoping import UNSCOPED_MANAGER_NAME, EnvironmentScopedManager


def manager_errors_of(model) -> list[checks.Error]:
    """A scoped model must fail closed by default and offer the named escape hatch."""
    errors = []
    if not isinstance(model._default_manager, EnvironmentScopedManager):
        errors.append(
            checks.Error(
                f"{model.__name__}'s default manager is not an EnvironmentScopedManager.",
                hint="Declare `objects = EnvironmentScopedManager()` first on the model.",
                obj=model,
                id="environments.E001",
            )
        )
    if not hasattr(model, UNSCOPED_MANAGER_NAME):
        errors.append(
            checks.Error(
                f"{model.__name__} has no `{UNSCOPED_MANAGER_NAME}` manager.",
                hint="Inherit it from EnvironmentScopedModel; don't redeclare managers.",
                obj=model,
                id="environments.E002",
            )
        )
    return errors


@checks.register(checks.Tags.models)
def scoped_models_have_both_managers(app_configs=None, **kwargs):
    from environments.models import EnvironmentScopedModel

    return [
        error
        for model in apps.get_models()
        if issubclass(model, EnvironmentScopedModel)
        for error in manager_errors_of(model)
    ]
