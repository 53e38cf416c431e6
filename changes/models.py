from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils import timezone


class PromotionKind(models.TextChoices):
    APPLY = "apply", "Apply"
    APPLY_SELECTED = "apply_selected", "Apply selected"
    PROMOTE_ALL = "promote_all", "Promote all"
    REVERT = "revert", "Revert"
    DISCARD = "discard", "Discard"
    COPY = "copy", "Environment copy"


class Promotion(models.Model):
    """One recorded write of documents from ``source`` into ``target``, in one transaction.

    Spans two environments, so it is not environment-scoped: selectors filter by environment
    and organization themselves. A discard is recorded with the roles reversed (the downstream
    document written back into the upstream environment).
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="promotions"
    )
    source = models.ForeignKey(
        "environments.Environment", on_delete=models.CASCADE, related_name="+"
    )
    target = models.ForeignKey(
        "environments.Environment", on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when an API key did it, through the API: such a promotion has no ``actor``.
    api_key = models.ForeignKey(
        "environments.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who did it, as History shows it, kept even after the user or the key is gone.
    actor_name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=PromotionKind.choices)
    reverts = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reverted_by"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    deleted_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["target", "-created_at"])]

    def __str__(self):
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"{self.get_kind_display()} {self.source} → {self.target} ({when})"

    @property
    def actor_label(self) -> str:
        """Who did it: a user's name, or ``API key “Default key”``; empty when unknown."""
        if self.actor_name:
            return self.actor_name
        return self.actor.display_name if self.actor is not None else ""

    @property
    def change_count(self) -> int:
        return self.created_count + self.updated_count + self.deleted_count


class PromotionItem(models.Model):
    """One entity written by a promotion: the document written and the target's prior one.

    ``document`` None is a delete; ``prior_document`` None means it did not exist before. The
    diff shown on the detail page is rendered from the two, so it is exactly what was applied.
    """

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    type_key = models.CharField(max_length=30)
    origin_id = models.UUIDField()
    # The API's ``_entityId``: the entity's ``public_id`` in the source (in the target, for a
    # delete). None for writes that were not a pending change (reverts, environment copies).
    entity_public_id = models.UUIDField(null=True, blank=True)
    name = models.CharField(max_length=200)
    action = models.CharField(max_length=10)
    summary = models.CharField(max_length=300, blank=True)
    # Both documents, compressed canonical JSON (``changes.documents``): what was written (None
    # for a delete) and what the target had before (None if it did not exist). A revert writes
    # ``prior_document`` back if the entity's hash is still ``content_hash``.
    document_data = models.BinaryField(null=True, blank=True)
    prior_document_data = models.BinaryField(null=True, blank=True)
    content_hash = models.BigIntegerField(null=True, blank=True)
    # Pulled in because a selected change referenced it and the target lacked it.
    included_as_dependency = models.BooleanField(default=False)

    class Meta:
        ordering = ["promotion", "position"]
        indexes = [models.Index(fields=["origin_id"])]

    def __str__(self):
        return f"{self.action} {self.type_key} {self.name}"

    @cached_property
    def document(self):
        from changes.documents import decompress_document

        return decompress_document(self.document_data)

    @cached_property
    def prior_document(self):
        from changes.documents import decompress_document

        return decompress_document(self.prior_document_data)

    @property
    def type_label(self) -> str:
        from changes.registry import REGISTRY

        promotable_type = REGISTRY.get(self.type_key)
        return promotable_type.label if promotable_type else self.type_key


class ChangeStamp(models.Model):
    """A value that changes whenever the promotable content of ``environment`` does, and the
    sidebar badge's count into its downstream at the stamps it was counted at.

    Every write path stamps the environments it writes (``changes.documents.content_stamp``),
    in the writing transaction, so a count stored under two stamps is current exactly as long
    as neither stamp has changed: the badge is one indexed read instead of a count of both
    environments. A missing row only means the next count is not served from here.
    """

    environment = models.OneToOneField(
        "environments.Environment", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    stamp = models.UUIDField()
    pending_count = models.PositiveIntegerField(null=True, blank=True)
    # "<own stamp>:<downstream stamp>" when ``pending_count`` was counted.
    counted_at = models.CharField(max_length=80, blank=True)
    # The Changes page's counts per "<type key>|<action>", and the stamps they were counted at.
    counts = models.JSONField(null=True, blank=True)
    counts_at = models.CharField(max_length=80, blank=True)

    def __str__(self):
        return f"{self.environment_id}: {self.stamp}"


class ChangeFacts(models.Model):
    """What a change's row shows, stored the first time it is worked out: its one-line summary
    and what its warnings are made of, for one pair of documents.

    Keyed by the pair's content hashes (``key``: type, both hashes, and whether the pair is a
    relink), so a stored row can never be stale: an edit on either side is another key. The
    Changes page reads a page's facts in one query instead of loading 50 documents. Rows are
    scoped to the source environment and expire after ``changes.facts.FACTS_KEPT``.
    """

    source = models.ForeignKey(
        "environments.Environment", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=100)
    summary = models.CharField(max_length=300)
    added_variables = models.JSONField(default=list)
    old_identifier = models.CharField(max_length=200, blank=True)
    new_identifier = models.CharField(max_length=200, blank=True)
    # The channels of the upstream document's active parts (a workflow's steps).
    channels = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="change_facts_per_source")
        ]
        indexes = [models.Index(fields=["source", "created_at"], name="change_facts_age")]

    def __str__(self):
        return f"{self.key}: {self.summary}"
