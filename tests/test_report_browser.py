"""The HTML report as a person sees it: rendered in headless Chromium, measured from the page.

``seqcheck report lstm`` is opened from disk with the network switched off. The page is
judged by :func:`problems` from what Chromium laid out, not from the HTML text: the formulas
are MathML whose fractions stack and whose scripts sit lower (or higher) and smaller than
their base; no TeX source is left in the visible text; every figure is an inline SVG that
draws something visible on screen and has a caption; nothing is fetched. The harness itself
is tested on hand-written pages, so that each of its checks is shown to fail on a page that
only looks right in the HTML text (the same formula as plain text, MathML tags outside
``<math>``, MathML with its layout switched off, blank figures).

Needs the Debian packages ``chromium`` and ``chromium-driver`` (``.ci/install-browser``) and
selenium (the ``dev`` extra); without them, and only then, the module skips.
"""

import base64
import io
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from seqcheck.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:
    webdriver = None

_missing = [name for name, found in [("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER),
                                     ("selenium", webdriver)] if not found]
if _missing:
    pytest.skip(f"{' and '.join(_missing)} not found: the browser test needs the Debian "
                "packages chromium and chromium-driver (.ci/install-browser, or apt-get install "
                "chromium chromium-driver) and selenium (the dev extra)", allow_module_level=True)

MATHML = "http://www.w3.org/1998/Math/MathML"
WINDOW = (1200, 900)

# Measures the page in one call. Boxes are in CSS pixels from the top left of the document,
# which is also the pixel grid of the full-page screenshot (the device scale factor is 1).
_MEASURE = r"""
const box = e => {
  const r = e.getBoundingClientRect();
  return {left: r.left + scrollX, top: r.top + scrollY, width: r.width, height: r.height,
          font: parseFloat(getComputedStyle(e).fontSize)};
};
const label = e => e.textContent.replace(/\s+/g, "").slice(0, 30);
const DRAWN = new Set(["path", "use", "text", "line", "polyline", "polygon", "rect", "circle",
                       "ellipse", "image"]);
const UNDRAWN = new Set(["defs", "clipPath", "mask", "marker", "pattern", "symbol"]);
const drawn = e => {
  if (!DRAWN.has(e.localName)) return false;
  for (let a = e.parentElement; a; a = a.parentElement) if (UNDRAWN.has(a.localName)) return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 || r.height > 0;
};
return {
  math: [...document.getElementsByTagName("math")].map(
    e => ({namespace: e.namespaceURI, label: label(e), box: box(e)})),
  layout: [...document.querySelectorAll("mfrac, msub, msup, msubsup")].map(
    e => ({kind: e.localName, label: label(e), children: [...e.children].map(box)})),
  figures: [...document.querySelectorAll("figure")].map(f => {
    const svg = f.querySelector("svg"), caption = f.querySelector("figcaption");
    return {caption: caption && caption.textContent.trim().slice(0, 40),
            svg: svg && box(svg),
            drawn: svg ? [...svg.querySelectorAll("*")].filter(drawn).length : 0};
  }),
  text: document.body.innerText,
  resources: performance.getEntriesByType("resource").map(e => e.name),
  scripts: document.scripts.length,
};
"""


@dataclass(frozen=True)
class Page:
    """What Chromium made of one HTML file.

    Arguments:
        url: the file:// address opened.
        measured: the result of ``_MEASURE`` (boxes of math, scripts, fractions, figures).
        requests: every URL the page asked for besides itself (none for a self-contained file).
        png: the full-page screenshot as a PNG file's bytes.
        pixels: the screenshot decoded, shape (height, width, channels).
    """

    url: str
    measured: dict
    requests: tuple[str, ...]
    png: bytes
    pixels: np.ndarray


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, offline, at a fixed window size."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={WINDOW[0]},{WINDOW[1]}", "--force-device-scale-factor=1",
                "--hide-scrollbars"):
        options.add_argument(arg)
    # The performance log lists every request the page makes, failed ones included.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0,
                                      upload_throughput=0)
        yield driver
    finally:
        driver.quit()


def look(driver, path: Path) -> Page:
    """Open ``path`` in ``driver``, measure it and take a full-page screenshot."""
    url = path.resolve().as_uri()
    driver.get_log("performance")  # drop what the previous page left
    driver.get(url)
    measured = driver.execute_script(_MEASURE)
    width, height = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    png = base64.b64decode(shot["data"])
    requested = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    requests = [u for u in requested + measured["resources"]
                if u != url and not u.startswith(("data:", "about:"))]
    return Page(url, measured, tuple(dict.fromkeys(requests)), png, _decode_png(png))


def _decode_png(png: bytes) -> np.ndarray:
    # matplotlib (the dev extra's plot dependency) reads PNG; no image library of our own.
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(png), format="png")


def _box(b: dict) -> str:
    return f"{b['width']:.0f}×{b['height']:.0f} at ({b['left']:.0f}, {b['top']:.0f})"


def problems(page: Page) -> list[str]:
    """Everything a reader would see wrong in ``page``, one line each (empty: it looks right).

    A line reads ``WHERE: WHAT [measurements]``; the measurements are CSS pixels.
    """
    m = page.measured
    out = []
    if not m["math"]:
        out.append("no <math> element: the formulas are not MathML")
    for i, math in enumerate(m["math"], 1):
        where = f"math {i} ({math['label']})"
        if math["namespace"] != MATHML:
            out.append(f"{where}: not in the MathML namespace [{math['namespace']}]")
        if not (math["box"]["width"] > 0 and math["box"]["height"] > 0):
            out.append(f"{where}: nothing laid out [{_box(math['box'])}]")
    seen: dict[str, int] = {}
    for el in m["layout"]:
        kind = el["kind"]
        seen[kind] = seen.get(kind, 0) + 1
        out += _layout_problems(f"{kind} {seen[kind]} ({el['label']})", kind, el["children"])
    tex = list(dict.fromkeys(re.findall(r"\$\$|\\[A-Za-z]+|\\[(\[]", m["text"])))
    if tex:
        out.append(f"TeX source in the visible text: {', '.join(tex[:5])}")
    for i, fig in enumerate(m["figures"], 1):
        where = f"figure {i} ({fig['caption'] or 'no caption'})"
        svg = fig["svg"]
        if fig["caption"] is None:
            out.append(f"{where}: no <figcaption>")
        if svg is None:
            out.append(f"{where}: no inline <svg>")
            continue
        if not (svg["width"] > 0 and svg["height"] > 0):
            out.append(f"{where}: the svg has an empty box [{_box(svg)}]")
            continue
        if fig["drawn"] == 0:
            out.append(f"{where}: the svg draws nothing (no visible path, use, text or shape)")
        elif _single_colour(_crop(page.pixels, svg)):
            out.append(f"{where}: the svg is one flat colour on screen [{_box(svg)}]")
    if m["scripts"]:
        out.append(f"{m['scripts']} <script> element(s): the report must read without scripts")
    for url in page.requests:
        out.append(f"fetches {url}: the file is not self-contained")
    return out


def _layout_problems(where: str, kind: str, children: list[dict]) -> list[str]:
    # MathML Core: mfrac is (numerator, denominator); msub (base, subscript); msup (base,
    # superscript); msubsup (base, subscript, superscript).
    want = {"mfrac": 2, "msub": 2, "msup": 2, "msubsup": 3}[kind]
    if len(children) != want:
        return [f"{where}: {len(children)} children, MathML wants {want}"]
    if kind == "mfrac":
        num, den = children
        # one pixel of slack for the rule's anti-aliased edge
        if den["top"] < num["top"] + num["height"] - 1:
            return [f"{where}: the denominator is not below the numerator "
                    f"[numerator {_box(num)}, denominator {_box(den)}]"]
        return []
    base, out = children[0], []
    names = {"msub": ["subscript"], "msup": ["superscript"],
             "msubsup": ["subscript", "superscript"]}[kind]
    for name, script in zip(names, children[1:]):
        if name == "subscript":
            placed = script["top"] + script["height"] > base["top"] + base["height"]
        else:
            placed = script["top"] < base["top"]
        if not placed:
            out.append(f"{where}: the {name} is not {'lower' if name == 'subscript' else 'higher'}"
                       f" than the base [base {_box(base)}, {name} {_box(script)}]")
        # Glyph boxes follow the ink (x is shorter than 2), so size is judged by font size.
        if not script["font"] < base["font"]:
            out.append(f"{where}: the {name} is not smaller than the base "
                       f"[font {base['font']:g}px and {script['font']:g}px]")
    return out


def _crop(pixels: np.ndarray, b: dict) -> np.ndarray:
    top, left = int(b["top"]), int(b["left"])
    return pixels[top:top + int(b["height"]), left:left + int(b["width"])]


def _single_colour(pixels: np.ndarray) -> bool:
    return pixels.size == 0 or bool((pixels == pixels[:1, :1]).all())


def _artifact_dir(tmp_path: Path) -> Path:
    """$SEQCHECK_ARTIFACTS when set (CI keeps it), else the test's temporary directory."""
    where = os.environ.get("SEQCHECK_ARTIFACTS")
    if not where:
        return tmp_path
    path = Path(where)
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the report ------------------------------------------------------------------------------


def test_lstm_report_reads_as_rendered_math_and_figures(browser, tmp_path):
    out = tmp_path / "lstm.html"
    assert main(["report", "lstm", "-o", str(out)]) == 0

    page = look(browser, out)
    shot = _artifact_dir(tmp_path) / "report-lstm.png"
    shot.write_bytes(page.png)

    assert problems(page) == []
    kinds = [el["kind"] for el in page.measured["layout"]]
    # W_{hi} and h_{t-1} are subscripts: the layout checks above saw real scripts.
    assert kinds.count("msub") + kinds.count("msubsup") > 0, kinds
    assert page.measured["figures"], "the report has no figure"
    assert shot.stat().st_size > 0
    assert page.pixels.shape[0] >= WINDOW[1] - 1 and page.pixels.shape[1] >= WINDOW[0] - 1
    assert not _single_colour(page.pixels), f"{shot} is one flat colour"


# --- the harness, on hand-written pages ------------------------------------------------------

_MATH = ('<math display="block"><mfrac><mi>a</mi><mi>b</mi></mfrac><mo>+</mo>'
         '<msub><mi>W</mi><mi>ii</mi></msub><msup><mi>x</mi><mn>2</mn></msup></math>')
_TAGS = _MATH.replace('<math display="block">', "<p>").replace("</math>", "</p>")
_LINE = '<path d="M0 60 L60 10 L120 40" fill="none" stroke="black" stroke-width="2"/>'
_FIGURE = (f'<figure><svg width="120" height="60">{_LINE}</svg>'
           "<figcaption>Figure 1. A line.</figcaption></figure>")

_SCRIPT_LAYOUT = [
    "msub 1 (Wii): the subscript is not lower than the base",
    "msub 1 (Wii): the subscript is not smaller than the base",
    "msup 1 (x2): the superscript is not higher than the base",
    "msup 1 (x2): the superscript is not smaller than the base",
]

PAGES = [
    pytest.param(_MATH + _FIGURE, [], id="mathml-and-svg"),
    pytest.param("<p><span>a/b + W_ii x^2</span></p>" + _FIGURE,
                 ["no <math> element: the formulas are not MathML"], id="formula-as-plain-text"),
    # What a browser without MathML shows: the same tags, laid out as inline text.
    pytest.param(_TAGS + _FIGURE,
                 ["no <math> element: the formulas are not MathML",
                  "mfrac 1 (ab): the denominator is not below the numerator", *_SCRIPT_LAYOUT],
                 id="mathml-tags-outside-math"),
    # The MathML namespace is right, but CSS switches MathML layout off: the scripts keep
    # their smaller font (math-depth still applies) and sit on the baseline.
    pytest.param("<style>math * { display: inline }</style>" + _MATH + _FIGURE,
                 ["mfrac 1 (ab): the denominator is not below the numerator",
                  _SCRIPT_LAYOUT[0], _SCRIPT_LAYOUT[2]],
                 id="mathml-not-laid-out"),
    pytest.param('<math display="block"></math>' + _MATH + _FIGURE,
                 ["math 1 (): nothing laid out"], id="empty-math"),
    pytest.param(r"<p>$$\frac{a}{b}$$ and \(x\)</p>" + _MATH + _FIGURE,
                 [r"TeX source in the visible text: $$, \frac, \("], id="tex-source"),
    pytest.param(
        _MATH
        + f'<figure><svg width="120" height="60">{_LINE}</svg></figure>'
        + '<figure><svg width="120" height="60"></svg><figcaption>empty</figcaption></figure>'
        + '<figure><svg width="120" height="60"><defs>' + _LINE + "</defs>"
          '<rect width="120" height="60" fill="white"/></svg><figcaption>blank</figcaption>'
          "</figure>"
        + f'<figure><svg width="0" height="0">{_LINE}</svg><figcaption>zero</figcaption></figure>'
        + "<figure><p>a picture</p><figcaption>no svg</figcaption></figure>",
        ["figure 1 (no caption): no <figcaption>",
         "figure 2 (empty): the svg draws nothing (no visible path, use, text or shape)",
         "figure 3 (blank): the svg is one flat colour on screen",
         "figure 4 (zero): the svg has an empty box",
         "figure 5 (no svg): no inline <svg>"],
        id="broken-figures"),
    pytest.param(_MATH + _FIGURE + '<img src="https://example.com/x.png">'
                 '<link rel="stylesheet" href="style.css"><script>let x = 1;</script>',
                 ["1 <script> element(s): the report must read without scripts",
                  "fetches https://example.com/x.png: the file is not self-contained",
                  "fetches {dir}/style.css: the file is not self-contained"],
                 id="scripts-and-fetches"),
]


@pytest.mark.parametrize("body, expected", PAGES)
def test_harness_tells_rendered_math_and_figures_from_lookalikes(browser, tmp_path, body,
                                                                 expected):
    path = tmp_path / "page.html"
    path.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head>'
                    f"<body>{body}</body></html>", encoding="utf-8")
    found = [re.sub(r" \[.*\]$", "", line) for line in problems(look(browser, path))]
    assert found == [line.format(dir=tmp_path.resolve().as_uri()) for line in expected]
