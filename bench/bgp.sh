#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmark of BGP non-stop routing: a BIRD 2 peer announces N prefixes to a
# plain FRR router (baseline) and to the two-card router; time to learn the
# table (ratio HA / plain), bulk sync to a fresh standby, graceful
# switchover with the table, card kill with the table, bgpd memory.  Prints the figures and writes
# them to bench/results/bgp.json.
#
#   bench/bgp.sh [PREFIXES]      (default 100000)
#   FRRHA_BENCH_ONLY=learn       the learning figures only
#   FRRHA_BENCH_ONLY=kill-during-copy  only a card death during the bulk copy
#                                after a switchover (BIRD's view, the clock);
#                                FRRHA_BENCH_KILL_AFTER=S: S s after the command
#   FRRHA_BENCH_CPUS=cards       each card on a CPU of its own (card a and the
#                                plain FRR router on CPU 0, card b and BIRD on 1)
#   FRRHA_BENCH_CPUS=standby-alone  the same with BIRD on CPU 0: card b alone on 1
#   FRRHA_BENCH_PERF=DIR         a perf profile of the learning bgpd during each
#                                learning, to DIR/r0-N.data and DIR/r1-N.data
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "bgp.sh: must run as root" >&2; exit 1; }
"$TOP/tools/build.sh" >/dev/null
mkdir -p "$TOP/bench/results"
OUT=$TOP/bench/results/bgp.json
# (a partial run does not overwrite the full run's figures)
[ -z "${FRRHA_BENCH_ONLY:-}" ] || OUT=$TOP/bench/results/bgp-$FRRHA_BENCH_ONLY.json
export FRRHA_BENCH_PREFIXES=${1:-100000} FRRHA_BENCH_OUT=$OUT
export FRR_TOPOTESTS="$("$TOP/tools/frr-build.sh" --print-builddir)/tests/topotests"
cd "$TOP/tests/topotests"
/usr/bin/python3 -m pytest -p no:cacheprovider -q --log-cli-level=CRITICAL \
	bench_bgp/bench_bgp.py >/tmp/frrha-bench-bgp.log 2>&1 ||
	{ tail -30 /tmp/frrha-bench-bgp.log; exit 1; }
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps(r, indent=1))
if "card_kill_during_the_copy" in r:  # FRRHA_BENCH_ONLY=kill-during-copy
    k = r["card_kill_during_the_copy"]
    print("card b killed %.1f s after the switchover to it, card a's bgpd replication %s: taken over: %s; rebuilt TCP clock: %s; BIRD noticed: %s"
          % (k["switchover_to_kill_s"], k["card_a_bgpd_replication_at_kill"], k["last_takeover"],
             k["rebuilt_tcp_clock"], k["bird_noticed"]))
    if k["bird_noticed"]:
        print("  BIRD's log: %s; Established again %s s after the kill"
              % ("; ".join(k.get("bird_session_log") or ["(nothing)"]),
                 "%.1f" % k["bird_established_again_after_kill_s"]
                 if k.get("bird_established_again_after_kill_s") is not None
                 else "not within 12"))
    sys.exit(0)
l = r["learn_table_s"]
print("cards' heartbeat (interval ms, multiplier): %s" % r.get("heartbeat", "50 4 (default)"))
print("CPUs: %s" % r.get("cpus", "shared"))
print("learning %d prefixes (medians of %d runs each, in turn): plain FRR %.2f s, HA active %.2f s: ratio %.2f (target <= 1.15)"
      % (r["prefixes"], r["repeats"], l["plain_frr"], l["ha_active"], l["ratio"]))
print("  HA active with no standby bgpd (nothing replicated): %.2f s, ratio %.2f against plain FRR in the same turns"
      % (l["ha_active_without_standby"], l["ratio_without_standby"]))
if "installed_ratio" in l:
    print("until all %d are in the RIB and the FIB (medians): plain FRR %.2f s, HA active %.2f s: ratio %.2f; with no standby bgpd: ratio %.2f"
          % (r["prefixes"], l["installed_plain_frr"], l["installed_ha_active"], l["installed_ratio"],
             l["installed_ratio_without_standby"]))
for w in l["runs"].get("ha_active_gate_waits", []):
    print("  gate during an HA learning: %s segments released by the standby's commit (%s BIRD's, %s ours),"
          " %s us on average; %s verdicts in %s system calls"
          % (w["released_by_commit"], w.get("segments_in"), w.get("segments_out"), w["mean_usec"],
             w.get("verdicts"), w.get("verdict_system_calls")))
for key in ("plain_frr", "ha_active", "plain_frr_2", "ha_active_without_standby"):
    for k in l["runs"].get(key + "_kernel", []):
        print("  %s learning: %d segments dropped by card a's netfilter queue, %d retransmitted by BIRD; CPU s until installed: %s"
              % (key, k["nfqueue_dropped"], k["bird_retransmitted_segments"],
                 ", ".join("%s %.2f" % kv for kv in sorted(k.get("cpu_s", {}).items()))))
        hb = k.get("heartbeat_gaps_ms")
        if hb:
            print("    r1's heartbeats, the longest gaps since each hard started (ms): %s; control channel segments sent again: a %s, b %s; kernel backlog drops: %s"
                  % ("; ".join("card %s received %d (sent %d apart), sent %d" % (side, g[0], g[1], g[2])
                               for side, g in sorted(hb.items())),
                     k.get("intercard_retransmits_a"), k.get("intercard_retransmits_b"),
                     k.get("softnet_dropped")))
        if k.get("bgpd_events"):
            print("    its bgpd's tasks (runs, CPU ms): %s"
                  % ", ".join("%s %d, %.0f" % (e, v[0], v[1]) for e, v in sorted(k["bgpd_events"].items())))
        d, cpu = k.get("digest_hashing_s"), k.get("cpu_s", {})
        if d:
            print("    of which the sessions' log digests (hashing each logged message): %s"
                  % ", ".join("card %s %.3f s (%.1f%% of its bgpd's CPU)"
                              % (side, t, 100.0 * t / cpu["%s_bgpd" % side])
                              if cpu.get("%s_bgpd" % side) else "card %s %.3f s" % (side, t)
                              for side, t in sorted(d.items())))
if "bulk_sync_s" not in r:
    sys.exit(0)  # FRRHA_BENCH_ONLY=learn
print("bulk sync to a fresh standby: %.2f s (target <= 10 s)" % r["bulk_sync_s"])
w = r.get("switchover_refused_while_the_standby_is_behind", {})
print("switchover right after the bulk: the standby's bgpd %s messages and prefixes behind (limit %s); %s refusals (first: %s); accepted %.1f s later"
      % (w.get("standby_backlog_after_the_bulk"), w.get("limit"), w.get("refusals"), w.get("first_refusal"),
         w.get("accepted_after_s", float("nan"))))
g = r["graceful_switchover_ms"]
print("graceful switchover: %.1f ms command to active (hard); %s ms command to the session taken over by the new active's bgpd; %.0f ms until the new active has the table; BIRD noticed: %s"
      % (g["hard_command_to_active"],
         "%.1f" % g["command_to_session_taken_over"] if g.get("command_to_session_taken_over") is not None else "? (bgpd's log line %s)" % g.get("session_taken_over_log_line"),
         g["until_new_active_has_table"], g.get("bird_noticed")))
print("  the standby's bgpd was %s replicated messages behind at the command; %s were not processed at the takeover (processed in %s ms after it)"
      % (g.get("standby_messages_behind_at_command"), g.get("backlog_at_takeover"), g.get("backlog_processed_ms")))
a = r["readvertisement_at_switchover"]
print("re-advertisement after the switchover: %d of the %d routes BIRD had from r1 not sent again (record complete: %s), filter over %.0f ms after the command"
      % (a["routes_not_sent_again"], a["routes_bird_had_from_r1"], a["record_complete"], a["until_filter_ended_ms"]))
k = r["card_kill_takeover_ms"]
print("card kill with the table: %.1f ms from the kill until the session was taken over (hard: %.1f ms detection to active; target <= 300 ms with detection); %d prefixes on the new active; BIRD noticed: %s"
      % (k["kill_to_session_taken_over"], k["hard_detection_to_active"], k["prefixes_on_new_active"], k["bird_noticed"]))
m = r["bgpd_rss_mb"]
print("bgpd RSS: plain %.0f MB, HA active %.0f MB, HA standby %.0f MB"
      % (m["plain_frr"], m["ha_active"], m["ha_standby"]))
print("written to", sys.argv[1])
PY
