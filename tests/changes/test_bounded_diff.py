"""Every diff has a bounded cost: the matcher pays for each search before it runs, a field and
a page each have a budget, and past a budget the diff is coarse instead of slow."""

import difflib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changes import comparisons
from changes.bounded_diff import DiffBudget, DiffTooCostly, bounded_opcodes
from changes.comparisons import MAX_DIFF_CHARS, DocumentComparison, LongTextComparison


@pytest.fixture
def searches(monkeypatch):
    """How many times difflib's own search actually ran."""
    calls = []
    search = difflib.SequenceMatcher.find_longest_match

    def counting(self, *args, **kwargs):
        calls.append(args)
        return search(self, *args, **kwargs)

    monkeypatch.setattr(difflib.SequenceMatcher, "find_longest_match", counting)
    return calls


def test_a_budget_spends_its_parents_too_and_refuses_without_spending():
    page = DiffBudget(100)
    field = DiffBudget(60, parent=page)
    field.charge(50)
    assert (field.spent, page.spent, field.remaining, page.remaining) == (50, 50, 10, 50)
    with pytest.raises(DiffTooCostly):
        field.charge(11)
    assert (field.spent, page.spent) == (50, 50)
    other_field = DiffBudget(60, parent=page)
    assert other_field.remaining == 50  # what the page has left, not the field's own 60
    with pytest.raises(DiffTooCostly):
        other_field.charge(51)


def test_a_change_in_the_middle_of_20000_equal_lines_costs_one_step(searches):
    old = ["x"] * 20_000
    new = [*old[:10_000], "y", *old[10_001:]]
    budget = DiffBudget(1_000_000)

    opcodes = bounded_opcodes(old, new, budget=budget)

    assert opcodes == [
        ("equal", 0, 10_000, 0, 10_000),
        ("replace", 10_000, 10_001, 10_000, 10_001),
        ("equal", 10_001, 20_000, 10_001, 20_000),
    ]
    assert budget.spent == 1
    assert searches == [(0, 1, 0, 1)]  # only the one changed line was searched


def test_20000_equal_lines_changed_at_both_ends_are_refused_before_any_search(searches):
    old = ["x"] * 20_000
    new = ["first", *old[1:-1], "last"]
    budget = DiffBudget(1_000_000)

    with pytest.raises(DiffTooCostly):
        bounded_opcodes(old, new, budget=budget)

    # The first search alone would take 400 million steps: it is never started.
    assert searches == []
    assert budget.spent == 0


def test_input_that_takes_cubic_time_is_stopped_at_the_budget(searches):
    # Every "x" of the new side matches every old line, and each search finds a one-line match
    # at the start of its range: one search per line, each over the whole rest.
    old = ["x"] * 200
    new = ["x", "y"] * 100
    ample = DiffBudget(10**9)
    bounded_opcodes(old, new, budget=ample)
    unbounded_searches = len(searches)
    searches.clear()
    budget = DiffBudget(100_000)

    with pytest.raises(DiffTooCostly):
        bounded_opcodes(old, new, budget=budget)

    assert ample.spent > 10 * budget.limit  # what the whole diff would have taken
    assert budget.spent <= budget.limit
    assert 0 < len(searches) < unbounded_searches


@given(
    old=st.lists(st.sampled_from("abcd"), max_size=30),
    new=st.lists(st.sampled_from("abcd"), max_size=30),
)
def test_opcodes_turn_the_old_sequence_into_the_new_one(old, new):
    opcodes = bounded_opcodes(old, new, budget=DiffBudget(10**6))

    rebuilt, next_old, next_new = [], 0, 0
    for tag, i1, i2, j1, j2 in opcodes:
        assert (i1, j1) == (next_old, next_new)  # contiguous, in order
        if tag == "equal":
            assert old[i1:i2] == new[j1:j2]
        assert tag != "insert" or i1 == i2
        assert tag != "delete" or j1 == j2
        assert tag != "replace" or (i1 < i2 and j1 < j2)
        rebuilt.extend(new[j1:j2])
        next_old, next_new = i2, j2
    assert (next_old, next_new) == (len(old), len(new))
    assert rebuilt == new


def test_a_side_over_the_size_cap_is_not_compared_at_all(monkeypatch):
    calls = []
    monkeypatch.setattr(
        comparisons, "bounded_opcodes", lambda *args, **kwargs: calls.append(args) or []
    )
    old = "a\n" * (MAX_DIFF_CHARS // 2)
    new = old + "b\n"

    html = LongTextComparison("Body", old, new).htmldiff()

    assert calls == []
    assert 'data-testid="diff-coarse"' in html
    assert "Changed: 50,000 lines, 97.7\xa0KB → 50,001 lines, 97.7\xa0KB." in html
    assert html.count('<pre class="diff-block">') == 2


def test_a_line_whose_words_cost_too_much_is_shown_whole():
    old_line = "x " * 1_000
    new_line = "y" + old_line[1:-1] + "z"

    html = LongTextComparison("Body", f"{old_line}\nsame", f"{new_line}\nsame").htmldiff()

    assert 'class="diff-word"' not in html
    assert "Changed words are not highlighted in 1 line" in html
    assert f'<td class="diff-sxs__old">{old_line}</td>' in html
    # A short line changed the same way is highlighted.
    short = LongTextComparison("Body", "x x x\nsame", "y x z\nsame").htmldiff()
    assert '<del class="diff-word">x</del>' in short and '<ins class="diff-word">z</ins>' in short


def _step(number, body):
    return {"origin_id": f"step-{number}", "name": f"Step {number}", "channel": "sms", "body": body}


def _workflow(steps):
    return {"name": "Receipt", "identifier": "receipt", "steps": steps}


def test_the_diffs_of_a_page_share_one_budget():
    # Each body is 100 distinct lines changed at both ends: a few hundred steps to compare.
    old_body = "\n".join(f"line {number}" for number in range(100))
    new_body = "\n".join(["start", *old_body.splitlines()[1:-1], "end"])
    old = _workflow([_step(number, old_body) for number in range(10)])
    new = _workflow([_step(number, new_body) for number in range(10)])
    page = DiffBudget(1_000)

    comparison = DocumentComparison(type_key="workflow", old=old, new=new, names={}, budget=page)
    diffs = [change.changed_fields[0].htmldiff() for change in comparison.steps.step_changes]

    assert len(diffs) == 10
    coarse = ['data-testid="diff-coarse"' in html for html in diffs]
    assert coarse[0] is False and coarse[-1] is True
    assert coarse == sorted(coarse)  # precise until the page's budget runs out, then coarse
    assert 0 < page.spent <= page.limit
    spent = page.spent
    assert comparison.steps.step_changes[0].changed_fields[0].htmldiff() == diffs[0]
    assert page.spent == spent  # a diff asked for again is not computed again
