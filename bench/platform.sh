#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmark of the redundancy platform on the two-card router: graceful
# switchover time, takeover time after a card kill and after a card
# freeze.  Prints the figures against the targets of the redundancy core
# and writes them to bench/results/platform.json.
#
#   bench/platform.sh [SWITCHOVERS [KILLS]]     (defaults 100, 10)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "platform.sh: must run as root" >&2; exit 1; }
"$TOP/tools/build.sh" >/dev/null
mkdir -p "$TOP/bench/results"
OUT=$TOP/bench/results/platform.json
export FRRHA_BENCH_SWITCHOVERS=${1:-100} FRRHA_BENCH_KILLS=${2:-10} FRRHA_BENCH_OUT=$OUT
export FRR_TOPOTESTS="$("$TOP/tools/frr-build.sh" --print-builddir)/tests/topotests"
cd "$TOP/tests/topotests"
/usr/bin/python3 -m pytest -p no:cacheprovider -q --log-cli-level=CRITICAL \
	bench_platform/bench_platform.py >/tmp/frrha-bench-platform.log 2>&1 ||
	{ tail -30 /tmp/frrha-bench-platform.log; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
targets = {
    "graceful_switchover": 20.0,
    "card_kill_takeover_from_detection": 300.0,
    "card_freeze_takeover_incl_detection_upper_bound": 300.0,
}
print("%-50s %6s %9s %9s %9s %8s" % ("figure (ms)", "n", "p50", "p99", "max", "target"))
for k, v in r.items():
    print("%-50s %6d %9.3f %9.3f %9.3f %8.0f" % (k, v["count"], v["p50_ms"], v["p99_ms"],
                                                 v["max_ms"], targets.get(k, 0)))
print("written to", sys.argv[1])
PY
