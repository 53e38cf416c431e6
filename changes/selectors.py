from django.db.models import Q, QuerySet

from changes.comparisons import DocumentComparison, page_diff_budget
from changes.diff import ChangeSet
from changes.models import Promotion, PromotionItem
from changes.registry import REGISTRY
from environments.models import Environment


def change_set_for(environment: Environment) -> ChangeSet | None:
    """The pending changes from ``environment`` into its downstream; None for the last one.

    Lazy: counting them is one query, a page of them a few more, whatever their number.
    """
    target = environment.get_downstream()
    if target is None:
        return None
    return ChangeSet(source=environment, target=target)


def pending_change_count(environment: Environment) -> int | None:
    """How many changes are pending downstream (one query), or None for the last one."""
    change_set = change_set_for(environment)
    return None if change_set is None else change_set.total


def promotion_list(environment: Environment) -> QuerySet[Promotion]:
    """Promotions out of or into ``environment`` (discards are recorded into it), newest first."""
    return (
        Promotion.objects.filter(
            Q(source=environment) | Q(target=environment),
            organization_id=environment.organization_id,
        )
        .select_related("source", "target", "actor", "reverts")
        .prefetch_related("reverted_by")
        .order_by("-created_at", "-pk")
    )


def promotion_get(*, environment: Environment, pk: int) -> Promotion:
    return promotion_list(environment).get(pk=pk)


def promotion_items(promotion: Promotion) -> QuerySet[PromotionItem]:
    return PromotionItem.objects.filter(promotion=promotion).order_by("position")


def promotion_item_comparisons(
    items: list[PromotionItem], *, target: Environment
) -> list[tuple[PromotionItem, DocumentComparison]]:
    """Each item (of one promotion, a page of them) with the diff it applied.

    Referenced entities are named from the items' own documents where possible, else from
    the target's current content (one query per referenced type), so a deleted group still
    shows its name.
    """
    items = [item for item in items if item.type_key in REGISTRY]
    names = {(item.type_key, str(item.origin_id)): item.name for item in items}
    wanted: dict[str, set[str]] = {}
    for item in items:
        promotable_type = REGISTRY[item.type_key]
        for document in (item.document, item.prior_document):
            if document is not None:
                for type_key, origin_id in promotable_type.referenced(document):
                    if (type_key, origin_id) not in names:
                        wanted.setdefault(type_key, set()).add(origin_id)
    for type_key, origins in wanted.items():
        promotable_type = REGISTRY[type_key]
        rows = (
            promotable_type.rows(target)
            .filter(origin_id__in=origins)
            .annotate(display_name=promotable_type.name_expression())
            .values_list("origin_id", "display_name")
        )
        for origin_id, name in rows:
            names.setdefault((type_key, str(origin_id)), name)
    # One budget for the page: a promotion of many long changes is bounded as a whole.
    budget = page_diff_budget()
    return [
        (
            item,
            DocumentComparison(
                type_key=item.type_key,
                old=item.prior_document,
                new=item.document,
                names=names,
                budget=budget,
            ),
        )
        for item in items
    ]
