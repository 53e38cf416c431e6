"""Rendering fails one way: whatever the template, filters or payload do, ``template_render``
returns text or raises ``TemplateRenderError`` with a message an operator can act on. Within
its limits it renders exactly what the engine alone renders."""

import inspect

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from liquid import Environment

from workflows.liquid import (
    _ESTIMATES,
    RenderLimitExceeded,
    TemplateRenderError,
    _environment,
    template_render,
)

FILTERS = _environment(html=False).filters
ENGINE = {html: Environment(autoescape=html) for html in (False, True)}


def _most_arguments(name: str) -> int:
    parameters = inspect.signature(FILTERS[name]).parameters.values()
    return (
        sum(1 for parameter in parameters if parameter.kind == parameter.POSITIONAL_OR_KEYWORD) - 1
    )


# What a backend can send (JSON), plus the odd Python value a template can make itself.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([0, -1, 10**999, 2**63, 10**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["", "1700000000", "99999999999999", "%", "%s", "%c", "<a>", "&", " ", "\n"]),
    st.sampled_from(["a", "b", "0", "size"]),  # keys of the dictionaries below
)
payload_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "0", "size"]), children, max_size=3)
    ),
    max_leaves=8,
)
# A filter with zero up to its most arguments (too many is a plain, well-reported mistake).
filter_calls = st.sampled_from(sorted(FILTERS)).flatmap(
    lambda name: st.tuples(st.just(name), st.integers(0, _most_arguments(name)))
)


@settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    value=payload_values,
    arguments=st.lists(payload_values, min_size=3, max_size=3),
    calls=st.lists(filter_calls, min_size=1, max_size=3),
    html=st.booleans(),
)
@example(value=["", "a"], arguments=[0, None, None], calls=[("uniq", 1)], html=False)
@example(value=[{"a": 1}], arguments=["b", None, None], calls=[("compact", 1)], html=True)
def test_any_filter_on_any_payload_renders_as_the_engine_does_or_raises_a_render_error(
    value, arguments, calls, html
):
    chain = "".join(
        f" | {name}" + (": " + ", ".join(f"payload.a{i}" for i in range(count)) if count else "")
        for name, count in calls
    )
    source = "{{ payload.v" + chain + " }}"
    scope = {"payload": {"v": value, **{f"a{i}": argument for i, argument in enumerate(arguments)}}}
    try:
        expected = ENGINE[html].from_string(source).render(**scope)
    except Exception:
        expected = None
    try:
        rendered = template_render(source, scope, html=html)
    except RenderLimitExceeded as error:
        assert str(error)
    except TemplateRenderError as error:
        assert str(error)
        assert expected is None, "a render the engine completes fails only on a limit"
    else:
        assert rendered == expected


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("{{ payload.v | uniq: 0 }}", ["", "a"]),  # IndexError inside the filter
        ("{{ payload.v | compact: 0 }}", [{"a": 1}]),  # KeyError inside the filter
        ("{{ payload.v | where: 'a' }}", [1]),  # a TypeError the engine passes on as it is
    ],
)
def test_filters_that_crash_on_the_payload_give_a_line_and_the_filter_name(source, value):
    with pytest.raises(TemplateRenderError) as raised:
        template_render("Hello\n" + source, {"payload": {"v": value}})
    message = str(raised.value)
    assert message.startswith("Line 2: A filter cannot work on this data:")
    filter_name = source.split("|")[1].split(":")[0].strip()
    assert f"“{filter_name}”" in message


def test_wrong_arguments_name_the_filter():
    with pytest.raises(TemplateRenderError) as raised:
        template_render("{{ payload.v | upcase: 1, 2 }}", {"payload": {"v": "x"}})
    assert str(raised.value).startswith(
        "Line 1: wrong arguments for “upcase”: too many positional arguments"
    )


def test_the_engines_own_messages_are_kept():
    with pytest.raises(TemplateRenderError) as raised:
        template_render("{{ payload.v | divided_by: 0 }}", {"payload": {"v": 1}})
    assert str(raised.value).startswith("Line 1: divided_by: can't divide by 0")


def _nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**5000, "The template cannot be rendered with this data"),  # too long to print
        (_nested(100_000), "The data is nested too deeply to render"),
    ],
    ids=["number-too-long-to-print", "nested-too-deeply"],
)
def test_failures_outside_filters_are_render_errors_too(value, message):
    with pytest.raises(TemplateRenderError, match=message):
        template_render("{{ payload.v }}", {"payload": {"v": value}})


def test_every_filter_has_a_size_rule():
    # A filter added to the engine must be estimated (or declared to build nothing) on purpose.
    assert set(FILTERS) == set(_ESTIMATES)
