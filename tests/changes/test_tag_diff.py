"""Tag lists are compared in linear work, however many tags a document carries."""

from changes.comparisons import ListComparison


class CountingTag(str):
    """A tag that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other):
        CountingTag.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_tag_lists_are_compared_in_linear_work():
    old = [CountingTag(f"tag-{number}") for number in range(2_000)]
    new = [CountingTag(f"tag-{number}") for number in range(1, 2_001)]
    CountingTag.comparisons = 0

    html = ListComparison("Tags", old, new).htmldiff()

    assert CountingTag.comparisons <= len(old) + len(new)
    assert html == (
        '<ins class="diff-new">+ tag-2000</ins> <del class="diff-old">\u2212 tag-0</del>'
    )
