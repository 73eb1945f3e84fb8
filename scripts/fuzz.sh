#!/usr/bin/env bash
# Builds and runs sockscope's libFuzzer harnesses (docs/hardening.md).
#
# Usage: scripts/fuzz.sh [--seconds N] [--target decode|pipeline|capfile|all] [--jobs J]
#
#   --seconds N   how long each target runs (default 60)
#   --target T    decode (one packet + flow tracking), pipeline (whole
#                 capture files through sockscope's reader, every format;
#                 the last byte picks streaming, threads, anonymize, the
#                 flow cap, a merge and IPFIX), or all (default: all)
#   --jobs J      run J fuzzing processes per target (libFuzzer -fork=J)
#
# The fuzz tree is build-fuzz/ (CC=clang, -Dfuzz=true, -Db_sanitize=none:
# the harness flags bring ASan + UBSan + libFuzzer themselves).  Seed and
# generated corpora live in $FUZZ_WORK (default build-fuzz/work; never
# committed) and persist between runs, so a longer run picks up where the
# last one stopped.  Seeds: the packets of captures/ (one file per packet,
# prefixed by the harness's link-type selector byte) for decode; the capture
# files themselves for pipeline; plus the public hostile corpus in
# ../shared/corpus/hostile when it is there (read in place, never copied;
# FUZZ_HOSTILE=DIR points elsewhere).
#
# On a crash the input is minimised (-minimize_crash=1), copied to
# tests/malformed/fuzz-TARGET-SHA.bin, the path is printed, and the script
# exits 1 after the remaining targets ran.  Exit 0: no crash.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=60
target=all
jobs=1
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--seconds=*) seconds=${1#*=}; shift ;;
	--target) target=$2; shift 2 ;;
	--target=*) target=${1#*=}; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--jobs=*) jobs=${1#*=}; shift ;;
	-h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "fuzz.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
done
case $target in
decode) targets=(decode) ;;
pipeline) targets=(pipeline) ;;
capfile) targets=(capfile) ;;
all) targets=(decode pipeline capfile) ;;
*) echo "fuzz.sh: --target takes decode, pipeline, capfile or all" >&2; exit 2 ;;
esac
case $seconds$jobs in
*[!0-9]*) echo "fuzz.sh: --seconds and --jobs take whole numbers" >&2; exit 2 ;;
esac

# ---- toolchain: clang with the libFuzzer runtime ----
if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang is missing (scripts/setup.sh --ci installs it)" >&2
	exit 1
fi
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
have_fuzzer_rt() {
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
		'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
		>"$probe_dir/p.c"
	clang -fsanitize=fuzzer,address,undefined "$probe_dir/p.c" -o "$probe_dir/p" 2>/dev/null
}
if ! have_fuzzer_rt; then
	ver=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
	echo "fuzz.sh: the libFuzzer runtime is missing; installing libclang-rt-${ver}-dev" >&2
	sudo=()
	[ "$(id -u)" -ne 0 ] && sudo=(sudo)
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
		--no-install-recommends "libclang-rt-${ver}-dev" >&2 ||
		{ "${sudo[@]}" apt-get update -q >&2 &&
		  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
			--no-install-recommends "libclang-rt-${ver}-dev" >&2; }
	have_fuzzer_rt || { echo "fuzz.sh: still cannot link -fsanitize=fuzzer" >&2; exit 1; }
fi

# ---- build ----
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=none --buildtype=debugoptimized \
		>/dev/null
fi
if ! ninja -C "$build" fuzz/fuzz-decode fuzz/fuzz-pipeline fuzz/fuzz-capfile >"$probe_dir/ninja.log" 2>&1; then
	cat "$probe_dir/ninja.log" >&2
	echo "fuzz.sh: building the fuzz targets in $build failed" >&2
	exit 1
fi

# ---- seed corpora ----
work=${FUZZ_WORK:-$build/work}
mkdir -p "$work/seeds-decode" "$work/corpus-decode" "$work/corpus-pipeline" "$work/corpus-capfile" \
	"$work/artifacts"
hostile=${FUZZ_HOSTILE:-$root/../shared/corpus/hostile}
hostile_dirs=()
if [ -d "$hostile" ]; then
	hostile=$(cd -P "$hostile" && pwd)
	hostile_dirs=("$hostile/tcpdump" "$hostile/pcapng-test-generator")
else
	echo "fuzz.sh: note: no hostile corpus at $hostile; seeding from captures/ only" >&2
fi

# fuzz/seeds/encapsulations.pcap adds one packet per encapsulation (tunnels),
# fuzz/seeds/links.pcapng one per link type with a header of its own.
# One seed per packet: selector byte (the harness's link table index) then
# the packet bytes.  pcap in both byte orders and resolutions, and pcapng
# (Enhanced/Simple Packet Blocks, link type per interface).
python3 - "$work/seeds-decode" captures fuzz/seeds "${hostile_dirs[@]}" <<'PY'
import hashlib, os, struct, sys
out = sys.argv[1]
# LINKTYPE_ value -> index in fuzz-decode.c's links[] table.
SEL = {1: 0, 113: 1, 276: 2, 101: 3, 12: 3, 14: 3, 228: 4, 229: 5, 0: 6, 108: 7,
       9: 8, 239: 9, 105: 10, 127: 11, 192: 12, 119: 13, 163: 14, 258: 15}
MAX_PER_FILE, written = 200, 0

def emit(lt, pkt):
    global written
    sel = SEL.get(lt & 0xffff)
    if sel is None:
        return
    data = bytes([sel]) + pkt[:65534]
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(out, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        written += 1

def pcap(b):
    magic = b[:4]
    e = {b"\xd4\xc3\xb2\xa1": "<", b"\x4d\x3c\xb2\xa1": "<",
         b"\xa1\xb2\xc3\xd4": ">", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if not e or len(b) < 24:
        return
    lt = struct.unpack(e + "I", b[20:24])[0]
    off, n = 24, 0
    while off + 16 <= len(b) and n < MAX_PER_FILE:
        incl = struct.unpack(e + "I", b[off + 8:off + 12])[0]
        off += 16
        emit(lt, b[off:off + incl])
        off += incl
        n += 1

def pcapng(b):
    off, e, links, n = 0, "<", [], 0
    while off + 12 <= len(b) and n < MAX_PER_FILE:
        btype = struct.unpack(e + "I", b[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if b[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(e + "I", b[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(b):
            return
        body = b[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 2:
            links.append(struct.unpack(e + "H", body[:2])[0])
        elif btype == 6 and len(body) >= 20:
            ifid, _, _, cap, _ = struct.unpack(e + "5I", body[:20])
            if ifid < len(links):
                emit(links[ifid], body[20:20 + cap]); n += 1
        elif btype == 3 and len(body) >= 4 and links:
            emit(links[0], body[4:]); n += 1
        off += blen

for d in sys.argv[2:]:
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        if not os.path.isfile(p):
            continue
        b = open(p, "rb").read()
        if b[:4] == b"\x0a\x0d\x0d\x0a":
            pcapng(b)
        else:
            pcap(b)
print(f"fuzz.sh: {written} new decode seeds in {out}", file=sys.stderr)
PY

# The capfile target also starts from gzip-compressed captures.
mkdir -p "$work/seeds-capfile"
for f in captures/real-ether.pcap captures/real-ether.pcapng captures/crafted-ipv4-frag.pcap; do
	gzip -c "$f" >"$work/seeds-capfile/$(basename "$f").gz"
done

# ---- run ----
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
crashes=0
for t in "${targets[@]}"; do
	exe=$build/fuzz/fuzz-$t
	if [ "$t" = decode ]; then
		max_len=65535
		dirs=("$work/corpus-decode" "$work/seeds-decode")
	else
		max_len=1048576
		dirs=("$work/corpus-$t" captures "${hostile_dirs[@]}")
		[ "$t" = capfile ] && dirs+=("$work/seeds-capfile")
	fi
	art=$work/artifacts/$t-
	rm -f "$art"*
	echo "fuzz.sh: $t for ${seconds}s (corpus $work/corpus-$t, log $work/$t.log)" >&2
	fork=()
	[ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
	set +e
	"$exe" "${fork[@]}" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art" \
		"${dirs[@]}" >"$work/$t.log" 2>&1
	rc=$?
	set -e
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)' \
		"$work/$t.log" | sed "s/^/fuzz.sh: $t: /" >&2 || true
	found=0
	for a in "$art"*; do
		[ -f "$a" ] || continue
		case $a in *.min) continue ;; esac
		found=1
		kind=$(basename "$a"); kind=${kind#"$t"-}; kind=${kind%%-*}
		min=$a.min
		if [ "$kind" = crash ] || [ "$kind" = leak ]; then
			"$exe" -minimize_crash=1 -max_total_time=60 -runs=100000 \
				-exact_artifact_path="$min" "$a" >"$a.minimize.log" 2>&1 || true
		fi
		[ -s "$min" ] || cp "$a" "$min"
		sha=$(sha1sum "$min" | cut -c1-12)
		dest=tests/malformed/fuzz-$t-$kind-$sha.bin
		mkdir -p tests/malformed
		cp "$min" "$dest"
		echo "fuzz.sh: $t: $kind saved as $root/$dest (replay: $exe $dest; log $work/$t.log)" >&2
	done
	if [ $found -eq 0 ] && [ $rc -ne 0 ]; then
		echo "fuzz.sh: $t: the fuzzer failed (exit $rc) without an artifact; see $work/$t.log" >&2
		tail -20 "$work/$t.log" >&2
		found=1
	fi
	crashes=$((crashes + found))
done
if [ $crashes -ne 0 ]; then
	echo "fuzz.sh: FAILED: crashes found (see above)" >&2
	exit 1
fi
echo "fuzz.sh: no crashes" >&2
