"""Which template line each slide comes from, so that a finding on slide 7 can name `ch1.md.j2:88`.

Jinja does not say where its output comes from, so every template's render function is wrapped:
each chunk of output is recorded with the template and line that produced it. A slide's origin is
the chunk holding its first non-blank line; inside a chunk of static text the exact line is found by
looking the chunk up in the template source.
"""

import json
import re
from bisect import bisect_right
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from . import slides
from .cells import MARKER_PREFIX

PLACEHOLDER = re.escape(MARKER_PREFIX) + r"cell:\d+\u27e7"


@dataclass
class Chunk:
    offset: int  # where the chunk starts in the rendered text
    file: str  # the template's path, as errors show it
    line: int  # Jinja's line for the statement that produced it
    text: str


@dataclass
class SlideOrigin:
    slide: int
    file: str
    line: int


class Recorder:
    """Collects chunks while a template renders (shared by every template of one environment)."""

    def __init__(self, display_path):
        self.display_path = display_path
        self.chunks: list[Chunk] = []
        self.sources: dict[str, str] = {}
        self.offset = 0
        self.claimed = False  # the innermost template claims a chunk; the ones including it pass it on

    def record(self, template: jinja2.Template, line: int, text: str) -> None:
        if not self.claimed:
            file = self.display_path(template.filename or template.name or "<deck>")
            if file not in self.sources and template.filename:
                self.sources[file] = Path(template.filename).read_text(encoding="utf-8", errors="replace")
            self.chunks.append(Chunk(self.offset, file, line, text))
            self.claimed = True

    def passed(self, text: str) -> None:
        """Called by the outermost consumer once per chunk."""
        self.offset += len(text)
        self.claimed = False


def template_line(template: jinja2.Template, code_line: int) -> int:
    """Template.get_corresponding_lineno, with the debug info parsed once per template: Jinja parses it
    again on every call, and the build asks once per chunk and once per tag (a tenth of a warm build)."""
    pairs = template.__dict__.get("_line_pairs")
    if pairs is None:
        pairs = template.__dict__["_line_pairs"] = template.debug_info[::-1]
    return next((t for t, c in pairs if c <= code_line), 1)


class TracedTemplate(jinja2.Template):
    """A Template whose output chunks are recorded by `environment.recorder`, when it has one.

    `_from_namespace` is where Jinja 3.1 builds every template, included ones too; Jinja is pinned,
    and tests/test_sourcemap.py fails loudly if a new version changes this.
    """

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        template = super()._from_namespace(environment, namespace, globals)
        inner = template.root_render_func

        def root_render_func(context):
            gen = inner(context)
            for chunk in gen:
                recorder = getattr(environment, "recorder", None)
                if recorder is not None and gen.gi_frame is not None:
                    recorder.record(template, template_line(template, gen.gi_frame.f_lineno), chunk)
                yield chunk

        template.root_render_func = root_render_func
        return template


def blank(line: str) -> bool:
    """Blank, or only a placeholder (a hidden set-up snippet at the top of a slide is not where it starts)."""
    return not re.sub(PLACEHOLDER, "", line).strip()


def slide_starts(text: str) -> list[int]:
    """Offset of each slide's first non-blank line in the rendered text (its start, if it is empty)."""
    lines = text.split("\n")
    structure = slides.SlideMap(text)
    block, _ = slides.split_front_matter(text)
    firsts = [block.count("\n")] + [sep + 1 for sep in structure.separators]
    ends = [*structure.separators, len(lines)]
    starts = []
    for first, end in zip(firsts, ends, strict=True):
        line = first
        while line < end and blank(lines[line]):
            line += 1
        starts.append(structure.line_starts[min(line if line < end else first, len(lines) - 1)])
    return starts


@lru_cache(maxsize=32)
def line_table(source: str) -> tuple[list[str], list[int]]:
    """A template's lines and the offset where each starts (plus the end), split once per build for all
    its slides (splitting it again for each slide was a tenth of a build that changed nothing)."""
    lines = source.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    return lines, offsets


def exact_line(chunk: Chunk, source: str | None, inside: int) -> int:
    """The template line of position `inside` of a chunk.

    Static text appears verbatim in the source: find the whole chunk from Jinja's line on, or failing
    that (a comment removed from its middle, say) the line itself; else keep Jinja's line.
    """
    if not source:
        return chunk.line
    lines, offsets = line_table(source)
    start = offsets[min(max(chunk.line - 1, 0), len(lines))]
    if len(chunk.text.strip()) >= 3:
        found = source.find(chunk.text, start)
        if found >= 0:
            return source.count("\n", 0, found) + 1 + chunk.text.count("\n", 0, inside)
    wanted = chunk.text[inside:].split("\n", 1)[0].strip()
    if len(wanted) >= 3:
        for number in range(max(chunk.line, 1), len(lines) + 1):
            if wanted in lines[number - 1]:
                return number
    return chunk.line


def origins(text: str, recorder: Recorder) -> list[SlideOrigin]:
    offsets = [c.offset for c in recorder.chunks]
    found = []
    for number, start in enumerate(slide_starts(text), 1):
        i = bisect_right(offsets, start) - 1
        if i < 0:
            continue
        chunk = recorder.chunks[i]
        line = exact_line(chunk, recorder.sources.get(chunk.file), start - chunk.offset)
        found.append(SlideOrigin(number, chunk.file, line))
    return found


def dump(found: list[SlideOrigin]) -> str:
    return json.dumps([asdict(o) for o in found], ensure_ascii=False, indent=1) + "\n"


def load(path: Path) -> dict[int, SlideOrigin]:
    """The map a build published beside deck.html (empty when there is none)."""
    try:
        return {o["slide"]: SlideOrigin(**o) for o in json.loads(path.read_text(encoding="utf-8"))}
    except (OSError, ValueError, TypeError, KeyError):
        return {}
