"""The environment scope, and the manager that refuses to run queries outside it.

Every environment-scoped model answers queries only inside ``environment_scope(environment)``.
Outside one, its default manager returns a queryset that raises ``EnvironmentScopeMissing`` on
any attempt to read or write rows, so a forgotten scope is a loud error instead of a data leak.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from environments.models import Environment

UNSCOPED_MANAGER_NAME = "unscoped_across_environments"

_current_environment: ContextVar["Environment | None"] = ContextVar(
    "herald_current_environment", default=None
)


class EnvironmentScopeMissing(RuntimeError):
    pass


def current_environment() -> "Environment | None":
    return _current_environment.get()


@contextmanager
def environment_scope(environment: "Environment") -> Iterator["Environment"]:
    """Run the block with ``environment`` as the scope of every scoped query. Scopes nest."""
    if environment is None or environment.pk is None:
        raise ValueError("environment_scope() needs a saved Environment.")
    token = _current_environment.set(environment)
    try:
        yield environment
    finally:
        _current_environment.reset(token)


def _scope_missing_message(model: type[models.Model]) -> str:
    return (
        f"No environment in scope for {model.__name__}. Enter one with "
        f"`environment_scope(environment)`, or, in maintenance code only, use "
        f"`{model.__name__}.{UNSCOPED_MANAGER_NAME}` and filter by environment yourself."
    )


class ScopeMissingQuerySet(models.QuerySet):
    """Returned outside a scope: building it is fine, running it raises."""

    def _refuse(self, *args, **kwargs):
        raise EnvironmentScopeMissing(_scope_missing_message(self.model))

    _fetch_all = _refuse
    iterator = _refuse
    count = _refuse
    exists = _refuse
    get = _refuse
    filter = _refuse
    exclude = _refuse
    aggregate = _refuse
    update = _refuse
    delete = _refuse
    in_bulk = _refuse
    contains = _refuse
    explain = _refuse

    def none(self):
        empty = models.QuerySet(model=self.model, query=self.query.chain(), using=self._db)
        empty.query.set_empty()
        return empty


class EnvironmentScopedManager(models.Manager):
    """Default manager of every scoped model: rows of the current environment, or refusal."""

    def get_queryset(self):
        environment = _current_environment.get()
        if environment is None:
            return ScopeMissingQuerySet(model=self.model, using=self._db, hints=self._hints)
        return super().get_queryset().filter(environment_id=environment.pk)

    def create(self, **kwargs):
        environment = _current_environment.get()
        if (
            environment is not None
            and "environment" not in kwargs
            and "environment_id" not in kwargs
        ):
            kwargs["environment"] = environment
        return super().get_queryset().create(**kwargs)
