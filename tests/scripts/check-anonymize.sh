#!/usr/bin/env bash
# --anonymize end to end: no format writes a real address or the input's
# name; the same key gives the same bytes, another key other addresses;
# Community IDs are those of the pseudonymised flows.
#
# Usage: check-anonymize.sh SOCKSCOPE CAPTURES_DIR
set -u
exe=$1
captures=$2
cap=$captures/real-ether.pcap   # 10.77.0.1/2 and fd00:77::1/2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

for fmt in text jsonl json csv zeek zeek-json ecs markdown html dot; do
	"$exe" --builtin-services -F "$fmt" --anonymize=test-key -r "$cap" >"$tmp/a" 2>/dev/null
	"$exe" --builtin-services -F "$fmt" --anonymize=test-key -r "$cap" >"$tmp/b" 2>/dev/null
	"$exe" --builtin-services -F "$fmt" --anonymize=other-key -r "$cap" >"$tmp/c" 2>/dev/null
	if grep -qE '10\.77\.0\.|fd00:77:|real-ether' "$tmp/a"; then
		fail "$fmt: a real address or the file name is still there: $(grep -oE '10\.77\.0\.[0-9]+|fd00:77:[0-9a-f:]*|real-ether[^ "]*' "$tmp/a" | head -3 | tr '\n' ' ')"
	elif ! cmp -s "$tmp/a" "$tmp/b"; then
		fail "$fmt: the same key gave different output"
	elif cmp -s "$tmp/a" "$tmp/c"; then
		fail "$fmt: two keys gave the same output"
	else
		passed=$((passed + 1))
	fi
done

# The key from a file is the same key; without a key each run differs.
printf 'test-key\n' >"$tmp/key"
"$exe" --builtin-services -F jsonl --anonymize=test-key -r "$cap" >"$tmp/a" 2>/dev/null
"$exe" --builtin-services -F jsonl --anonymize-key-file "$tmp/key" -r "$cap" >"$tmp/b" 2>/dev/null
if cmp -s "$tmp/a" "$tmp/b"; then passed=$((passed + 1)); else fail "--anonymize-key-file differs from --anonymize=KEY"; fi
"$exe" --builtin-services -F jsonl --anonymize -r "$cap" >"$tmp/c" 2>/dev/null
"$exe" --builtin-services -F jsonl --anonymize -r "$cap" >"$tmp/d" 2>/dev/null
if ! cmp -s "$tmp/c" "$tmp/d" && ! grep -q '10\.77\.0\.' "$tmp/c"; then
	passed=$((passed + 1))
else
	fail "--anonymize without a key: runs should differ and hide the addresses"
fi

# Community IDs: recomputed from the pseudonyms (python3 when present)
if command -v python3 >/dev/null 2>&1; then
	if python3 - "$tmp/a" <<'PY'
import base64, hashlib, ipaddress, json, socket, struct, sys
bad = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["kind"] != "connection":
        continue
    proto = {"tcp": 6, "udp": 17}[o["proto"]]
    a = (ipaddress.ip_address(o["client"]["ip"]).packed, o["client"]["port"])
    b = (ipaddress.ip_address(o["server"]["ip"]).packed, o["server"]["port"])
    if (a[0], a[1]) > (b[0], b[1]):
        a, b = b, a
    data = struct.pack("!H", 0) + a[0] + b[0] + struct.pack("!BBHH", proto, 0, a[1], b[1])
    cid = "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()
    if cid != o["community_id"]:
        print("community_id", o["community_id"], "!=", cid)
        bad += 1
sys.exit(1 if bad else 0)
PY
	then passed=$((passed + 1)); else fail "community_id not computed from the pseudonyms"; fi
fi

# A -r DIR with a file it skips: neither the directory's nor the skipped
# file's name may appear in any format or on stderr (issue 15); the
# skipped file is named input-2 after the one input.
mkdir -p "$tmp/SecretDir"
cp "$cap" "$tmp/SecretDir/ok.pcap"
echo not-a-capture >"$tmp/SecretDir/secret-name.pcap"
for fmt in text jsonl json csv zeek zeek-json ecs markdown html dot; do
	"$exe" --builtin-services -F "$fmt" --anonymize=test-key -r "$tmp/SecretDir" >"$tmp/a" 2>"$tmp/e"
	if grep -q 'Secret\|secret-name' "$tmp/a" "$tmp/e"; then
		fail "$fmt: a skipped file's path is still there: $(grep -ho '[^ "]*Secret[^ "]*' "$tmp/a" "$tmp/e" | head -2 | tr '\n' ' ')"
	elif ! grep -q 'input-2: not a pcap' "$tmp/e"; then
		fail "$fmt: the skipped file's warning is not named input-2 on stderr"
	else
		passed=$((passed + 1))
	fi
done

# Usage errors
"$exe" --anonymize= -r "$cap" >/dev/null 2>&1
if [ $? -eq 2 ]; then passed=$((passed + 1)); else fail "--anonymize= (empty key) is not a usage error"; fi
"$exe" --anonymize=k --anonymize-key-file "$tmp/key" -r "$cap" >/dev/null 2>&1
if [ $? -eq 2 ]; then passed=$((passed + 1)); else fail "KEY and a key file together are not a usage error"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
