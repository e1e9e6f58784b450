"""Rules the rendered Markdown must keep, checked with markdown-it-py before anything is published."""

import re
from pathlib import Path

from . import config, slides
from .cells import MARKER_PREFIX
from .errors import LintError, Where
from .templates import display_path

BUILTIN_THEMES = {"default", "gaia", "uncover"}
TEMPLATE_SYNTAX = re.compile(r"\{[%#=]|[%#=]\}")
JINJA_HABIT = re.compile(r"\{\{.*?\}\}")  # `{{ x }}` is literal text here; in prose it is a slip
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+?\$", re.DOTALL)
INLINE_CODE = re.compile(r"(`+).*?\1", re.DOTALL)
# Inside math: `%` starts a TeX comment (the rest of the formula vanishes without an error), and a command
# written without its backslash (`delta{x}`) is typeset as italic letters. Neither is a MathJax error.
MATH_PERCENT = re.compile(r"(?<!\\)%")
MATH_BARE_COMMAND = re.compile(
    r"(?<![\\A-Za-z])(frac|dfrac|tfrac|delta|partial|sqrt|mathrm|text|begin|end|cdot|times|sum|exp|log)(?=\{)"
)


def themes(theme_dir: Path) -> set[str]:
    names = set(BUILTIN_THEMES)
    for css in sorted(theme_dir.glob("*.css")) if theme_dir.is_dir() else []:
        m = re.search(r"@theme\s+([\w-]+)", css.read_text(encoding="utf-8"))
        if m:
            names.add(m.group(1))
    return names


def source_line(snippet: str, deck_dir: Path, fallback: Where) -> Where:
    """Best effort: the template line that holds the first line of `snippet`."""
    first = next((line.strip() for line in snippet.splitlines() if line.strip()), "")
    if first:
        for path in sorted(deck_dir.rglob("*.j2")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if first in line:
                    return Where(display_path(path), n, fallback.slide)
    return fallback


def lint(markdown: str, out_dir: Path, deck_dir: Path, accounted_code: set[str], md_name: str) -> None:
    """Raise LintError on the first broken rule."""
    fm_block, body = slides.split_front_matter(markdown)
    parsed = slides.tokens(body)  # whole, before SlideMap asks for the slide rules: parsed once
    slide_map = slides.SlideMap(markdown)
    lines = markdown.splitlines()

    def where(line0: int) -> Where:
        return Where(md_name, line0 + 1, slide_map.slide_at_line(line0))

    if MARKER_PREFIX in markdown:
        line0 = markdown[: markdown.index(MARKER_PREFIX)].count("\n")
        raise LintError("a build marker was left in the output", where(line0))

    check_themes(markdown, deck_dir, where)

    offset = fm_block.count("\n")
    code_lines: set[int] = set()
    for tok in parsed:
        if tok.type in ("fence", "code_block") and tok.map:
            start, end = tok.map[0] + offset, tok.map[1] + offset
            code_lines.update(range(start, end))
            lang = tok.info.split()[0] if tok.info.strip() else ""
            if lang in ("python", "py", "python3") and tok.content not in accounted_code:
                raise LintError(
                    "python code block is neither executed nor display-only: "
                    "wrap it in {% call run() %} to execute it, or {% call display() %} to show it as is",
                    source_line(tok.content, deck_dir, where(start)),
                )
        if tok.type == "inline" and tok.map:
            for child in tok.children or []:
                if child.type == "image":
                    check_image(child.attrs.get("src", ""), out_dir, deck_dir, where(tok.map[0] + offset))

    prose = "\n".join("" if n in code_lines else line for n, line in enumerate(lines))
    check_math(prose, lines, deck_dir, where)
    prose = INLINE_CODE.sub(lambda m: " " * len(m.group(0)), MATH.sub(lambda m: blank(m.group(0)), prose))
    m = TEMPLATE_SYNTAX.search(prose) or JINJA_HABIT.search(
        HTML_COMMENT.sub(lambda m: blank(m.group(0)), prose)
    )
    if m:
        line0 = prose[: m.start()].count("\n")
        raise LintError(
            f"template syntax left in the slide text: {lines[line0].strip()[:60]!r} "
            "(expressions are written {= … =}; braces are free only inside $…$ math)",
            source_line(lines[line0], deck_dir, where(line0)),
        )


def check_themes(markdown: str, deck_dir: Path, where) -> None:
    """The theme is named once, and exists: Marp falls back to its default theme without a word."""
    late = re.match(r"\A\s+---[ \t]*\n(.*?\n)---", markdown, re.DOTALL)
    if late and re.search(r"^(marp|theme)\s*:", late.group(1), re.MULTILINE):
        raise LintError(
            "the front matter must start on the first line: Marp ignores it after a blank line", where(0)
        )
    theme_dir = config.for_deck(deck_dir).theme_dir(deck_dir)
    known = themes(theme_dir)
    add = f"add {display_path(theme_dir)}/{{0}}.css with /* @theme {{0}} */"
    named = slides.front_matter(markdown).get("theme")
    if named and named not in known:
        raise LintError(
            f"theme {named!r} does not exist (Marp would silently use its default); {add.format(named)}",
            where(0),
        )
    lines = markdown.splitlines()
    for line0, theme in slides.theme_directives(markdown):
        at = source_line(lines[line0], deck_dir, where(line0))  # the template line that holds the directive
        if theme not in known:
            raise LintError(
                f"theme {theme!r} does not exist (Marp would silently ignore it); {add.format(theme)}",
                at,
            )
        if named and theme != named:
            raise LintError(
                f"theme {theme!r} here would change every slide of the deck, not this one (theme is a global "
                f"directive): the front matter names {named!r}",
                at,
            )


def check_math(prose: str, lines: list[str], deck_dir: Path, where) -> None:
    for formula in MATH.finditer(prose):
        for rule, problem in (
            (
                MATH_PERCENT,
                "`%` inside math starts a TeX comment and hides the rest of the formula: write \\%",
            ),
            (
                MATH_BARE_COMMAND,
                "a TeX command without its backslash is typeset as plain letters: write \\{0}",
            ),
        ):
            m = rule.search(formula.group(0))
            if m:
                line0 = prose[: formula.start() + m.start()].count("\n")
                raise LintError(
                    f"{problem.format(m.group(0))} in {lines[line0].strip()[:60]!r}",
                    source_line(lines[line0], deck_dir, where(line0)),
                )


def blank(text: str) -> str:
    """Keep line breaks so that offsets still map to the same lines."""
    return re.sub(r"[^\n]", " ", text)


def check_image(src: str, out_dir: Path, deck_dir: Path, at: Where) -> None:
    if re.match(r"^[a-z]+://", src):
        raise LintError(f"remote image {src!r}: the deck must work offline; draw it in figures_src/", at)
    if not (out_dir / src).is_file():
        raise LintError(f"image {src!r} does not exist", source_line(src, deck_dir, at))
