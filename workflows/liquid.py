"""Liquid for step templates: validation, variable extraction and rendering.

Contract
--------
- Templates are written by operators and rendered with data sent by backend services, so the
  engine is sandboxed: python-liquid never evaluates Python, templates cannot load other
  templates (``include`` and ``render`` are not available), and what one render may cost is
  bounded by ``RenderLimits`` (``RenderLimitExceeded`` if a template runs away): loop
  iterations, counted over the whole render; the size of every text, list and number a filter
  builds (estimated from its inputs and refused before it is built), every range, and every
  value ``assign`` and ``capture`` keep; and time.
- ``template_problem(source)`` returns ``None`` for a valid template, or a ``TemplateProblem``
  with a 1-based line number and the engine's message. Unknown filters, and quoted texts or
  ranges longer than a render allows, count as problems at validation time, so they are caught
  on save rather than on the first send.
- ``template_variables(source)`` lists the variables the template reads from outside, as dotted
  paths (``payload.order.id``, ``subscriber.firstName``, ``payload.items[0].sku``), found by the
  engine's own static analysis. Names the template defines itself (``assign``, ``capture``,
  loop variables) are not listed. It raises ``liquid.exceptions.LiquidError`` on an invalid
  template; call ``template_problem`` first.
- ``template_render(source, scope, html=...)`` renders with ``scope`` as the global namespace
  (``payload``, ``subscriber``, ``step``). With ``html=True`` every variable output is
  HTML-escaped unless the author marks it with the ``safe`` filter, so payload values cannot
  inject markup into an email. Missing variables render as empty text. Any engine failure is
  raised as ``TemplateRenderError`` with a line number when the engine knows one.
- ``template_render`` is the one way to render a template, for previews and for sending alike:
  whatever the template, its filters or the data do, it returns text or raises
  ``TemplateRenderError`` (``RenderLimitExceeded`` when a limit stopped it). A filter that
  fails on the data it was given is reported with its name and line, never as a crash.
"""

import inspect
import re
import time
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain
from typing import NamedTuple

from liquid import BoundTemplate, Environment, RenderContext
from liquid.builtin.expressions import LoopExpression
from liquid.builtin.expressions.primitive import Literal, RangeLiteral, StringLiteral
from liquid.builtin.tags.for_tag import ForNode, ForTag
from liquid.builtin.tags.tablerow_tag import TablerowTag
from liquid.exceptions import (
    ContextDepthError,
    FilterError,
    LiquidError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
)
from liquid.filter import num_arg
from liquid.limits import to_int
from liquid.output import LimitedStringIO
from liquid.undefined import is_undefined

# What a template may read from outside. Everything else is a typo or a template-local name.
TEMPLATE_SCOPE_NAMES = ("payload", "subscriber", "step")

# Partials would read other templates; steps are self-contained documents.
_DISABLED_TAGS = ("include", "render")


@dataclass(frozen=True)
class RenderLimits:
    """What one render of one template may use; going over raises ``RenderLimitExceeded``.

    A step's preview and a message send render a handful of templates each, so these bound what
    one operator's template can take from a worker: ten thousand loop iterations and a second of
    time are far beyond any notification, and far below a pinned worker.
    """

    # Items taken by all ``for`` and ``tablerow`` loops of the render together: nested loops,
    # loops one after another, and the items a loop skips (``offset``) or reverses.
    loop_iterations: int = 10_000
    # Any text, list or number that a filter builds, or that ``assign`` or ``capture`` keeps. A
    # filter is refused before it builds, on an estimate from its inputs. A list counts the items
    # and text of everything inside it, at any depth.
    text_characters: int = 1_000_000
    list_items: int = 100_000
    number_digits: int = 1_000
    # Checked at every loop item, filter call and write of output.
    seconds: float = 1.0


RENDER_LIMITS = RenderLimits()

# The render's clock; tests replace it to make time pass.
_clock = time.monotonic


class _RenderBudget:
    """What is left of one render's ``RenderLimits``."""

    __slots__ = ("deadline", "iterations", "limits")

    def __init__(self, limits: RenderLimits):
        self.limits = limits
        self.iterations = 0
        self.deadline = _clock() + limits.seconds

    def check_time(self, token=None) -> None:
        if _clock() >= self.deadline:
            seconds = self.limits.seconds
            raise _RenderTimeout(
                "The template takes too long to render "
                f"(more than {seconds:g} second{'' if seconds == 1 else 's'})",
                token=token,
            )

    def counted(self, items, token):
        """``items``, counted against the loop budget as they are taken."""
        for item in items:
            self.iterations += 1
            if self.iterations > self.limits.loop_iterations:
                raise _LoopBudgetSpent(
                    _loop_limit_message(self.limits.loop_iterations), token=token
                )
            self.check_time(token)
            yield item


def _loop_limit_message(limit: int) -> str:
    return (
        f"Loops would run more than {limit:,} times in all (every loop of a template counts, "
        "nested or one after another)"
    )


class _RenderTimeout(ResourceLimitError):
    pass


class _ValueTooLarge(ResourceLimitError):
    pass


class _LoopBudgetSpent(LoopIterationLimitError):
    pass


class _CountedLoopExpression(LoopExpression):
    """A ``for`` or ``tablerow`` expression whose items are counted as the loop takes them.

    Counting where the items come out, rather than per iteration of the body, also counts the
    items that ``offset`` skips and those that ``reversed`` copies before the loop starts.
    """

    __slots__ = ()

    @classmethod
    def of(cls, expression: LoopExpression) -> "_CountedLoopExpression":
        return cls(
            expression.token,
            expression.identifier,
            expression.iterable,
            limit=expression.limit,
            offset=expression.offset,
            reversed_=expression.reversed,
            cols=expression.cols,
        )

    def _to_iter(self, obj, context):
        items, length = super()._to_iter(obj, context)
        return context.budget.counted(items, self.token), length


class _CountedForTag(ForTag):
    def parse(self, stream):
        node = super().parse(stream)
        node.expression = _CountedLoopExpression.of(node.expression)
        return node


class _CountedTablerowTag(TablerowTag):
    def parse(self, stream):
        node = super().parse(stream)
        node.expression = _CountedLoopExpression.of(node.expression)
        return node


class _BoundedRangeLiteral(RangeLiteral):
    """A range refused when it would hold more numbers than a list may: ``contains`` and filters
    go through every number of a range, in one statement that no loop or clock check interrupts.
    """

    __slots__ = ()

    def evaluate(self, context):
        numbers = super().evaluate(context)
        length, limit = _range_length(numbers), context.budget.limits.list_items
        if length > limit:
            raise _ValueTooLarge(
                f"The range {self} would hold {length:,} numbers; the limit is {limit:,}",
                token=self.token,
            )
        return numbers


def _expressions_in(template: BoundTemplate):
    """Every expression of ``template``, in its tags and output statements, at any depth."""
    static_context = RenderContext(template)
    nodes = list(template.nodes)
    while nodes:
        node = nodes.pop()
        expressions = list(node.expressions())
        while expressions:
            expression = expressions.pop()
            yield expression
            expressions.extend(expression.children())
        nodes.extend(node.children(static_context, include_partials=False))


class _MeteredBuffer(LimitedStringIO):
    """Output (of the template, or of a ``capture``) that watches the render's clock."""

    def __init__(self, limit: int, budget: _RenderBudget):
        super().__init__(limit=limit)
        self.budget = budget

    def write(self, text: str) -> int:
        self.budget.check_time()
        return super().write(text)


class _RenderContext(RenderContext):
    """A render context that keeps a render within its ``RenderLimits``.

    Filter calls go through ``_call_filter``; loops count their items; output watches the clock.
    """

    __slots__ = ("budget",)

    def __init__(self, template, *, budget: _RenderBudget | None = None, **kwargs):
        super().__init__(template, **kwargs)
        parent = kwargs.get("parent_context")
        self.budget = budget or (parent.budget if parent else _RenderBudget(RENDER_LIMITS))

    def filter(self, name, token):
        function = super().filter(name, token)
        self.budget.check_time(token)
        return partial(_call_filter, self, name, function, token)

    def assign(self, key, val):
        """``assign`` and ``capture``: a variable holds no value over the limits."""
        excess = _excess(_size_of(val), self.budget.limits, up_to="")
        if excess:
            raise _ValueTooLarge(f"The variable “{key}” would hold {excess}", token=None)
        super().assign(key, val)

    def get_buffer(self, buf=None):
        carry = buf.size if isinstance(buf, LimitedStringIO) else 0
        return _MeteredBuffer(self.env.output_stream_limit - carry, self.budget)


class _BoundTemplate(BoundTemplate):
    context_class = _RenderContext


class _SandboxedEnvironment(Environment):
    # The engine's own check: nested loops whose lengths multiply past the limit are refused
    # before they start. The render's budget then counts what all loops actually take.
    loop_iteration_limit = RENDER_LIMITS.loop_iterations
    output_stream_limit = 2_000_000
    local_namespace_limit = 1_000_000
    context_depth_limit = 30
    template_class = _BoundTemplate

    def from_string(self, source, *args, **kwargs):
        template = super().from_string(source, *args, **kwargs)
        for expression in _expressions_in(template):
            if type(expression) is RangeLiteral:
                # The parser makes range literals itself and cannot be asked for another class;
                # the bounded one has the same slots and differs only in how it evaluates.
                expression.__class__ = _BoundedRangeLiteral
        return template


@lru_cache(maxsize=2)
def _environment(*, html: bool) -> Environment:
    environment = _SandboxedEnvironment(autoescape=html)
    for tag_name in _DISABLED_TAGS:
        environment.tags.pop(tag_name, None)
    environment.add_tag(_CountedForTag)
    environment.add_tag(_CountedTablerowTag)
    return environment


@dataclass(frozen=True)
class TemplateProblem:
    line: int | None
    message: str
    source_line: str = ""

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        where = f" (at “{self.source_line}”)" if self.source_line else ""
        return f"Line {self.line}: {self.message}{where}"


class TemplateRenderError(Exception):
    def __init__(self, problem: TemplateProblem):
        super().__init__(str(problem))
        self.problem = problem


class RenderLimitExceeded(TemplateRenderError):
    pass


# The engine's own limits, in words an operator can act on.
_ENGINE_LIMIT_MESSAGES = {
    LoopIterationLimitError: _loop_limit_message(_SandboxedEnvironment.loop_iteration_limit),
    OutputStreamLimitError: (
        f"The rendered text would be longer than "
        f"{_SandboxedEnvironment.output_stream_limit:,} bytes"
    ),
    LocalNamespaceLimitError: (
        "Variables set with assign and capture would hold more than "
        f"{_SandboxedEnvironment.local_namespace_limit:,} bytes"
    ),
    ContextDepthError: "Blocks are nested too deeply",
}


def _problem_from(error: LiquidError, source: str = "") -> TemplateProblem:
    message = str(_ENGINE_LIMIT_MESSAGES.get(type(error)) or error.message or error)
    context = error.context()
    if context is None:
        if source and "end of" in message:
            return _unclosed_block_problem(source, message)
        return TemplateProblem(line=None, message=message)
    line, column, _previous, current, _next = context
    return TemplateProblem(line=line, message=message, source_line=_excerpt(current, column))


_TAG_NAME = re.compile(r"{%-?\s*(\w+)")
_BLOCK_TAGS = frozenset({"if", "unless", "for", "case", "capture", "tablerow", "comment", "raw"})


def _unclosed_block_problem(source: str, message: str) -> TemplateProblem:
    """Point an "expected tag endX, found end of …" error at the block left open.

    The engine notices the missing end tag at the end of the template, where there is no token
    to report. The parse already failed, so this only locates the opening tag for the operator;
    it reads nothing else from the template.
    """
    open_blocks: list[tuple[str, int]] = []
    for match in _TAG_NAME.finditer(source):
        name = match.group(1)
        if name in _BLOCK_TAGS:
            open_blocks.append((name, match.start()))
        elif name.startswith("end") and open_blocks and open_blocks[-1][0] == name[3:]:
            open_blocks.pop()
    if not open_blocks:
        lines = source.rstrip().splitlines() or [""]
        return TemplateProblem(
            line=len(lines), message=message, source_line=_excerpt(lines[-1], len(lines[-1]))
        )
    name, index = open_blocks[-1]
    line, source_line = _line_of(source, index)
    return TemplateProblem(
        line=line,
        message=f"{{% {name} %}} is never closed with {{% end{name} %}}",
        source_line=source_line,
    )


def _line_of(source: str, index: int) -> tuple[int, str]:
    """The line number of ``index`` in ``source``, counted as the engine counts, and the part of
    the line to quote."""
    start = number = 0
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        if index < start + len(line):
            return number, _excerpt(line, index - start)
        start += len(line)
    return max(number, 1), ""


# A problem quotes its line; a long line (email HTML is often one) only around the problem.
_EXCERPT_CHARACTERS = 120


def _excerpt(line: str, column: int) -> str:
    if len(line.strip()) <= _EXCERPT_CHARACTERS:
        return line.strip()
    start = max(0, min(column - _EXCERPT_CHARACTERS // 3, len(line) - _EXCERPT_CHARACTERS))
    end = start + _EXCERPT_CHARACTERS
    return ("…" if start else "") + line[start:end].strip() + ("…" if end < len(line) else "")


# A quoted text belongs in a tag or output statement as a word or a phrase; long text is written
# as the template itself, where it costs nothing to render.
_QUOTED_TEXT_CHARACTERS = 10_000


def _literal_message(expression) -> str:
    """Why a literal is too large for any render to use; empty if it is not."""
    if isinstance(expression, StringLiteral) and len(expression.value) > _QUOTED_TEXT_CHARACTERS:
        return (
            f"a quoted text of {len(expression.value):,} characters is longer than the "
            f"{_QUOTED_TEXT_CHARACTERS:,} allowed; write long text outside {{{{ }}}} and {{% %}}"
        )
    if isinstance(expression, RangeLiteral):
        length, limit = _literal_range_length(expression), RENDER_LIMITS.list_items
        if length is not None and length > limit:
            return f"the range {expression} has {length:,} numbers; at most {limit:,} are allowed"
    return ""


def _literal_range_length(expression: RangeLiteral) -> int | None:
    """How many numbers a range with literal ends holds, or None when an end is a variable."""
    if not (isinstance(expression.start, Literal) and isinstance(expression.stop, Literal)):
        return None
    try:
        start, stop = to_int(expression.start.value), to_int(expression.stop.value)
    except (LiquidError, TypeError, ValueError):
        return None  # the engine takes such an end as 0, which makes no long range
    return max(stop - start + 1, 0)


def _literal_problem(template: BoundTemplate, source: str) -> TemplateProblem | None:
    """The first literal of ``template``, in the source, that is too large to render."""
    problems = []
    for expression in _expressions_in(template):
        message = _literal_message(expression)
        if message:
            problems.append((expression.token.start_index, message))
    if not problems:
        return None
    index, message = min(problems)
    line, source_line = _line_of(source, index)
    return TemplateProblem(line=line, message=message, source_line=source_line)


def template_problem(source: str, *, html: bool = False) -> TemplateProblem | None:
    """The first problem of ``source``, or ``None`` if it parses, uses known filters and holds no
    literal too large to render."""
    environment = _environment(html=html)
    try:
        template = environment.from_string(source)
        analysis = template.analyze(include_partials=False)
    except LiquidError as error:
        return _problem_from(error, source)
    for filter_name, spans in analysis.filters.items():
        if filter_name not in environment.filters:
            line, source_line = _line_of(source, spans[0].index)
            return TemplateProblem(
                line=line, message=f"unknown filter '{filter_name}'", source_line=source_line
            )
    return _literal_problem(template, source)


def template_variables(source: str) -> list[str]:
    """Sorted distinct paths of the variables ``source`` reads from its scope."""
    if not source:
        return []
    template = _environment(html=False).from_string(source)
    analysis = template.analyze(include_partials=False)
    return sorted({str(variable) for variable in chain.from_iterable(analysis.globals.values())})


def template_sample_paths(source: str) -> list[str]:
    """Like ``template_variables``, plus what loops read from each item, as ``list[0].field``.

    ``{% for item in payload.items %}{{ item.sku }}{% endfor %}`` gives ``payload.items`` and
    ``payload.items[0].sku``: enough to build a sample payload whose loops render something.
    """
    if not source:
        return []
    template = _environment(html=False).from_string(source)
    analysis = template.analyze(include_partials=False)
    paths = {str(variable) for variable in chain.from_iterable(analysis.globals.values())}
    loops: dict[str, str] = {}
    static_context = RenderContext(template)

    def visit(node):
        if isinstance(node, ForNode):
            loops[node.expression.identifier] = str(node.expression.iterable)
        for child in node.children(static_context, include_partials=False):
            visit(child)

    for node in template.nodes:
        visit(node)
    for variable in chain.from_iterable(analysis.variables.values()):
        root, *rest = variable.segments
        if root in loops and rest and all(isinstance(segment, str) for segment in rest):
            paths.add(f"{loops[root]}[0]." + ".".join(rest))
    return sorted(paths)


class _Size(NamedTuple):
    characters: int = 0  # of all its text, with numbers as written out
    items: int = 0  # of all its lists and objects, at any depth


def _size_of(value) -> _Size:
    """The size of ``value`` with everything inside it, counted once per reference."""
    characters = items = 0
    pending = [value]
    while pending:  # not recursive: payload data may be nested deeper than Python recurses
        value = pending.pop()
        if isinstance(value, str):
            characters += len(value)
        elif isinstance(value, (list, tuple)):
            items += len(value)
            pending.extend(value)
        elif isinstance(value, dict):
            items += len(value)
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, range):
            length = _range_length(value)
            items += length
            characters += length * _written_length(max(abs(value.start), abs(value.stop)))
        else:
            characters += _written_length(value)
    return _Size(characters, items)


def _digits(number: int) -> int:
    """Decimal digits of ``number``, or one more; without writing it out."""
    return abs(number).bit_length() * 30103 // 100_000 + 1


def _range_length(numbers: range) -> int:
    try:
        return len(numbers)
    except OverflowError:  # longer than a C integer
        return abs(numbers.stop - numbers.start)


def _written_length(value) -> int:
    """At most how long ``str(value)`` is, for a value that is not text or a collection."""
    if isinstance(value, bool) or value is None:
        return 5
    if isinstance(value, int):
        return _digits(value) + 1
    if isinstance(value, float):
        return 24
    if isinstance(value, range):
        return _written_length(value.start) + _written_length(value.stop) + 9
    return len(str(value))  # loop drops, undefined names, dates: short by construction


def _text_length(value) -> int:
    """At most how long ``value`` is once a filter turns it into text."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple, dict)):
        # Python writes collections out with quotes, separators and escapes (at most 10 a
        # character, for a character outside the Basic Multilingual Plane).
        size = _size_of(value)
        return 10 * size.characters + 8 * size.items + 2
    return _written_length(value)


def _leaves(value):
    """The items a sequence filter goes through: a list flattened the way the engine does (five
    levels deep), anything else as one item. Call only on a list or tuple."""
    pending = [(iter(value), 5)]
    while pending:
        items, depth = pending[-1]
        item = next(items, _END)
        if item is _END:
            pending.pop()
        elif depth and isinstance(item, (list, tuple)):
            pending.append((iter(item), depth - 1))
        else:
            yield item


_END = object()


def _sequence_length(value) -> int:
    if isinstance(value, (list, tuple)):
        return sum(1 for _ in _leaves(value))
    if isinstance(value, range):
        return _range_length(value)
    return 1


def _sequence_size(value) -> _Size:
    """The size of ``value`` as a sequence filter takes it: anything but a list is one item."""
    size = _size_of(value)
    if isinstance(value, (list, tuple, range)):
        return size
    return _Size(size.characters, size.items + 1)


def _excess(size: _Size, limits: RenderLimits, *, up_to: str) -> str:
    """What in ``size`` is over ``limits``, in words; empty if nothing is."""
    if size.items > limits.list_items:
        return f"a list of {up_to}{size.items:,} items; the limit is {limits.list_items:,}"
    if size.characters > limits.text_characters:
        return (
            f"{up_to}{size.characters:,} characters of text; "
            f"the limit is {limits.text_characters:,}"
        )
    return ""


class _FilterCall:
    """One call of a filter, for estimating what it would build before it runs."""

    __slots__ = ("html", "limits", "name", "token", "values")

    def __init__(self, name, values, html, limits, token):
        self.name = name
        self.values = values  # the left value, then each argument, in the filter's order
        self.html = html
        self.limits = limits
        self.token = token

    def text_length(self, index: int) -> int:
        return _text_length(self.values[index])

    def text(self, index: int) -> str:
        """``values[index]`` as the filter turns it into text, if that text is within limits."""
        value = self.values[index]
        if isinstance(value, str):
            return value
        if value is None and index == 0:
            return ""
        self.refuse_over_limits(_Size(_text_length(value)))
        return str(value)

    def sequence_length(self) -> int:
        """How many items the filter goes through; refused over the list limit."""
        length = _sequence_length(self.values[0])
        if length > self.limits.list_items:
            self.refuse(f"takes at most {self.limits.list_items:,} items; it was given {length:,}")
        return length

    def refuse_over_limits(self, size: _Size) -> None:
        excess = _excess(size, self.limits, up_to="up to ")
        if excess:
            self.refuse(f"would build {excess}")

    def refuse_result_over_limits(self, result) -> None:
        if isinstance(result, int) and not isinstance(result, bool):
            if _digits(result) > self.limits.number_digits:
                self.refuse_number(_digits(result))
        else:
            self.refuse_over_limits(_size_of(result))

    def refuse_number(self, digits: int) -> None:
        self.refuse(
            f"would make a number of up to {digits:,} digits; "
            f"the limit is {self.limits.number_digits:,}"
        )

    def refuse(self, what: str) -> None:
        raise _ValueTooLarge(f"“{self.name}” {what}", token=self.token)


# Filters whose cost grows faster than their input take a bounded input.
_UNIQ_ITEMS = 2_000  # compares every item with every other
_STRIP_HTML_CHARACTERS = 100_000  # Python's HTML parser slows down on unclosed markup
_DATE_CHARACTERS = 1_000  # reading free text as a date slows down on long text

# Filters that return a value they were given, or a part of it: they build nothing.
_SELECTING_FILTERS = frozenset({"default", "find", "find_index", "first", "has", "last", "size"})


def _same_length(call: _FilterCall) -> _Size:
    return _Size(call.text_length(0))


def _longer_by(index: int):
    """The text with another value's text added (``append``, ``replace_first``, ...)."""
    return lambda call: _Size(call.text_length(0) + call.text_length(index))


def _times_longer(factor: int):
    """The text with each character turned into at most ``factor`` characters."""
    return lambda call: _Size(factor * call.text_length(0))


def _escaped_length(text: str) -> int:
    return (
        len(text)
        + 4 * (text.count("&") + text.count('"') + text.count("'"))
        + 3 * (text.count("<") + text.count(">"))
    )


def _escaped(call: _FilterCall) -> _Size:
    return _Size(_escaped_length(call.text(0)))


def _newline_to_br(call: _FilterCall) -> _Size:
    text = call.text(0)
    base = _escaped_length(text) if call.html else len(text)
    return _Size(base + 6 * text.count("\n"))


def _strip_newlines(call: _FilterCall) -> _Size:
    return _escaped(call) if call.html else _same_length(call)


def _utf8_length(call: _FilterCall) -> int:
    text = call.text(0)
    return len(text) if text.isascii() else 4 * len(text)


def _url_encode(call: _FilterCall) -> _Size:
    return _Size(3 * _utf8_length(call))


def _base64_encode(call: _FilterCall) -> _Size:
    return _Size(4 * -(-_utf8_length(call) // 3))


def _replace(call: _FilterCall) -> _Size:
    text, old, new = call.text(0), call.text(1), call.text(2)
    count = text.count(old) if old else len(text) + 1
    return _Size(len(text) + count * max(len(new) - len(old), 0))


def _split(call: _FilterCall) -> _Size:
    text, separator = call.text(0), call.values[1]
    if separator is None or separator == "" or is_undefined(separator):
        parts = len(text)
    elif call.text(1) == " ":
        parts = len(text) // 2 + 1
    else:
        parts = text.count(call.text(1)) + 1
    return _Size(len(text), parts)


def _slice(call: _FilterCall) -> _Size | None:
    value, length = call.values[0], call.values[2]
    if not isinstance(value, range):
        return _size_of(value) if isinstance(value, (list, tuple)) else _same_length(call)
    try:
        length = 1 if is_undefined(length) else to_int(length)
    except (TypeError, ValueError):
        return None  # the filter refuses it itself
    numbers = min(_range_length(value), max(length, 0))
    return _Size(numbers * _written_length(max(abs(value.start), abs(value.stop))), numbers)


def _date(call: _FilterCall) -> _Size:
    value = call.values[0]
    if isinstance(value, str) and len(value) > _DATE_CHARACTERS:
        call.refuse(
            f"reads at most {_DATE_CHARACTERS:,} characters as a date; it was given {len(value):,}"
        )
    # Python's strftime gives up on a result 256 times longer than its format; a format that is
    # not text fails, and an undefined one gives the value back as text.
    format_length = len(call.values[1]) if isinstance(call.values[1], str) else 0
    return _Size(max(256 * format_length, call.text_length(0)))


def _strip_html(call: _FilterCall) -> _Size:
    length = call.text_length(0)
    if length > _STRIP_HTML_CHARACTERS:
        call.refuse(f"takes at most {_STRIP_HTML_CHARACTERS:,} characters; it was given {length:,}")
    return _Size(length)


def _join(call: _FilterCall) -> _Size:
    length = call.sequence_length()
    value = call.values[0]
    leaves = _leaves(value) if isinstance(value, (list, tuple)) else [value]
    characters = sum(_text_length(leaf) for leaf in leaves)
    if call.html:
        characters *= 5  # an HTML join escapes each item that is not already markup
    return _Size(characters + call.text_length(1) * max(length - 1, 0))


def _concat(call: _FilterCall) -> _Size | None:
    call.sequence_length()
    if not isinstance(call.values[1], (list, tuple)):
        return None  # the filter refuses it itself
    first, second = _sequence_size(call.values[0]), _size_of(call.values[1])
    return _Size(first.characters + second.characters, first.items + second.items)


def _rearranged(call: _FilterCall) -> _Size:
    """A list made of the items of the one given (``sort``, ``where``, ``map``, ...)."""
    length = call.sequence_length()
    size = _sequence_size(call.values[0])
    # `map` may give `true` or `false` for a number: at most five characters each
    return _Size(size.characters + 5 * length, size.items)


def _uniq(call: _FilterCall) -> _Size:
    length = call.sequence_length()
    if length > _UNIQ_ITEMS:
        call.refuse(
            f"takes at most {_UNIQ_ITEMS:,} items (it compares each with every other); "
            f"it was given {length:,}"
        )
    return _rearranged(call)


def _goes_through(call: _FilterCall) -> None:
    call.sequence_length()


def _nothing_to_estimate(call: _FilterCall) -> None:
    """Numbers (their result is checked), or a value the filter was given (nothing is built)."""


def _times(call: _FilterCall) -> None:
    left, right = num_arg(call.values[0], default=0), num_arg(call.values[1], default=0)
    if isinstance(left, int) and isinstance(right, int):
        digits = _digits(left) + _digits(right)
        if digits > call.limits.number_digits:
            call.refuse_number(digits)


# What each filter would build at most, estimated from its inputs, and the inputs it refuses.
# Every filter of the engine is listed, so that a new one is estimated on purpose (a test checks).
_ESTIMATES = {
    **dict.fromkeys(
        ["lstrip", "rstrip", "strip", "squish", "remove", "remove_first", "remove_last"],
        _same_length,
    ),
    **dict.fromkeys(
        ["url_decode", "base64_decode", "base64_url_safe_decode", "safe"], _same_length
    ),
    **dict.fromkeys(["append", "prepend"], _longer_by(1)),
    **dict.fromkeys(["replace_first", "replace_last", "truncate", "truncatewords"], _longer_by(2)),
    # Unicode case changes turn one character into at most three ("ß" into "SS").
    **dict.fromkeys(["capitalize", "downcase", "upcase"], _times_longer(3)),
    "escapejs": _times_longer(6),
    **dict.fromkeys(["escape", "escape_once"], _escaped),
    "newline_to_br": _newline_to_br,
    "strip_newlines": _strip_newlines,
    "url_encode": _url_encode,
    **dict.fromkeys(["base64_encode", "base64_url_safe_encode"], _base64_encode),
    "replace": _replace,
    "split": _split,
    "slice": _slice,
    "date": _date,
    "strip_html": _strip_html,
    "join": _join,
    "concat": _concat,
    **dict.fromkeys(
        ["map", "reverse", "sort", "sort_natural", "where", "reject", "compact"], _rearranged
    ),
    "uniq": _uniq,
    **dict.fromkeys(["find", "find_index", "has", "sum"], _goes_through),
    "times": _times,
    **dict.fromkeys(
        ["abs", "at_least", "at_most", "ceil", "floor", "round", "plus", "minus", "divided_by"],
        _nothing_to_estimate,
    ),
    **dict.fromkeys(["modulo", "size", "first", "last", "default"], _nothing_to_estimate),
}


_FILTER_FAILED = (
    "A filter cannot work on this data: “{name}” failed on the value it was given (for example "
    "a division by zero, a number filter given text, or a key that an item does not have)"
)


class _FilterFailed(FilterError):
    pass


@lru_cache(maxsize=256)
def _filter_signature(function) -> inspect.Signature:
    """What a template may pass to a filter: its parameters without the injected environment."""
    signature = inspect.signature(function)
    injected = ("environment", "context")
    return signature.replace(
        parameters=[p for p in signature.parameters.values() if p.name not in injected]
    )


def _call_filter(context, name, function, token, left, *arguments, **keywords):
    """Call one filter within the render's limits, turning any failure into a ``LiquidError``
    that carries its line.

    Filters run on payload data the template cannot vouch for (``modulo: 0``, ``uniq: 0`` on a
    list of texts, ``compact`` with a key the items lack): a bad value is the template's problem
    to report, not a server error.
    """
    try:
        bound = _filter_signature(context.env.filters[name]).bind(left, *arguments, **keywords)
    except TypeError as error:
        raise FilterError(f"wrong arguments for “{name}”: {error}", token=token) from None
    bound.apply_defaults()
    call = _FilterCall(
        name, list(bound.arguments.values()), context.autoescape, context.budget.limits, token
    )
    try:
        estimate = _ESTIMATES.get(name, _nothing_to_estimate)(call)
        if estimate is not None:
            call.refuse_over_limits(estimate)
        result = function(left, *arguments, **keywords)
    except LiquidError as error:
        # The engine's own messages stay; a Python error it merely wrapped reads like ours.
        if not isinstance(error.message, Exception):
            raise
        raise _FilterFailed(_FILTER_FAILED.format(name=name), token=token) from error
    except Exception as error:
        raise _FilterFailed(_FILTER_FAILED.format(name=name), token=token) from error
    if name not in _SELECTING_FILTERS:
        # Estimates are upper bounds; this catches one that is not, before the value travels.
        call.refuse_result_over_limits(result)
    return result


# Outside filters the data can still defeat the engine: a number too long to print, a list nested
# too deeply to print. Whatever it is, it is reported like any other render failure.
_RENDER_FAILED = "The template cannot be rendered with this data"
_RENDER_FAILURES = {
    RecursionError: "The data is nested too deeply to render",
    MemoryError: "The template needs more memory than a render may use",
}


def template_render(
    source: str, scope: dict, *, html: bool = False, limits: RenderLimits = RENDER_LIMITS
) -> str:
    """``source`` rendered with ``scope`` as its global namespace, within ``limits``.

    Raises ``TemplateRenderError`` for every failure, whatever its cause, and
    ``RenderLimitExceeded`` (a ``TemplateRenderError``) when a resource limit stopped the render.
    """
    if not source:
        return ""
    environment = _environment(html=html)
    try:
        template = environment.from_string(source)
        context = _RenderContext(
            template, globals=template.make_globals(scope), budget=_RenderBudget(limits)
        )
        buffer = context.get_buffer()
        template.render_with_context(context, buffer)
        return buffer.getvalue()
    except ResourceLimitError as error:
        raise RenderLimitExceeded(_problem_from(error)) from error
    except LiquidError as error:
        raise TemplateRenderError(_problem_from(error)) from error
    except Exception as error:
        message = next(
            (text for kind, text in _RENDER_FAILURES.items() if isinstance(error, kind)),
            _RENDER_FAILED,
        )
        raise TemplateRenderError(TemplateProblem(line=None, message=message)) from error
