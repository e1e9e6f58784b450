"""Pass one of a build: render the Jinja deck, collecting the cells, figures and shown code it asks for.

The authoring format (see README): statements `{% … %}` and comments `{# … #}` are Jinja's, but
expressions are written `{= … =}` so that LaTeX such as `\\frac{{a}}{b}` passes through untouched.
The tags a deck calls (run, value, table, figure, …) are the objects of tags.py; each call that needs the
kernel leaves a placeholder, and once the deck has rendered, locate() says on which slide and in which
place of the Markdown (literal.py: prose, math, code, …) each one lands. Pass two (pipeline.py) fills them in.
"""

import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2

from . import literal, slides, sourcecode, sourcemap, tags
from .cells import CELL_PLACEHOLDER, Cell
from .errors import TemplateError, Where


@dataclass
class FigureRef:
    name: str
    where: Where
    width: int | None = None  # px, as figure(width=…) shows it; None: as wide as the slide lets it


@dataclass
class Rendering:
    """The deck after pass one: text with placeholders, and everything the placeholders stand for."""

    text: str
    cells: list[Cell] = field(default_factory=list)
    figures: list[FigureRef] = field(default_factory=list)
    shown_code: list[str] = field(default_factory=list)
    shown_sources: list[Cell] = field(default_factory=list)  # source() blocks as cells of kind "source"
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
            return Where(display_path(template.filename), sourcemap.template_line(template, frame.f_lineno))
        frame = frame.f_back
    return Where("<deck>")


def chapter_of(where: Where) -> str:
    name = Path(where.file).name
    for suffix in (".j2", ".md"):
        name = name.removesuffix(suffix)
    return name


class Authoring:
    """What the tags of deckbuild/tags.py record into while the deck renders: cells, figures, shown code."""

    def __init__(self, code_dirs, sources: sourcecode.Remembered | None = None):
        self.code_dirs = (code_dirs,) if isinstance(code_dirs, Path) else tuple(code_dirs)
        self.sources = sources or sourcecode.Remembered()  # source() texts, remembered across builds
        self.class_members: dict[tuple[str, str], list[str]] = {}  # source(members=…) shown so far
        self.labels: dict[str, tuple[str, Where]] = {}  # label() name → (its marker, where it is)
        self.refs: list[tuple[str, str, str, Where]] = []  # ref(): (marker, label name, text, where)
        self.rendering = Rendering(text="")
        self.per_chapter: dict[str, int] = {}  # cells so far in each chapter

    where = staticmethod(caller_where)
    chapter = staticmethod(chapter_of)

    def add_cell(self, kind: str, code: str, **options) -> Cell:
        where = caller_where()
        chapter = chapter_of(where)
        index = self.per_chapter.get(chapter, 0)
        self.per_chapter[chapter] = index + 1
        position = len(self.rendering.cells)
        cell = Cell(
            kind=kind, chapter=chapter, index=index, code=code, where=where, position=position, **options
        )
        self.rendering.cells.append(cell)
        return cell

    def add_figure(self, name: str, where: Where, width: int | None = None) -> None:
        self.rendering.figures.append(FigureRef(name, where, width))


class DeckEnvironment(jinja2.Environment):
    template_class = sourcemap.TracedTemplate
    recorder: sourcemap.Recorder | None = None


def environment(deck_dir: Path, cache_dir: Path | None = None) -> jinja2.Environment:
    """cache_dir: where Jinja keeps compiled templates (checked against each template's source)."""
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
    return DeckEnvironment(
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache_dir)) if cache_dir else None,
        loader=Utf8Loader(deck_dir, encoding="utf-8-sig"),  # a byte-order mark would hide the front matter
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


def render(
    deck: Path, code_dirs, cache_dir: Path | None = None, source_cache: Path | None = None
) -> Rendering:
    """Render the deck with placeholders; every failure becomes a TemplateError naming file, line and slide."""
    deck = deck.resolve()
    if not deck.is_file():
        raise TemplateError("deck file not found", Where(display_path(deck)))
    env = environment(deck.parent, cache_dir)
    authoring = Authoring(code_dirs, sourcecode.Remembered(source_cache))
    env.globals.update({name: tags.bound(tag, authoring) for name, tag in tags.TAGS.items()})
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
    except jinja2.TemplateNotFound as e:
        where = template_frame(e.__traceback__) or Where(display_path(deck))
        where.slide = slides.current_slide("".join(chunks))
        raise TemplateError(f"template: included file not found: {e.name}", where) from None
    except jinja2.UndefinedError as e:
        where = template_frame(e.__traceback__) or Where(display_path(deck))
        where.slide = slides.current_slide("".join(chunks))
        raise TemplateError(f"template: {e.message or e}{did_you_mean(e.message or '')}", where) from None
    except jinja2.TemplateError as e:
        where = template_frame(e.__traceback__) or Where(display_path(deck))
        where.slide = slides.current_slide("".join(chunks))
        raise TemplateError(f"template: {e.message or e}", where) from None
    except RecursionError as e:
        where = template_frame(e.__traceback__) or Where(display_path(deck))
        where.slide = slides.current_slide("".join(chunks))
        raise TemplateError("template: includes itself, directly or through another file", where) from None
    except Exception as e:  # an expression of the deck raised (`{= 1 / 0 =}`): still one located line
        where = template_frame(e.__traceback__) or Where(display_path(deck))
        where.slide = slides.current_slide("".join(chunks))
        raise TemplateError(f"template: {type(e).__name__}: {e}", where) from None
    text = "".join(chunks)
    if authoring.labels or authoring.refs:
        text = tags.resolve_refs(text, authoring.labels, authoring.refs)
    authoring.rendering.text = text
    authoring.rendering.origins = sourcemap.origins(authoring.rendering.text, recorder)
    authoring.sources.save()
    locate(authoring.rendering)
    return authoring.rendering


def did_you_mean(message: str) -> str:
    """`'valeu' is undefined` → a hint naming the tag it resembles."""
    import difflib

    name = message.split("'")[1] if message.count("'") >= 2 else ""
    close = difflib.get_close_matches(name, tags.TAGS, n=1)
    return f" (did you mean {close[0]}()?)" if close else ""


def syntax_error_slide(partial: str, path: Path, line: int, is_root: bool) -> int:
    """Slide of a syntax error: slides rendered before the file was included, plus the file's own rules."""
    text = path.read_text(encoding="utf-8", errors="replace")
    own = slides.SlideMap(text).slide_at_line(line - 1)
    return own if is_root else slides.current_slide(partial) + own - 1


def locate(rendering: Rendering) -> None:
    """Give every cell and figure the slide number it lands on, and every cell the place it lands in."""
    slide_map = slides.SlideMap(rendering.text)
    places = literal.places(rendering.text, [c.placeholder for c in rendering.cells])
    first: dict[str, int] = {}  # where each placeholder is first, found in one scan
    for m in CELL_PLACEHOLDER.finditer(rendering.text):
        first.setdefault(m.group(0), m.start())
    for cell in rendering.cells:
        cell.place = places.get(cell.placeholder, cell.place)
        cell.where.slide = slide_map.slide_at_offset(first[cell.placeholder])
        if cell.expectation:
            cell.expectation.where.slide = cell.where.slide
        tags.of(cell).placed(cell)
    for ref in rendering.figures:
        marker = f"](figures/{ref.name})"
        ref.where.slide = slide_map.slide_at_offset(max(rendering.text.find(marker), 0))
