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
    raw = _refuse
    bulk_create = _refuse
    bulk_update = _refuse

    def none(self):
        empty = models.QuerySet(model=self.model, query=self.query.chain(), using=self._db)
        empty.query.set_empty()
        return empty


class EnvironmentMismatch(EnvironmentScopeMissing):
    """A write inside one environment's scope named another environment."""


class ScopedQuerySet(models.QuerySet):
    """Rows of the scope's environment; writes through it land in that environment only.

    A row that names another environment is refused rather than written there: the scope is
    the request's environment, and nothing a request does may reach beyond it.
    """

    def _scope_environment(self):
        environment = _current_environment.get()
        if environment is None:
            raise EnvironmentScopeMissing(_scope_missing_message(self.model))
        return environment

    def _claim(self, instance) -> None:
        environment = self._scope_environment()
        if instance.environment_id is None:
            instance.environment = environment
        elif instance.environment_id != environment.pk:
            raise EnvironmentMismatch(
                f"A {self.model.__name__} of another environment cannot be written in the scope "
                f"of {environment.name}. Maintenance code that writes across environments uses "
                f"`{self.model.__name__}.{UNSCOPED_MANAGER_NAME}`."
            )

    def create(self, **kwargs):
        instance = self.model(**kwargs)
        self._claim(instance)
        instance.save(force_insert=True, using=self.db)
        return instance

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for instance in objs:
            self._claim(instance)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        environment = kwargs.get("environment")
        environment_id = kwargs.get("environment_id", getattr(environment, "pk", None))
        if environment_id is not None and environment_id != self._scope_environment().pk:
            raise EnvironmentMismatch(
                f"Rows of {self.model.__name__} cannot be moved out of their environment."
            )
        return super().update(**kwargs)

    def raw(self, *args, **kwargs):
        raise EnvironmentScopeMissing(
            f"Raw SQL is not scoped: {self.model.__name__}.objects.raw() would read every "
            f"environment. Use the ORM, or `{self.model.__name__}.{UNSCOPED_MANAGER_NAME}` "
            "with an explicit environment filter in maintenance code."
        )


class EnvironmentScopedManager(models.Manager.from_queryset(ScopedQuerySet)):
    """Default manager of every scoped model: rows of the current environment, or refusal."""

    def get_queryset(self):
        environment = _current_environment.get()
        if environment is None:
            return ScopeMissingQuerySet(model=self.model, using=self._db, hints=self._hints)
        return ScopedQuerySet(model=self.model, using=self._db, hints=self._hints).filter(
            environment_id=environment.pk
        )

    def create(self, **kwargs):
        environment = _current_environment.get()
        if environment is None:
            # Outside a scope a row can still be created, with its environment named.
            return models.QuerySet(model=self.model, using=self._db).create(**kwargs)
        return self.get_queryset().create(**kwargs)
