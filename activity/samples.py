"""Which variables recent triggers carried, for the Changes page's "new variable" warning.

Each trigger records the paths of its payload (``payload.order.total``, ``payload.items[0].sku``)
for its workflow in its environment; only the last ``SAMPLES_PER_WORKFLOW`` are kept. Before a
change that makes a template read ``payload.order.total`` is promoted, the warning says how many
of the target environment's recent triggers of that workflow carried it: "0 of the last 100"
means the backend there does not send it yet.
"""

import re
from collections import deque

from activity.models import TriggerVariableSample
from changes.warnings import VariableUsage
from environments.scoping import environment_scope

# A payload is bounded (see activity.triggers), and so is what one trigger records of it.
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


def variable_sample_record(*, workflow_identifier: str, payload: dict) -> None:
    """Remember the paths of one trigger's payload, forgetting those beyond the last
    SAMPLES_PER_WORKFLOW of this workflow. Runs in the trigger's environment scope."""
    TriggerVariableSample.objects.create(
        workflow_identifier=workflow_identifier, paths=payload_paths(payload)
    )
    keep = TriggerVariableSample.SAMPLES_PER_WORKFLOW
    older = (
        TriggerVariableSample.objects.filter(workflow_identifier=workflow_identifier)
        .order_by("-id")
        .values_list("id", flat=True)[keep : keep * 2]
    )
    stale = list(older)
    if stale:
        TriggerVariableSample.objects.filter(id__in=stale).delete()


def _normalized(variable: str) -> str:
    """``payload.items[3].sku`` is carried when the first item has a ``sku``."""
    return _LIST_INDEX.sub("[0]", variable)


class SampledTriggerVariables:
    """``changes.warnings.TriggerVariableUsage`` from the recorded samples."""

    def sampled_workflows(self, *, environment) -> set[str]:
        with environment_scope(environment):
            return set(
                TriggerVariableSample.objects.values_list(
                    "workflow_identifier", flat=True
                ).distinct()
            )

    def usage(
        self, *, environment, workflow_identifier: str, variables: list[str]
    ) -> dict[str, VariableUsage]:
        with environment_scope(environment):
            samples = [
                set(paths)
                for paths in TriggerVariableSample.objects.filter(
                    workflow_identifier=workflow_identifier
                )
                .order_by("-id")
                .values_list("paths", flat=True)[: TriggerVariableSample.SAMPLES_PER_WORKFLOW]
            ]
        if not samples:
            return {}
        return {
            variable: VariableUsage(
                carried=sum(_normalized(variable) in paths for paths in samples),
                sampled=len(samples),
            )
            for variable in variables
            # Only the payload comes with a trigger; subscriber variables come from the profile.
            if variable.startswith("payload")
        }
