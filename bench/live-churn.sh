#!/usr/bin/env bash
# Memory under connection churn, live: a C client/server pair makes up to
# N short TCP connections on loopback (connect, a few bytes, close; both
# sides close with FIN) for at most S seconds while sockscope captures them
# with -F jsonl (streaming: each connection is written when it ends and
# freed).  sockscope's RSS (VmRSS) is sampled every second; the result is
# min / median / max RSS, the connections sockscope reported, and the
# kernel's drop counter.  Flat memory = streaming works.
#
# Usage: bench/live-churn.sh SOCKSCOPE [CONNECTIONS [SECONDS]]
#        (default 1000000 connections, at most 180 s; needs root and cc)
#        SOCKSCOPE_ARGS adds options, e.g. SOCKSCOPE_ARGS="--timeout-closed 1"
# Traffic stays on 127.0.0.0/8: clients bind 127.77.x.y so that the
# ephemeral ports of one source address are not used up by TIME_WAIT.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 SOCKSCOPE [CONNECTIONS [SECONDS]]" >&2
	exit 2
fi
exe=$1
want=${2:-1000000}
limit=${3:-180}
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
cc=${CC:-cc}
command -v "$cc" >/dev/null 2>&1 || { echo "SKIP: no C compiler ($cc)"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: live capture needs root"; exit 77; }

tmp=$(mktemp -d) || exit 1
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cat >"$tmp/churn.c" <<'EOF'
/* churn PORT N SECONDS: a server (forked) and a client on 127.0.0.0/8 making
 * up to N connections for at most SECONDS; prints the number made. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int port = atoi(argv[1]);
	long n = atol(argv[2]);
	double limit = atof(argv[3]);
	int one = 1;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(0x7f000001);
	if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 4096) != 0) {
		perror("server");
		return 1;
	}
	pid_t server = fork();
	if (server == 0) {
		char buf[64];
		for (;;) {
			int c = accept(ls, NULL, NULL);
			if (c < 0)
				continue;
			while (read(c, buf, sizeof buf) > 0)
				;
			close(c);
		}
	}
	close(ls);
	double start = now();
	long made = 0, failed = 0;
	while (made < n && now() - start < limit) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		/* 127.77.0.1 .. 127.77.63.254 as source addresses */
		struct sockaddr_in src = { .sin_family = AF_INET };
		long k = made + failed;
		src.sin_addr.s_addr = htonl(0x7f4d0000 | (((k / 254) % 64) << 8) | (k % 254 + 1));
		setsockopt(c, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		if (bind(c, (struct sockaddr *)&src, sizeof src) != 0 ||
		    connect(c, (struct sockaddr *)&sa, sizeof sa) != 0) {
			failed++;
			close(c);
			if (failed > 1000 && failed > made) {
				perror("client");
				break;
			}
			continue;
		}
		(void)!write(c, "hi", 2);
		close(c);
		made++;
	}
	double took = now() - start;
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	printf("%ld %ld %.1f\n", made, failed, took);
	return 0;
}
EOF
"$cc" -O2 -o "$tmp/churn" "$tmp/churn.c" || exit 1

port=$(( 20000 + RANDOM % 20000 ))
mkfifo "$tmp/out"
tail -n 1 <"$tmp/out" >"$tmp/summary.jsonl" &
pids+=($!)
tail_pid=$!
# shellcheck disable=SC2086
"$exe" -i lo -F jsonl -o "$tmp/out" -B 65536 ${SOCKSCOPE_ARGS:-} "tcp port $port" 2>"$tmp/err" &
ss_pid=$!
pids+=("$ss_pid")
for _ in $(seq 1 100); do
	grep -q "capturing on" "$tmp/err" && break
	sleep 0.1
done

"$tmp/churn" "$port" "$want" "$limit" >"$tmp/churn.out" &
churn_pid=$!
pids+=("$churn_pid")
: >"$tmp/rss"
while kill -0 "$churn_pid" 2>/dev/null; do
	awk '/^VmRSS:/ { print $2 }' "/proc/$ss_pid/status" >>"$tmp/rss" 2>/dev/null
	sleep 1
done
wait "$churn_pid"
sleep 1
awk '/^VmRSS:/ { print $2 }' "/proc/$ss_pid/status" >>"$tmp/rss" 2>/dev/null
kill -INT "$ss_pid"
wait "$ss_pid"
rc=$?
wait "$tail_pid"

read -r made failed took <"$tmp/churn.out"
echo "connections made: $made in ${took} s ($(awk -v m="$made" -v t="$took" 'BEGIN { printf "%d", m / t }')/s), failed connects: $failed"
echo "sockscope exit status: $rc"
sort -n "$tmp/rss" | awk '{ v[NR] = $1 } END {
	if (NR == 0) { print "no RSS samples"; exit }
	printf "RSS over %d samples: min %.1f MiB, median %.1f MiB, max %.1f MiB\n",
	       NR, v[1] / 1024, v[int((NR + 1) / 2)] / 1024, v[NR] / 1024 }'
echo "RSS samples (KiB, in time order): $(tr '\n' ' ' <"$tmp/rss")"
python3 - "$tmp/summary.jsonl" <<'EOF' 2>/dev/null || cat "$tmp/summary.jsonl"
import json, sys
s = json.loads(open(sys.argv[1]).read())
k = s["inputs"][0].get("kernel") or {}
print(f"sockscope saw: {s['tcp_connections']} TCP connections, {s['packets']} packets;"
      f" kernel: {k.get('received')} received, {k.get('dropped')} dropped;"
      f" most flows tracked at once: {s.get('max_flows_tracked')}")
EOF
grep -v "capturing on" "$tmp/err" | head -5
