"""Which variables recent triggers carried, for the Changes page's "new variable" warning.

Each trigger records the paths of its payload (``payload.order.total``, ``payload.items[0].sku``)
for its workflow in its environment; only the last ``SAMPLES_PER_WORKFLOW`` are kept, and a
summary per workflow counts how many of them carried each path. Before a
change that makes a template read ``payload.order.total`` is promoted, the warning says how many
of the target environment's recent triggers of that workflow carried it: "0 of the last 100"
means the backend there does not send it yet.
"""

import re
from collections import Counter, deque

from django.utils import timezone

from activity.models import TriggerVariableSample, TriggerVariableSummary
from changes.warnings import VariableUsage
from environments.scoping import environment_scope

# A payload is bounded (see activity.services), and so is what one trigger records of it.
PATHS_MAX = 300
DEPTH_MAX = 8

_IDENTIFIER = re.compile(r"[A-Za-z_][\w-]*")
_LIST_INDEX = re.compile(r"\[\d+\]")


def _child_path(prefix: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{prefix}.{key}"
    return f"{prefix}['{key}']"


def payload_paths(payload: dict) -> list[str]:
    """Every path of ``payload`` as templates write it, shallow ones first when there are more
    than PATHS_MAX. Lists contribute their first item, as ``[0]``."""
    paths: list[str] = []
    pending = deque([("payload", payload, 0)])
    while pending and len(paths) < PATHS_MAX:
        prefix, value, depth = pending.popleft()
        if depth >= DEPTH_MAX:
            continue
        if isinstance(value, dict):
            children = [(_child_path(prefix, str(key)), child) for key, child in value.items()]
        elif isinstance(value, list) and value:
            children = [(f"{prefix}[0]", value[0])]
        else:
            continue
        for path, child in children[: PATHS_MAX - len(paths)]:
            paths.append(path)
            pending.append((path, child, depth + 1))
    return sorted(paths)


def _summary_refresh(*, workflow_identifier: str) -> None:
    """Recount the last SAMPLES_PER_WORKFLOW samples into the workflow's summary, and forget
    the samples older than those."""
    keep = TriggerVariableSample.SAMPLES_PER_WORKFLOW
    newest = list(
        TriggerVariableSample.objects.filter(workflow_identifier=workflow_identifier)
        .order_by("-id")
        .values_list("id", "paths")[: keep + 1]
    )
    if len(newest) > keep:
        TriggerVariableSample.objects.filter(
            workflow_identifier=workflow_identifier, id__lte=newest[keep][0]
        ).delete()
        newest = newest[:keep]
    carried = Counter(path for _id, paths in newest for path in set(paths))
    TriggerVariableSummary.objects.bulk_create(
        [
            TriggerVariableSummary(
                workflow_identifier=workflow_identifier,
                sampled=len(newest),
                carried=dict(carried),
                through_sample_id=newest[0][0],
                updated_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["environment", "workflow_identifier"],
        update_fields=["sampled", "carried", "through_sample_id", "updated_at"],
    )


def variable_sample_record(*, workflow_identifier: str, payload: dict) -> None:
    """Remember the paths of one trigger's payload; recount the workflow's summary while it has
    few samples, and then at least every REFRESH_EVERY samples. Runs in the trigger's
    environment scope, in its expansion's transaction."""
    TriggerVariableSample.objects.create(
        workflow_identifier=workflow_identifier, paths=payload_paths(payload)
    )
    every = TriggerVariableSummary.REFRESH_EVERY
    recent = list(
        TriggerVariableSample.objects.filter(workflow_identifier=workflow_identifier)
        .order_by("-id")
        .values_list("id", flat=True)[: every + 1]
    )
    counted = (
        TriggerVariableSummary.objects.filter(workflow_identifier=workflow_identifier)
        .values_list("through_sample_id", flat=True)
        .first()
    )
    # Behind by REFRESH_EVERY samples or more (or never counted): recount.
    if len(recent) <= every or counted is None or recent[every - 1] > counted:
        _summary_refresh(workflow_identifier=workflow_identifier)


def _normalized(variable: str) -> str:
    """``payload.items[3].sku`` is carried when the first item has a ``sku``."""
    return _LIST_INDEX.sub("[0]", variable)


# The summaries of an environment, read once per Environment instance: the Changes page asks
# about every changed workflow of one target environment, through one instance.
_SUMMARIES = "_activity_trigger_variable_summaries"


def _summaries_of(environment) -> dict[str, tuple[int, dict]]:
    summaries = getattr(environment, _SUMMARIES, None)
    if summaries is None:
        with environment_scope(environment):
            summaries = {
                identifier: (sampled, carried)
                for identifier, sampled, carried in TriggerVariableSummary.objects.values_list(
                    "workflow_identifier", "sampled", "carried"
                )
            }
        setattr(environment, _SUMMARIES, summaries)
    return summaries


class SampledTriggerVariables:
    """``changes.warnings.TriggerVariableUsage`` from the summaries: one query for a whole
    Changes page, however many workflows it shows."""

    def usage(
        self, *, environment, workflow_identifier: str, variables: list[str]
    ) -> dict[str, VariableUsage]:
        sampled, carried = _summaries_of(environment).get(workflow_identifier, (0, {}))
        if not sampled:
            return {}
        return {
            variable: VariableUsage(carried=carried.get(_normalized(variable), 0), sampled=sampled)
            for variable in variables
            # Only the payload comes with a trigger; subscriber variables come from the profile.
            if variable.startswith("payload")
        }
