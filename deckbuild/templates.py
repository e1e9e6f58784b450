"""Pass one of a build: render the Jinja deck, collecting the cells, figures and shown code it asks for.

The authoring format (see README): statements `{% … %}` and comments `{# … #}` are Jinja's, but
expressions are written `{= … =}` so that LaTeX such as `\\frac{{a}}{b}` passes through untouched.
Each call that needs the kernel leaves a placeholder; pass two (pipeline.py) fills them in.
"""

import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from . import slides, sourcemap
from .cells import DEFAULT_RTOL, DEFAULT_TIMEOUT, Cell, Expectation
from .errors import TemplateError, Where
from .sourcecode import SourceNotFound, get_source

# value() and table() evaluate in a copy of the kernel's names plus deckbuild.present, leaving no trace.
HELPERS = '__import__("deckbuild.present", fromlist=["namespace"])'


@dataclass
class FigureRef:
    name: str
    where: Where


@dataclass
class Rendering:
    """The deck after pass one: text with placeholders, and everything the placeholders stand for."""

    text: str
    cells: list[Cell] = field(default_factory=list)
    figures: list[FigureRef] = field(default_factory=list)
    shown_code: list[str] = field(default_factory=list)
    origins: list[sourcemap.SlideOrigin] = field(default_factory=list)

    def chapters(self) -> dict[str, list[Cell]]:
        grouped: dict[str, list[Cell]] = {}
        for cell in self.cells:
            grouped.setdefault(cell.chapter, []).append(cell)
        return grouped


def display_path(path: str | Path) -> str:
    return _display_path(str(path), os.getcwd())  # asked for every chunk of output: resolved once per path


@lru_cache(maxsize=1024)
def _display_path(path: str, cwd: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(cwd))
    except ValueError:
        return path


def caller_where() -> Where:
    """The template file and line of the tag that called into Python."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return Where(display_path(template.filename), template.get_corresponding_lineno(frame.f_lineno))
        frame = frame.f_back
    return Where("<deck>")


def chapter_of(where: Where) -> str:
    name = Path(where.file).name
    for suffix in (".j2", ".md"):
        name = name.removesuffix(suffix)
    return name


class Authoring:
    """The functions a deck calls. Each records what it needs and returns Markdown or a placeholder."""

    def __init__(self, code_dir: Path):
        self.code_dir = code_dir
        self.rendering = Rendering(text="")

    def _add_cell(self, kind: str, code: str, **options) -> Cell:
        where = caller_where()
        chapter = chapter_of(where)
        index = sum(1 for c in self.rendering.cells if c.chapter == chapter)
        position = len(self.rendering.cells)
        cell = Cell(
            kind=kind, chapter=chapter, index=index, code=code, where=where, position=position, **options
        )
        self.rendering.cells.append(cell)
        return cell

    def run(
        self, caller=None, timeout: float = DEFAULT_TIMEOUT, echo: bool = True, output: bool = True
    ) -> str:
        """`{% call run() %}code{% endcall %}`: execute the code; show it and its real output."""
        if caller is None:
            raise TemplateError(
                "run() holds the snippet: write {% call run() %} … {% endcall %}", caller_where()
            )
        code = caller()
        cell = self._add_cell("snippet", code, timeout=float(timeout), echo=echo, show_output=output)
        cell.where.line = (cell.where.line or 0) + 1  # the code starts on the line after the tag
        return cell.placeholder + "\n"

    def expect(self, caller=None, rtol: float = DEFAULT_RTOL) -> str:
        """`{% call expect() %}output{% endcall %}`: the output the previous snippet must print."""
        where = caller_where()
        where.line = (where.line or 0) + 1
        snippets = [c for c in self.rendering.cells if c.kind == "snippet" and c.chapter == chapter_of(where)]
        if caller is None or not snippets:
            raise TemplateError("expect() must follow a {% call run() %} snippet in the same file", where)
        if snippets[-1].expectation is not None:
            raise TemplateError("this snippet already has an expected output", where)
        snippets[-1].expectation = Expectation(text=caller(), rtol=float(rtol), where=where)
        return ""

    def value(self, expr: str, fmt: str = "") -> str:
        """`{= value("AND.b") =}`: the value of an expression in the chapter's kernel, as one line of text."""
        code = f"print(format(eval({expr!r}, {HELPERS}.namespace(globals())), {fmt!r}))\n"
        return self._add_cell("value", code).placeholder

    def table(self, expr: str, header=None, fmt=None, align=None) -> str:
        """`{= table("truth_table(AND)", header=[…]) =}`: rows computed in the kernel, as a Markdown table."""
        rows = f"eval({expr!r}, {HELPERS}.namespace(globals()))"
        code = f"print({HELPERS}.markdown_table({rows}, header={header!r}, fmt={fmt!r}, align={align!r}))\n"
        return self._add_cell("table", code).placeholder + "\n"

    def source(self, *dotted: str) -> str:
        """`{= source("zerodl.gates.XOR") =}`: the exact source of definitions under code/, as a code block."""
        where = caller_where()
        parts = []
        for name in dotted:
            try:
                parts.append(get_source(self.code_dir, name)[0])
            except SourceNotFound as e:
                raise TemplateError(f"source(): {e}", where) from None
        code = "\n".join(parts)
        self.rendering.shown_code.append(code)
        return slides.fence(code, "python").rstrip("\n")

    def display(self, caller=None, lang: str = "python") -> str:
        """`{% call display() %}…{% endcall %}`: a code block shown but deliberately not executed."""
        if caller is None:
            raise TemplateError(
                "display() holds the code: write {% call display() %} … {% endcall %}", caller_where()
            )
        code = caller()
        self.rendering.shown_code.append(code)
        return slides.fence(code, lang).rstrip("\n")

    def figure(self, name: str, width: int | None = None, center: bool = True, alt: str = "") -> str:
        """`{= figure("perceptron.svg", width=600) =}`: an image that figures_src/ must produce."""
        self.rendering.figures.append(FigureRef(name, caller_where()))
        words = [w for w in (f"w:{width}px" if width else "", "center" if center else "", alt) if w]
        return f"![{' '.join(words)}](figures/{name})"


class DeckEnvironment(jinja2.Environment):
    template_class = sourcemap.TracedTemplate
    recorder: sourcemap.Recorder | None = None


def environment(deck_dir: Path, cache_dir: Path | None = None) -> jinja2.Environment:
    """cache_dir: where Jinja keeps compiled templates (checked against each template's source)."""
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    return DeckEnvironment(
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache_dir)) if cache_dir else None,
        loader=Utf8Loader(deck_dir, encoding="utf-8"),
        variable_start_string="{=",
        variable_end_string="=}",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


class NotUtf8(Exception):
    def __init__(self, path: Path, line: int, byte: int):
        super().__init__(f"{path}:{line}")
        self.path, self.line, self.byte = path, line, byte


class Utf8Loader(jinja2.FileSystemLoader):
    """A FileSystemLoader that says which file and line are not UTF-8."""

    def get_source(self, environment, template):
        for folder in self.searchpath:
            path = Path(folder) / template
            if path.is_file():
                data = path.read_bytes()
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise NotUtf8(path, data[: e.start].count(b"\n") + 1, data[e.start]) from None
        return super().get_source(environment, template)


def template_frame(tb) -> Where | None:
    """The innermost traceback frame that belongs to a template file."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = Where(display_path(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def render(deck: Path, code_dir: Path, cache_dir: Path | None = None) -> Rendering:
    """Render the deck with placeholders; every failure becomes a TemplateError naming file, line and slide."""
    deck = deck.resolve()
    if not deck.is_file():
        raise TemplateError("deck file not found", Where(display_path(deck)))
    env = environment(deck.parent, cache_dir)
    authoring = Authoring(code_dir)
    env.globals.update(
        run=authoring.run,
        expect=authoring.expect,
        value=authoring.value,
        table=authoring.table,
        source=authoring.source,
        display=authoring.display,
        figure=authoring.figure,
    )
    chunks: list[str] = []
    env.recorder = recorder = sourcemap.Recorder(display_path)
    try:
        template = env.get_template(deck.name)
        for chunk in template.generate():
            chunks.append(chunk)
            recorder.passed(chunk)
    except TemplateError as e:
        e.where.slide = slides.current_slide("".join(chunks))
        raise
    except jinja2.TemplateSyntaxError as e:
        path = Path(e.filename or deck)
        where = Where(
            display_path(path), e.lineno, syntax_error_slide("".join(chunks), path, e.lineno, path == deck)
        )
        raise TemplateError(f"template syntax: {e.message}", where) from None
    except NotUtf8 as e:
        slide = syntax_error_slide("".join(chunks), e.path, e.line, e.path == deck)
        raise TemplateError(
            f"not UTF-8 (byte 0x{e.byte:02x}); save the file as UTF-8",
            Where(display_path(e.path), e.line, slide),
        ) from None
    except jinja2.TemplateError as e:
        where = template_frame(e.__traceback__) or Where(display_path(deck))
        where.slide = slides.current_slide("".join(chunks))
        raise TemplateError(f"template: {e.message or e}", where) from None
    authoring.rendering.text = "".join(chunks)
    authoring.rendering.origins = sourcemap.origins(authoring.rendering.text, recorder)
    locate(authoring.rendering)
    return authoring.rendering


def syntax_error_slide(partial: str, path: Path, line: int, is_root: bool) -> int:
    """Slide of a syntax error: slides rendered before the file was included, plus the file's own rules."""
    text = path.read_text(encoding="utf-8", errors="replace")
    own = slides.SlideMap(text).slide_at_line(line - 1)
    return own if is_root else slides.current_slide(partial) + own - 1


def locate(rendering: Rendering) -> None:
    """Give every cell and figure the slide number it lands on."""
    slide_map = slides.SlideMap(rendering.text)
    for cell in rendering.cells:
        cell.where.slide = slide_map.slide_at_offset(rendering.text.index(cell.placeholder))
        if cell.expectation:
            cell.expectation.where.slide = cell.where.slide
    for ref in rendering.figures:
        marker = f"](figures/{ref.name})"
        ref.where.slide = slide_map.slide_at_offset(max(rendering.text.find(marker), 0))
