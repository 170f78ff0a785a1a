#!/usr/bin/env python3
"""The HTML report, checked with parsers and in a real browser (Python 3 standard library only).

1. Builds the report of examples/activity.csv with --by segment (and without, and of
   examples/summary.csv, and of a generated wide input) with the real binary.
2. Structure: the HTML parses with every element closed, each <svg> is well-formed XML
   (xml.etree), every chart has a <title>, a <desc>, an aria-label, axis titles and drawn content
   (a non-empty line path or a bar of non-zero size), ids are unique, and nothing refers outside
   the file: no <script>, <link>, <img>, <iframe>, no src= or href=, no url() or @import in CSS.
3. Same input in another row order gives the same bytes; a hostile file name is escaped.
4. Renders the pages in headless Chromium (Debian's `chromium`) with the network cut off
   (--host-resolver-rules maps every host to "not found"; a fresh profile for every run):
   - page errors: Chromium runs with --enable-logging=stderr, which prints every console message
     as an INFO:CONSOLE line. The report has no scripts, so any console line is an error. A
     canary page with a deliberate script error is rendered first to prove that this detection
     works with the Chromium at hand (otherwise the check could pass by never seeing anything);
   - --dump-dom: the rendered DOM still holds every chart;
   - --print-to-pdf: the print CSS starts each section on a new page (the page prints on more
     pages than the same page without the page-break rule);
   - the layout: a copy of the page with MEASURE_SCRIPT (the page itself has no script) reports,
     through --dump-dom, the page height and the box of every section, chart, data mark and
     heat-map label;
   - --screenshot of the WHOLE page (as tall as measured; a page taller than SEGMENT_HEIGHT is
     taken in segments, each of a copy shifted up by a style rule, and stitched), decoded here
     (zlib + the PNG row filters, pure Python). Every chart must be inside it and not blank there
     (ink, colours, contrast; a strip of page background must count as blank), every bar, cell,
     marker and line must show its colour where the DOM put it (no-data cells their hatching),
     every section and the footer must be inside and drawn, and heat-map labels must fit their
     cells and not overlap as the browser's fonts set them. A broken copy of the page (marks
     hidden, labels at 40 px) must fail those checks in every chart, so they can fail;
   - the first page's screenshot also shows ink, many colours and the charts' solid bar colours
     (Okabe-Ito blue, green and vermillion) as solid areas.
   The pages: examples/activity.csv --by segment, and a generated 80-month, 300-customer file
   --by segment (a heat map 80 ages wide; shot in segments of a third of SEGMENT_HEIGHT).

Chromium missing is the ONLY reason to skip (exit 77, which CTest shows as skipped, with a loud
message); `bash tools/setup.sh test` installs it, so CI runs this test in full.

Usage: check_report.py --binary PATH --examples DIR --work DIR [--chromium PATH]
Prints one line per failure and `report: N passed, M failed`; exits 1 if anything failed.
"""

import argparse
import html
import html.parser
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib
from collections import Counter

SKIP = 77
# Screenshots taller than this are taken in several segments (Chromium's surfaces have limits).
SEGMENT_HEIGHT = 8000
SVG_NS = "{http://www.w3.org/2000/svg}"
# Charts the example data must produce (it has csat responses, acquisition costs and customers, so
# cohorts), and with --by segment the small multiples of the groups.
BASE_CHARTS = ["chart-customers", "chart-churn", "chart-bridge", "chart-mrr", "chart-retention",
               "chart-csat", "chart-cac", "chart-cohorts"]
GROUP_CHARTS = ["chart-groups-customers", "chart-groups-mrr", "chart-groups-churn", "chart-groups-nrr"]
EXPECTED_CHARTS = BASE_CHARTS + GROUP_CHARTS
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
        "wbr"}
FORBIDDEN_TAGS = {"script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject",
                  "audio", "video", "source", "base"}
HOSTILE = "<script>&\"'"


class Checks:
    def __init__(self, quiet=False):
        self.passed = 0
        self.failed = 0
        self.quiet = quiet
        self.failures = []  # names of the failed checks

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            self.failures.append(name)
            if not self.quiet:
                print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok


# ---- structure ------------------------------------------------------------------------------

class Structure(html.parser.HTMLParser):
    """Records elements, attributes and nesting errors of an HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.tags = Counter()
        self.attributes = []  # (tag, name, value)
        self.ids = Counter()
        self.style = ""
        self.doctype = None
        self._in_style = False

    def handle_decl(self, decl):
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_endtag(self, tag):
        self._in_style = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {'<' + self.stack[-1] + '>' if self.stack else 'nothing'}"
                               f" at line {self.getpos()[0]}")
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        if self._in_style:
            self.style += data

    def _element(self, tag, attrs):
        self.tags[tag] += 1
        for name, value in attrs:
            self.attributes.append((tag, name, value or ""))
            if name == "id":
                self.ids[value] += 1


def svg_blocks(text):
    """Each <svg>...</svg> of the page, as text."""
    return re.findall(r"<svg\b.*?</svg>", text, flags=re.S)


def drawn(element):
    """True if the element is a data mark with visible size: a line/marker path with a non-empty
    d, or a rect with positive width and height that carries a <title> (bars and cells, not
    legend swatches)."""
    tag = element.tag.replace(SVG_NS, "")
    if tag == "path" and element.get("class") in ("line", "marker"):
        return bool(element.get("d", "").strip())
    if tag == "rect" and element.find(SVG_NS + "title") is not None:
        return float(element.get("width", "0")) > 0 and float(element.get("height", "0")) > 0
    return False


def check_structure(c, name, text, expected_charts, required_sections):
    parser = Structure()
    parser.feed(text)
    parser.close()
    c.check(f"{name}: doctype", (parser.doctype or "").lower() == "doctype html", parser.doctype)
    c.check(f"{name}: every element closed in order", not parser.errors and not parser.stack,
            "; ".join(parser.errors[:3]) + (f" open at end: {parser.stack}" if parser.stack else ""))
    c.check(f"{name}: <html lang>, <meta charset>, <title>",
            any(t == "html" and n == "lang" for t, n, _ in parser.attributes)
            and any(t == "meta" and n == "charset" and v.lower() == "utf-8" for t, n, v in parser.attributes)
            and parser.tags["title"] >= 1)
    bad_tags = sorted(t for t in parser.tags if t in FORBIDDEN_TAGS)
    c.check(f"{name}: no script, link, img or other external elements", not bad_tags, str(bad_tags))
    refs = [(t, n, v) for t, n, v in parser.attributes if n in ("src", "href", "xlink:href", "srcset", "action")]
    c.check(f"{name}: no src or href attributes", not refs, str(refs[:3]))
    on_handlers = [(t, n) for t, n, _ in parser.attributes if n.startswith("on")]
    c.check(f"{name}: no event-handler attributes", not on_handlers, str(on_handlers[:3]))
    c.check(f"{name}: CSS has no url() or @import", not re.search(r"url\s*\(|@import", parser.style))
    c.check(f"{name}: CSS has print rules", "@media print" in parser.style and "break-before: page" in parser.style)
    urls = [u for u in re.findall(r"https?://[^\s\"'<>]+", text) if u != "http://www.w3.org/2000/svg"]
    c.check(f"{name}: no URL other than the SVG namespace", not urls, str(urls[:3]))
    dupes = [i for i, n in parser.ids.items() if n > 1]
    c.check(f"{name}: ids unique", not dupes, str(dupes))
    sections = [v for t, n, v in parser.attributes if t == "section" and n == "id"]
    c.check(f"{name}: sections", all(s in sections for s in required_sections), str(sections))

    blocks = svg_blocks(text)
    c.check(f"{name}: one svg block per <svg> tag", len(blocks) == parser.tags["svg"],
            f"{len(blocks)} vs {parser.tags['svg']}")
    seen = []
    for block in blocks:
        try:
            root = ET.fromstring(block)
        except ET.ParseError as e:
            c.check(f"{name}: svg is well-formed XML", False, f"{e}: {block[:120]}")
            continue
        chart = root.get("id", "?")
        seen.append(chart)
        title = root.find(SVG_NS + "title")
        desc = root.find(SVG_NS + "desc")
        c.check(f"{name}: {chart}: <title>, <desc>, role=img, aria-label",
                title is not None and (title.text or "").strip() and desc is not None
                and (desc.text or "").strip() and root.get("role") == "img" and root.get("aria-label"))
        c.check(f"{name}: {chart}: viewBox", re.fullmatch(r"0 0 [\d.]+ [\d.]+", root.get("viewBox", "")))
        marks = [e for e in root.iter() if drawn(e)]
        c.check(f"{name}: {chart}: drawn marks", len(marks) > 0, "no non-empty path or sized rect")
        axis_titles = [e for e in root.iter(SVG_NS + "text") if "axis-title" in (e.get("class") or "")]
        c.check(f"{name}: {chart}: labelled axis", axis_titles and all((e.text or "").strip() for e in axis_titles))
    missing = [ch for ch in expected_charts if ch not in seen]
    c.check(f"{name}: expected charts", not missing, f"missing {missing}; found {seen}")
    return len(blocks)


# ---- PNG ------------------------------------------------------------------------------------

def read_png(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace != 0:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour_type}, interlace {interlace}")
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    pos = 0
    for _ in range(height):
        kind = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if kind == 1:  # Sub
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif kind == 2:  # Up
            line = bytearray(map(lambda a, b: (a + b) & 255, line, prev))
        elif kind == 3:  # Average
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 255
        elif kind == 4:  # Paeth
            for x in range(stride):
                a, c = (line[x - bpp], prev[x - bpp]) if x >= bpp else (0, 0)
                b = prev[x]
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif kind != 0:
            raise ValueError(f"bad PNG filter {kind}")
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def hex_rgb(text):
    return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))


# ---- browser --------------------------------------------------------------------------------

def chromium_command(chromium, profile, extra):
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps",
            # No network: every host name resolves to "not found", and no proxy answers.
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            # One CSS pixel is one screenshot pixel, so DOM boxes index the PNG directly.
            "--force-device-scale-factor=1",
            "--enable-logging=stderr", "--v=0", "--hide-scrollbars"] + extra


def run_chromium(chromium, work, extra, timeout=120):
    """One headless run with a fresh profile (nothing carried over from an earlier run)."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=work)
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HOME"):
        env[var] = os.path.join(profile, "home")
    os.makedirs(env["HOME"], exist_ok=True)
    try:
        p = subprocess.run(chromium_command(chromium, profile, extra), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def console_lines(stderr):
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


# The page itself has no scripts. To know where each chart and each of its marks landed, a copy of
# the page gets this script before </body>; it writes the boxes (CSS pixels from the top of the
# document) into an attribute of <html>, which --dump-dom prints. The script adds no element, so
# the copy lays out exactly as the page.
MEASURE_SCRIPT = r"""<script>
(function () {
  function box(e) {
    var r = e.getBoundingClientRect();
    return [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height];
  }
  var root = document.documentElement;
  var out = {width: root.clientWidth,
             height: Math.ceil(Math.max(root.scrollHeight, document.body.scrollHeight)),
             sections: [], charts: [], footer: box(document.querySelector('footer'))};
  document.querySelectorAll('section').forEach(function (s) { out.sections.push({id: s.id, box: box(s)}); });
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var c = {id: svg.id, box: box(svg), marks: [], labels: []};
    svg.querySelectorAll('path.line, path.marker, rect').forEach(function (e) {
      if (e.closest('defs') || e.closest('.legend')) return;
      if (e.tagName.toLowerCase() === 'rect' && !e.querySelector('title')) return;
      c.marks.push({tag: e.tagName.toLowerCase(), cls: e.getAttribute('class') || '',
                    fill: e.getAttribute('fill') || '', stroke: e.getAttribute('stroke') || '',
                    box: box(e)});
    });
    svg.querySelectorAll('text.cell').forEach(function (t) { c.labels.push(box(t)); });
    out.charts.push(c);
  });
  root.setAttribute('data-csm-measure', JSON.stringify(out));
})();
</script>"""


def measure(c, chromium, work, page, name, width):
    """The rendered boxes of the page (see MEASURE_SCRIPT), or None."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    copy = os.path.join(work, name + "-measure.html")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", MEASURE_SCRIPT + "</body>", 1))
    rc, dom, err = run_chromium(chromium, work, [f"--window-size={width},1000", "--dump-dom",
                                                 "file://" + os.path.abspath(copy)])
    c.check(f"{name}: measuring run exit 0, no console messages", rc == 0 and not console_lines(err),
            f"exit {rc}; " + "; ".join(console_lines(err))[:600])
    found = re.search(r'data-csm-measure="([^"]*)"', dom)
    if not c.check(f"{name}: the measuring script reported the layout", found is not None, dom[:300]):
        return None
    return json.loads(html.unescape(found.group(1)))


class Shot:
    """A screenshot of the whole page, possibly in several segments stacked top to bottom."""

    def __init__(self, width):
        self.width = width
        self.height = 0
        self.segments = []  # (top, bpp, rows)

    def add(self, top, bpp, rows):
        self.segments.append((top, bpp, rows))
        self.height = max(self.height, top + len(rows))

    def rgb(self, x, y):
        for top, bpp, rows in self.segments:
            if top <= y < top + len(rows):
                line = rows[y - top]
                i = x * bpp
                return line[i], line[i + 1], line[i + 2]
        raise IndexError(f"pixel {x},{y} is outside the screenshot")


def screenshot(c, chromium, work, page, name, width, height, segment_height):
    """The whole page: one shot if it fits in segment_height pixels, else several, each of a copy
    of the page shifted up (a style rule, no script) by the segments above it."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    shot = Shot(width)
    top = 0
    index = 0
    while top < height:
        rows_wanted = min(segment_height, height - top)
        source = page
        if top > 0:
            source = os.path.join(work, f"{name}-from-{top}.html")
            with open(source, "w", encoding="utf-8") as f:
                f.write(text.replace("</head>", f"<style>body {{ margin-top: -{top}px !important; }}</style>\n</head>", 1))
        png = os.path.join(work, f"{name}-{index}.png")
        rc, _, err = run_chromium(chromium, work, [f"--screenshot={png}", f"--window-size={width},{rows_wanted}",
                                                   "file://" + os.path.abspath(source)])
        c.check(f"{name}: screenshot {index} exit 0, no console messages", rc == 0 and not console_lines(err),
                f"exit {rc}; {err[-400:]}")
        if not c.check(f"{name}: screenshot {index} written", os.path.exists(png)):
            return None
        w, h, bpp, rows = read_png(png)
        if not c.check(f"{name}: screenshot {index} is {width}x{rows_wanted}", (w, h) == (width, rows_wanted),
                       f"{w}x{h}"):
            return None
        shot.add(top, bpp, rows)
        top += rows_wanted
        index += 1
    return shot


def close(rgb, want, tolerance):
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, want))


WHITE = (255, 255, 255)
BACKGROUND = (0xf4, 0xf5, 0xf7)  # the page's body background
HATCH = (0xb8, 0xbe, 0xc6)  # kHeatNoDataStroke in svg_chart.hpp


def region(shot, box, step=2, inset=0):
    """The pixels of a box (sampled every `step` pixels), clipped to the screenshot."""
    x0 = max(0, int(math.ceil(box[0] + inset)))
    y0 = max(0, int(math.ceil(box[1] + inset)))
    x1 = min(shot.width, int(math.floor(box[0] + box[2] - inset)))
    y1 = min(shot.height, int(math.floor(box[1] + box[3] - inset)))
    return [shot.rgb(x, y) for y in range(y0, y1, step) for x in range(x0, x1, step)]


def drawn_stats(pixels):
    """(share of pixels that are neither white nor the page background, distinct colours, spread
    of the luminance) of a sample of pixels."""
    if not pixels:
        return 0.0, 0, 0.0
    ink = sum(1 for p in pixels if p != WHITE and p != BACKGROUND)
    luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in pixels]
    mean = sum(luminance) / len(luminance)
    spread = math.sqrt(sum((v - mean) ** 2 for v in luminance) / len(luminance))
    return ink / len(pixels), len(set(pixels)), spread


def looks_drawn(pixels):
    share, colours, spread = drawn_stats(pixels)
    return share >= 0.02 and colours >= 8 and spread >= 4


def mark_painted(shot, mark, later):
    """Whether the screenshot shows a mark where the DOM says it is, in its colour. `later` are
    the marks drawn after it (one may cover it)."""
    x, y, w, h = mark["box"]
    colour = mark["stroke"] if mark["cls"] == "line" else mark["fill"]
    if colour.startswith("url("):
        # A hatched no-data cell: both the hatch stroke and white show inside it.
        pixels = region(shot, mark["box"], step=1, inset=1)
        return (any(close(p, HATCH, 40) for p in pixels) and any(close(p, WHITE, 8) for p in pixels)), "hatch"
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        return True, "no solid colour"
    want = hex_rgb(colour)
    if mark["cls"] == "line":
        pixels = region(shot, [x - 3, y - 3, w + 6, h + 6], step=1)
        n = sum(1 for p in pixels if close(p, want, 24))
        return n >= max(6, min(w, 200) * 0.2), f"{n} pixels of {colour}"
    if mark["cls"] == "marker":
        cx, cy = int(x + w / 2), int(y + h / 2 + 0.5)
        covering = [hex_rgb(m["fill"] if m["cls"] != "line" else m["stroke"]) for m in later
                    if m["box"][0] - 3 <= cx <= m["box"][0] + m["box"][2] + 3
                    and m["box"][1] - 3 <= cy <= m["box"][1] + m["box"][3] + 3
                    and re.fullmatch(r"#[0-9a-fA-F]{6}", m["fill"] if m["cls"] != "line" else m["stroke"])]
        seen = [shot.rgb(cx + dx, cy + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        ok = any(close(p, c, 24) for p in seen for c in [want] + covering)
        return ok, f"centre {seen[4]} not {colour}"
    # A rect (bar, waterfall step, heat-map cell): points near its corners, clear of a centred label.
    if w < 4 or h < 4:
        return True, "too small to sample"
    # At least 1.5 pixels in from every edge, where anti-aliasing blends the fill with the white.
    inset_x, inset_y = max(1.5, 0.12 * w), max(1.5, 0.2 * h)
    points = [(px, py) for px in (x + inset_x, x + w - inset_x) for py in (y + inset_y, y + h - inset_y)]
    hits = sum(1 for px, py in points if close(shot.rgb(int(px), int(py)), want, 10))
    return hits >= 3, f"{hits} of 4 points in {colour}"


def check_rendered(c, name, layout, shot, expected_charts):
    """Every chart, section and the footer is inside the screenshot and drawn."""
    c.check(f"{name}: the screenshot covers the whole page", shot.height >= layout["height"]
            and shot.width >= layout["width"], f"{shot.width}x{shot.height} for a {layout['width']}x{layout['height']} page")
    c.check(f"{name}: the footer (the end of the page) is in the screenshot",
            layout["footer"][1] + layout["footer"][3] <= shot.height, repr(layout["footer"]))
    # The detector can tell a blank area: the page background right of the cards is not "drawn".
    margin = [layout["width"] - 40, layout["sections"][0]["box"][1], 30, 400] if layout["sections"] else None
    if margin:
        c.check(f"{name}: a blank strip of background is seen as blank (the check can fail)",
                not looks_drawn(region(shot, margin)), repr(drawn_stats(region(shot, margin))))
    for section in layout["sections"]:
        box = section["box"]
        inside = box[1] + box[3] <= shot.height
        c.check(f"{name}: section {section['id']} inside the screenshot", inside, repr(box))
        if inside:
            c.check(f"{name}: section {section['id']} rendered (text and lines, not blank)",
                    looks_drawn(region(shot, box, step=3)), repr(drawn_stats(region(shot, box, step=3))))
    charts = {chart["id"]: chart for chart in layout["charts"]}
    missing = [chart for chart in expected_charts if chart not in charts]
    c.check(f"{name}: every expected chart laid out", not missing, f"missing {missing}")
    for chart in layout["charts"]:
        cid, box = chart["id"], chart["box"]
        if not c.check(f"{name}: {cid} inside the screenshot", box[1] + box[3] <= shot.height and box[2] > 0
                       and box[3] > 0, repr(box)):
            continue
        pixels = region(shot, box)
        c.check(f"{name}: {cid} is not blank in the screenshot", looks_drawn(pixels), repr(drawn_stats(pixels)))
        marks = chart["marks"]
        if not c.check(f"{name}: {cid} has data marks in the rendered DOM", len(marks) > 0):
            continue
        failures = []
        for i, mark in enumerate(marks):
            ok, why = mark_painted(shot, mark, marks[i + 1:])
            if not ok:
                failures.append(f"{mark['tag']}.{mark['cls'] or '-'} at {[round(v) for v in mark['box']]}: {why}")
        c.check(f"{name}: {cid}: every data mark painted where the DOM has it ({len(marks)} marks)",
                len(failures) <= len(marks) // 50, f"{len(failures)} not painted: " + "; ".join(failures[:4]))
        # Heat-map labels, as the browser set them: inside their cell, and never touching a neighbour.
        labels = sorted(chart["labels"], key=lambda b: (round(b[1]), b[0]))
        overlaps = [(a, b) for a, b in zip(labels, labels[1:])
                    if round(a[1]) == round(b[1]) and a[0] + a[2] > b[0]]
        c.check(f"{name}: {cid}: no two cell labels overlap ({len(labels)} labels)", not overlaps,
                repr(overlaps[:2]))
        cells = [m["box"] for m in marks if m["tag"] == "rect"]
        outside = []
        for lb in labels:
            cx, cy = lb[0] + lb[2] / 2, lb[1] + lb[3] / 2
            cell = next((r for r in cells if r[0] <= cx <= r[0] + r[2] and r[1] <= cy <= r[1] + r[3]), None)
            if cell is None or lb[0] < cell[0] or lb[0] + lb[2] > cell[0] + cell[2]:
                outside.append(lb)
        c.check(f"{name}: {cid}: every cell label fits inside its cell", not outside, repr(outside[:2]))


def browser_checks(c, chromium, work, pages, segment_height):
    """pages: (name, path, chart count in the file, expected chart ids)."""
    # The canary: a page with a deliberate script error must be reported on stderr.
    canary = os.path.join(work, "canary.html")
    with open(canary, "w", encoding="utf-8") as f:
        f.write("<!DOCTYPE html><html><head><title>canary</title></head><body><p>canary</p>"
                "<script>csmUndefinedFunction();</script></body></html>\n")
    rc, _, err = run_chromium(chromium, work, ["--dump-dom", "file://" + os.path.abspath(canary)])
    c.check("browser: canary page renders", rc == 0, f"exit {rc}: {err[-500:]}")
    if not c.check("browser: a script error shows up as a console line (the error check works)",
                   any("csmUndefinedFunction" in line for line in console_lines(err)), err[-800:]):
        return

    first = True
    for name, page, chart_count, expected in pages:
        url = "file://" + os.path.abspath(page)
        rc, dom, err = run_chromium(chromium, work, ["--dump-dom", url])
        c.check(f"{name}: --dump-dom exit 0", rc == 0, f"exit {rc}: {err[-500:]}")
        c.check(f"{name}: no console messages (page errors)", not console_lines(err),
                "; ".join(console_lines(err))[:800])
        c.check(f"{name}: rendered DOM has every chart", dom.count("<svg") == chart_count,
                f"{dom.count('<svg')} svg in the DOM, {chart_count} in the file")
        for chart in expected:
            c.check(f"{name}: DOM has {chart}", f'id="{chart}"' in dom)

        if first:
            print_checks(c, chromium, work, page)
        layout = measure(c, chromium, work, page, name, 1200)
        if layout is None:
            continue
        shot = screenshot(c, chromium, work, page, name, 1200, layout["height"],
                          segment_height if first else max(1000, segment_height // 3))
        if shot is None:
            continue
        check_rendered(c, name, layout, shot, expected)
        if first:
            broken_canary(c, chromium, work, page, expected, segment_height)
        if first:
            colours = Counter()
            for _, bpp, rows in shot.segments:
                for line in rows[::2]:
                    colours.update(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
            total = sum(colours.values())
            ink = sum(n for rgb, n in colours.items() if rgb not in (WHITE, BACKGROUND))
            c.check(f"{name}: screenshot is not blank (>= 5% ink)", ink >= 0.05 * total,
                    f"{100 * ink / total:.1f}% ink")
            c.check(f"{name}: many distinct colours", len(colours) >= 20, f"{len(colours)} colours")
            # Solid bar fills: the exact colours must cover at least a few hundred sampled pixels each.
            for label, colour in (("blue (retained, totals)", "#0072B2"), ("green (new, increases)", "#009E73"),
                                  ("vermillion (churned, churn line)", "#D55E00")):
                n = colours.get(hex_rgb(colour), 0)
                c.check(f"{name}: screenshot shows {label} {colour}", n >= 200, f"{n} sampled pixels")
        first = False


# A copy of the page whose marks are not painted (hidden, but laid out) and whose cell labels are
# far too big for their cells: check_rendered must fail on it, chart by chart, or it proves nothing.
BROKEN_STYLE = ("<style>svg.chart .bars, svg.chart .series, svg.chart .cells { visibility: hidden; } "
                "svg.chart text.cell { font-size: 40px; }</style>\n")


def broken_canary(c, chromium, work, page, expected, segment_height):
    with open(page, encoding="utf-8") as f:
        text = f.read()
    broken = os.path.join(work, "broken.html")
    with open(broken, "w", encoding="utf-8") as f:
        f.write(text.replace("</head>", BROKEN_STYLE + "</head>", 1))
    quiet = Checks(quiet=True)
    layout = measure(quiet, chromium, work, broken, "broken", 1200)
    shot = screenshot(quiet, chromium, work, broken, "broken", 1200, layout["height"], segment_height) if layout else None
    if not c.check("canary: the broken copy was measured and shot", layout is not None and shot is not None,
                   "; ".join(quiet.failures[:3])):
        return
    check_rendered(quiet, "broken", layout, shot, expected)
    unnoticed = [chart for chart in expected
                 if not any(f.startswith(f"broken: {chart}: every data mark painted") for f in quiet.failures)]
    c.check("canary: unpainted marks are caught in every chart (the paint check works)", not unnoticed,
            f"not caught in {unnoticed}")
    c.check("canary: overlapping cell labels are caught (the label check works)",
            any(f.startswith("broken: chart-cohorts: no two cell labels overlap") for f in quiet.failures)
            and any(f.startswith("broken: chart-cohorts: every cell label fits") for f in quiet.failures),
            repr([f for f in quiet.failures if "chart-cohorts" in f]))


def print_checks(c, chromium, work, page):
    # Print: each section starts a new page (break-before: page). The same page with that rule
    # taken out must print on fewer pages, and the report on at most two pages per section.
    def printed_pages(path, name):
        pdf = os.path.join(work, name)
        rc, _, err = run_chromium(chromium, work, [f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
                                                   "file://" + os.path.abspath(path)])
        if not c.check(f"browser: --print-to-pdf {name}", rc == 0 and os.path.exists(pdf), f"exit {rc}: {err[-500:]}"):
            return None
        with open(pdf, "rb") as f:
            counts = [int(n) for n in re.findall(rb"/Count (\d+)", f.read())]
        return max(counts) if counts else None

    with open(page, encoding="utf-8") as f:
        page_text = f.read()
    unbroken = os.path.join(work, "report-no-page-breaks.html")
    with open(unbroken, "w", encoding="utf-8") as f:
        f.write(page_text.replace("break-before: page;", ""))
    pages = printed_pages(page, "report.pdf")
    pages_unbroken = printed_pages(unbroken, "report-no-page-breaks.pdf")
    sections = page_text.count("<section")
    if pages and pages_unbroken:
        c.check("browser: print starts sections on new pages", pages > pages_unbroken,
                f"{pages} pages with page breaks, {pages_unbroken} without")
        c.check("browser: at most two printed pages per section", pages <= 2 * sections,
                f"{pages} pages for {sections} sections")


# ---- a wide page ----------------------------------------------------------------------------

def write_wide_input(path, customers=300, months=80, seed=5):
    """Activity records of `customers` customers over `months` months (2019-01 on), all starting
    in the first ten months, so the heat map has up to 80 ages; many leave early, so there are
    cohorts at 0 % for a long stretch, which once printed "0%0%0%" across the row. Segments and
    csat too, for every chart."""
    rng = random.Random(seed)
    lines = ["customer_id,period,revenue,segment,csat,acquisition_cost"]
    for i in range(customers):
        start = rng.randrange(10)
        life = rng.choice([1, 2, 3, rng.randrange(4, months), months])
        segment = ("smb", "mid-market", "enterprise")[i % 3]
        price = (49, 199, 899)[i % 3] + rng.randrange(3) * 10
        for m in range(start, min(months, start + life)):
            if rng.random() < 0.03:
                continue  # a month off: a gap, then a return
            year, month = divmod(m, 12)
            csat = str(rng.randrange(1, 6)) if rng.random() < 0.2 else ""
            cost = str(rng.randrange(100, 900)) if m == start else ""
            lines.append(f"w{i:03d},{2019 + year}-{month + 1:02d},{price + (m // 12) * 5}.00,{segment},{csat},{cost}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# ---- main -----------------------------------------------------------------------------------

def run(binary, args, cwd=None):
    p = subprocess.run([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--examples", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--chromium", default=os.environ.get("CSM_CHROMIUM"))
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    c = Checks()

    # 1. The report of the example with --by segment, to a file and to stdout.
    activity = os.path.join(a.examples, "activity.csv")
    page = os.path.join(work, "report.html")
    rc, out, err = run(binary, ["report", activity, "--by", "segment", "-o", page])
    c.check("report -o: exit 0, nothing on stdout or stderr", rc == 0 and out == b"" and err == "", f"{rc} {err}")
    if not os.path.exists(page):
        print(f"report: {c.passed} passed, {c.failed + 1} failed")
        return 1
    with open(page, "rb") as f:
        page_bytes = f.read()
    rc, out, _ = run(binary, ["report", activity, "--by", "segment"])
    c.check("report to stdout: the same bytes", rc == 0 and out == page_bytes)
    text = page_bytes.decode("utf-8")
    c.check("no time stamp without --timestamp", " UTC" not in text)
    rc, out, _ = run(binary, ["report", "--timestamp", "--title", "Acme & Co", activity])
    c.check("--timestamp and --title", rc == 0 and re.search(rb" on \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", out)
            and b"<title>Acme &amp; Co</title>" in out)

    # 2. Structure.
    chart_count = check_structure(c, "activity", text, EXPECTED_CHARTS,
                                  ["headline", "customers", "revenue", "satisfaction", "cohorts", "groups",
                                   "settings"])
    # The heat map has one row per monthly cohort (12) and the groups one panel per segment (3).
    c.check("activity: 12 cohort rows", len(re.findall(r'<text class="tick"[^>]*>2025-\d\d \(\d+\)</text>',
                                                         text)) == 12)
    for segment in ("enterprise", "mid-market", "smb"):
        c.check(f"activity: a panel for {segment}", f">{segment}</text>" in text)
    rc, out, _ = run(binary, ["report", activity])
    plain = out.decode("utf-8")
    check_structure(c, "activity without --by", plain, BASE_CHARTS,
                    ["headline", "customers", "revenue", "satisfaction", "cohorts", "settings"])
    c.check("without --by: no group section", 'id="groups"' not in plain)
    rc, out, _ = run(binary, ["report", os.path.join(a.examples, "summary.csv")])
    c.check("summary input: exit 0", rc == 0)
    summary = out.decode("utf-8")
    check_structure(c, "summary", summary, ["chart-customers", "chart-churn", "chart-retention"],
                    ["headline", "customers", "revenue", "settings"])
    c.check("summary input: the bridge is a note", "Not available: the bridge needs revenue movements" in summary)

    # 3. Row order does not matter; hostile names are escaped; errors leave no file.
    with open(activity, encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    random.Random(5).shuffle(rows)
    for sub, body in (("sorted", lines[1:]), ("shuffled", rows)):
        os.makedirs(os.path.join(work, sub))
        with open(os.path.join(work, sub, "activity.csv"), "w", encoding="utf-8") as f:
            f.write(header + "".join(body))
    outputs = [run(binary, ["report", "activity.csv", "--by", "segment"], cwd=os.path.join(work, sub))[1]
               for sub in ("sorted", "shuffled")]
    c.check("shuffled rows give byte-identical HTML", outputs[0] == outputs[1] and len(outputs[0]) > 1000)

    hostile = os.path.join(work, HOSTILE + ".csv")
    shutil.copyfile(activity, hostile)
    rc, out, err = run(binary, ["report", HOSTILE + ".csv"], cwd=work)
    hostile_text = out.decode("utf-8")
    c.check("hostile file name: exit 0", rc == 0, err)
    c.check("hostile file name: escaped", "<script" not in hostile_text
            and "&lt;script&gt;&amp;&quot;&#39;.csv" in hostile_text)
    check_structure(c, "hostile", hostile_text, BASE_CHARTS, ["headline", "settings"])

    missing_out = os.path.join(work, "missing.html")
    rc, _, err = run(binary, ["report", os.path.join(work, "no-such-file.csv"), "-o", missing_out])
    c.check("missing input: exit 66, no output file", rc == 66 and not os.path.exists(missing_out), f"{rc} {err}")

    # 4. The browser.
    chromium = a.chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print(f"report: {c.passed} passed, {c.failed} failed (without the browser)")
        print("=" * 78 + "\nSKIPPED: the browser checks need Debian's `chromium`, which is not installed.\n"
              "Install it with `apt-get install chromium` (bash tools/setup.sh test does), or\n"
              "point CSM_CHROMIUM at a Chromium binary.\n" + "=" * 78, flush=True)
        return 1 if c.failed else SKIP
    # The wide page: 80 months, ages up to 79 in the heat map, 3 groups. Rendered in segments of
    # a third of the usual height, so that the stitching of several screenshots is exercised too.
    wide_input = os.path.join(work, "wide.csv")
    write_wide_input(wide_input)
    wide = os.path.join(work, "wide.html")
    rc, _, err = run(binary, ["report", wide_input, "--by", "segment", "-o", wide])
    c.check("wide: exit 0", rc == 0, err)
    with open(wide, encoding="utf-8") as f:
        wide_text = f.read()
    wide_count = check_structure(c, "wide", wide_text, EXPECTED_CHARTS,
                                 ["headline", "customers", "revenue", "satisfaction", "cohorts", "groups", "settings"])
    heat = wide_text[wide_text.find('id="chart-cohorts"'):]
    heat = heat[:heat.find("</svg>")]
    c.check("wide: the heat map has 80 ages", '>79</text>' in heat or ', 79: ' in heat)
    c.check("wide: no-data cells are hatched", 'class="no-data"' in heat and "no data (not observed yet)" in heat)
    browser_checks(c, chromium, work, [("activity", page, chart_count, EXPECTED_CHARTS),
                                       ("wide", wide, wide_count, EXPECTED_CHARTS)], SEGMENT_HEIGHT)

    print(f"report: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
