#!/usr/bin/env bash
# Several -r inputs (and -r DIR) are one capture merged by packet time:
# captures/real-ether.pcap cut into three pieces at packet boundaries (in the
# middle of connections), and cut into two interleaved halves (even and odd
# packets), must give the same connections, listeners and hosts as the
# whole file; a connection that spans a cut is one record.  Also: -c counts
# merged packets, different link types merge, a damaged piece ends only
# itself, a directory skips what is not a capture.
#
# Usage: check-multifile.sh SOCKSCOPE CAPTURES_DIR
set -u
exe=$(realpath "$1")
caps=$(realpath "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

run() {   # run OUT [sockscope args...]: jsonl report to OUT, exit status in $rc
	local out=$1
	shift
	"$exe" --builtin-services --no-progress -F jsonl "$@" >"$out" 2>"$out.err"
	rc=$?
}

# pcap surgery with the standard library only: split a file by packet index.
# split.py IN OUT:first:last... (records first..last-1), interleave.py IN A B
cat >"$tmp/pcap.py" <<'EOF'
import struct, sys

def records(path):
    data = open(path, 'rb').read()
    magic = data[:4]
    end = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    hdr, off, recs = data[:24], 24, []
    while off + 16 <= len(data):
        incl = struct.unpack(end + 'IIII', data[off:off + 16])[2]
        recs.append(data[off:off + 16 + incl])
        off += 16 + incl
    return hdr, recs

cmd, src = sys.argv[1], sys.argv[2]
hdr, recs = records(src)
if cmd == 'split':              # split IN OUT:first:last ...
    for spec in sys.argv[3:]:
        out, a, b = spec.rsplit(':', 2)
        open(out, 'wb').write(hdr + b''.join(recs[int(a):int(b)]))
elif cmd == 'interleave':       # interleave IN EVEN ODD
    open(sys.argv[3], 'wb').write(hdr + b''.join(recs[0::2]))
    open(sys.argv[4], 'wb').write(hdr + b''.join(recs[1::2]))
elif cmd == 'count':
    print(len(recs))
EOF

# Connection, listener and host lines, plus the summary without its inputs.
cat >"$tmp/norm.py" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get('kind') == 'summary':
        o.pop('inputs', None)
        o.pop('warnings', None)   # checked on their own
    print(json.dumps(o, sort_keys=True))
EOF
# The same for the single json document.
cat >"$tmp/norm-json.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d['summary'].pop('inputs', None)
print(json.dumps(d, sort_keys=True, indent=0))
EOF
same() {   # same WHAT WANT GOT
	if diff -u <(python3 "$tmp/norm.py" "$2") <(python3 "$tmp/norm.py" "$3") >"$tmp/diff"; then
		ok
	else
		fail "$1: differs from the whole file"
		head -n 20 "$tmp/diff"
	fi
}

orig=$caps/real-ether.pcap
n=$(python3 "$tmp/pcap.py" count "$orig")
# Three pieces, cut at 40% and 75% of the packets: inside connections.
c1=$((n * 2 / 5))
c2=$((n * 3 / 4))
mkdir "$tmp/dir"
python3 "$tmp/pcap.py" split "$orig" "$tmp/dir/part-a.pcap:0:$c1" "$tmp/dir/part-b.pcap:$c1:$c2" \
	"$tmp/dir/part-c.pcap:$c2:$n"
python3 "$tmp/pcap.py" interleave "$orig" "$tmp/even.pcap" "$tmp/odd.pcap"

run "$tmp/whole" -r "$orig"
[ "$rc" -eq 0 ] || fail "whole file: exit $rc"

run "$tmp/three" -r "$tmp/dir/part-a.pcap" -r "$tmp/dir/part-b.pcap" -r "$tmp/dir/part-c.pcap"
[ "$rc" -eq 0 ] && ok || fail "-r a -r b -r c: exit $rc: $(head -n 1 "$tmp/three.err")"
same "-r a -r b -r c" "$tmp/whole" "$tmp/three"

# Given in any order, the files merge by time.
run "$tmp/three-rev" -r "$tmp/dir/part-c.pcap" -r "$tmp/dir/part-a.pcap" -r "$tmp/dir/part-b.pcap"
same "-r c -r a -r b" "$tmp/whole" "$tmp/three-rev"

run "$tmp/dir-out" -r "$tmp/dir"
[ "$rc" -eq 0 ] && ok || fail "-r DIR: exit $rc: $(head -n 1 "$tmp/dir-out.err")"
same "-r DIR" "$tmp/whole" "$tmp/dir-out"

run "$tmp/inter" -r "$tmp/even.pcap" -r "$tmp/odd.pcap"
same "interleaved halves" "$tmp/whole" "$tmp/inter"

# json too (keep-all mode)
"$exe" --builtin-services --no-progress -F json -r "$orig" >"$tmp/whole.json"
"$exe" --builtin-services --no-progress -F json -r "$tmp/dir" >"$tmp/dir.json"
if diff <(python3 "$tmp/norm-json.py" "$tmp/whole.json") <(python3 "$tmp/norm-json.py" "$tmp/dir.json") >/dev/null; then
	ok
else
	fail "-F json -r DIR differs from the whole file"
fi

# Per-input packet counts and names (-r DIR: sorted by name).
python3 - "$tmp/dir-out" "$c1" "$((c2 - c1))" "$((n - c2))" "$tmp/dir/part-a.pcap" \
	"$tmp/dir/part-c.pcap" <<'EOF' && ok || fail "per-input counts"
import json, sys
summ = [json.loads(l) for l in open(sys.argv[1])][-1]
counts = [i['packets'] for i in summ['inputs']]
want = [int(x) for x in sys.argv[2:5]]
assert counts == want, (counts, want)
names = [i['name'] for i in summ['inputs']]
assert names[0] == sys.argv[5] and names[2] == sys.argv[6], names
EOF

# A connection that spans the cut is one record: its packets come from two
# pieces, more than the first piece alone holds.
"$exe" --builtin-services --no-progress -F jsonl -r "$tmp/dir/part-a.pcap" >"$tmp/a-only"
python3 - "$tmp/a-only" "$tmp/dir-out" <<'EOF' && ok || fail "no single record spans the cut"
import json, sys
key = lambda c: (c['community_id'], c['first_ts'])
a = {key(c): c for c in map(json.loads, open(sys.argv[1])) if c['kind'] == 'connection'}
merged = [c for c in map(json.loads, open(sys.argv[2])) if c['kind'] == 'connection']
spanning = [c for c in merged if key(c) in a and
            c['packets'] != a[key(c)]['packets'] and c['last_ts'] > a[key(c)]['last_ts']]
assert spanning, 'no connection continues past the first cut'
# ...and each spanning connection is a single record in the merged run.
for c in spanning:
    same = [m for m in merged if m['community_id'] == c['community_id']]
    assert len(same) == 1, same
print(f"{len(spanning)} connection(s) span the cut, one record each")
EOF

# -c counts merged packets.
run "$tmp/c-whole" -c 30 -r "$orig"
run "$tmp/c-three" -c 30 -r "$tmp/dir"
same "-c 30 over three pieces" "$tmp/c-whole" "$tmp/c-three"

# Different link types in one run: each packet decoded with its own file's.
# (json: nothing times out, so each file's records end as they do alone.)
"$exe" --builtin-services --no-progress -F json -r "$caps/crafted-sll.pcap" >"$tmp/sll.json"
"$exe" --builtin-services --no-progress -F json -r "$caps/real-reuse.pcap" >"$tmp/reuse.json"
"$exe" --builtin-services --no-progress -F json -r "$caps/real-reuse.pcap" \
	-r "$caps/crafted-sll.pcap" >"$tmp/mixed.json"
python3 - "$tmp/sll.json" "$tmp/reuse.json" "$tmp/mixed.json" <<'EOF' && ok || fail "mixed link types"
import json, sys
doc = lambda p: json.load(open(p))
a, b, m = (doc(p) for p in sys.argv[1:4])
# Connections sorted by first packet: the SLL file's (earlier) come first.
assert m['connections'] == a['connections'] + b['connections'], 'connections differ'
s = m['summary']
assert [i['link_type'] for i in s['inputs']] == ['EN10MB', 'LINUX_SLL'], s['inputs']
assert [i['packets'] for i in s['inputs']] == [b['summary']['packets'], a['summary']['packets']]
assert s['decoded'] == a['summary']['decoded'] + b['summary']['decoded']
EOF

# A damaged piece ends only itself: warning, exit 1, the others read on.
head -c $(( $(stat -c %s "$tmp/dir/part-b.pcap") - 7 )) "$tmp/dir/part-b.pcap" >"$tmp/b-cut.pcap"
run "$tmp/damaged" -r "$tmp/dir/part-a.pcap" -r "$tmp/b-cut.pcap" -r "$tmp/dir/part-c.pcap"
if [ "$rc" -eq 1 ] && grep -q "warning: .*b-cut.pcap" "$tmp/damaged.err" &&
   python3 -c "
import json, sys
s = json.loads(open('$tmp/damaged').readlines()[-1])
i = s['inputs']
assert i[1]['error'] and i[2]['packets'] == $((n - c2)) and i[1]['packets'] == $((c2 - c1 - 1)), i
"; then ok; else fail "damaged piece: exit $rc: $(cat "$tmp/damaged.err")"; fi

# A directory: what is not a capture is skipped with a warning (exit 1).
echo "not a capture" >"$tmp/dir/README"
mkdir "$tmp/dir/sub"
run "$tmp/dir-junk" -r "$tmp/dir"
if [ "$rc" -eq 1 ] && grep -q "README: not a pcap or pcapng capture file.*skipped" "$tmp/dir-junk.err"; then
	ok
else
	fail "junk in a directory: exit $rc: $(cat "$tmp/dir-junk.err")"
fi
same "-r DIR with junk" "$tmp/whole" "$tmp/dir-junk"
mkdir "$tmp/empty"
run "$tmp/empty-out" -r "$tmp/empty"
[ "$rc" -eq 3 ] && ok || fail "empty directory: exit $rc, want 3"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
