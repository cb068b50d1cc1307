#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The frr-ha test command (what README calls "run the tests" and what
# .ci/run runs): builds everything it needs, then runs
#   1. the C unit tests (make check, cmocka),
#   2. the fuzz targets for a bounded time,
#   3. the topotests on the two-card router (FRR's topotest framework).
#
#   tools/test.sh                 everything
#   tools/test.sh -k PATTERN      only topotests matching PATTERN (pytest -k)
# Environment: FUZZ_SECONDS (default 30 per target).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"

[ "$(id -u)" = 0 ] || { echo "test.sh: must run as root (namespaces)" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
need=()
for p in clang-14 libclang-rt-14-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

tools/build.sh

echo "=== code format (.clang-format, FRR's style)"
tools/format.sh --check

echo "=== unit tests (make check)"
make -s check || { cat tests/unit/*.log; exit 1; }
grep -h "^# \(PASS\|FAIL\|ERROR\)" test-suite.log 2>/dev/null || true

echo "=== fuzz targets (${FUZZ_SECONDS:-30} s each)"
tools/fuzz.sh "${FUZZ_SECONDS:-30}"

echo "=== topotests"
FRR_TOPOTESTS="$(tools/frr-build.sh --print-builddir)/tests/topotests"
export FRR_TOPOTESTS
cd tests/topotests
# Debian's python3, not whatever python3 comes first on PATH
/usr/bin/python3 -m pytest -p no:cacheprovider -o cache_dir=/tmp \
	--junitxml=/tmp/frrha-topotests/results.xml "$@" .
