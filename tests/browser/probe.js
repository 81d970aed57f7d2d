// Runs in the page (tests/browser/browser_session.py): settle() waits until the page is what a reader
// sees; probe() gathers, in one pass, everything the browser suite's checks read.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function settle(mathjaxTimeoutMs, done) {
  (async () => {
    const t0 = Date.now();
    while (document.readyState !== "complete" && Date.now() - t0 < 30000) await sleep(20);
    // Once the page has loaded, every script it names has run or failed: MathJax starts at once or never.
    const loaded = Date.now();
    const loadsMathjax = document.querySelector("script[src*='mathjax' i]") !== null;
    let mathjax = loadsMathjax ? "did not start (its script failed to load?)" : "not loaded by this page";
    if (loadsMathjax) {
      while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() - loaded < mathjaxTimeoutMs) {
        await sleep(20);
      }
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        try {
          await MathJax.startup.promise;
          mathjax = "typeset";
        } catch (error) {
          mathjax = "failed: " + error;
        }
      }
    }
    await document.fonts.ready;
    done({ mathjax: mathjax, loadsMathjax: loadsMathjax, ms: Date.now() - t0 });
  })().catch((error) => done({ error: String(error) }));
}

function describe(element) {
  if (!element || !element.tagName) return "?";
  let text = element.tagName.toLowerCase();
  if (element.id) text += "#" + element.id;
  const classes = [...element.classList].slice(0, 3);
  if (classes.length) text += "." + classes.join(".");
  return text;
}

// The section a reader would name: the nearest enclosing element with an id.
function where(element) {
  const anchor = element.closest("[id]");
  return anchor ? anchor.id : "";
}

function texOf(container, sources) {
  const tex = sources.get(container);
  return tex ? tex.trim().replace(/\s+/g, " ").slice(0, 90) : (container.textContent || "").slice(0, 60);
}

function mathSources() {
  const sources = new Map();
  try {
    for (const item of MathJax.startup.document.math) sources.set(item.typesetRoot, item.math);
  } catch (error) {
    // no MathJax on this page
  }
  return sources;
}

// The box inside an element's padding: the article's text column.
function contentBox(element) {
  const rect = element.getBoundingClientRect();
  const style = getComputedStyle(element);
  const left = rect.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft);
  const right = rect.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight);
  return { left: left, right: right, width: right - left };
}

// Where a display equation's formula sits relative to the boxes around it, up to the article column:
// "fits"; "scrolls" (a box with overflow auto/scroll holds it and every part can be scrolled to);
// "cut" (a box clips it, or its left part lies before the scroll origin); "overflows" (it runs past
// the article column, or a bordered box inside it, with nothing to hold it).
function placeEquation(container, article) {
  const box = container.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) return { status: "hidden" };
  const formula = (container.querySelector("mjx-math") || container).getBoundingClientRect();
  const column = contentBox(article);
  const place = { width: Math.round(formula.width), box: Math.round(box.width), column: Math.round(column.width) };
  if (box.right > column.right + 1 || box.left < column.left - 1) {
    return Object.assign(place, { status: "overflows", by: "its box lies outside the article column" });
  }
  for (let node = container; node && node !== document.documentElement; node = node.parentElement) {
    const edge = node === article ? column : node.getBoundingClientRect();
    const pastRight = formula.right > edge.right + 1;
    const pastLeft = formula.left < edge.left - 1;
    if (pastRight || pastLeft) {
      const overflow = getComputedStyle(node).overflowX;
      if (overflow === "auto" || overflow === "scroll") {
        if (pastLeft) return Object.assign(place, { status: "cut", by: describe(node) + " (left part cannot be scrolled to)" });
        return Object.assign(place, { status: "scrolls", by: describe(node) });
      }
      if (overflow === "hidden" || overflow === "clip") return Object.assign(place, { status: "cut", by: describe(node) });
      const bordered = parseFloat(getComputedStyle(node).borderRightWidth) > 0 || node === article;
      if (bordered || node.contains(article) || node === document.body) {
        return Object.assign(place, { status: "overflows", by: describe(node) });
      }
    }
    if (node === article) break;
  }
  return Object.assign(place, { status: "fits" });
}

// Elements sticking out past the right edge of the page (the innermost ones), when the page scrolls sideways.
function widestElements() {
  const limit = document.documentElement.clientWidth + 1;
  const sticking = [...document.body.querySelectorAll("*")].filter((el) => el.getBoundingClientRect().right > limit);
  const innermost = sticking.filter((el) => !sticking.some((other) => other !== el && el.contains(other)));
  return innermost.slice(0, 5).map((el) => describe(el) + " in #" + where(el) + " to " + Math.round(el.getBoundingClientRect().right) + " px");
}

function probe(options, done) {
  (async () => {
    const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
    // Show what a reader can open: solutions, dropdowns, hidden cells.
    article.querySelectorAll("details").forEach((d) => (d.open = true));
    article.querySelectorAll(".toggle-hidden").forEach((e) => e.classList.remove("toggle-hidden"));
    const images = [...document.images];
    images.forEach((img) => {
      if (img.loading === "lazy") img.loading = "eager";
    });
    const loaded = images.map((img) =>
      img.complete ? null : new Promise((resolve) => { img.addEventListener("load", resolve); img.addEventListener("error", resolve); })
    );
    await Promise.race([Promise.all(loaded), sleep(10000)]);
    await new Promise((resolve) => requestAnimationFrame(() => resolve()));

    const root = document.documentElement;
    const sources = mathSources();
    const out = {
      innerWidth: innerWidth,
      clientWidth: root.clientWidth,
      scrollWidth: root.scrollWidth,
      sticking: root.scrollWidth > root.clientWidth ? widestElements() : [],
      formulas: document.querySelectorAll("mjx-container").length,
      equations: [...document.querySelectorAll("mjx-container[display='true']")].map((c) =>
        Object.assign(placeEquation(c, article), { where: where(c), tex: texOf(c, sources) })
      ),
    };
    if (!options.full) return out;

    out.mathErrors = [...document.querySelectorAll("mjx-merror")].map((e) => {
      const container = e.closest("mjx-container");
      return { where: where(e), message: e.getAttribute("data-mjx-error") || e.textContent.slice(0, 80), tex: container ? texOf(container, sources) : "" };
    });
    // Text a reader sees outside code and typeset maths (candidates for raw TeX).
    const skip = "code, pre, kbd, samp, tt, script, style, textarea, noscript, template, svg, mjx-container, .highlight, .sig";  // .sig: a Python signature, whose default values are code
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    out.texts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.data;
      if ((text.includes("$") || text.includes("\\")) && !node.parentElement.closest(skip)) {
        out.texts.push({ where: where(node.parentElement), text: text });
      }
    }
    out.images = images.map((img) => {
      const figure = img.closest("figure");
      const caption = figure ? figure.querySelector("figcaption") : null;
      return {
        src: img.currentSrc || img.src,
        alt: img.getAttribute("alt"),
        complete: img.complete,
        naturalWidth: img.naturalWidth,
        clientWidth: img.clientWidth,
        inArticle: article.contains(img),
        isOutput: img.closest(".cell_output, .output") !== null,
        inFigure: figure !== null,
        number: caption && caption.querySelector(".caption-number") ? caption.querySelector(".caption-number").textContent.trim() : null,
        where: where(img),
      };
    });
    out.figures = [...article.querySelectorAll("figure")].map((f) => {
      const caption = f.querySelector("figcaption");
      const number = caption ? caption.querySelector(".caption-number") : null;
      return {
        where: f.id || where(f),
        caption: caption ? caption.textContent.trim().slice(0, 80) : null,
        number: number ? number.textContent.trim() : null,
      };
    });
    out.outputs = [...document.querySelectorAll(".cell_output, div.output")]
      .filter((o) => !o.parentElement.closest(".cell_output, div.output"))
      .map((o) => ({
        where: where(o),
        stderr: o.matches(".stderr") || o.querySelector(".output.stderr, .stderr") !== null,
        traceback: o.matches(".traceback") || o.querySelector(".output.traceback, .traceback") !== null,
        text: (o.textContent || "").slice(0, 20000),
      }));
    out.hrefs = [...new Set([...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")))];
    out.ids = [...document.querySelectorAll("[id]")].map((e) => e.id).concat([...document.querySelectorAll("a[name]")].map((a) => a.getAttribute("name")));
    out.launch = [...document.querySelectorAll("a[href*='colab.research.google.com'], a[href*='mybinder.org']")].map((a) => a.href);

    // Explorers: every group of range sliders (a SliderFigure's static view, or any output with sliders).
    out.explorers = [];
    const roots = new Set([...document.querySelectorAll("input[type='range']")].map((s) => s.closest(".lh-slider-figure, .cell_output") || s.parentElement));
    for (const explorer of roots) {
      const img = explorer.querySelector("img");
      const entry = { where: explorer.id || where(explorer), ready: explorer.getAttribute("data-ready") === "1" || !explorer.matches(".lh-slider-figure"), hasImage: img !== null, sliders: [] };
      for (const slider of explorer.querySelectorAll("input[type='range']")) {
        const lowest = Number(slider.min || 0), highest = Number(slider.max === "" ? 100 : slider.max);
        const old = slider.value;
        const target = Number(old) !== highest ? highest : lowest;
        const before = img ? img.getAttribute("src") : null;
        slider.value = String(target);
        slider.dispatchEvent(new Event("input", { bubbles: true }));
        slider.dispatchEvent(new Event("change", { bubbles: true }));
        await sleep(0);
        const after = img ? img.getAttribute("src") : null;
        entry.sliders.push({
          name: slider.getAttribute("data-param") || slider.name || slider.id || "slider",
          from: old,
          to: String(target),
          positions: highest - lowest + 1,
          changed: before !== null && after !== before,
        });
        slider.value = old;
        slider.dispatchEvent(new Event("input", { bubbles: true }));
        slider.dispatchEvent(new Event("change", { bubbles: true }));
      }
      out.explorers.push(entry);
    }
    return out;
  })()
    .then(done)
    .catch((error) => done({ error: String(error && error.stack ? error.stack : error) }));
}
