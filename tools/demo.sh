#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The frr-ha demo (README's main command): builds what is needed, starts
# a redundant router r1 (cards r1a, r1b) and an FRR peer p1 in network
# namespaces, and shows the router's and the peer's view.
#
#   tools/demo.sh            run and print
#   tools/demo.sh --pause    stop after the show, to explore (munet CLI)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "demo.sh: must run as root (namespaces)" >&2; exit 1; }
"$TOP/tools/build.sh"
cd "$TOP/tests/topotests"
exec /usr/bin/python3 -m pytest -s -p no:cacheprovider -q --log-cli-level=CRITICAL \
	"$@" demo/test_demo.py
