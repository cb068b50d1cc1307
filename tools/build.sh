#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build and install everything: FRR (cached, tools/frr-build.sh), then
# frr-ha itself (hard, the ha modules, vtysh with frr-ha's commands).
# Idempotent; a second run with nothing changed takes seconds.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"

[ "$(id -u)" = 0 ] || { echo "build.sh: must run as root" >&2; exit 1; }
tools/frr-build.sh
FRR_BUILD=$(tools/frr-build.sh --print-builddir)

if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi >/dev/null
fi
# reconfigure when the FRR tree changed under us
if [ ! -f config.status ] ||
	! grep -q "$(readlink -f "$FRR_BUILD")" config.status 2>/dev/null ||
	[ "$FRR_BUILD/frr.xref" -nt config.status ]; then
	./configure --enable-werror --with-frr-build="$FRR_BUILD" >/dev/null
	rm -f frr-ha.xref
fi
make -s -j"$(nproc)"
make -s install >/dev/null
echo "[build] frr-ha built and installed (FRR tree $(readlink -f "$FRR_BUILD"))"
