#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmark of OSPF non-stop routing: a BIRD 2 neighbour floods N
# AS-external LSAs to a plain FRR router (baseline) and to the two-card
# router in turn (flooding and flush time, ratio HA / plain), then with the
# LSDB: bulk sync to a fresh standby, graceful switchover, card-kill
# takeover, ospfd memory.  Prints the figures and writes them to
# bench/results/ospf.json.
#
#   bench/ospf.sh [LSAS]      (default 10000)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "ospf.sh: must run as root" >&2; exit 1; }
"$TOP/tools/build.sh" >/dev/null
mkdir -p "$TOP/bench/results"
OUT=$TOP/bench/results/ospf.json
export FRRHA_BENCH_LSAS=${1:-10000} FRRHA_BENCH_OUT=$OUT
export FRR_TOPOTESTS="$("$TOP/tools/frr-build.sh" --print-builddir)/tests/topotests"
cd "$TOP/tests/topotests"
/usr/bin/python3 -m pytest -p no:cacheprovider -q --log-cli-level=CRITICAL \
	bench_ospf/bench_ospf.py >/tmp/frrha-bench-ospf.log 2>&1 ||
	{ tail -40 /tmp/frrha-bench-ospf.log; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps(r, indent=1))
f = r["flooding_s"]
m = f["median"]
print("flooding %d LSAs (medians of %d runs each, in turn): plain FRR %.3f s, HA active %.3f s: ratio %.2f (target <= 1.15)"
      % (r["lsas"], r["repeats"], m["plain_frr"], m["ha_active"], f["ratio"]))
print("  (BIRD's first LS Update to the router's last LS Ack: the 1 s delayed-ack interval dominates)")
c = r["flooding_ospfd_cpu_s"]["median"]
print("  ospfd CPU for it: plain FRR %.3f s, HA active %.3f s (ratio %s), HA standby %.3f s"
      % (c["plain_frr"], c["ha_active"],
         "%.2f" % r["flooding_ospfd_cpu_s"]["ratio_active"] if r["flooding_ospfd_cpu_s"]["ratio_active"] else "n/a",
         c["ha_standby"]))
print("with an LSDB of %d LSAs:" % r["lsdb_lsas"])
print("  bulk sync to a fresh standby: %.2f s" % r["bulk_sync_s"])
g = r["graceful_switchover_ms"]
print("  graceful switchover: hard %.1f ms command to active; ospfd takeover %.3f ms; %.1f ms from the command to the new active's ospfd running (target <= 50 ms)"
      % (g["hard_command_to_active"], g["ospfd_takeover"], g["command_to_ospfd_active"]))
k = r["card_kill_takeover_ms"]
print("  card kill: %.1f ms from the kill to the new active's ospfd running (hard: %.1f ms from noticing to active)"
      % (k["kill_to_ospfd_active"], k["hard_detection_to_active"]))
print("  adjacency changes BIRD logged over the switchover and the kill: %d" % r["bird_noticed"])
mem = r["ospfd_rss_mb"]
print("  ospfd RSS: HA active %.0f MB, HA standby %.0f MB; plain FRR %.0f MB (with %d LSAs)"
      % (mem["ha_active"], mem["ha_standby"], mem["plain_frr"], mem["plain_frr_lsas"]))
print("written to", sys.argv[1])
PY
