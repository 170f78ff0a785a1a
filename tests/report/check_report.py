#!/usr/bin/env python3
"""The HTML report, checked with parsers and in a real browser (Python 3 standard library only).

1. Builds the report of examples/activity.csv with --by segment (and without, and of
   examples/summary.csv) with the real binary.
2. Structure: the HTML parses with every element closed, each <svg> is well-formed XML
   (xml.etree), every chart has a <title>, a <desc>, an aria-label, axis titles and drawn content
   (a non-empty line path or a bar of non-zero size), ids are unique, and nothing refers outside
   the file: no <script>, <link>, <img>, <iframe>, no src= or href=, no url() or @import in CSS.
3. Same input in another row order gives the same bytes; a hostile file name is escaped.
4. Renders the page in headless Chromium (Debian's `chromium`) with the network cut off
   (--host-resolver-rules maps every host to "not found"):
   - page errors: Chromium runs with --enable-logging=stderr, which prints every console message
     as an INFO:CONSOLE line. The report has no scripts, so any console line is an error. A
     canary page with a deliberate script error is rendered first to prove that this detection
     works with the Chromium at hand (otherwise the check could pass by never seeing anything);
   - --dump-dom: the rendered DOM still holds every chart;
   - --print-to-pdf: the print CSS starts each section on a new page (the page prints on more
     pages than the same page without the page-break rule);
   - --screenshot: the PNG is decoded here (zlib + the PNG row filters, pure Python) and must
     not be blank: a good share of the pixels are ink (neither white nor the page background),
     there are many distinct colours, and the bar colours of the charts (Okabe-Ito blue, green
     and vermillion) are present as solid areas.

Chromium missing is the ONLY reason to skip (exit 77, which CTest shows as skipped, with a loud
message); `bash tools/setup.sh test` installs it, so CI runs this test in full.

Usage: check_report.py --binary PATH --examples DIR --work DIR [--chromium PATH]
Prints one line per failure and `report: N passed, M failed`; exits 1 if anything failed.
"""

import argparse
import html.parser
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from collections import Counter

SKIP = 77
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
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
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


def pixel_stats(path):
    width, height, bpp, rows = read_png(path)
    colours = Counter()
    for line in rows[::2]:  # every other row is plenty
        colours.update(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
    return width, height, colours


def hex_rgb(text):
    return tuple(int(text[i:i + 2], 16) for i in (1, 3, 5))


# ---- browser --------------------------------------------------------------------------------

def chromium_command(chromium, work, extra):
    profile = os.path.join(work, "chromium-profile")
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps",
            # No network: every host name resolves to "not found".
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr", "--v=0", "--hide-scrollbars"] + extra


def run_chromium(chromium, work, extra, timeout=60):
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "HOME"):
        env[var] = os.path.join(work, "chromium-home")
    os.makedirs(env["HOME"], exist_ok=True)
    p = subprocess.run(chromium_command(chromium, work, extra), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def console_lines(stderr):
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def browser_checks(c, chromium, work, page, chart_count):
    url = "file://" + os.path.abspath(page)

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

    rc, dom, err = run_chromium(chromium, work, ["--dump-dom", url])
    c.check("browser: --dump-dom exit 0", rc == 0, f"exit {rc}: {err[-500:]}")
    c.check("browser: no console messages (page errors)", not console_lines(err), "; ".join(console_lines(err))[:800])
    c.check("browser: rendered DOM has every chart", dom.count("<svg") == chart_count,
            f"{dom.count('<svg')} svg in the DOM, {chart_count} in the file")
    for chart in EXPECTED_CHARTS:
        c.check(f"browser: DOM has {chart}", f'id="{chart}"' in dom)

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

    shot = os.path.join(work, "report.png")
    if os.path.exists(shot):
        os.remove(shot)
    rc, _, err = run_chromium(chromium, work, [f"--screenshot={shot}", "--window-size=1200,3000", url])
    c.check("browser: --screenshot exit 0", rc == 0, f"exit {rc}: {err[-500:]}")
    c.check("browser: no console messages while taking the screenshot", not console_lines(err),
            "; ".join(console_lines(err))[:800])
    if not c.check("browser: screenshot written", os.path.exists(shot)):
        return
    width, height, colours = pixel_stats(shot)
    c.check("browser: screenshot size", (width, height) == (1200, 3000), f"{width}x{height}")
    total = sum(colours.values())
    background = {(255, 255, 255), hex_rgb("#f4f5f7")}
    ink = sum(n for rgb, n in colours.items() if rgb not in background)
    c.check("browser: screenshot is not blank (>= 5% ink)", ink >= 0.05 * total,
            f"{100 * ink / total:.1f}% ink")
    c.check("browser: many distinct colours", len(colours) >= 20, f"{len(colours)} colours")
    # Solid bar fills: the exact colours must cover at least a few hundred sampled pixels each.
    for name, colour in (("blue (retained, totals)", "#0072B2"), ("green (new, increases)", "#009E73"),
                         ("vermillion (churned, churn line)", "#D55E00")):
        n = colours.get(hex_rgb(colour), 0)
        c.check(f"browser: screenshot shows {name} {colour}", n >= 200, f"{n} sampled pixels")


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
    browser_checks(c, chromium, work, page, chart_count)

    print(f"report: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
