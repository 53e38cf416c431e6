"""The variables of templates are remembered between requests only for short templates, so the
cache of a worker stays small whatever the content."""

import uuid

from changes import warnings
from changes.warnings import workflow_variables


def test_only_short_templates_are_remembered(monkeypatch):
    parsed = []

    def parse(source):
        parsed.append(source)
        return ["payload.name"]

    monkeypatch.setattr(warnings, "template_variables", parse)
    short = f"{{{{ payload.name }}}} {uuid.uuid4()}"  # new to the cache of this process
    long = "{{ payload.name }}" + "x" * 49_982  # a step body as long as the form accepts

    for _request in range(2):
        assert workflow_variables({"steps": [{"body": short}, {"body": long}]}) == {"payload.name"}

    assert parsed == [short, long, long]
