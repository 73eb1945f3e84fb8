#!/usr/bin/env bash
# --format html in a real browser: Debian's headless Chromium loads the page
# of a few bundled captures (and of a file whose name is an HTML injection
# attempt) and must log no console message (no script error, no
# Content-Security-Policy violation); its DOM must hold the tables, the host
# graph <svg> and the mark the inline script sets once it ran; a screenshot
# must be a real, non-blank PNG.  The page itself must name no external
# resource.  Installs nothing: skipped (77) visibly without /usr/bin/chromium
# (apt-get install chromium).  SOCKSCOPE_HTML_SHOT=DIR keeps the screenshots.
#
# Usage: check-html.sh SOCKSCOPE CAPTURES_DIR
set -u
exe=$(realpath "$1")
captures=$2
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "SKIP: $chromium is not installed (apt-get install chromium)"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is needed to read the screenshot"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

browse() {   # browse OUT_PREFIX ARGS...: runs headless Chromium on a page
	local prefix=$1
	shift
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --no-default-browser-check --user-data-dir="$(mktemp -d -p "$tmp")" \
		--enable-logging=stderr --v=0 "$@" >"$prefix.out" 2>"$prefix.log"
}

check_page() {   # check_page NAME HTML_FILE
	local name=$1 page=$2 ok=1
	# no external resource: the only URL is the SVG namespace
	if grep -oE '(https?|ftp|wss?)://[^"'"'"' )<]*' "$page" | grep -vqx 'http://www.w3.org/2000/svg'; then
		echo "FAIL $name: the page names an external URL:"
		grep -oE '(https?|ftp|wss?)://[^"'"'"' )<]*' "$page" | grep -vx 'http://www.w3.org/2000/svg' | head -3
		ok=0
	fi
	if ! grep -q '<meta http-equiv="Content-Security-Policy" content="default-src '"'"'none'"'"'' "$page"; then
		echo "FAIL $name: no Content-Security-Policy meta"
		ok=0
	fi
	browse "$tmp/dom" --dump-dom "file://$page"
	# console messages (script errors, CSP violations) are logged as CONSOLE
	if grep -E 'CONSOLE|Uncaught|Refused to|violates the following Content Security Policy' "$tmp/dom.log"; then
		echo "FAIL $name: the browser console is not clean"
		ok=0
	fi
	if ! grep -q 'data-ready="1"' "$tmp/dom.out"; then
		echo "FAIL $name: the inline script did not run (CSP hash or script error)"
		ok=0
	fi
	for want in '<svg id="host-graph"' '<table class="sortable" id="listeners-table"' '<h2 id="findings">'; do
		if ! grep -qF "$want" "$tmp/dom.out"; then
			case "$name" in
			*unsupported*) ;;   # no listeners, no graph
			*)
				echo "FAIL $name: the DOM has no $want"
				ok=0
				;;
			esac
		fi
	done
	if [ "$(grep -o '<script' "$tmp/dom.out" | wc -l)" -ne 1 ]; then
		echo "FAIL $name: the DOM holds $(grep -o '<script' "$tmp/dom.out" | wc -l) script elements, not 1"
		ok=0
	fi
	browse "$tmp/shot" --screenshot="$tmp/shot.png" --window-size=1280,2000 "file://$page"
	if ! python3 - "$tmp/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
assert len(data) > 10000, f"only {len(data)} bytes"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype = ihdr[:4]
assert depth == 8 and ctype in (2, 6), f"unexpected PNG format {ihdr}"
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev, off = [], bytearray(stride), 0
def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c
for y in range(h):
    f = raw[off]
    line = bytearray(raw[off + 1:off + 1 + stride])
    off += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        line[x] = (line[x] + (0, a, b, (a + b) // 2, paeth(a, b, c))[f]) & 0xff
    rows.append(line)
    prev = line
# the top 600 rows: headings and tables, so many rows are not all one colour
inked = sum(1 for r in rows[:600] if len(set(r[i] for i in range(0, (w - 30) * bpp, bpp))) > 1)
assert inked > 100, f"only {inked} of the first 600 rows have any ink: blank page?"
print(f"screenshot {w}x{h}, {len(data)} bytes, {inked} of 600 rows inked")
PY
	then
		echo "FAIL $name: the screenshot is missing or blank"
		ok=0
	fi
	if [ -n "${SOCKSCOPE_HTML_SHOT:-}" ]; then
		mkdir -p "$SOCKSCOPE_HTML_SHOT"
		cp "$tmp/shot.png" "$SOCKSCOPE_HTML_SHOT/$name.png"
	fi
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
}

for base in real-ether.pcap crafted-icmp-errors.pcap; do
	"$exe" --builtin-services -F html -r "$captures/$base" >"$tmp/$base.html" 2>/dev/null
	check_page "$base" "$tmp/$base.html"
done
# a file name that tries to inject markup and script
evil="$tmp/\"'><script>alert(1)<\\script><img src=x>.pcap"
cp "$captures/crafted-mixed-outcomes.pcap" "$evil"
"$exe" --builtin-services -F html -r "$evil" >"$tmp/evil.html" 2>/dev/null
check_page "injection-name" "$tmp/evil.html"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
