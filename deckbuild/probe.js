// Runs inside deck.html (Marp's bespoke template) and reports, per slide, what a person would see go wrong.
// Called by slidecheck.py as an async function of `opts`; every length is in slide pixels (1280×720).
async (opts) => {
  const JAPANESE = /[\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60\uff66-\uff9f]/gu;
  const short = (text, n = 24) => {
    const t = (text || "").replace(/\s+/g, " ").trim();
    return t.length > n ? t.slice(0, n - 1) + "…" : t;
  };
  const label = (el) => {
    const tag = el.tagName.toLowerCase();
    if (tag === "img") return `image ${el.getAttribute("src")}`;
    const what = { pre: "code block", "marp-pre": "code block", table: "table", ul: "list", ol: "list", p: "paragraph", "mjx-container": "math" }[tag] || tag;
    const text = short(el.textContent);
    return text ? `${what} «${text}»` : what;
  };
  const loaded = (url) =>
    new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve(img.naturalWidth > 0);
      img.onerror = () => resolve(false);
      img.src = url;
    });

  await document.fonts.ready;
  await Promise.all([...document.images].map((img) => (img.complete ? null : img.decode().catch(() => null))));
  // Marp shrinks wide code from a ResizeObserver, frames after the load: on a busy machine the first
  // measurement could see a code block not yet scaled. Wait until every scaler's viewBox holds still
  // for two frames (at most ~2 s).
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  const scaled = () =>
    [...document.querySelectorAll("[data-auto-scaling]")]
      .map((el) => {
        const scaler = el.shadowRoot && el.shadowRoot.querySelector("marp-auto-scaling");
        const svg = scaler && scaler.shadowRoot && scaler.shadowRoot.querySelector("svg");
        return svg ? svg.getAttribute("viewBox") : "-";
      })
      .join("|");
  for (let i = 0, last = null, still = 0; i < 120 && still < 2; i += 1) {
    await frame();
    const now = scaled();
    still = now === last ? still + 1 : 0;
    last = now;
  }

  const slides = [];
  let marker = 0;
  const svgs = [...document.querySelectorAll("svg[data-marpit-svg]")];
  for (const [index, svg] of svgs.entries()) {
    const sections = [...svg.querySelectorAll(":scope > foreignObject > section")];
    const section =
      sections.find((s) => !s.dataset.marpitAdvancedBackground || s.dataset.marpitAdvancedBackground === "content") ||
      sections[0];
    const heading = section.querySelector("h1, h2, h3, h4, h5, h6");
    const slide = {
      number: index + 1,
      heading: short(heading ? heading.textContent : (section.querySelector("p, li") || section).innerText, 40),
      theme: section.dataset.theme || "",
      findings: [],
      japanese: [],
      images: [],
    };
    slides.push(slide);
    const found = (kind, message) => slide.findings.push({ kind, message });

    // Lengths in slide pixels: the viewer may scale the whole slide.
    const box = section.getBoundingClientRect();
    const scale = box.width / section.offsetWidth || 1;
    const style = getComputedStyle(section);
    const content = {
      left: box.left + parseFloat(style.paddingLeft) * scale,
      right: box.right - parseFloat(style.paddingRight) * scale,
      top: box.top + parseFloat(style.paddingTop) * scale,
      bottom: box.bottom - parseFloat(style.paddingBottom) * scale,
    };
    const px = (v) => Math.round(v / scale);

    // 1. Overflow: the outermost element that leaves the content box (header, footer and page number
    //    live in the padding by design), and any box whose own content is cut or scrolled.
    const overflowing = [];
    const walk = (el) => {
      for (const child of el.children) {
        if (child.matches("header, footer, script, style") && child.parentElement === section) continue;
        const r = child.getBoundingClientRect();
        const cs = getComputedStyle(child);
        const visible = r.width > 0 && r.height > 0 && cs.visibility !== "hidden" && cs.position !== "fixed";
        const out = {
          below: r.bottom - content.bottom,
          right: r.right - content.right,
          left: content.left - r.left,
          above: content.top - r.top,
        };
        const worst = Object.entries(out).sort((a, b) => b[1] - a[1])[0];
        if (visible && worst[1] > opts.tolerance * scale) {
          overflowing.push([child, worst[0], px(worst[1])]);
          continue;
        }
        if (visible && child.matches("pre, marp-pre, table, div, p, li, blockquote")) {
          const clipsX = ["hidden", "auto", "scroll", "clip"].includes(cs.overflowX);
          const clipsY = ["hidden", "auto", "scroll", "clip"].includes(cs.overflowY);
          if (clipsX && child.scrollWidth > child.clientWidth + opts.tolerance) {
            overflowing.push([child, "cut", child.scrollWidth - child.clientWidth]);
            continue;
          }
          if (clipsY && child.scrollHeight > child.clientHeight + opts.tolerance) {
            overflowing.push([child, "cut-below", child.scrollHeight - child.clientHeight]);
            continue;
          }
        }
        if (!(child instanceof SVGElement) && !child.matches("mjx-container")) walk(child);
      }
    };
    walk(section);
    const where = {
      below: "runs {n}px below the slide's content area",
      right: "runs {n}px past the right edge of the content area",
      left: "starts {n}px left of the content area",
      above: "starts {n}px above the content area",
      cut: "is {n}px wider than its box and is cut off",
      "cut-below": "is {n}px taller than its box and is cut off",
    };
    for (const [el, side, n] of overflowing) found("overflow", `${label(el)} ${where[side].replace("{n}", n)}`);

    // 2. Images that did not load, or that were scaled to nothing; background images too.
    for (const img of section.querySelectorAll("img")) {
      const r = img.getBoundingClientRect();
      if (!img.complete || img.naturalWidth === 0) found("image", `image ${img.getAttribute("src")} failed to load`);
      else if (r.width < 2 || r.height < 2) found("image", `image ${img.getAttribute("src")} is scaled to nothing (${px(r.width)}×${px(r.height)}px)`);
      else slide.images.push({ src: img.getAttribute("src"), width: r.width / scale });  // its text is measured in Python
    }
    for (const el of svg.querySelectorAll("section, section *")) {
      const bg = getComputedStyle(el).backgroundImage;
      for (const m of bg.matchAll(/url\("?([^")]+)"?\)/g)) {
        if (!(await loaded(m[1]))) found("image", `background image ${decodeURI(m[1]).split("/").pop()} failed to load`);
      }
    }

    // 3. Math that MathJax or KaTeX could not typeset (error nodes, or undefined macros drawn in red).
    for (const err of section.querySelectorAll("[data-mjx-error], mjx-merror, .katex-error")) {
      found("math", `math error: ${err.getAttribute("data-mjx-error") || err.getAttribute("title") || short(err.textContent, 60)}`);
    }
    for (const bad of section.querySelectorAll('g[data-mml-node="mtext"][fill="red"]')) {
      const text = [...bad.querySelectorAll("[data-c]")].map((u) => String.fromCodePoint(parseInt(u.dataset.c, 16))).join("");
      found("math", `math error: undefined control sequence ${text || "(unknown)"}`);
    }

    // 4. Japanese text: mark each element that holds some, so that the fonts it is drawn with can be asked for.
    const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
    const counts = new Map();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || parent.closest("script, style") || parent.closest("svg") !== svg) continue;  // not inside math
      const n = (node.data.match(JAPANESE) || []).length;
      if (n) counts.set(parent, (counts.get(parent) || 0) + n);
    }
    for (const [el, n] of counts) {
      el.dataset.deckcheckJa = String(++marker);
      const family = getComputedStyle(el).fontFamily;
      slide.japanese.push({ marker: String(marker), chars: n, text: short(el.textContent), family });
    }

    // 5. Text shrunk below a readable size (Marp's auto-scaling does this silently to wide code).
    const small = [];
    for (const el of section.querySelectorAll("*")) {
      if (el.closest("header, footer") || !el.offsetWidth) continue;  // SVG nodes have no offsetWidth
      const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.data.trim());
      if (!hasText) continue;
      const r = el.getBoundingClientRect();
      const size = (parseFloat(getComputedStyle(el).fontSize) * (r.width / el.offsetWidth)) / scale;
      if (size < opts.minFontPx && !small.some((s) => s[0].contains(el))) small.push([el, size]);
    }
    for (const [el, size] of small) {
      found("small", `${label(el)} is drawn at ${size.toFixed(1)}px, below the ${opts.minFontPx}px that reads on a slide`);
    }
  }
  return slides;
};
