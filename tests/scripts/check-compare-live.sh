#!/usr/bin/env bash
# The path-compare test bed rebuilt live (issue 16): make-compare.sh builds
# client -- router -- server namespaces, runs every scenario (NAT, port
# forwarding, drops, injected resets, idle drop) and writes fresh capture
# pairs with their truth and variants; check-compare.py then checks the
# truth against the packets and `sockscope compare` against the truth.  So
# the committed captures/compare are not the only evidence.
#
# Usage: check-compare-live.sh SOCKSCOPE
# Exit 77 (skipped) without root, ip netns, nft, tcpdump, editcap/mergecap
# or /usr/bin/python3 (make-compare.sh says which), or while this sockscope
# has no compare subcommand (check-compare.py, after the truth check).
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

bash "$here/make-compare.sh" "$tmp"
rc=$?
[ $rc -eq 0 ] || exit $rc
python=/usr/bin/python3
[ -x $python ] || python=python3
$python "$here/check-compare.py" "$exe" "$tmp"
