from django.db import models

from environments.models import PromotableModel


class Layout(PromotableModel):
    """An HTML wrapper for emails. Its HTML must contain the ``{{ content }}`` placeholder."""

    name = models.CharField(max_length=80)
    identifier = models.SlugField(max_length=80)
    # With a step body (at most 50,000 too) under the ~100 KB at which mail clients clip.
    html = models.TextField(max_length=50_000)
    is_default = models.BooleanField("default layout", default=False)

    class Meta(PromotableModel.Meta):
        ordering = ["name"]
        constraints = [
            *PromotableModel.Meta.constraints,
            models.UniqueConstraint(
                fields=["environment", "identifier"], name="layout_identifier_per_env"
            ),
            models.UniqueConstraint(
                fields=["environment"],
                condition=models.Q(is_default=True),
                name="one_default_layout_per_env",
            ),
        ]

    def __str__(self):
        return self.name


class TextDirection(models.TextChoices):
    LTR = "ltr", "Left to right"
    RTL = "rtl", "Right to left"


def logo_upload_to(instance, filename):
    return f"brand/{instance.environment_id}/{filename}"


class Brand(PromotableModel):
    """The brand settings of one environment (at most one row per environment)."""

    primary_color = models.CharField("primary colour", max_length=7, default="#4f46e5")
    font_color = models.CharField("font colour", max_length=7, default="#1c1c24")
    content_background_color = models.CharField(
        "content background", max_length=7, default="#ffffff"
    )
    font_family = models.CharField(max_length=120, default="Helvetica, Arial, sans-serif")
    direction = models.CharField(
        max_length=3, choices=TextDirection.choices, default=TextDirection.LTR
    )
    logo = models.FileField(upload_to=logo_upload_to, blank=True)

    class Meta(PromotableModel.Meta):
        constraints = [
            *PromotableModel.Meta.constraints,
            models.UniqueConstraint(fields=["environment"], name="one_brand_per_env"),
        ]

    def __str__(self):
        return "Brand settings"
