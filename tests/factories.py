"""A factory per model. Scoped factories create through the unscoped manager, so tests can
build any environment's rows without entering its scope."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Organization, Role, User
from branding.models import Brand, Layout
from changes.documents import content_hash_refresh
from changes.registry import is_registered, promotable_types
from environments.keys import digest_of, display_prefix_of, generate_secret
from environments.models import ApiKey, Environment
from workflows.models import Channel, Feed, Step, Workflow, WorkflowGroup

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ADMIN


class EnvironmentFactory(DjangoModelFactory):
    class Meta:
        model = Environment

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Environment {n}")
    slug = factory.Sequence(lambda n: f"environment-{n}")
    upstream = None


class ScopedFactory(DjangoModelFactory):
    """Creates rows through ``unscoped_across_environments``: factories need no scope."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        instance = model_class.unscoped_across_environments.create(*args, **kwargs)
        refresh_content_hash(instance)
        return instance


def refresh_content_hash(instance) -> None:
    """Factories write rows directly, so they keep the content hash as every write path does:
    a promotable row's own, or the hash of the entity that a part (a step) belongs to."""
    if is_registered(type(instance)):
        content_hash_refresh(entity=instance)
        return
    for promotable_type in promotable_types():
        parts = promotable_type.parts
        if parts is not None and isinstance(instance, parts.model):
            content_hash_refresh(entity=getattr(instance, parts.parent_field.name))


class ApiKeyFactory(ScopedFactory):
    class Meta:
        model = ApiKey
        exclude = ("secret",)

    environment = factory.SubFactory(EnvironmentFactory)
    secret = factory.LazyFunction(generate_secret)
    name = factory.Sequence(lambda n: f"Key {n}")
    prefix = factory.LazyAttribute(lambda key: display_prefix_of(key.secret))
    digest = factory.LazyAttribute(lambda key: digest_of(key.secret))


class WorkflowGroupFactory(ScopedFactory):
    class Meta:
        model = WorkflowGroup

    environment = factory.SubFactory(EnvironmentFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class FeedFactory(ScopedFactory):
    class Meta:
        model = Feed

    environment = factory.SubFactory(EnvironmentFactory)
    name = factory.Sequence(lambda n: f"Feed {n}")
    identifier = factory.Sequence(lambda n: f"feed-{n}")


class LayoutFactory(ScopedFactory):
    class Meta:
        model = Layout

    environment = factory.SubFactory(EnvironmentFactory)
    name = factory.Sequence(lambda n: f"Layout {n}")
    identifier = factory.Sequence(lambda n: f"layout-{n}")
    html = "<html><body>{{ content }}</body></html>"
    is_default = False


class BrandFactory(ScopedFactory):
    class Meta:
        model = Brand

    environment = factory.SubFactory(EnvironmentFactory)


class WorkflowFactory(ScopedFactory):
    class Meta:
        model = Workflow

    environment = factory.SubFactory(EnvironmentFactory)
    name = factory.Sequence(lambda n: f"Workflow {n}")
    identifier = factory.Sequence(lambda n: f"workflow-{n}")
    group = factory.SubFactory(
        WorkflowGroupFactory, environment=factory.SelfAttribute("..environment")
    )


class StepFactory(ScopedFactory):
    class Meta:
        model = Step

    workflow = factory.SubFactory(WorkflowFactory)
    environment = factory.SelfAttribute("workflow.environment")
    position = factory.Sequence(lambda n: n)
    channel = Channel.IN_APP
    name = factory.Sequence(lambda n: f"Step {n}")
    body = "Hello {{ subscriber.firstName }}"
