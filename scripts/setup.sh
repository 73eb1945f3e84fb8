#!/usr/bin/env bash
# Installs what sockscope needs on Debian 12 (only the missing packages) and
# builds it in ./build.  Run as root, or as a user with sudo.
#
# Usage: scripts/setup.sh [--test] [--ci]
#   --test  also the tools the test suite drives: valgrind, tcpdump and
#           iproute2 (live captures in network namespaces), nftables (the
#           router of the compare test bed), nfdump (a real IPFIX collector),
#           graphviz, chromium (the HTML report in a browser),
#           tshark and wireshark-common (dumpcap, mergecap: capture-file checks),
#           ethtool (checksum offload off: real checksums on a veth),
#           libcap2-bin and util-linux (setcap, setpriv: the privilege checks)
#   --ci    also clang, for the CI builds and the fuzzers
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

packages=(gcc pkg-config meson ninja-build python3 libpcap-dev libglib2.0-dev libcmocka-dev zlib1g-dev libcap-ng-dev libssl-dev)
test_packages=(valgrind tcpdump iproute2 nftables nfdump graphviz chromium python3-scapy tshark nmap wireshark-common ethtool gzip libcap2-bin util-linux)
ci_packages=(clang)
for arg in "$@"; do
	case $arg in
	--test) packages+=("${test_packages[@]}") ;;
	--ci) packages+=("${test_packages[@]}" "${ci_packages[@]}") ;;
	*) echo "setup: unknown option $arg (use --test or --ci)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null; then
			echo "setup: missing packages (${missing[*]}) and not root: run as root or install sudo" >&2
			exit 1
		fi
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null
fi
ninja -C build >/dev/null
echo "setup: built $root/build/sockscope" >&2
