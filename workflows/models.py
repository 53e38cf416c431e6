import uuid

from django.db import models
from django.db.models.functions import Lower

from environments.models import EnvironmentScopedModel, PromotableModel


class Channel(models.TextChoices):
    IN_APP = "in_app", "In-app"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    SMS = "sms", "SMS"


DEFAULT_GROUP_NAME = "General"

# Which fields of a step are Liquid templates, per channel, and whether each renders into HTML
# (HTML output is autoescaped).
TEMPLATE_FIELDS_BY_CHANNEL: dict[str, tuple[tuple[str, bool], ...]] = {
    Channel.IN_APP: (("body", False), ("cta_url", False)),
    Channel.EMAIL: (("subject", False), ("body", True)),
    Channel.CHAT: (("body", False),),
    Channel.SMS: (("body", False),),
}


class WorkflowGroup(PromotableModel):
    """A category of workflows. Every environment has a default "General" group."""

    name = models.CharField(max_length=80)

    class Meta(PromotableModel.Meta):
        ordering = ["name"]
        constraints = [
            *PromotableModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["environment", "name"], name="workflow_group_name_per_env"
            ),
        ]

    def __str__(self):
        return self.name


class Feed(PromotableModel):
    """A notification feed of the in-app inbox; in-app steps may post into one."""

    name = models.CharField(max_length=80)
    identifier = models.SlugField(max_length=80)

    class Meta(PromotableModel.Meta):
        ordering = ["name"]
        constraints = [
            *PromotableModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["environment", "identifier"], name="feed_identifier_per_env"
            ),
        ]

    def __str__(self):
        return self.name


def default_preferences() -> dict[str, bool]:
    return {channel: True for channel in Channel.values}


class Workflow(PromotableModel):
    name = models.CharField(max_length=120)
    # The trigger id that the API uses; a slug, unique per environment.
    identifier = models.SlugField(max_length=120)
    description = models.TextField(blank=True, max_length=2_000)
    group = models.ForeignKey(WorkflowGroup, on_delete=models.PROTECT, related_name="workflows")
    tags = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    # Critical workflows ignore subscriber preferences.
    critical = models.BooleanField(default=False)
    # Per-channel defaults of subscriber preferences: {"email": true, "sms": false, ...}.
    preference_defaults = models.JSONField(default=default_preferences, blank=True)

    class Meta(PromotableModel.Meta):
        ordering = ["name"]
        constraints = [
            *PromotableModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["environment", "identifier"], name="workflow_identifier_per_env"
            ),
        ]
        indexes = [
            *PromotableModel.Meta.indexes,
            # The workflows list: one environment's workflows by name, a page at a time.
            models.Index(fields=["environment", "name", "id"], name="workflow_name_per_env"),
            # The Changes page: a type's changes in order (lower(name), then origin), read in
            # that order from either end and stopped after a page.
            models.Index(
                models.F("environment"),
                Lower("name"),
                models.F("origin_id"),
                name="workflow_sort_name_per_env",
            ),
        ]

    def __str__(self):
        return self.name


class Step(EnvironmentScopedModel):
    """One step of a workflow, in order. Part of its workflow's document when promoted.

    ``origin_id`` identifies the step across environments, so a diff can tell a reordered
    step from a removed and an added one.
    """

    origin_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # The API's ``_id`` of this step: this row's own, never copied by promotion.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    # Liquid templates. `subject` is email only; `body` is the in-app body, the email HTML,
    # or the chat/SMS text: room for a large email, which with its layout (50,000 too) stays
    # under the ~100 KB at which mail clients clip a message.
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, max_length=50_000)
    cta_url = models.CharField("call-to-action URL", max_length=500, blank=True)
    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )
    layout = models.ForeignKey(
        "branding.Layout", null=True, blank=True, on_delete=models.PROTECT, related_name="steps"
    )

    class Meta:
        ordering = ["workflow", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "origin_id"], name="step_origin_per_env")
        ]

    def __str__(self):
        return f"{self.name} ({self.get_channel_display()})"
