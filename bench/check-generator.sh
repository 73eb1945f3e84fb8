#!/usr/bin/env bash
# bench-truth: sockscope against the generator's ground truth.
#
#   bench/check-generator.sh SOCKSCOPE GEN-CAPTURE
#
# Generates small synthetic captures (about 20k packets, 500 connections in
# progress at once) with --truth and checks that sockscope's jsonl connection
# records are exactly the truth: the same multiset of (proto, client ip,
# client port, server ip, server port, outcome).  Also checks that every
# packet was read and decoded, and that the jsonl written on the report
# thread (the default reading files) is byte for byte what --single-thread
# writes.  Last line: "N passed, N failed".
set -u
sockscope=${1:?usage: check-generator.sh SOCKSCOPE GEN-CAPTURE}
gen=${2:?usage: check-generator.sh SOCKSCOPE GEN-CAPTURE}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# name | generator options
cases=(
  "mixed-us|--packets 20000 --concurrent 500 --seed 42 --rate 2000"
  "mixed-ns|--packets 20000 --concurrent 500 --seed 7 --rate 2000 --nano"
  "cycled-tuples|--packets 20000 --concurrent 500 --flows 300 --seed 3 --rate 2000"
  "short-flows|--packets 20000 --concurrent 500 --flows 8000 --seed 11 --rate 2000"
  "cut-short|--packets 20000 --concurrent 5000 --seed 5 --rate 2000"
)

for c in "${cases[@]}"; do
  name=${c%%|*} opts=${c#*|}
  # shellcheck disable=SC2086
  if ! "$gen" $opts -o "$tmp/$name.pcap" --truth "$tmp/$name.tsv" 2>"$tmp/$name.gen"; then
    echo "FAIL $name: gen-capture failed: $(cat "$tmp/$name.gen")"
    fail=$((fail + 1)); continue
  fi
  "$sockscope" -r "$tmp/$name.pcap" -F jsonl -o "$tmp/$name.jsonl" 2>"$tmp/$name.err"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "FAIL $name: sockscope exit $rc: $(head -3 "$tmp/$name.err")"
    fail=$((fail + 1)); continue
  fi
  "$sockscope" -r "$tmp/$name.pcap" -F jsonl -o "$tmp/$name.single.jsonl" --single-thread 2>"$tmp/$name.err"
  rc=$?
  if [ $rc -ne 0 ] || ! cmp -s "$tmp/$name.jsonl" "$tmp/$name.single.jsonl"; then
    echo "FAIL $name: --single-thread (exit $rc) wrote other jsonl than the report thread"
    diff "$tmp/$name.jsonl" "$tmp/$name.single.jsonl" | head -5
    fail=$((fail + 1)); continue
  fi
  if /usr/bin/python3 - "$tmp/$name.tsv" "$tmp/$name.jsonl" "$tmp/$name.gen" "$name" <<'PY'
import collections, ipaddress, json, re, sys
truth_path, jsonl_path, gen_path, name = sys.argv[1:5]

def norm(proto, cip, cport, sip, sport, outcome):
    return (proto, ipaddress.ip_address(cip).compressed, int(cport),
            ipaddress.ip_address(sip).compressed, int(sport), outcome)

truth = collections.Counter()
with open(truth_path) as f:
    for line in f:
        if line.startswith('#') or not line.strip():
            continue
        truth[norm(*line.rstrip('\n').split('\t'))] += 1

got = collections.Counter()
summary = None
with open(jsonl_path) as f:
    for line in f:
        o = json.loads(line)
        if o['kind'] == 'connection':
            got[norm(o['proto'], o['client']['ip'], o['client']['port'],
                     o['server']['ip'], o['server']['port'], o['outcome'])] += 1
        elif o['kind'] == 'summary':
            summary = o

problems = []
gen = open(gen_path).read()
m = re.search(r'packets=(\d+)', gen)
if summary is None:
    problems.append('no summary line')
else:
    if m and summary['packets'] != int(m.group(1)):
        problems.append('summary packets %d, generator wrote %s' % (summary['packets'], m.group(1)))
    if summary['decoded'] != summary['packets']:
        problems.append('decoded %d of %d packets' % (summary['decoded'], summary['packets']))
    bad = {k: v for cls in ('ignored', 'truncated', 'invalid')
           for k, v in summary[cls].items() if v}
    if bad:
        problems.append('decode problems: %s' % bad)
missing = truth - got
extra = got - truth
if missing or extra:
    problems.append('%d truth records missing, %d unexpected records (of %d)'
                    % (sum(missing.values()), sum(extra.values()), sum(truth.values())))
    for k in list(missing)[:5]:
        problems.append('  missing    %s' % (k,))
    for k in list(extra)[:5]:
        problems.append('  unexpected %s' % (k,))
by = collections.Counter(k[0] + '/' + k[5] for k in truth.elements())
if problems:
    print('FAIL %s: %s' % (name, '\n'.join(problems)))
    sys.exit(1)
print('ok   %s: %d connections match (%s)' % (name, sum(truth.values()),
      ', '.join('%s %d' % kv for kv in sorted(by.items()))))
PY
  then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
