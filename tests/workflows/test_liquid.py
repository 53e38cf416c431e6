"""Liquid in step templates: validation with line numbers, the engine's variable analysis,
and rendering that is safe for operator-written templates and backend-sent data."""

import pytest

from workflows.liquid import (
    RenderLimitExceeded,
    TemplateRenderError,
    template_problem,
    template_render,
    template_sample_paths,
    template_variables,
)


class TestValidation:
    def test_a_valid_template_has_no_problem(self):
        assert template_problem("Hi {{ subscriber.firstName | capitalize }}!") is None
        assert template_problem("") is None

    def test_an_unclosed_output_reports_its_line_and_the_engine_message(self):
        problem = template_problem("Hello\n\n{{ payload.name ")
        assert problem.line == 3
        assert problem.message == "expected '}}', found end of file"
        assert str(problem).startswith("Line 3: expected '}}'")

    def test_an_unknown_tag_names_the_tag_and_quotes_the_line(self):
        problem = template_problem("<p>Hi</p>\n{% iff payload.vip %}VIP{% endif %}")
        assert problem.line == 2
        assert "unexpected tag 'iff'" in problem.message
        assert "{% iff payload.vip %}" in str(problem)

    def test_an_unclosed_block_points_at_its_opening_tag(self):
        problem = template_problem(
            "{% for item in payload.items %}{{ item }}{% endfor %}\n"
            "<p>{% if payload.vip %}VIP</p>\n<p>Bye</p>"
        )
        assert problem.line == 2
        assert problem.message == "{% if %} is never closed with {% endif %}"

    def test_an_unknown_filter_is_caught_on_validation_not_on_first_send(self):
        problem = template_problem("first line\n{{ payload.total | money }}")
        assert problem.line == 2
        assert problem.message == "unknown filter 'money'"

    @pytest.mark.parametrize("tag", ["include", "render"])
    def test_templates_cannot_load_other_templates(self, tag):
        problem = template_problem(f"{{% {tag} 'secrets' %}}")
        assert problem is not None
        assert f"unexpected tag '{tag}'" in problem.message

    def test_a_range_no_render_could_make_is_refused_on_save(self):
        problem = template_problem("<p>Hi</p>\n{% for i in (1..999999999) %}{{ i }}{% endfor %}")
        assert str(problem) == (
            "Line 2: the range (1..999999999) has 999,999,999 numbers; at most 100,000 are "
            "allowed (at “{% for i in (1..999999999) %}{{ i }}{% endfor %}”)"
        )

    def test_a_long_quoted_text_is_refused_on_save(self):
        problem = template_problem("a\nb\n{{ 'x' | append: '" + "y" * 10_001 + "' }}")
        assert problem.line == 3
        assert problem.message == (
            "a quoted text of 10,001 characters is longer than the 10,000 allowed; "
            "write long text outside {{ }} and {% %}"
        )

    def test_a_problem_on_a_long_line_quotes_only_the_part_around_it(self):
        # Email HTML often sits on one line: the message quotes where the problem is, not all.
        padding = "<td>cell</td>" * 5_000
        problem = template_problem(f"<table>{padding}{{{{ payload.total | money }}}}{padding}")
        assert problem.message == "unknown filter 'money'"
        assert len(str(problem)) < 200
        assert "{{ payload.total | money }}" in str(problem)
        assert "(at “…" in str(problem) and str(problem).endswith("…”)")

    def test_literals_within_the_limits_are_fine(self):
        source = "{% for i in (1..100000) limit: 3 %}{{ '" + "y" * 10_000 + "' }}{% endfor %}"
        assert template_problem(source) is None
        assert template_problem("{% for i in (1..payload.count) %}{% endfor %}") is None


class TestVariables:
    def test_nested_paths_are_listed_in_full(self):
        assert template_variables("#{{ payload.order.id }} for {{ subscriber.firstName }}") == [
            "payload.order.id",
            "subscriber.firstName",
        ]

    def test_variables_inside_filters_and_filter_arguments(self):
        source = "{{ payload.title | truncate: payload.limits.title | upcase }}"
        assert template_variables(source) == ["payload.limits.title", "payload.title"]

    def test_variables_inside_tags(self):
        source = (
            "{% if payload.order.total > 100 %}Big{% endif %}"
            "{% for item in payload.order.items %}{{ item.sku }}{% endfor %}"
            "{% assign greeting = subscriber.locale | default: 'en' %}{{ greeting }}"
        )
        assert template_variables(source) == [
            "payload.order.items",
            "payload.order.total",
            "subscriber.locale",
        ]

    def test_indexes_and_quoted_keys(self):
        assert template_variables("{{ payload.items[0].name }}{{ payload['first name'] }}") == [
            "payload.items[0].name",
            "payload['first name']",
        ]

    def test_duplicates_are_listed_once(self):
        assert template_variables("{{ step.name }} {{ step.name }}") == ["step.name"]

    def test_loop_items_give_sample_paths(self):
        source = "{% for item in payload.items %}{{ item.sku }} x {{ item.qty }}{% endfor %}"
        assert template_sample_paths(source) == [
            "payload.items",
            "payload.items[0].qty",
            "payload.items[0].sku",
        ]


class TestRendering:
    def test_html_templates_escape_variable_output(self):
        rendered = template_render(
            "<p>{{ payload.name }}</p>", {"payload": {"name": "<script>x()</script>"}}, html=True
        )
        assert rendered == "<p>&lt;script&gt;x()&lt;/script&gt;</p>"

    def test_text_templates_keep_text_as_is(self):
        assert template_render("{{ payload.name }}", {"payload": {"name": "A & B"}}) == "A & B"

    def test_a_render_error_on_a_long_line_quotes_only_the_part_around_it(self):
        padding = "<td>cell</td>" * 5_000
        with pytest.raises(TemplateRenderError) as raised:
            template_render(f"{padding}{{{{ payload.n | modulo: 0 }}}}{padding}", {"payload": {}})
        message = str(raised.value)
        assert message.startswith("Line 1: modulo: can't divide by 0 (at “…")
        assert "{{ payload.n | modulo: 0 }}" in message
        assert len(message) < 200

    def test_missing_variables_render_empty(self):
        assert template_render("Hi {{ subscriber.firstName }}!", {"subscriber": {}}) == "Hi !"

    def test_runaway_loops_stop(self):
        source = "{% for i in (1..100000) %}x{% endfor %}"
        with pytest.raises(RenderLimitExceeded):
            template_render(source, {})


def test_a_filter_failing_on_the_data_is_a_render_error_not_a_crash():
    from workflows.liquid import TemplateRenderError, template_render

    for source, payload in [
        ("{{ payload.n | modulo: 0 }}", {"n": 1.5}),
        ("{{ payload.items | sum }}", {"items": [1, "a", [2]]}),
    ]:
        with pytest.raises(TemplateRenderError, match="A filter cannot work on this data"):
            template_render(source, {"payload": payload})
