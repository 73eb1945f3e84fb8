#!/usr/bin/env python3
"""The layering rule of src/, checked on the compiled objects.

src/ has one folder per layer (README, "Layout").  A file may call what its
own folder or a lower layer defines, never a higher layer, and never a
sibling layer of the same rank (report/ and export/ are both rank 6 and do
not call each other).  Inside report/, a format (text, json, ...) draws from
the shared report model and output helpers only: it never calls another
format, and the model never calls a format.  Only the dispatcher, render.c,
calls formats.

A format may be more than one file: FORMAT_PARTS names the report/ files
that belong to a format (text-hosts.c is the text format's Hosts section).
A part counts as that format on both sides of an edge: the format and its
parts call each other freely, while any other format, or the model, calling
a part is "calls a format", exactly as if it called the format's main file.
Parts are listed by name rather than matched by a `text-*` prefix because
text-table.c is shared output plumbing (live-view.c uses it too), not part
of the text format.

The check reads `nm` of every object in the build: each undefined `ss_*`
symbol is looked up in the object that defines it.  That catches what an
#include check misses (a prototype declared by hand) and ignores what it
over-reports (a header included for a type).

Usage: check-layers.py BUILD_DIR [--allow FILE]
  --allow FILE  edges still tolerated, one "from.c -> to.c" per line; an
                edge found and not listed fails, and so does a listed edge
                that no longer exists (so the list only shrinks).
Exit status: 0 clean, 1 violations, 77 no objects (nothing built).
"""
import collections
import glob
import os
import re
import subprocess
import sys

RANK = {
    'core': 0,
    'decode': 1,
    'flow': 2,
    'analysis': 3,
    'pipeline': 4,
    'compare': 5,
    'report': 6,
    'export': 6,
    'io': 7,
    'app': 8,
}
# report/ files that are formats: each one draws the report model in one
# syntax.  Everything else in report/ is shared model or output plumbing.
FORMATS = {'text', 'json', 'csv', 'zeek', 'ecs', 'markdown', 'html', 'dot',
           'live-view'}
# report/ files that are part of a format, not formats of their own.
FORMAT_PARTS = {'compare-path-csv': 'csv', 'compare-path-markdown': 'markdown',
                'compare-path-html': 'html', 'text-hosts': 'text', 'compare-text': 'text', 'compare-json': 'json', 'json-line': 'json',
                'compare-csv': 'csv', 'compare-markdown': 'markdown', 'compare-html': 'html'}
DISPATCHER = 'render'


def format_of(base):
    """The format a report/ file draws (its own name or its part's), or None."""
    if base in FORMATS:
        return base
    return FORMAT_PARTS.get(base)


def objects(build):
    found = []
    for pattern in ('*.a.p/src_*.c.o', '*.p/src_app_*.c.o'):
        found += glob.glob(os.path.join(build, pattern))
    # The fuzzers' copy of the library is the same sources again.
    return sorted(o for o in found if 'fuzz' not in os.path.basename(os.path.dirname(o)))


def source_of(obj):
    """'src_report_json.c.o' -> ('report', 'json')."""
    name = re.sub(r'^src_(.*)\.c\.o$', r'\1', os.path.basename(obj))
    for folder in sorted(RANK, key=len, reverse=True):
        if name.startswith(folder + '_'):
            return folder, name[len(folder) + 1:]
    return None, name


def main():
    build = sys.argv[1]
    allow_file = None
    if len(sys.argv) > 3 and sys.argv[2] == '--allow':
        allow_file = sys.argv[3]
    objs = objects(build)
    if not objs:
        print(f'SKIP: no objects under {build}')
        return 77

    defined = {}
    used = collections.defaultdict(set)
    unplaced = []
    for o in objs:
        folder, base = source_of(o)
        if folder is None:
            unplaced.append(o)
            continue
        me = (folder, base)
        out = subprocess.run(['nm', o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in 'TDBRC' and parts[2].startswith('ss_'):
                defined[parts[2]] = me
            elif len(parts) == 2 and parts[0] == 'U' and parts[1].startswith('ss_'):
                used[me].add(parts[1])

    edges = collections.defaultdict(set)
    for me, syms in used.items():
        for s in syms:
            them = defined.get(s)
            if them is None or them == me:
                continue
            why = verdict(me, them)
            if why:
                edges[(f'{me[0]}/{me[1]}.c', f'{them[0]}/{them[1]}.c', why)].add(s)

    allowed = set()
    if allow_file:
        for line in open(allow_file):
            line = line.split('#', 1)[0].strip()
            if line:
                allowed.add(tuple(x.strip() for x in line.split('->')))

    bad = 0
    seen = set()
    for (a, b, why), syms in sorted(edges.items()):
        seen.add((a, b))
        tag = 'allowed' if (a, b) in allowed else 'VIOLATION'
        if tag == 'VIOLATION':
            bad += 1
        print(f'{tag}: {a} -> {b} ({why}): {", ".join(sorted(syms))}')
    for a, b in sorted(allowed - seen):
        print(f'STALE: {a} -> {b} is in the allow list but no longer exists; delete it')
        bad += 1
    for o in unplaced:
        print(f'VIOLATION: {o} is not in a layer folder ({", ".join(RANK)})')
        bad += 1
    print(f'layers: {len(objs)} objects, {len(edges)} edges against the rule, '
          f'{len(allowed & seen)} allowed, {bad} failing')
    return 1 if bad else 0


def verdict(me, them):
    """Why the edge me -> them breaks the rule, or None."""
    (mf, mb), (tf, tb) = me, them
    if RANK[tf] > RANK[mf]:
        return 'upward'
    if RANK[tf] == RANK[mf] and tf != mf:
        return 'sideways'
    if mf == tf == 'report':
        tfmt = format_of(tb)
        if tfmt is not None and mb != DISPATCHER and format_of(mb) != tfmt:
            return 'calls a format'
        if tb == DISPATCHER:
            return 'calls the dispatcher'
    return None


if __name__ == '__main__':
    sys.exit(main())
