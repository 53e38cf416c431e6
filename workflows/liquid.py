"""Liquid for step templates: validation, variable extraction and rendering.

Contract
--------
- Templates are written by operators and rendered with data sent by backend services, so the
  engine is sandboxed: python-liquid never evaluates Python, templates cannot load other
  templates (``include`` and ``render`` are not available), and loops and output are bounded
  (``RenderLimitExceeded`` if a template runs away).
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
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain

from liquid import Environment, RenderContext
from liquid.builtin.tags.for_tag import ForNode
from liquid.exceptions import FilterError, LiquidError, ResourceLimitError

# What a template may read from outside. Everything else is a typo or a template-local name.
TEMPLATE_SCOPE_NAMES = ("payload", "subscriber", "step")

# Partials would read other templates; steps are self-contained documents.
_DISABLED_TAGS = ("include", "render")


class _SandboxedEnvironment(Environment):
    loop_iteration_limit = 10_000
    output_stream_limit = 2_000_000
    local_namespace_limit = 1_000_000
    context_depth_limit = 30


@lru_cache(maxsize=2)
def _environment(*, html: bool) -> Environment:
    environment = _SandboxedEnvironment(autoescape=html)
    for tag_name in _DISABLED_TAGS:
        environment.tags.pop(tag_name, None)
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


def _problem_from(error: LiquidError, source: str = "") -> TemplateProblem:
    context = error.context()
    if context is None:
        message = str(error.message or error)
        if source and "end of" in message:
            return _unclosed_block_problem(source, message)
        return TemplateProblem(line=None, message=message)
    line, _column, _previous, current, _next = context
    return TemplateProblem(line=line, message=str(error.message), source_line=current.strip())


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


class _RenderContext(RenderContext):
    """A render context that runs every filter call through ``_call_filter``."""

    __slots__ = ()

    def filter(self, name, token):
        function = super().filter(name, token)
        return partial(_call_filter, name, self.env.filters[name], function, token)


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


def template_render(source: str, scope: dict, *, html: bool = False) -> str:
    """``source`` rendered with ``scope`` as its global namespace.

    Raises ``TemplateRenderError`` for every failure, whatever its cause, and
    ``RenderLimitExceeded`` (a ``TemplateRenderError``) when a resource limit stopped the render.
    """
    if not source:
        return ""
    environment = _environment(html=html)
    try:
        template = environment.from_string(source)
        context = _RenderContext(template, globals=template.make_globals(scope))
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
