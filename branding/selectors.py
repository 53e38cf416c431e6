from django.db.models import Count

from branding.models import Brand, Layout


def layout_list():
    return Layout.objects.annotate(step_count=Count("steps")).order_by("-is_default", "name")


def layout_get(*, pk: int) -> Layout:
    return Layout.objects.select_related("environment__upstream", "updated_by").get(pk=pk)


def brand_of_scope() -> Brand | None:
    return Brand.objects.select_related("updated_by").first()
