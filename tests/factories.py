"""A factory per model. Scoped factories create through the unscoped manager, so tests can
build any environment's rows without entering its scope."""

import uuid

import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Organization, Role, User
from activity.models import ExecutionLog, Job, Message, Notification, Trigger
from branding.models import Brand, Layout
from changes.documents import content_hash_refresh
from changes.registry import is_registered, promotable_types
from environments.keys import digest_of, display_prefix_of, generate_secret
from environments.models import ApiKey, Environment
from integrations.models import Integration
from subscribers.models import (
    Subscriber,
    SubscriberCredential,
    SubscriberPreference,
    Topic,
    TopicSubscription,
)
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
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Environment {n}")
    slug = factory.Sequence(lambda n: f"environment-{n}")
    upstream = None

    @factory.post_generation
    def in_app_feed(environment, create, extracted, **kwargs):
        """Every environment has Herald's in-app feed integration, as onboarding makes it."""
        if create:
            from integrations.services import in_app_integration_ensure

            in_app_integration_ensure(environments=[environment])


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


class SubscriberFactory(ScopedFactory):
    class Meta:
        model = Subscriber

    environment = factory.SubFactory(EnvironmentFactory)
    subscriber_id = factory.Sequence(lambda n: f"user-{n}")
    email = factory.LazyAttribute(lambda subscriber: f"{subscriber.subscriber_id}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class SubscriberPreferenceFactory(ScopedFactory):
    class Meta:
        model = SubscriberPreference

    subscriber = factory.SubFactory(SubscriberFactory)
    environment = factory.SelfAttribute("subscriber.environment")
    workflow = factory.SubFactory(
        WorkflowFactory, environment=factory.SelfAttribute("..environment")
    )


class SubscriberCredentialFactory(ScopedFactory):
    class Meta:
        model = SubscriberCredential

    subscriber = factory.SubFactory(SubscriberFactory)
    environment = factory.SelfAttribute("subscriber.environment")
    provider_id = "slack"
    webhook_url = "https://hooks.slack.example/services/T000/B000/XXXX"


class TopicFactory(ScopedFactory):
    class Meta:
        model = Topic

    environment = factory.SubFactory(EnvironmentFactory)
    key = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Topic {n}")


class TopicSubscriptionFactory(ScopedFactory):
    class Meta:
        model = TopicSubscription

    topic = factory.SubFactory(TopicFactory)
    environment = factory.SelfAttribute("topic.environment")
    subscriber = factory.SubFactory(
        SubscriberFactory, environment=factory.SelfAttribute("..environment")
    )


class IntegrationFactory(ScopedFactory):
    """An SMTP integration by default; pass ``credentials={...}`` to store (encrypted) others."""

    class Meta:
        model = Integration

    environment = factory.SubFactory(EnvironmentFactory)
    channel = Channel.EMAIL
    provider_id = "nodemailer"
    name = factory.Sequence(lambda n: f"Integration {n}")
    identifier = factory.Sequence(lambda n: f"integration-{n}")
    active = True
    primary = False
    credentials = factory.LazyFunction(
        lambda: {"host": "127.0.0.1", "port": 2525, "from": "herald@example.com"}
    )

    @classmethod
    def _create(cls, model_class, *args, credentials=None, **kwargs):
        integration = model_class(*args, **kwargs)
        integration.store_credentials(credentials or {})
        integration.save(force_insert=True)
        return integration


# Activity: what the pipeline writes. Tests create it directly (the pipeline is not needed to
# read it); ``tests.activity.seeding.notification_seed`` builds a whole notification.


class TriggerFactory(ScopedFactory):
    class Meta:
        model = Trigger

    environment = factory.SubFactory(EnvironmentFactory)
    transaction_id = factory.Sequence(lambda n: f"transaction-{n}")
    workflow_origin_id = factory.LazyFunction(uuid.uuid4)
    workflow_identifier = "welcome"
    payload = factory.LazyFunction(dict)
    status = Trigger.Status.PROCESSED


class NotificationFactory(ScopedFactory):
    class Meta:
        model = Notification

    trigger = factory.SubFactory(TriggerFactory)
    environment = factory.SelfAttribute("trigger.environment")
    subscriber = factory.SubFactory(
        SubscriberFactory, environment=factory.SelfAttribute("..environment")
    )
    workflow_origin_id = factory.SelfAttribute("trigger.workflow_origin_id")
    workflow_identifier = factory.SelfAttribute("trigger.workflow_identifier")
    workflow_name = "Welcome"
    channels = factory.LazyFunction(lambda: ["in_app"])
    status = Notification.Status.COMPLETED


class JobFactory(ScopedFactory):
    class Meta:
        model = Job

    notification = factory.SubFactory(NotificationFactory)
    environment = factory.SelfAttribute("notification.environment")
    step_origin_id = factory.LazyFunction(uuid.uuid4)
    step_name = "In-app"
    channel = Channel.IN_APP
    status = Job.Status.COMPLETED


class MessageFactory(ScopedFactory):
    class Meta:
        model = Message

    job = factory.SubFactory(JobFactory)
    notification = factory.SelfAttribute("job.notification")
    environment = factory.SelfAttribute("job.environment")
    subscriber = factory.SelfAttribute("notification.subscriber")
    channel = factory.SelfAttribute("job.channel")
    workflow_origin_id = factory.SelfAttribute("notification.workflow_origin_id")
    workflow_identifier = factory.SelfAttribute("notification.workflow_identifier")
    content = "Hello"
    payload = factory.SelfAttribute("notification.trigger.payload")


class ExecutionLogFactory(ScopedFactory):
    class Meta:
        model = ExecutionLog

    notification = factory.SubFactory(NotificationFactory)
    trigger = factory.SelfAttribute("notification.trigger")
    environment = factory.SelfAttribute("notification.environment")
    stage = ExecutionLog.Stage.MESSAGE_SENT
    channel = Channel.IN_APP
    status = ExecutionLog.Status.SUCCESS
    detail = "Message sent"
