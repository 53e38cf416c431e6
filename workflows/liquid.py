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
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from liquid import Environment, RenderContext
from liquid.builtin.tags.for_tag import ForNode
from liquid.exceptions import LiquidError, ResourceLimitError

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


def template_render(source: str, scope: dict, *, html: bool = False) -> str:
    if not source:
        return ""
    environment = _environment(html=html)
    try:
        return environment.from_string(source).render(**scope)
    except ResourceLimitError as error:
        raise RenderLimitExceeded(_problem_from(error)) from error
    except LiquidError as error:
        raise TemplateRenderError(_problem_from(error)) from error
    except (ArithmeticError, TypeError, ValueError, RecursionError) as error:
        # Filters run on payload data the template cannot vouch for (`modulo: 0`, `sum` of
        # mixed types): a bad value is the template's problem to report, not a server error.
        raise TemplateRenderError(
            TemplateProblem(
                line=None,
                message="A filter cannot work on this data (for example a division by zero, or "
                "a number filter given text).",
            )
        ) from error
