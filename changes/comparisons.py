"""Field-level diffs: one small class per kind of field, after Wagtail's ``compare.py``.

Each comparison answers ``has_changed()`` and renders ``htmldiff()``: long text side by side,
line by line with the changed words highlighted; short values as old → new; steps as added,
removed, reordered and changed. ``value_html()`` renders one side alone, for the whole document
of a create or a delete. All values are escaped here; the result is safe to put in a template.

Every text diff is bounded (``changes.bounded_diff``): a value too long, or a diff that would
take too many steps, is shown coarsely instead, as both sizes and both values in full.
"""

from __future__ import annotations

import re
from functools import cached_property
from itertools import zip_longest

from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from changes.bounded_diff import DiffBudget, DiffTooCostly, bounded_opcodes
from changes.documents import canonical_json
from changes.registry import REGISTRY, DocumentField, PromotableType, type_of_model

CONTEXT_LINES = 2
# Longer values (per side) are shown coarsely without being compared: twice the longest text a
# form accepts, so only content written around the forms gets here.
MAX_DIFF_CHARS = 100_000
# Matcher steps (see bounded_diff): for one text field, for the changed words of one pair of
# lines, and for all the diffs of one page. A step costs about 0.1 µs, so a field stops after
# about 0.1 s and a page after about 0.5 s, where an unbounded diff took minutes.
MAX_TEXT_DIFF_STEPS = 1_000_000
MAX_WORD_DIFF_STEPS = 100_000
MAX_PAGE_DIFF_STEPS = 5_000_000
EMPTY = mark_safe('<span class="diff-empty">(empty)</span>')
TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def _join(parts) -> SafeString:
    return mark_safe("".join(str(part) for part in parts))


class FieldComparison:
    """Short values: old → new."""

    def __init__(
        self,
        label: str,
        old,
        new,
        *,
        names=None,
        type_key: str | None = None,
        budget: DiffBudget | None = None,
    ):
        self.label = label
        self.old = old
        self.new = new
        self.names = names or {}
        self.type_key = type_key
        # Shared by the fields of one page, so many long diffs together stay bounded too.
        self.budget = budget

    def has_changed(self) -> bool:
        return self.old != self.new

    @property
    def is_long(self) -> bool:
        return False

    def display(self, value) -> SafeString:
        if value in (None, "", [], {}):
            return EMPTY
        return format_html("{}", value)

    def value_html(self, value) -> SafeString:
        return self.display(value)

    def htmldiff(self) -> SafeString:
        return format_html(
            '<span class="diff-inline"><del class="diff-old">{}</del>'
            '<span class="diff-arrow" aria-label="changed to"> → </span>'
            '<ins class="diff-new">{}</ins></span>',
            self.display(self.old),
            self.display(self.new),
        )


class BooleanComparison(FieldComparison):
    def display(self, value):
        return format_html("{}", "yes" if value else "no")


class ChoiceComparison(FieldComparison):
    """A value from a fixed set, shown by its label ("In-app", not "in_app")."""

    def __init__(self, label, old, new, *, choices=None, **kwargs):
        super().__init__(label, old, new, **kwargs)
        self.choices = dict(choices or {})

    def display(self, value):
        if not value:
            return EMPTY
        return format_html("{}", self.choices.get(value, value))


class ReferenceComparison(FieldComparison):
    """A reference by origin_id, shown by the referenced entity's name."""

    def display(self, value):
        if not value:
            return EMPTY
        return format_html("{}", self.names.get((self.type_key, value), "(missing)"))


class ListComparison(FieldComparison):
    def display(self, value):
        if not value:
            return EMPTY
        return format_html_join(" ", '<span class="badge">{}</span>', ((item,) for item in value))

    def htmldiff(self):
        old, new = list(self.old or []), list(self.new or [])
        # Sets of canonical forms: membership in a list would be quadratic in the list's length.
        old_keys = {canonical_json(item) for item in old}
        new_keys = {canonical_json(item) for item in new}
        added = [item for item in new if canonical_json(item) not in old_keys]
        removed = [item for item in old if canonical_json(item) not in new_keys]
        parts = []
        if added:
            parts.append(
                format_html_join(" ", '<ins class="diff-new">+ {}</ins>', ((i,) for i in added))
            )
        if removed:
            parts.append(
                format_html_join(
                    " ", '<del class="diff-old">\u2212 {}</del>', ((i,) for i in removed)
                )
            )
        if not parts:
            return format_html("reordered: {} → {}", self.display(old), self.display(new))
        return _join(" ".join(str(part) for part in parts))


class MappingComparison(FieldComparison):
    def display(self, value):
        if not value:
            return EMPTY
        return format_html_join(
            ", ",
            "{}: {}",
            (
                (key, "on" if item is True else "off" if item is False else item)
                for key, item in sorted(value.items())
            ),
        )

    def htmldiff(self):
        old, new = self.old or {}, self.new or {}
        rows = []
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                rows.append(
                    format_html(
                        "<li>{}: {}</li>",
                        key,
                        FieldComparison(
                            key, _on_off(old.get(key)), _on_off(new.get(key))
                        ).htmldiff(),
                    )
                )
        return format_html('<ul class="diff-list">{}</ul>', _join(rows))


def _on_off(value):
    if value is True:
        return "on"
    if value is False:
        return "off"
    return value


def _word_diff(
    old_line: str, new_line: str, *, budget: DiffBudget
) -> tuple[SafeString, SafeString] | None:
    """The two lines with their changed words marked; None when that costs too many steps."""
    old_tokens, new_tokens = TOKEN.findall(old_line), TOKEN.findall(new_line)
    try:
        opcodes = bounded_opcodes(
            old_tokens, new_tokens, budget=DiffBudget(MAX_WORD_DIFF_STEPS, parent=budget)
        )
    except DiffTooCostly:
        return None
    old_parts, new_parts = [], []
    for tag, i1, i2, j1, j2 in opcodes:
        old_text, new_text = escape("".join(old_tokens[i1:i2])), escape("".join(new_tokens[j1:j2]))
        if tag == "equal":
            old_parts.append(old_text)
            new_parts.append(new_text)
            continue
        if old_text:
            old_parts.append(f'<del class="diff-word">{old_text}</del>')
        if new_text:
            new_parts.append(f'<ins class="diff-word">{new_text}</ins>')
    return mark_safe("".join(old_parts)), mark_safe("".join(new_parts))


def _size(text: str) -> str:
    lines = len(text.splitlines())
    return f"{lines:,} line{'' if lines == 1 else 's'}, {filesizeformat(len(text.encode()))}"


class LongTextComparison(FieldComparison):
    """Templates and HTML: side by side, line by line, changed words highlighted.

    Bounded: a side over ``MAX_DIFF_CHARS``, or lines that take more than their share of
    matcher steps, give the coarse diff (sizes, and both values in full); a pair of lines whose
    words take too many steps is shown without word highlights.
    """

    @property
    def is_long(self):
        return True

    def value_html(self, value):
        if not value:
            return EMPTY
        return format_html('<pre class="diff-block">{}</pre>', value)

    def htmldiff(self):
        return self._html

    @cached_property
    def _html(self) -> SafeString:
        # Cached: the budget is spent once, however often a template asks.
        old_text, new_text = self.old or "", self.new or ""
        if max(len(old_text), len(new_text)) > MAX_DIFF_CHARS:
            return self._coarse(old_text, new_text)
        old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
        budget = DiffBudget(MAX_TEXT_DIFF_STEPS, parent=self.budget)
        try:
            opcodes = bounded_opcodes(old_lines, new_lines, budget=budget)
        except DiffTooCostly:
            return self._coarse(old_text, new_text)
        rows = []
        unhighlighted = 0
        for position, (tag, i1, i2, j1, j2) in enumerate(opcodes):
            if tag == "equal":
                rows.extend(self._unchanged(old_lines, i1, i2, j1, position, len(opcodes)))
                continue
            old_chunk, new_chunk = old_lines[i1:i2], new_lines[j1:j2]
            for offset, (old_line, new_line) in enumerate(zip_longest(old_chunk, new_chunk)):
                old_number = i1 + offset + 1 if old_line is not None else ""
                new_number = j1 + offset + 1 if new_line is not None else ""
                old_html = escape(old_line) if old_line is not None else ""
                new_html = escape(new_line) if new_line is not None else ""
                if old_line is not None and new_line is not None:
                    highlighted = _word_diff(old_line, new_line, budget=budget)
                    if highlighted is None:
                        unhighlighted += 1
                    else:
                        old_html, new_html = highlighted
                rows.append(
                    format_html(
                        '<tr><td class="diff-sxs__number">{}</td>'
                        '<td class="diff-sxs__old{}">{}</td>'
                        '<td class="diff-sxs__number">{}</td>'
                        '<td class="diff-sxs__new{}">{}</td></tr>',
                        old_number,
                        "" if old_line is not None else " diff-sxs__blank",
                        old_html,
                        new_number,
                        "" if new_line is not None else " diff-sxs__blank",
                        new_html,
                    )
                )
        note = ""
        if unhighlighted:
            # Above the table, which scrolls: the operator reads it before the lines.
            note = format_html(
                '<p class="muted small diff-note" data-testid="diff-words-skipped">'
                "Changed words are not highlighted in {} line{}: too long to compare word by "
                "word.</p>",
                f"{unhighlighted:,}",
                "" if unhighlighted == 1 else "s",
            )
        return format_html(
            '{}<div class="diff-sxs-wrap"><table class="diff-sxs">'
            '<colgroup><col class="diff-sxs__number-column"><col>'
            '<col class="diff-sxs__number-column"><col></colgroup>'
            '<thead><tr><th colspan="2" scope="col">Before</th>'
            '<th colspan="2" scope="col">After</th></tr></thead>'
            "<tbody>{}</tbody></table></div>",
            note,
            _join(rows),
        )

    def _coarse(self, old_text: str, new_text: str) -> SafeString:
        """Changed, with both sizes; both values in full behind a disclosure."""
        return format_html(
            '<div class="diff-coarse" data-testid="diff-coarse">'
            "<p>Changed: {} → {}. Too long to compare line by line here.</p>"
            '<details class="diff-coarse__both"><summary>View both in full</summary>'
            '<div class="diff-coarse__sides">'
            '<div><p class="diff-order__heading">Before</p>{}</div>'
            '<div><p class="diff-order__heading">After</p>{}</div>'
            "</div></details></div>",
            _size(old_text),
            _size(new_text),
            self.value_html(old_text),
            self.value_html(new_text),
        )

    def _unchanged(self, lines, start, end, new_start, position, opcode_count):
        """Unchanged lines: a little context around each change, the rest folded."""
        numbers = list(range(start, end))
        keep_head = CONTEXT_LINES if position > 0 else 0
        keep_tail = CONTEXT_LINES if position < opcode_count - 1 else 0
        if len(numbers) > keep_head + keep_tail + 1:
            shown = numbers[:keep_head] + [None] + (numbers[-keep_tail:] if keep_tail else [])
        else:
            shown = numbers
        folded = len(numbers) - len([number for number in shown if number is not None])
        for number in shown:
            if number is None:
                yield format_html(
                    '<tr class="diff-sxs__fold"><td colspan="4">{} unchanged line{}</td></tr>',
                    folded,
                    "" if folded == 1 else "s",
                )
                continue
            new_number = new_start + (number - start) + 1
            yield format_html(
                '<tr><td class="diff-sxs__number">{}</td><td>{}</td>'
                '<td class="diff-sxs__number">{}</td><td>{}</td></tr>',
                number + 1,
                lines[number],
                new_number,
                lines[number],
            )


def text_comparison(label, old, new, **kwargs) -> FieldComparison:
    """Long text side by side; one-liners as old → new."""
    longest = max(len(old or ""), len(new or ""))
    multiline = "\n" in (old or "") or "\n" in (new or "")
    kind = LongTextComparison if multiline or longest > 120 else FieldComparison
    return kind(label, old, new, **kwargs)


# The comparison of each kind of model field, found along the field class's MRO (Wagtail's
# ``register_comparison_class``). Choices, references and JSON are decided before the lookup.
COMPARISON_CLASSES: dict[type[models.Field], type[FieldComparison]] = {
    models.BooleanField: BooleanComparison,
    models.TextField: LongTextComparison,  # adaptive: see text_comparison
    models.Field: FieldComparison,
}


def register_comparison_class(
    field_class: type[models.Field], comparison_class: type[FieldComparison]
) -> None:
    COMPARISON_CLASSES[field_class] = comparison_class


def _comparison_class(model_field: models.Field) -> type[FieldComparison]:
    for klass in type(model_field).__mro__:
        if klass in COMPARISON_CLASSES:
            return COMPARISON_CLASSES[klass]
    return FieldComparison


def field_comparison(document_field: DocumentField, old, new, *, names, budget) -> FieldComparison:
    """The comparison of one field's two values, chosen from the model field."""
    model_field = document_field.model_field
    label = document_field.label
    shared = {"names": names, "budget": budget}
    if document_field.reference is not None:
        return ReferenceComparison(
            label, old, new, type_key=type_of_model(document_field.reference).key, **shared
        )
    if model_field.choices:
        return ChoiceComparison(label, old, new, choices=model_field.flatchoices, **shared)
    if isinstance(model_field, models.JSONField):
        default = model_field.get_default()
        kind = (
            ListComparison
            if isinstance(default, list)
            else MappingComparison
            if isinstance(default, dict)
            else FieldComparison
        )
        return kind(label, old, new, **shared)
    kind = _comparison_class(model_field)
    if kind is LongTextComparison:
        return text_comparison(label, old, new, **shared)
    return kind(label, old, new, **shared)


def _field_comparisons(fields, old: dict, new: dict, names, budget) -> list[FieldComparison]:
    return [
        field_comparison(
            document_field,
            old.get(document_field.name),
            new.get(document_field.name),
            names=names,
            budget=budget,
        )
        for document_field in fields
    ]


class PartChange:
    """One part (a step) added, removed or changed."""

    def __init__(
        self,
        *,
        kind: str,
        old: dict | None,
        new: dict | None,
        position: int,
        fields,
        names,
        budget: DiffBudget | None = None,
    ):
        self.kind = kind  # added, removed, changed
        self.old = old
        self.new = new
        self.position = position
        self.document_fields = fields
        self.fields = _field_comparisons(fields, old or {}, new or {}, names, budget)

    @property
    def name(self):
        return (self.new or self.old).get("name") or f"#{self.position}"

    @property
    def changed_fields(self):
        return [field for field in self.fields if field.has_changed()]

    @property
    def whole(self):
        """Every non-empty field of an added or removed part."""
        document = self.new or self.old
        return [
            (field.label, field.value_html(document.get(document_field.name)), field.is_long)
            for field, document_field in zip(self.fields, self.document_fields, strict=True)
            if document.get(document_field.name) not in (None, "")
        ]


def _part_content(part: dict) -> dict:
    return {key: value for key, value in part.items() if key != "origin_id"}


class PartsComparison(FieldComparison):
    """Parts matched by their own origin_id: added, removed, reordered and changed."""

    def __init__(self, parts, old, new, *, names=None, budget=None):
        super().__init__(parts.label, old or [], new or [], names=names, budget=budget)
        old_by_origin = {part["origin_id"]: part for part in self.old}
        new_by_origin = {part["origin_id"]: part for part in self.new}
        self.step_changes: list[PartChange] = []
        shared = {"names": names, "budget": budget, "fields": parts.fields}
        for position, part in enumerate(self.new, start=1):
            previous = old_by_origin.get(part["origin_id"])
            if previous is None:
                self.step_changes.append(
                    PartChange(kind="added", old=None, new=part, position=position, **shared)
                )
            elif _part_content(previous) != _part_content(part):
                self.step_changes.append(
                    PartChange(kind="changed", old=previous, new=part, position=position, **shared)
                )
        for position, part in enumerate(self.old, start=1):
            if part["origin_id"] not in new_by_origin:
                self.step_changes.append(
                    PartChange(kind="removed", old=part, new=None, position=position, **shared)
                )
        kept_old = [part["origin_id"] for part in self.old if part["origin_id"] in new_by_origin]
        kept_new = [part["origin_id"] for part in self.new if part["origin_id"] in old_by_origin]
        self.reordered = kept_old != kept_new
        self.old_order = [part.get("name") for part in self.old]
        self.new_order = [part.get("name") for part in self.new]

    def has_changed(self):
        return bool(self.step_changes) or self.reordered


def page_diff_budget() -> DiffBudget:
    """The matcher steps that every diff of one page shares (pass it to each comparison)."""
    return DiffBudget(MAX_PAGE_DIFF_STEPS)


class DocumentComparison:
    """The diff of one entity's two documents (either may be None: a create or a delete).

    ``budget`` bounds the work of its text diffs; give the comparisons of one page the same
    ``page_diff_budget()``. Without one, the document gets a page's budget of its own.
    """

    def __init__(
        self,
        *,
        type_key: str,
        old: dict | None,
        new: dict | None,
        names,
        budget: DiffBudget | None = None,
    ):
        self.type_key = type_key
        self.promotable_type = REGISTRY[type_key]
        self.old = old
        self.new = new
        self.names = names
        budget = budget or page_diff_budget()
        self.fields = _field_comparisons(
            self.promotable_type.fields, old or {}, new or {}, names, budget
        )
        parts = self.promotable_type.parts
        self.steps = (
            PartsComparison(
                parts,
                (old or {}).get(parts.key),
                (new or {}).get(parts.key),
                names=names,
                budget=budget,
            )
            if parts is not None
            else None
        )

    @property
    def is_whole_document(self) -> bool:
        return self.old is None or self.new is None

    @property
    def changed_fields(self) -> list[FieldComparison]:
        return [field for field in self.fields if field.has_changed()]

    def whole_document(self) -> list[tuple[str, SafeString, bool]]:
        """(label, value html, is long) of every field of the side that exists."""
        document = self.new if self.new is not None else self.old
        return [
            (field.label, field.value_html(document.get(document_field.name)), field.is_long)
            for field, document_field in zip(self.fields, self.promotable_type.fields, strict=True)
        ]

    @property
    def whole_steps(self) -> list[PartChange]:
        if self.steps is None:
            return []
        return self.steps.step_changes


def _plural(count: int, model) -> str:
    noun = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
    return f"{count} {noun}"


def change_summary(
    promotable_type: PromotableType, *, old: dict | None, new: dict | None, relinks: bool = False
) -> str:
    """One line, e.g. "subject, 2 steps, identifier": the labels of the fields whose values
    differ, compared by equality alone (no diff is built), and what happened to the parts."""
    parts = promotable_type.parts
    if new is None:
        return "removed"
    if old is None:
        if parts is not None:
            return f"new, {_plural(len(new.get(parts.key, [])), parts.model)}"
        return "new"
    labels = [
        document_field.label.lower()
        for document_field in promotable_type.fields
        if old.get(document_field.name) != new.get(document_field.name)
    ]
    if parts is not None:
        old_parts = {part["origin_id"]: part for part in old.get(parts.key, [])}
        new_parts = {part["origin_id"]: part for part in new.get(parts.key, [])}
        part_labels: list[str] = []
        touched = 0
        for origin_id, part in new_parts.items():
            previous = old_parts.get(origin_id)
            if previous is None:
                touched += 1
            elif _part_content(previous) != _part_content(part):
                touched += 1
                for document_field in parts.fields:
                    label = document_field.label.lower()
                    differs = previous.get(document_field.name) != part.get(document_field.name)
                    if differs and label not in part_labels:
                        part_labels.append(label)
        touched += sum(1 for origin_id in old_parts if origin_id not in new_parts)
        kept_old = [origin_id for origin_id in old_parts if origin_id in new_parts]
        kept_new = [origin_id for origin_id in new_parts if origin_id in old_parts]
        labels = part_labels + labels
        if touched:
            labels.append(_plural(touched, parts.model))
        if kept_old != kept_new:
            labels.append(f"{parts.label.lower()} reordered")
    summary = ", ".join(labels)
    if summary:
        return summary
    if relinks:
        return "same content, made separately on each side: links the two copies"
    return "no visible difference"
