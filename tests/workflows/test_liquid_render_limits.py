"""What one render may cost: loop iterations (every loop of the template counted together), the
size of the values it builds and keeps, ranges, and time. A template that goes over is stopped
with a message, and has done no more than its share of work, or built no larger value, by then."""

import re
import tracemalloc
from collections.abc import Sequence
from itertools import count

import pytest

from workflows import liquid
from workflows.liquid import RenderLimitExceeded, RenderLimits, template_render


class Probe:
    """Payload data that counts how often a template reads it."""

    def __init__(self):
        self.reads = 0

    def __getitem__(self, key):
        self.reads += 1
        return "x"


class CountingSequence(Sequence):
    """A long payload list that counts the items a loop takes from it."""

    def __init__(self, length):
        self.length = length
        self.taken = 0

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        if isinstance(index, slice):
            raise NotImplementedError
        if not 0 <= index < self.length:
            raise IndexError(index)
        self.taken += 1
        return index


class TestLoopIterations:
    def test_loops_one_after_another_count_together(self):
        # Each loop alone stays under the limit; five of them did not, and pinned a worker.
        source = '{% for i in (1..9999) %}{% assign b = a | replace: "x", "yy" %}{% endfor %}' * 5
        with pytest.raises(RenderLimitExceeded) as raised:
            template_render(source, {"a": "x" * 100})
        assert str(raised.value).startswith("Line 1: Loops would run more than 10,000 times in all")

    def test_the_loop_body_runs_no_more_often_than_the_limit(self):
        probe = Probe()
        source = "{% for i in (1..40) %}{{ payload.probe.read }}{% endfor %}\n" * 3
        with pytest.raises(RenderLimitExceeded):
            template_render(
                source, {"payload": {"probe": probe}}, limits=RenderLimits(loop_iterations=100)
            )
        assert probe.reads == 100

    def test_nested_loops_and_tablerow_count_together(self):
        probe = Probe()
        source = (
            "{% tablerow i in (1..60) %}{{ payload.probe.read }}{% endtablerow %}"
            "{% for a in (1..5) %}{% for b in (1..10) %}{{ payload.probe.read }}"
            "{% endfor %}{% endfor %}"
        )
        with pytest.raises(RenderLimitExceeded, match="Loops would run more than 100 times"):
            template_render(
                source, {"payload": {"probe": probe}}, limits=RenderLimits(loop_iterations=100)
            )
        # 60 cells; then 4 outer items and 36 inner ones take the 40 iterations left
        assert probe.reads == 60 + 36

    def test_a_template_within_the_limit_renders(self):
        source = "{% for i in (1..50) %}.{% endfor %}" * 2
        rendered = template_render(source, {}, limits=RenderLimits(loop_iterations=100))
        assert rendered == "." * 100

    @pytest.mark.parametrize(
        "loop",
        [
            "{% for x in payload.items reversed %}{% endfor %}",  # reversing copies it first
            "{% for x in payload.items offset: 500000 limit: 2 %}{% endfor %}",  # skipping
        ],
    )
    def test_items_are_counted_as_the_loop_takes_them_not_only_when_the_body_runs(self, loop):
        items = CountingSequence(1_000_000)
        with pytest.raises(RenderLimitExceeded, match="Loops would run more than 1,000 times"):
            template_render(
                loop, {"payload": {"items": items}}, limits=RenderLimits(loop_iterations=1_000)
            )
        assert items.taken <= 1_001


SMALL = RenderLimits(text_characters=1_000, list_items=100, number_digits=50)


class TestValueSizes:
    def test_a_join_that_would_take_gigabytes_is_refused_before_it_is_built(self):
        # With 50,000 characters this join grew a worker to 2.4 GB; 2,000 show the same growth.
        source = '{{ payload.a | split: "" | join: payload.a | size }}'
        tracemalloc.start()
        try:
            with pytest.raises(RenderLimitExceeded) as raised:
                template_render(source, {"payload": {"a": "x" * 2_000}})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert str(raised.value).startswith(
            "Line 1: “join” would build up to 4,000,000 characters of text; the limit is 1,000,000"
        )
        assert peak < 1_000_000  # the 4,000,000 characters were never allocated

    @pytest.mark.parametrize(
        ("expression", "message"),
        [
            ("a | append: a", "“append” would build up to 1,200 characters"),
            ("a | prepend: a", "“prepend” would build up to 1,200 characters"),
            ("'xxxx' | replace: 'x', a", "“replace” would build up to 2,400 characters"),
            ("a | replace_first: 'x', a", "“replace_first” would build up to 1,200 characters"),
            ("a | replace_last: 'x', a", "“replace_last” would build up to 1,200 characters"),
            ("a | slice: 0, 50 | split: '' | join: a", "“join” would build up to 29,450 char"),
            ("a | split: ''", "“split” would build a list of up to 600 items"),
            ("items | concat: items", "“concat” would build a list of up to 120 items"),
            ("many | sort", "“sort” takes at most 100 items; it was given 150"),
            ("a | upcase", "“upcase” would build up to 1,800 characters"),
            ("'<<<<<<<<' | append: a | escape", "“escape” would build up to 1,232 characters"),
            ("a | newline_to_br | newline_to_br", "“newline_to_br” would build up to 1,300 char"),
            ("'é' | append: a | url_encode", "“url_encode” would build up to 7,212 char"),
            ("a | truncate: 5, a", "“truncate” would build up to 1,200 characters"),
            ("'now' | date: '%c%c%c%c'", "“date” would build up to 2,048 characters"),
            ("n | times: n", "“times” would make a number of up to 62 digits"),
        ],
    )
    def test_each_filter_that_grows_a_value_refuses_before_building_it(self, expression, message):
        scope = {"a": "x" * 600, "items": list(range(60)), "many": list(range(150)), "n": 10**30}
        if "escape" in expression:
            scope["a"] = "<" * 300
        if "newline_to_br" in expression:
            scope["a"] = "\n" * 100
        with pytest.raises(RenderLimitExceeded) as raised:
            template_render("{{ " + expression + " }}", scope, limits=SMALL)
        assert message in str(raised.value)

    def test_a_filter_refuses_a_list_argument_too_long_to_write_out(self):
        with pytest.raises(RenderLimitExceeded, match="“append” would build up to"):
            template_render("{{ 'x' | append: items }}", {"items": ["y" * 50] * 99}, limits=SMALL)

    def test_numbers_that_square_themselves_stop_at_the_digit_limit(self):
        source = "{% assign n = 9 %}{% for i in (1..40) %}{% assign n = n | times: n %}{% endfor %}"
        with pytest.raises(RenderLimitExceeded) as raised:
            template_render(source, {})
        assert "“times” would make a number of up to 1,956 digits; the limit is 1,000" in str(
            raised.value
        )

    @pytest.mark.parametrize(
        ("source", "message"),
        [
            (
                "{% capture c %}{{ a }}{{ a }}{% endcapture %}",
                "The variable “c” would hold 1,200 characters of text; the limit is 1,000",
            ),
            (
                "{% assign list = items %}",
                "The variable “list” would hold a list of 150 items; the limit is 100",
            ),
        ],
    )
    def test_assign_and_capture_keep_no_value_over_the_limits(self, source, message):
        with pytest.raises(RenderLimitExceeded, match=message):
            template_render(source, {"a": "x" * 600, "items": list(range(150))}, limits=SMALL)

    @pytest.mark.parametrize(
        ("source", "scope", "message"),
        [
            (
                "{{ items | uniq }}",
                {"items": list(range(2_001))},
                "“uniq” takes at most 2,000 items (it compares each with every other); "
                "it was given 2,001",
            ),
            (
                "{{ a | strip_html }}",
                {"a": "<" * 100_001},
                "“strip_html” takes at most 100,000 characters; it was given 100,001",
            ),
            (
                "{{ a | date: '%Y' }}",
                {"a": "1" * 1_001},
                "“date” reads at most 1,000 characters as a date; it was given 1,001",
            ),
            (
                "{% assign found = items | has: 'a' %}",
                {"items": [{}] * 100_001},
                "“has” takes at most 100,000 items; it was given 100,001",
            ),
        ],
    )
    def test_filters_slower_than_their_input_take_a_bounded_input(self, source, scope, message):
        with pytest.raises(RenderLimitExceeded, match=re.escape(message)):
            template_render(source, scope)

    def test_an_ordinary_large_email_renders_within_the_limits(self):
        rows = [{"sku": f"SKU-{i}", "name": f"Item <{i}> & more", "qty": i} for i in range(500)]
        source = (
            "{% capture table %}{% for row in payload.rows %}<tr><td>{{ row.sku | escape }}</td>"
            "<td>{{ row.name | escape | upcase }}</td><td>{{ row.qty | times: 1042 }}</td></tr>"
            "{% endfor %}{% endcapture %}{{ table | replace: '<tr>', '<tr class=row>' }}"
            "{{ payload.rows | map: 'sku' | sort | uniq | join: ', ' | truncate: 200 }}"
        )
        rendered = template_render(source, {"payload": {"rows": rows}})
        assert rendered.count("<tr class=row>") == 500
        assert rendered.endswith("...")


class TestRanges:
    @pytest.mark.parametrize(
        ("source", "scope", "message"),
        [
            (  # `contains` went through every number: 99,999,999 took 9 s in one statement
                "{% if (1..1000) contains 'x' %}yes{% endif %}",
                {},
                "Line 1: The range (1..1000) would hold 1,000 numbers; the limit is 100",
            ),
            (
                "\n{% assign numbers = (1..payload.n) %}",
                {"payload": {"n": 10**30}},
                "Line 2: The range (1..payload.n) would hold "
                "1,000,000,000,000,000,000,000,000,000,000 numbers; the limit is 100",
            ),
            (
                "{{ (0..10000) | reverse | first }}",
                {},
                "Line 1: The range (0..10000) would hold 10,001 numbers; the limit is 100",
            ),
        ],
    )
    def test_a_range_longer_than_a_list_may_be_is_refused_when_it_is_made(
        self, source, scope, message
    ):
        with pytest.raises(RenderLimitExceeded) as raised:
            template_render(source, scope, limits=SMALL)
        assert str(raised.value).startswith(message)

    def test_ranges_within_the_limit_work_as_before(self):
        source = (
            "{% for i in (1..3) %}{{ i }}{% endfor %} {{ (1..100) | size }} {{ (1..9) | join }}"
        )
        assert template_render(source, {}, limits=SMALL) == "123 100 1 2 3 4 5 6 7 8 9"


class TestTime:
    @pytest.fixture
    def clock(self, monkeypatch):
        """A clock that moves one second every time the render looks at it."""
        readings = []
        ticks = count()

        def read():
            readings.append(next(ticks))
            return readings[-1]

        monkeypatch.setattr(liquid, "_clock", read)
        return readings

    def test_a_loop_stops_when_the_time_is_up(self, clock):
        probe = Probe()
        source = "{% for i in (1..1000) %}{{ payload.probe.read }}{% endfor %}"
        with pytest.raises(RenderLimitExceeded) as raised:
            template_render(source, {"payload": {"probe": probe}}, limits=RenderLimits(seconds=5))
        assert "The template takes too long to render (more than 5 seconds)" in str(raised.value)
        assert probe.reads < 5

    def test_filters_and_output_without_loops_stop_too(self, clock):
        source = "\n".join(["{{ payload.name | upcase }}"] * 20)
        with pytest.raises(RenderLimitExceeded) as raised:
            template_render(source, {"payload": {"name": "a"}}, limits=RenderLimits(seconds=3))
        assert "The template takes too long to render (more than 3 seconds)" in str(raised.value)
        assert len(clock) == 1 + 3  # the start, then a look at each filter call and write


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "{% for i in (1..3000) %}{{ payload.text }}{% endfor %}",
            "Line 1: The rendered text would be longer than 2,000,000 bytes",
        ),
        (
            "{% for i in (1..3000) %}{% capture c %}{{ c }}{{ payload.text }}{% endcapture %}"
            "{% endfor %}",
            "Line 1: Variables set with assign and capture would hold more than 1,000,000 bytes",
        ),
    ],
)
def test_the_engines_limits_are_worded_for_operators(source, message):
    with pytest.raises(RenderLimitExceeded) as raised:
        template_render(source, {"payload": {"text": "x" * 1_000}})
    assert str(raised.value).startswith(message)
