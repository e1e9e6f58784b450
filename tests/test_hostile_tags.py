"""A careless or hostile author against the authoring tags: every promise of the README kept, or one located error.

The good deck below is built once (one kernel, HTML included) and checked for what reached the slide;
every bad chapter is built over a copy of the good outputs and must fail with exactly one
`error: FILE:LINE: slide N:` line and its exit code, leaving the outputs byte-identical and nothing
in the build's temp folder.
"""

import random
import re
import shutil

import numpy as np
import pytest

from conftest import FRONT, build, error_line, tree_digest, write_deck

# Computed text that must show as text. Each value sits on a line of its own, or inside a sentence.
GOOD = r"""## Hostile but harmless

{% call run(echo=False) %}
import random
import numpy as np
rng = np.random.default_rng(0)
items = []
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>document.title = 'pwned'</script>"
ATTR = '" onmouseover="alert(3)'
{% endcall %}

img {= value("IMG") =} and script {= value("SCRIPT") =}

{= value("'-' * 3") =}

{= value("'# not a heading'") =}

{= value("'1. not a list'") =}

{= value("'- not a bullet'") =}

inline {= value("'*emph* [link](x) `code` a|b &amp; :smile: {{x}} \\\\'") =} end

none {= value("None") =}, bytes {= value("b'<b>'") =}, f-string {= value("f'{len(items)}{{}}'") =}

<div title="{= value("ATTR") =}">in html {= value("IMG") =}</div>

| author's cell | computed |
|---|---|
| pipe | {= value("'x|y'") =} |

---

## Math, code and tables

$x = {= value("'a < b'") =}$ and raw {= value("'<b>bold</b>'", raw=True) =}

$$
{= value("r'\\frac{1}{2}'") =}
$$

```text
verbatim {= value("'*not escaped* <i>'") =}
```

{= table("[('<img src=y onerror=alert(2)>', 'a|b'), ('*x*', '$x^2$')]", header=["a", "b"]) =}

---

## State

np {= value("np.random.rand()") =} random {= value("random.random()") =} rng {= value("rng.random()") =}
{= value("items.append(1) or len(items)") =} {= value("globals().update(leaked=1) or 'ok'") =}

{% call run() %}
print(np.random.rand(), random.random(), rng.random(), items, "leaked" in globals())
{% endcall %}
"""


def tmp_env(tmp_path) -> dict:
    """A private temp folder for the build, to see that it leaves nothing behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    # These decks test the tags; their hidden cells are not meant to be self-sufficient (test_companion.py).
    return {"TMPDIR": str(tmp), "DECK_COMPANION": "off"}


def leftovers(tmp) -> list:
    """What the build left in its temp folder: nothing, the kernel's connection file included."""
    return list(tmp.iterdir())


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    deck = write_deck(base / "deck", {"ch.md.j2": GOOD})
    proc = build(deck, base / "out", "--accept", env=tmp_env(base))
    assert proc.returncode == 0, proc.stderr
    assert not leftovers(base / "tmp"), "the build left files in its temp folder"
    return base


def md_of(good) -> str:
    return (good / "out" / "deck.md").read_text(encoding="utf-8")


def test_computed_text_is_not_html(good):
    html = (good / "out" / "deck.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not re.search(r"<img[^>]*onerror", html), "a value became a live <img>"
    assert "<script>document.title" not in html
    assert "&lt;img src=y onerror=alert(2)&gt;" in html  # a table cell too
    assert "<b>bold</b>" in html  # raw=True: the author asked for markup
    assert 'title="&quot; onmouseover=&quot;alert(3)"' in html  # an attribute cannot be closed


def test_computed_text_is_inert_in_a_browser(good, chromium):
    """Chromium opens the deck: no element, handler or script came from a value."""
    from deckbuild import browser

    with browser.page() as page:
        page.goto((good / "out" / "deck.html").as_uri())
        page.wait_for_timeout(300)
        assert page.title() == "Test deck", "a script from a value ran"
        assert (
            page.evaluate("document.querySelectorAll('section img, section script, [onerror]').length") == 0
        )
        assert "<img src=x onerror=alert(1)>" in page.evaluate("document.body.textContent")


def test_computed_text_is_not_markdown(good):
    md = md_of(good)
    html = (good / "out" / "deck.html").read_text(encoding="utf-8")
    # '-' * 3 alone on its line adds no slide: the deck is its title and the three slides above
    assert html.count("<section") == 4, "a value added a slide"
    for literal in ("# not a heading", "1. not a list", "- not a bullet", "*emph* [link](x) `code` a|b"):
        assert literal.replace("&", "&amp;") in html, literal
    assert "<h1>not a heading" not in html and "<ol" not in html and "<em>emph" not in html
    assert "&amp;amp;" in html and "{{x}}" in html
    assert 'class="emoji"' not in html and ":\u2060smile:" in html  # a word joiner keeps the shortcode text
    assert "none None, bytes b'&lt;b&gt;', f-string 0{}" in html
    assert "| \\<img src=y onerror=alert\\(2\\)\\> |" not in md  # cells are escaped, not left as markup
    assert "a\\|b" in md and "\\*x\\*" in md
    assert "<td>x|y</td>" in html  # a value in the author's table stays in its cell


def test_math_code_and_formula_cells_keep_working(good):
    md = md_of(good)
    assert "$x = a \\lt  b$" in md  # MathJax draws \lt as <; no tag can appear
    assert "$$\n\\frac{1}{2}\n$$" in md  # LaTeX reaches MathJax unchanged
    assert "verbatim *not escaped* <i>" in md  # code shows text as it is
    assert "| $x^2$ |" in md  # a computed formula in a cell stays math


def test_values_do_not_change_the_kernel(good):
    np.random.seed(0)  # what the kernel's setup does, and what the snippet must see untouched
    random.seed(0)
    expected_np, expected_random = np.random.rand(), random.random()
    expected_rng = np.random.default_rng(0).random()
    md = md_of(good)
    shown = f"np {expected_np} random {expected_random} rng {expected_rng}"
    assert shown in md, "a value saw another state than the snippet"
    assert f"{expected_np} {expected_random} {expected_rng} [] False" in md, "a value changed the kernel"


def test_every_slide_carries_the_named_theme(good):
    html = (good / "out" / "deck.html").read_text(encoding="utf-8")
    sections = re.findall(r"<section\b[^>]*>", html)
    assert sections and all('data-theme="docker"' in s for s in sections)


def test_byte_order_mark_is_dropped_and_the_theme_still_checked(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch.md.j2": "\ufeff## Chapter\n"}, front="\ufeff" + FRONT)
    proc = build(deck, tmp_path / "out", "--no-html", env=tmp_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    assert md.startswith("---\nmarp: true") and "\ufeff" not in md  # nor from an included file
    write_deck(
        tmp_path / "deck", {"ch.md.j2": "## Chapter\n"}, front="\ufeff" + FRONT.replace("docker", "nosuch")
    )
    proc = build(deck, tmp_path / "out", "--no-html", env=tmp_env(tmp_path))
    assert proc.returncode == 7, proc.stderr
    assert "theme 'nosuch' does not exist" in error_line(proc)


# ---- the hostile catalogue: (id, chapter, exit code, line of the error, slide, words of the message) ----

HEAD = "## Bad\n\n"  # line 1 and 2 of every bad chapter; the chapter is slide 2 (slide 1 is the deck's title)
SNIPPET = "{% call run(timeout=TIMEOUT) %}\nprint(1)\n{% endcall %}\n"
CASES = [
    ("timeout 0", SNIPPET.replace("TIMEOUT", "0"), 2, 3, 2, "timeout must be a number of seconds > 0"),
    ("timeout -1", SNIPPET.replace("TIMEOUT", "-1"), 2, 3, 2, "not -1"),
    ("timeout string", SNIPPET.replace("TIMEOUT", '"x"'), 2, 3, 2, "not 'x'"),
    ("timeout nan", '{% set s = "nan" %}' + SNIPPET.replace("TIMEOUT", "s|float"), 2, 3, 2, "not nan"),
    ("timeout inf", '{% set s = "inf" %}' + SNIPPET.replace("TIMEOUT", "s|float"), 2, 3, 2, "not inf"),
    (
        "echo not a flag",
        "{% call run(echo='no') %}\nx = 1\n{% endcall %}\n",
        2,
        3,
        2,
        "echo must be True or False",
    ),
    (
        "measured not a flag",
        "{% call run(measured='yes') %}\nx = 1\n{% endcall %}\n",
        2,
        3,
        2,
        "measured must be True or False, not 'yes'",
    ),
    (
        "measured 1",
        "{% call run(measured=1) %}\nx = 1\n{% endcall %}\n",
        2,
        3,
        2,
        "measured must be True or False",
    ),
    (
        "expect after a measured run",
        "{% call run(measured=True) %}\nprint(1)\n{% endcall %}\n{% call expect(rtol=0.5) %}\n1\n{% endcall %}\n",
        2,
        7,
        2,
        "expect() cannot check a run(measured=True) snippet",
    ),
    ("unknown keyword", '{= value("1", fmtt="d") =}\n', 2, 3, 2, "unexpected keyword argument 'fmtt'"),
    ("misspelt tag", '{= valeu("1") =}\n', 2, 3, 2, "did you mean value()"),
    ("value without expression", "{= value() =}\n", 2, 3, 2, "missing a required argument"),
    ("expression not a string", "{= value(42) =}\n", 2, 3, 2, "expr must be a string"),
    ("missing include", '{% include "nosuch.md.j2" %}\n', 2, 3, 2, "included file not found: nosuch.md.j2"),
    ("recursive include", '{% include "ch.md.j2" %}\n', 2, 3, 2, "includes itself"),
    ("expression raises", "{= 1 / 0 =}\n", 2, 3, 2, "ZeroDivisionError"),
    (
        "value inside run",
        '{% call run() %}\nprint({= value("1") =})\n{% endcall %}\n',
        2,
        3,
        2,
        "run() holds a value()",
    ),
    (
        "expect without run",
        "{% call expect() %}\n1\n{% endcall %}\n",
        2,
        4,
        2,
        "must follow a {% call run() %}",
    ),
    ("header is a string", '{= table("[(1, 2)]", header="ab") =}\n', 2, 3, 2, "not the string 'ab'"),
    ("unknown align", '{= table("[(1,)]", align="middle") =}\n', 2, 3, 2, "align 'middle' is not one of"),
    (
        "fmt and header disagree",
        '{= table("[(1,)]", header=["a"], fmt=["d", "d"]) =}\n',
        2,
        3,
        2,
        "numbers of columns",
    ),
    ("table inside a sentence", 'see {= table("[(1,)]") =}\n', 2, 3, 2, "on a line of its own"),
    ("figure outside", '{= figure("../secret.svg") =}\n', 2, 3, 2, "must be a plain file name"),
    ("figure width", '{= figure("a.svg", width="300px") =}\n', 2, 3, 2, "width must be a whole number"),
    ("value raises", 'x {= value("undefined_name + 1") =}\n', 3, 3, 2, "NameError"),
    ("value holds NUL", "x {= value(\"'a\\\\x00b'\") =}\n", 3, 3, 2, "U+0000"),
    ("value holds CR", "x {= value(\"'a\\\\r---'\") =}\n", 3, 3, 2, "one line"),
    ("value holds U+2028", "x {= value(\"'a\\\\u2028b'\") =}\n", 3, 3, 2, "one line"),
    ("value holds a lone surrogate", "x {= value(\"'\\\\ud800'\") =}\n", 3, 3, 2, "surrogate"),
    ("value is huge", "x {= value(\"'x' * 10**6\") =}\n", 3, 3, 2, "1,000,000 characters"),
    (
        "value kills its process",
        "x {= value(\"__import__('os')._exit(3)\") =}\n",
        3,
        3,
        2,
        "the evaluation died",
    ),
    (
        "dollar in math",
        "x ${= value(\"'1$ <img src=x onerror=alert(1)> $'\") =}$\n",
        3,
        3,
        2,
        "close the formula",
    ),
    ("backslash ends math", "x ${= value(\"'a\\\\\\\\'\") =}$\n", 3, 3, 2, "ends with a backslash"),
    ("backtick in code span", "x `{= value(\"'a`b'\") =}`\n", 3, 3, 2, "backtick"),
    ("comment closed", "<!-- {= value(\"'--> <img src=x onerror=alert(1)>'\") =} -->\n", 3, 3, 2, "`-->`"),
    ("closing fence in code", "```text\n{= value(\"'```'\") =}\n```\n", 3, 4, 2, "close the code block"),
    (
        "value imitates a build marker",
        "x {= value(\"'\\u27e6deck-cell:0\\u27e7'\") =}\n",
        3,
        3,
        2,
        "the build's own marker",
    ),
    ("ragged table", '{= table("[(1, 2), (3,)]") =}\n', 3, 3, 2, "row 2 [3] has 1 cells"),
    (
        "header shorter than rows",
        '{= table("[(1, 2, 3)]", header=["a", "b"]) =}\n',
        3,
        3,
        2,
        "has 3 cells, the table has 2",
    ),
    ("empty table", '{= table("[]") =}\n', 3, 3, 2, "no rows and no header"),
    ("body theme that does not exist", "<!-- theme: nosuch -->\n", 7, 3, 2, "theme 'nosuch' does not exist"),
    ("body theme switches the deck", "<!-- theme: gaia -->\n", 7, 3, 2, "would change every slide"),
]


@pytest.fixture(scope="module")
def bad_base(tmp_path_factory):
    """A deck that builds (Markdown and notebook only: every case fails before marp-cli)."""
    base = tmp_path_factory.mktemp("bad")
    deck = write_deck(base / "deck", {"ch.md.j2": HEAD + "text\n"})
    proc = build(deck, base / "out", "--accept", "--no-html", env={"DECK_COMPANION": "off"})
    assert proc.returncode == 0, proc.stderr
    return base


@pytest.mark.parametrize(
    ("chapter", "code", "line", "slide", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_hostile_case(bad_base, tmp_path, chapter, code, line, slide, words):
    shutil.copytree(bad_base / "deck", tmp_path / "deck")
    shutil.copytree(bad_base / "out", tmp_path / "out")
    before = tree_digest(tmp_path / "out")
    (tmp_path / "deck" / "ch.md.j2").write_text(HEAD + chapter, encoding="utf-8")
    proc = build(
        tmp_path / "deck" / "deck.md.j2", tmp_path / "out", "--accept", "--no-html", env=tmp_env(tmp_path)
    )
    assert proc.returncode == code, proc.stderr
    message = error_line(proc)
    assert f"ch.md.j2:{line}: slide {slide}: " in message, message
    assert words in message, message
    assert "Traceback" not in proc.stderr
    assert tree_digest(tmp_path / "out") == before, "a failed build changed the previous outputs"
    assert not list((tmp_path / "out").glob(".staging-*"))
    assert not leftovers(tmp_path / "tmp"), "the build left files in its temp folder"


def test_catalogue_is_long_enough():
    assert len(CASES) >= 15


def test_theme_is_checked_on_every_slide(tmp_path):
    from deckbuild import marp
    from deckbuild.errors import ToolError

    md = tmp_path / "deck.md"
    md.write_text("---\nmarp: true\ntheme: docker\n---\n\n# A\n\n---\n\n# B\n", encoding="utf-8")
    html = tmp_path / "deck.html"
    html.write_text(
        '<section id="1" data-theme="docker"></section><section id="2" data-theme="default"></section>'
    )
    with pytest.raises(ToolError, match="slide 2"):
        marp.check_theme(md, html)


def test_escaping_by_place():
    from deckbuild import literal

    assert literal.put("<b>*x*</b>", literal.Place("text")) == "&lt;b&gt;\\*x\\*&lt;/b&gt;"
    assert literal.put("---", literal.Place("text", line_start=True)) == "\\---"
    assert literal.put("12. x", literal.Place("text", line_start=True)) == "12\\. x"
    assert literal.put("    code", literal.Place("text", line_start=True)).startswith("&#32;")
    assert literal.put(" a<b ", literal.Place("math")) == "a\\lt b"
    assert literal.put("<i>", literal.Place("html")) == "&lt;i&gt;"
    assert literal.put("<b>", literal.Place("text"), raw=True) == "<b>"
    text = "a $x$ b ⟦p⟧ $ y$ ⟦q⟧ $z$"
    spans = literal.math_spans(text)
    assert [text[s:e] for s, e in spans] == ["$x$", "$z$"]  # `$ y$` is not math for Marp


def test_isolated_evaluation_leaves_no_trace_in_process(monkeypatch):
    """The kernel side, in this process: a forked child evaluates; without fork, the RNG states are restored."""
    from deckbuild import isolated

    names = {"items": [], "np": np, "random": random}
    for use_fork in (True, False):
        if not use_fork:
            monkeypatch.delattr(isolated.os, "fork")
        np.random.seed(1)
        random.seed(1)
        expected = (np.random.rand(), random.random())
        np.random.seed(1)
        random.seed(1)
        shown = isolated.isolated(lambda: f"{np.random.rand()} {random.random()}")
        assert shown == f"{expected[0]} {expected[1]}"
        assert (np.random.rand(), random.random()) == expected, f"fork={use_fork}: the RNG state moved"
    assert isolated.isolated(lambda: str(names["items"].append(1) or len(names["items"]))) == "1"
    with pytest.raises(Exception, match="division by zero") as raised:
        isolated.isolated(lambda: str(1 / 0))
    assert type(raised.value).__name__ == "ZeroDivisionError"


def test_percent_in_math_is_escaped():
    from deckbuild import literal

    assert literal.put("50% of x", literal.Place("math")) == "50\\% of x"
    assert literal.put("50\\%", literal.Place("math")) == "50\\%"
