"""Layouts and the brand settings are promoted downstream."""

from branding.models import Brand, Layout
from changes.registry import PromotableType, register

register(Brand, url_name="brand:index", entity_name="Brand settings", plural="Brand")


@register(Layout)
class LayoutPromotion(PromotableType):
    url_name = "layouts:edit"

    def before_upserts(self, *, target, documents, keep_pks):
        # One default layout per environment: a new default replaces the target's current one,
        # even when only the new one is applied.
        if not any(document["is_default"] for document in documents):
            return []
        others = self.rows(target).filter(is_default=True).exclude(pk__in=keep_pks)
        pks = list(others.values_list("pk", flat=True))
        others.update(is_default=False)
        return pks

    def upsert_order(self, document):
        # Unset the old default before setting the new one, or the constraint sees two.
        return 1 if document["is_default"] else 0
