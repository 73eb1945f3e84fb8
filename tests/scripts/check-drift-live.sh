#!/usr/bin/env bash
# Drift mode rebuilt live (issue 16): make-drift.sh captures one server
# interface twice from real TCP stacks in namespaces it makes, changing
# listeners, a filter, client networks and the client's port range in
# between; check-drift.py then checks that `sockscope compare --mode drift`
# lists exactly what the script changed.  So the committed pair in
# captures/compare is not the only evidence.
#
# Usage: check-drift-live.sh SOCKSCOPE
# Exit 77 (skipped) without root, ip netns, nft, tcpdump or
# /usr/bin/python3 (make-drift.sh says which).
set -u
if [ $# -ne 1 ]; then
	echo "usage: $0 SOCKSCOPE" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
exe=$1
case $exe in /*) ;; *) exe=$PWD/$exe ;; esac
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

bash "$here/make-drift.sh" "$tmp"
rc=$?
[ $rc -eq 0 ] || exit $rc
python3 "$here/check-drift.py" "$exe" "$tmp"
