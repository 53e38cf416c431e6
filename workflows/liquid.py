"""Liquid for step templates: validation, variable extraction and rendering.

Contract
--------
- Templates are written by operators and rendered with data sent by backend services, so the
  engine is sandboxed: python-liquid never evaluates Python, templates cannot load other
  templates (``include`` and ``render`` are not available), and what one render may cost is
  bounded by ``RenderLimits`` (``RenderLimitExceeded`` if a template runs away): loop
  iterations, counted over the whole render, and time.
- ``template_problem(source)`` returns ``None`` for a valid template, or a ``TemplateProblem``
  with a 1-based line number and the engine's message. Unknown filters count as problems at
  validation time, so they are caught on save rather than on the first send.
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

from liquid import BoundTemplate, Environment, RenderContext
from liquid.builtin.expressions import LoopExpression
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
from liquid.output import LimitedStringIO

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
        return partial(_call_filter, name, self.env.filters[name], function, token)

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
    line, _column, _previous, current, _next = context
    return TemplateProblem(line=line, message=message, source_line=current.strip())


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
        return TemplateProblem(line=len(lines), message=message, source_line=lines[-1].strip())
    name, index = open_blocks[-1]
    line, source_line = _line_of(source, index)
    return TemplateProblem(
        line=line,
        message=f"{{% {name} %}} is never closed with {{% end{name} %}}",
        source_line=source_line,
    )


def _line_of(source: str, index: int) -> tuple[int, str]:
    before = source[:index]
    line_number = before.count("\n") + 1
    return line_number, source.splitlines()[line_number - 1].strip()


def template_problem(source: str, *, html: bool = False) -> TemplateProblem | None:
    """The first syntax problem of ``source``, or ``None`` if it parses and uses known filters."""
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
    return None


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


def _call_filter(name, declared, function, token, left, *arguments, **keywords):
    """Call one filter, turning any failure into a ``LiquidError`` that carries its line.

    Filters run on payload data the template cannot vouch for (``modulo: 0``, ``uniq: 0`` on a
    list of texts, ``compact`` with a key the items lack): a bad value is the template's problem
    to report, not a server error.
    """
    try:
        _filter_signature(declared).bind(left, *arguments, **keywords)
    except TypeError as error:
        raise FilterError(f"wrong arguments for “{name}”: {error}", token=token) from None
    try:
        return function(left, *arguments, **keywords)
    except LiquidError as error:
        # The engine's own messages stay; a Python error it merely wrapped reads like ours.
        if not isinstance(error.message, Exception):
            raise
        raise _FilterFailed(_FILTER_FAILED.format(name=name), token=token) from error
    except Exception as error:
        raise _FilterFailed(_FILTER_FAILED.format(name=name), token=token) from error


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
