from django.db import models

from environments.models import PromotableModel


class Snippet(PromotableModel):
    """Reusable text, grouped like workflows: a promotable type of the tests' own."""

    name = models.CharField(max_length=80)
    identifier = models.SlugField(max_length=80)
    text = models.TextField("snippet text", blank=True)
    tone = models.CharField(
        max_length=10, choices=[("plain", "Plain"), ("warm", "Warm")], default="plain"
    )
    group = models.ForeignKey(
        "workflows.WorkflowGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta(PromotableModel.Meta):
        constraints = [
            *PromotableModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["environment", "identifier"], name="snippet_identifier_per_env"
            ),
        ]

    def __str__(self):
        return self.name
