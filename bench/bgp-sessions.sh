#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmark of BGP non-stop routing with many sessions: BIRD 2 runs N eBGP
# sessions to the two-card router; time to establish and replicate them,
# graceful switchover, bgpd-crash and card-kill takeover with all of them (how long,
# how many sessions BIRD saw nothing of), bgpd memory.  Prints the figures
# and writes them to bench/results/bgp-sessions.json (bgp-sessions-table.json
# with a TABLE).
#
#   bench/bgp-sessions.sh [SESSIONS [PREFIXES_PER_SESSION [TABLE]]]   (100, 10, 0)
#
# TABLE: a full table of that many prefixes (a mix of attributes) announced
# on the first session besides.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bgp-sessions.sh: must run as root" >&2; exit 1; }
"$TOP/tools/build.sh" >/dev/null
mkdir -p "$TOP/bench/results"
export FRRHA_BENCH_SESSIONS=${1:-100} FRRHA_BENCH_PREFIXES_PER_SESSION=${2:-10}
export FRRHA_BENCH_TABLE=${3:-0}
OUT=$TOP/bench/results/bgp-sessions.json
[ "$FRRHA_BENCH_TABLE" = 0 ] || OUT=$TOP/bench/results/bgp-sessions-table.json
export FRRHA_BENCH_OUT=$OUT
export FRR_TOPOTESTS="$("$TOP/tools/frr-build.sh" --print-builddir)/tests/topotests"
cd "$TOP/tests/topotests"
/usr/bin/python3 -m pytest -p no:cacheprovider -q --log-cli-level=CRITICAL \
	bench_bgp_sessions/bench_bgp_sessions.py >/tmp/frrha-bench-bgp-sessions.log 2>&1 ||
	{ tail -40 /tmp/frrha-bench-bgp-sessions.log; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps(r, indent=1))
n = r["sessions"]
g = r["graceful_switchover"]
print("%d sessions established and replicated in %.1f s" % (n, r["establish_s"]))
if r.get("table"):
    print("  with a table of %d prefixes on the first: learnt by the active %.1f s, by the standby's bgpd %.1f s after the sessions were enabled"
          % (r["table"], r["learn_table_s"], r["table_on_standby_s"]))
print("graceful switchover: hard %.1f ms command to active; %.1f ms until the last session was taken over (bgpd's log); %d/%d sessions unnoticed by BIRD"
      % (g["hard_command_to_active_ms"], g["command_to_last_session_taken_over_ms"], g["sessions_unnoticed_by_bird"], n))
if g.get("command_to_first_message_on_every_session_ms") is not None:
    print("  on the line (BIRD's capture): the new active's first message on the first session %.1f ms, on every session %.1f ms after the command (target <= 50 ms); %d/%d sessions"
          % (g["command_to_first_message_on_the_first_session_ms"], g["command_to_first_message_on_every_session_ms"], g["sessions_with_a_message_from_the_new_active"], n))
if g.get("refused_first", {}).get("count"):
    print("  (the switchover was refused %d times first: %s)" % (g["refused_first"]["count"], g["refused_first"]["first"]))
c = r["crash_takeover"]
print("bgpd crash: %.1f ms from kill -9 until the last session was taken over; %d taken over, %d reset; %d/%d unnoticed by BIRD"
      % (c["kill_to_last_session_taken_over_ms"], c["sessions_taken_over"], c["sessions_reset"], c["sessions_unnoticed_by_bird"], n))
k = r["card_kill_takeover"]
print("card kill: %.1f ms from the kill until the last session was taken over (hard: %.1f ms from noticing to active; target <= 300 ms with detection); %d taken over, %d not; %d/%d unnoticed by BIRD"
      % (k["kill_to_last_session_taken_over_ms"], k["hard_detection_to_active_ms"], k["sessions_taken_over"], k["sessions_not_taken_over"], k["sessions_unnoticed_by_bird"], n))
m = r["bgpd_rss_mb"]
print("bgpd RSS: HA active %.0f MB, HA standby %.0f MB" % (m["ha_active"], m["ha_standby"]))
print("written to", sys.argv[1])
PY
