"""What one render may cost: loop iterations (every loop of the template counted together) and
time. A template that goes over is stopped with a message, and has done no more than its share
of work by then."""

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
