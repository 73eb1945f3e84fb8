#!/usr/bin/env python3
"""--format markdown: structure checks on every bundled capture.

* the report's sections are there, in order;
* every table has a header, a delimiter row and rows with the same number of
  cells (pipes inside fields must be escaped);
* every ```mermaid block is a sequenceDiagram whose lines pass a small
  grammar: participants declared before use, arrows well formed, no
  unescaped character Mermaid would take as syntax (; # < > &);
* a file name full of Markdown specials stays inside its table cell;
* when mermaid-cli (mmdc) and Chromium are installed, one diagram is
  rendered to SVG (said visibly when they are not).

Usage: check-markdown.py SOCKSCOPE CAPTURES_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

exe, captures = sys.argv[1], sys.argv[2]
passed = failed = 0
SECTIONS = ["# sockscope report", "## Capture summary", "## Findings",
            "## Listening sockets", "## Client hosts"]
DELIM = re.compile(r"^\|( *:?-+:? *\|)+$")
PARTICIPANT = re.compile(r"^    participant ([A-Za-z][A-Za-z0-9_]*) as (.+)$")
MESSAGE = re.compile(r"^    ([A-Za-z][A-Za-z0-9_]*)(->>|-->>|-x|--x|->|-->)([A-Za-z][A-Za-z0-9_]*): (.+)$")
NOTE = re.compile(r"^    Note (?:over|left of|right of) ([A-Za-z][A-Za-z0-9_]*)(?:,([A-Za-z][A-Za-z0-9_]*))?: (.+)$")
TIME = re.compile(r"[+-]\d+\.\d{3} ms")


def cells(line):
    """Cells of a table row, splitting on pipes not escaped by a backslash
    and not inside a code span."""
    out, cur, code, i = [], "", False, 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            cur += line[i:i + 2]
            i += 2
            continue
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            out.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur)
    return out[1:-1] if line.startswith("|") and line.endswith("|") else out


def mermaid_text_ok(text):
    bare = re.sub(r"#\d+;", "", text)
    return not any(c in bare for c in ";#<>&\"`")


def check(md, where):
    errors = []
    lines = md.split("\n")
    heads = [l for l in lines if l in SECTIONS]
    if heads != SECTIONS:
        errors.append(f"sections {heads} != {SECTIONS}")
    i = 0
    n_tables = n_diagrams = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```mermaid"):
            j = i + 1
            block = []
            while j < len(lines) and lines[j] != "```":
                block.append(lines[j])
                j += 1
            if j == len(lines):
                errors.append(f"line {i + 1}: unterminated mermaid block")
                break
            n_diagrams += 1
            errors += [f"line {i + 1}: {e}" for e in check_mermaid(block)]
            i = j + 1
            continue
        if line.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            i = j + 1
            continue
        if line.startswith("|"):
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            table = lines[i:j]
            n_tables += 1
            if len(table) < 2 or not DELIM.match(table[1]):
                errors.append(f"line {i + 1}: table without a delimiter row")
            else:
                width = len(cells(table[0]))
                for k, row in enumerate(table):
                    if len(cells(row)) != width:
                        errors.append(f"line {i + k + 1}: {len(cells(row))} cells, header has {width}: {row}")
                    if not row.endswith("|"):
                        errors.append(f"line {i + k + 1}: row does not end with |")
            i = j
            continue
        i += 1
    if n_tables < 1:
        errors.append("no table")
    return errors, n_diagrams


def check_mermaid(block):
    errors = []
    if not block or block[0] != "sequenceDiagram":
        return ["a mermaid block that is not a sequenceDiagram"]
    declared = set()
    messages = 0
    for line in block[1:]:
        m = PARTICIPANT.match(line)
        if m:
            if messages:
                errors.append(f"participant declared after messages: {line}")
            declared.add(m.group(1))
            if not mermaid_text_ok(m.group(2)):
                errors.append(f"unescaped text: {line}")
            continue
        m = MESSAGE.match(line)
        if m:
            messages += 1
            for p in (m.group(1), m.group(3)):
                if p not in declared:
                    errors.append(f"undeclared participant {p}: {line}")
            if not mermaid_text_ok(m.group(4)):
                errors.append(f"unescaped text: {line}")
            continue
        m = NOTE.match(line)
        if m:
            for p in (m.group(1), m.group(2)):
                if p is not None and p not in declared:
                    errors.append(f"undeclared participant {p}: {line}")
            if not mermaid_text_ok(m.group(3)):
                errors.append(f"unescaped text: {line}")
            continue
        errors.append(f"not a participant, message or note: {line!r}")
    if len(declared) != 2:
        errors.append(f"{len(declared)} participants")
    if messages == 0:
        errors.append("no messages")
    return errors


def run(args):
    p = subprocess.run([exe, "--builtin-services", "-F", "markdown"] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode > 1:
        raise RuntimeError(f"exit {p.returncode}: {p.stderr.decode(errors='replace')}")
    return p.stdout.decode("utf-8")


first_diagram = None
total_diagrams = 0
caps = sorted(f for f in os.listdir(captures) if f.endswith((".pcap", ".pcapng")))
for cap in caps:
    try:
        md = run(["-r", os.path.join(captures, cap)])
    except RuntimeError as e:
        print(f"FAIL {cap}: {e}")
        failed += 1
        continue
    errors, nd = check(md, cap)
    total_diagrams += nd
    if first_diagram is None and "```mermaid" in md:
        first_diagram = md.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    if errors:
        print(f"FAIL {cap}:")
        for e in errors[:10]:
            print("   ", e)
        failed += 1
    else:
        passed += 1

# A file name full of Markdown specials stays in its cell, escaped.
with tempfile.TemporaryDirectory() as tmp:
    weird = os.path.join(tmp, "a|b*c_d`e<f>[g](h)#~.pcap")
    shutil.copy(os.path.join(captures, "crafted-mixed-outcomes.pcap"), weird)
    md = run(["-r", weird])
    errors, _ = check(md, "weird name")
    row = [l for l in md.split("\n") if l.startswith("| Input |")]
    if not row or "a\\|b\\*c\\_d\\`e\\<f\\>\\[g\\](h)#\\~.pcap" not in row[0]:
        errors.append(f"file name not escaped as expected: {row}")
    if errors:
        print("FAIL escaping:", errors[:5])
        failed += 1
    else:
        passed += 1

if total_diagrams == 0:
    print("FAIL: no mermaid diagram in any report")
    failed += 1

# Render one diagram with mermaid-cli when it is installed.
mmdc = shutil.which("mmdc")
chromium = "/usr/bin/chromium"
if mmdc is None or not os.path.exists(chromium) or first_diagram is None:
    print("SKIP mermaid rendering: mmdc (npm @mermaid-js/mermaid-cli) or /usr/bin/chromium "
          "is not installed; structure checked only")
else:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "puppeteer.json")
        with open(cfg, "w") as f:
            f.write('{"executablePath":"%s","args":["--no-sandbox","--disable-gpu"]}' % chromium)
        src = os.path.join(tmp, "d.mmd")
        with open(src, "w") as f:
            f.write(first_diagram + "\n")
        out = os.path.join(tmp, "d.svg")
        env = dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1")
        p = subprocess.run([mmdc, "-p", cfg, "-i", src, "-o", out], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, timeout=180)
        svg = open(out, encoding="utf-8", errors="replace").read() if os.path.exists(out) else ""
        if p.returncode != 0 or "<svg" not in svg or "Syntax error" in svg:
            print("FAIL mermaid-cli could not render a diagram:")
            print(p.stdout.decode(errors="replace")[-2000:])
            failed += 1
        else:
            print(f"mermaid-cli rendered a diagram ({len(svg)} bytes of SVG)")
            passed += 1

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
