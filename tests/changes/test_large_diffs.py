"""Huge content cannot pin a worker: the Changes page, the discard page and a promotion's
History page answer with a bounded diff, coarse when a precise one would cost too much."""

import difflib
from bisect import bisect_left

import pytest
from django.template.defaultfilters import filesizeformat

from changes.documents import content_hashes_refresh
from changes.services import changes_promote_all
from tests.changes.conftest import opened_page
from workflows.models import Step, Workflow

LINES = 20_000
HUGE_BODY = "x\n" * LINES
# What all the diffs of one page may take (changes.comparisons.MAX_PAGE_DIFF_STEPS), counted
# in matcher steps: about half a second. Unbounded, these pages took minutes.
PAGE_STEPS = 5_000_000


@pytest.fixture(autouse=True)
def matcher_steps(monkeypatch):
    """The steps difflib's searches take, counted before each runs; past a page's bound, the
    test fails at once instead of waiting for a search of billions of steps."""
    spent = []
    search = difflib.SequenceMatcher.find_longest_match

    def counting(self, alo=0, ahi=None, blo=0, bhi=None):
        ahi = len(self.a) if ahi is None else ahi
        bhi = len(self.b) if bhi is None else bhi
        # One step per old element, and one per occurrence of it in the new side before bhi.
        spent.append(sum(1 + bisect_left(self.b2j.get(item, ()), bhi) for item in self.a[alo:ahi]))
        assert sum(spent) <= PAGE_STEPS, f"the diffs took over {PAGE_STEPS:,} matcher steps"
        return search(self, alo, ahi, blo, bhi)

    monkeypatch.setattr(difflib.SequenceMatcher, "find_longest_match", counting)
    return spent


def _set_body(step, body):
    Step.unscoped_across_environments.filter(pk=step.pk).update(body=body)
    content_hashes_refresh(
        queryset=Workflow.unscoped_across_environments.filter(pk=step.workflow_id)
    )


def _receipt_text_step(content):
    return Step.unscoped_across_environments.get(workflow=content.receipt)


def _edited(*, changed: dict[int, str]) -> str:
    lines = HUGE_BODY.splitlines()
    for index, text in changed.items():
        lines[index] = text
    return "\n".join(lines) + "\n"


def _promoted_huge_body(tenant, content):
    """The SMS step's body is 20,000 equal lines, in Development and in Production."""
    step = _receipt_text_step(content)
    _set_body(step, HUGE_BODY)
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    return step


# Changed at both ends and in the middle: no common head or tail to set aside, and every line
# matches 20,000 others, so a precise diff would take billions of matcher steps.
EVERYWHERE = _edited(changed={0: "first", LINES // 2: "middle", LINES - 1: "last"})
COARSE_SIZES = (
    f"Changed: 20,000 lines, {filesizeformat(len(HUGE_BODY))} → "
    f"20,000 lines, {filesizeformat(len(EVERYWHERE))}. Too long to compare line by line here."
)


def _assert_coarse_with_both_values(html):
    assert 'data-testid="diff-coarse"' in html
    assert COARSE_SIZES in html
    assert "<summary>View both in full</summary>" in html
    # Both values in full: the old one is 20,000 "x" lines; the new one has its three edits.
    assert f'<pre class="diff-block">{HUGE_BODY}</pre>' in html
    assert f'<pre class="diff-block">{EVERYWHERE}</pre>' in html
    assert "diff-sxs" not in html


def test_the_changes_page_shows_a_huge_body_changed_in_the_middle_line_by_line(
    tenant, content, other_content, login, matcher_steps
):
    step = _promoted_huge_body(tenant, content)
    _set_body(step, _edited(changed={LINES // 2: "y"}))

    html = opened_page(login(tenant.editor.user), tenant.url(tenant.development, "changes/"))

    assert html.count('data-testid="change-row"') == 1  # the other organization's stay there
    assert 'data-testid="diff-coarse"' not in html
    # The common head and tail fold away; the changed line is compared word by word.
    assert "9998 unchanged lines" in html and "9997 unchanged lines" in html
    assert '<del class="diff-word">x</del>' in html and '<ins class="diff-word">y</ins>' in html
    assert sum(matcher_steps) <= 10  # only the changed line, and its words, were searched


def test_the_changes_page_falls_back_to_sizes_and_both_values(tenant, content, login):
    step = _promoted_huge_body(tenant, content)
    _set_body(step, EVERYWHERE)

    html = opened_page(login(tenant.editor.user), tenant.url(tenant.development, "changes/"))

    assert "body, 1 step" in html
    _assert_coarse_with_both_values(html)


def test_the_discard_page_falls_back_to_sizes_and_both_values(tenant, content, login):
    step = _promoted_huge_body(tenant, content)
    _set_body(step, EVERYWHERE)

    response = login(tenant.editor.user).get(
        tenant.url(
            tenant.development, f"changes/discard/?change=workflow:{content.receipt.origin_id}"
        )
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Discard this change?" in html
    _assert_coarse_with_both_values(html)


def test_the_promotion_history_pages_fall_back_to_sizes_and_both_values(tenant, content, login):
    step = _promoted_huge_body(tenant, content)
    _set_body(step, EVERYWHERE)
    promotion = changes_promote_all(source=tenant.development, actor=tenant.admin.user).promotion

    client = login(tenant.editor.user)

    for page in ("", "revert/"):  # the record, and the confirmation to revert it
        response = client.get(
            tenant.url(tenant.development, f"changes/history/{promotion.pk}/{page}")
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="promotion-item"' in html
        _assert_coarse_with_both_values(html)


def test_a_single_long_line_changed_in_the_middle_has_its_words_highlighted(
    tenant, content, login, matcher_steps
):
    words = ["word"] * 10_000
    step = _receipt_text_step(content)
    _set_body(step, " ".join(words))
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    words[5_000] = "changed"
    _set_body(step, " ".join(words))

    html = opened_page(login(tenant.editor.user), tenant.url(tenant.development, "changes/"))

    assert '<del class="diff-word">word</del>' in html
    assert '<ins class="diff-word">changed</ins>' in html
    assert 'data-testid="diff-words-skipped"' not in html
    assert sum(matcher_steps) <= 10


def test_a_single_long_line_changed_throughout_is_shown_without_word_highlights(
    tenant, content, login
):
    step = _receipt_text_step(content)
    old_line = "x " * 20_000
    _set_body(step, old_line)
    changes_promote_all(source=tenant.development, actor=tenant.admin.user)
    new_line = "y" + old_line[1:-1] + "z"
    _set_body(step, new_line)

    html = opened_page(login(tenant.editor.user), tenant.url(tenant.development, "changes/"))

    assert "Changed words are not highlighted in 1 line: too long to compare word by word." in html
    assert 'class="diff-word"' not in html
    # Still a line-level diff, with the two lines whole.
    assert f'<td class="diff-sxs__old">{old_line}</td>' in html
    assert f'<td class="diff-sxs__new">{new_line}</td>' in html
