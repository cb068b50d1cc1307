#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Benchmark of BGP non-stop routing with many sessions (run by
bench/bgp-sessions.sh, not by the test command).  BIRD 2 (b1) runs N eBGP
sessions to r1, the two-card router; session i runs between BIRD's
address 10.0.2.i+1 and r1's address 10.0.3.i+1 (BIRD runs one session per
neighbor address); each announces K prefixes of its own and receives r1's
route.

Figures (written to the file named by FRRHA_BENCH_OUT):
- establish_s: from enabling the sessions until r1's active has all N
  Established and the standby holds every one ready for a takeover;
- graceful_switchover: hard's own figure (command to new active); the time
  from hard's "switchover started" log line to the new active bgpd's last
  "taken over" line (every session attached, its first KEEPALIVE sent);
  how many sessions BIRD saw nothing of (state and state-change time
  unchanged over 12 s, more than the 9 s hold time);
- crash_takeover: kill -9 of the active's bgpd; from the kill to the new
  active bgpd's last "taken over" line; sessions taken over / reset; how
  many BIRD saw nothing of;
- card_kill_takeover: the death of the whole active card (its line port
  cut, every process on it killed at once); from the kill to the new
  active bgpd's last "taken over" line (detection by the silence on the
  intercard link included); sessions taken over / not; how many BIRD saw
  nothing of;
- bgpd_rss_mb: bgpd's resident memory on the active and the standby.
"""
import json
import os
import sys
import time

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import (
    ManyBirdSessions,
    RedundantRouter,
    daemon_rss_mb,
    log_lines,
    log_time,
    wait_for,
)

R1 = None
SESSIONS = None
N = int(os.environ.get("FRRHA_BENCH_SESSIONS", "100"))
K = int(os.environ.get("FRRHA_BENCH_PREFIXES_PER_SESSION", "10"))
# FRRHA_BENCH_TABLE: prefixes of a full table session 0 announces besides
TABLE = int(os.environ.get("FRRHA_BENCH_TABLE", "0"))


def build_topo(tgen):
    global R1, SESSIONS
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    SESSIONS = ManyBirdSessions(R1, "b1", N, K, table=TABLE)
    SESSIONS.build("s1")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(SESSIONS.router_confdir())
    SESSIONS.start_bird()


def teardown_module(mod):
    R1.stop_bird_peer("b1")
    get_topogen().stop_topology()


def _ha_sessions(side):
    return R1.vtysh_json(side, "show redundancy bgp json")


def _wait_logged(card, daemon, text, before, title):
    """Wait until card's daemon has logged text N times more than before,
    from its log file alone: while a switchover or takeover is measured the
    harness runs nothing on the router (vtysh connects to every daemon and
    costs milliseconds of CPU on the same 2 cores; polled every 50 ms it
    was in the measured window)."""
    ok, diff = wait_for(
        lambda: {"logged": len(log_lines(R1, card, daemon, text)) - before >= N},
        {"logged": True},
        count=300,
        wait=0.1,
        title=title,
    )
    assert ok, diff


def _table_prefixes(side):
    "Prefixes card side's bgpd has from session 0 (the table's)."
    peers = R1.vtysh_json(side, "show bgp ipv4 unicast summary json").get("peers", {})
    return peers.get(ManyBirdSessions.bird_addr(0), {}).get("pfxRcd", 0)


def _wait_table(side, title):
    ok, diff = wait_for(lambda: {"table": _table_prefixes(side) >= K + TABLE}, {"table": True},
                        count=1200, wait=0.5, title=title)
    assert ok, (diff, _table_prefixes(side))


def test_bench_bgp_sessions():
    R1.wait_active("a", "boot", count=400)
    results = {"sessions": N, "prefixes_per_session": K, "table": TABLE}

    start = time.time()
    SESSIONS.enable()
    SESSIONS.wait_ready("a", "all sessions established and replicated")
    results["establish_s"] = time.time() - start
    if TABLE:
        results["table"] = TABLE
        _wait_table("a", "the table learnt by card a")
        results["learn_table_s"] = time.time() - start
        _wait_table("b", "the table in card b's bgpd too (as standby)")
        results["table_on_standby_s"] = time.time() - start
    R1.wait_active("a", "redundant", count=400)
    results["bgpd_rss_mb"] = {"ha_active": daemon_rss_mb(R1.card("a")), "ha_standby": daemon_rss_mb(R1.card("b"))}

    # graceful switchover a -> b
    before = SESSIONS.view()
    taken = len(log_lines(R1, "b", "bgpd", "taken over with its TCP connection"))
    refusals = R1.switchover_when_accepted("a")["refusals"]
    _wait_logged("b", "bgpd", "taken over with its TCP connection", taken, "every session taken over by card b")
    R1.wait_active("b", "switched", redundant=False, count=400)
    # (the last one started: each refused one started too)
    t0 = log_time(log_lines(R1, "a", "hard", "graceful switchover #")[-1])
    t1 = log_time(log_lines(R1, "b", "bgpd", "taken over with its TCP connection")[-1])
    # on the line: each session's first message from the new active (the
    # first segment with data after the old active froze the connections)
    frozen = log_time(log_lines(R1, "a", "bgpd", "frozen for the switchover")[-1])
    ok, diff = wait_for(
        lambda: {"sessions": len(SESSIONS.first_sent_after(frozen))},
        {"sessions": N},
        wait=0.2,
        title="a message from the new active on every session, in the capture",
    )
    first = SESSIONS.first_sent_after(frozen)
    results["graceful_switchover"] = {
        # (the commanding card's record; the new active's starts at PREPARE)
        "hard_command_to_active_ms": R1.redundancy("a")["lastSwitchover"]["durationUsec"] / 1000.0,
        "command_to_last_session_taken_over_ms": (t1 - t0) * 1000.0,
        # the target's own measure: command -> the new active's first
        # message (its KEEPALIVE) on every session, from BIRD's capture
        "command_to_first_message_on_every_session_ms": (max(first.values()) - t0) * 1000.0
        if first
        else None,
        "command_to_first_message_on_the_first_session_ms": (min(first.values()) - t0) * 1000.0
        if first
        else None,
        "sessions_with_a_message_from_the_new_active": len(first),
        "sessions_taken_over": len(log_lines(R1, "b", "bgpd", "taken over with its TCP connection"))
        - taken,
        "refused_first": {"count": len(refusals), "first": refusals[0] if refusals else None},
    }
    noticed = SESSIONS.noticed(before)
    results["graceful_switchover"]["sessions_unnoticed_by_bird"] = N - len(noticed)
    results["graceful_switchover"]["noticed_by_bird"] = noticed

    # kill -9 of the active's (card b's) bgpd: card a takes over
    R1.wait_active("b", "redundant again", count=600)
    SESSIONS.wait_ready("b", "all sessions ready on card a")
    before = SESSIONS.view()
    counters = _ha_sessions("a")
    crashed = len(log_lines(R1, "a", "bgpd", "after bgpd died on the old active"))
    killed = time.time()
    R1.kill_daemon("b", "bgpd")
    _wait_logged("a", "bgpd", "after bgpd died on the old active", crashed, "every session taken over or reset by card a")
    R1.wait_active("a", "card a took over", redundant=False, count=400)
    ok, diff = wait_for(
        lambda: {
            "done": _ha_sessions("a")["sessionsTakenOver"]
            + _ha_sessions("a")["sessionsResetAtTakeover"]
            - counters["sessionsTakenOver"]
            - counters["sessionsResetAtTakeover"]
            >= N
        },
        {"done": True},
        count=300,
        wait=0.1,
        title="every session taken over or reset by card a",
    )
    after = _ha_sessions("a")
    t1 = log_time(log_lines(R1, "a", "bgpd", "after bgpd died on the old active")[-1])
    results["crash_takeover"] = {
        "kill_to_last_session_taken_over_ms": (t1 - killed) * 1000.0,
        "sessions_taken_over": after["sessionsTakenOver"] - counters["sessionsTakenOver"],
        "sessions_reset": after["sessionsResetAtTakeover"] - counters["sessionsResetAtTakeover"],
    }
    noticed = SESSIONS.noticed(before)
    results["crash_takeover"]["sessions_unnoticed_by_bird"] = N - len(noticed)
    results["crash_takeover"]["noticed_by_bird"] = noticed

    # the death of card b (active again after a switchover back): card a
    # rebuilds every connection from its gate's record
    R1.restart_bgpd("b")
    SESSIONS.wait_ready("a", "all sessions ready on card b")
    R1.switchover_when_accepted("a")
    R1.wait_active("b", "switched back", redundant=False, count=400)
    R1.wait_active("b", "redundant again", count=600)
    SESSIONS.wait_ready("b", "all sessions ready on card a")
    ok, diff = wait_for(
        lambda: {
            "rebuildable": sum(
                1 for s in _ha_sessions("a")["sessions"].values() if s.get("rebuildable")
            )
        },
        {"rebuildable": N},
        count=300,
        wait=0.1,
        title="card a can rebuild every connection",
    )
    assert ok, diff
    before = SESSIONS.view()
    counters = _ha_sessions("a")
    died = len(log_lines(R1, "a", "bgpd", "after the death of the old active card"))
    killed = time.time()
    R1.kill_card("b")
    _wait_logged("a", "bgpd", "after the death of the old active card", died, "every session taken over (or not) by card a")
    R1.wait_active("a", "card a took over", only_active=True, count=400)
    ok, diff = wait_for(
        lambda: {
            "done": _ha_sessions("a")["sessionsTakenOver"]
            + _ha_sessions("a")["sessionsNotTakenOver"]
            - counters["sessionsTakenOver"]
            - counters["sessionsNotTakenOver"]
            >= N
        },
        {"done": True},
        count=300,
        wait=0.1,
        title="every session taken over (or not) by card a",
    )
    after = _ha_sessions("a")
    t1 = log_time(log_lines(R1, "a", "bgpd", "after the death of the old active card")[-1])
    results["card_kill_takeover"] = {
        "kill_to_last_session_taken_over_ms": (t1 - killed) * 1000.0,
        "hard_detection_to_active_ms": R1.redundancy("a")["lastSwitchover"]["durationUsec"] / 1000.0,
        "sessions_taken_over": after["sessionsTakenOver"] - counters["sessionsTakenOver"],
        "sessions_not_taken_over": after["sessionsNotTakenOver"] - counters["sessionsNotTakenOver"],
    }
    noticed = SESSIONS.noticed(before)
    results["card_kill_takeover"]["sessions_unnoticed_by_bird"] = N - len(noticed)
    results["card_kill_takeover"]["noticed_by_bird"] = noticed
    results["fin_rst_seen"] = SESSIONS.teardowns()
    with open(os.environ["FRRHA_BENCH_OUT"], "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))
