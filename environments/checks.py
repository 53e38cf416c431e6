from django.apps import apps
from django.core import checks

from environments.scoping import UNSCOPED_MANAGER_NAME, EnvironmentScopedManager


@checks.register(checks.Tags.models)
def scoped_models_have_both_managers(app_configs=None, **kwargs):
    """Every scoped model must fail closed by default and offer the named escape hatch."""
    from environments.models import EnvironmentScopedModel

    errors = []
    for model in apps.get_models():
        if not issubclass(model, EnvironmentScopedModel):
            continue
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
