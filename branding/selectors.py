from uuid import UUID

from django.db.models import Count

from branding.models import Brand, Layout


def layout_list():
    return Layout.objects.annotate(step_count=Count("steps")).order_by("-is_default", "name")


def layout_get(*, pk: int) -> Layout:
    return Layout.objects.select_related("environment__upstream", "updated_by").get(pk=pk)


def layout_get_by_public_id(*, public_id: UUID) -> Layout:
    return Layout.objects.get(public_id=public_id)


def brand_of_scope() -> Brand | None:
    return Brand.objects.select_related("updated_by").first()
