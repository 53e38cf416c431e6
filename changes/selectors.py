from django.db.models import Prefetch, Q, QuerySet

from changes.comparisons import DocumentComparison, page_diff_budget
from changes.diff import ChangeSet
from changes.models import Promotion, PromotionItem
from changes.registry import REGISTRY, load_environment
from environments.models import Environment


def change_set_for(environment: Environment) -> ChangeSet | None:
    """The pending changes from ``environment`` into its downstream; None for the last one.

    A constant number of queries whatever the number of changes: six per environment.
    """
    target = environment.get_downstream()
    if target is None:
        return None
    return ChangeSet.compute(source=environment, target=target)


def pending_change_count(environment: Environment) -> int | None:
    change_set = change_set_for(environment)
    return None if change_set is None else len(change_set)


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
    return (
        promotion_list(environment)
        .prefetch_related(Prefetch("items", queryset=PromotionItem.objects.order_by("position")))
        .get(pk=pk)
    )


def promotion_item_comparisons(
    promotion: Promotion,
) -> list[tuple[PromotionItem, DocumentComparison]]:
    """Each item with the diff it applied (prior document → written document).

    Referenced entities are named from the documents of this promotion where possible, else
    from the target's current content, so a deleted group still shows its name.
    """
    items = list(promotion.items.all())
    names = {(item.type_key, str(item.origin_id)): item.name for item in items}
    for type_key, by_origin in load_environment(promotion.target).items():
        for origin_id, state in by_origin.items():
            names.setdefault((type_key, origin_id), state.name)
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
        if item.type_key in REGISTRY
    ]
