#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
BGP session replication, first part of BGP non-stop routing (issue 4):
the active card's bgpd-ha replicates each session's state, both OPEN
messages and every message the peer sends on the established session
(before bgpd processes it) to the standby card.

- the session with the FRR peer p1 is replicated: card b (standby) holds
  it with the same state, OPEN messages and message log as card a;
- a route p1 withdraws and announces again reaches the standby's log;
- the bgpd module's digests match (the router is redundant);
- a restarted standby bgpd gets the sessions back by a bulk copy;
- graceful switchovers (2, then 20 in a row) move the session with its
  TCP connection: p1 notices nothing;
- kill -9 of the active's bgpd with "no switchover on-daemon-failure":
  no takeover follows, so hard closes the socket it held at once (FIN):
  p1 sees the session end within a second, not at its hold timer, and the
  restarted bgpd has it back;
- kill -9 of the active's bgpd (default): card b's bgpd takes the session
  over with the connection hard froze: p1 notices nothing, and r1's route
  at p1 is unchanged.
"""
import os
import re
import sys
import time

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import (
    RedundantRouter,
    frr_peer_collisions,
    hold_unchanged,
    log_lines,
    log_time,
    peer_bgp_neighbor,
    peer_bgp_session_view,
    peer_updates_received,
    view_after_one_reset,
    wait_for,
)

pytestmark = [pytest.mark.bgpd, pytest.mark.hard]

R1 = None
PEER = "10.0.1.2"
SWITCHOVER_RESETS = []


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    R1.add_frr_peer("p1", "s1")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD, peers=["p1"])


def teardown_module(mod):
    get_topogen().stop_topology()


def _skip_on_failure():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)


def _p1():
    return get_topogen().gears["p1"]


# what each card says of its own part, not replicated state
CARD_LOCAL = (
    "syncState",
    "lastTakeover",
    "rebuildable",
    "notRebuildable",
    "ourBytesUnacknowledged",
    "afterTakeover",
    "standbyBgpd",
)


def _sessions(side):
    sessions = R1.vtysh_json(side, "show redundancy bgp json")["sessions"]
    for s in sessions.values():
        for key in CARD_LOCAL:
            s.pop(key, None)
    return sessions


def _same_on_both_cards():
    a, b = _sessions("a").get(PEER), _sessions("b").get(PEER)
    return {"a": a, "b": b, "equal": a == b}


def test_session_replicated_to_the_standby():
    "The standby card holds the active's session: state, OPENs, the peer's messages."
    R1.wait_active("a", "boot election")
    ok, diff = wait_for(
        lambda: peer_bgp_neighbor(_p1(), "10.0.1.1"),
        {"bgpState": "Established"},
        count=80,
        title="p1 Established with r1",
    )
    assert ok, diff
    ok, diff = wait_for(
        lambda: {"a": _sessions("a").get(PEER, {}).get("state")},
        {"a": "Established"},
        title="session recorded on the active card",
    )
    assert ok, "%s: %s" % (diff, R1.card("a").vtysh_cmd("show redundancy bgp json"))
    # p1's UPDATEs (its two prefixes, the end-of-RIB) follow the session
    ok, diff = wait_for(
        lambda: {"logged": _sessions("b").get(PEER, {}).get("messagesLogged", 0) >= 1},
        {"logged": True},
        title="p1's UPDATEs in the standby's log",
    )
    assert ok, diff
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="replicated to card b")
    assert ok, diff
    s = _sessions("b")[PEER]
    assert s["localAs"] == 65001 and s["remoteAs"] == 65002, s
    assert s["openSentBytes"] >= 29 and s["openReceivedBytes"] >= 29, s
    assert R1.vtysh_json("b", "show redundancy bgp json")["role"] == "standby"
    out = R1.card("b").vtysh_cmd("show redundancy bgp")
    assert PEER in out and "Established" in out, out


def test_new_updates_reach_the_standby_log():
    "A prefix the peer withdraws and announces again: both UPDATEs are in the standby's log."
    _skip_on_failure()
    before = _sessions("a")[PEER]["messagesLogged"]
    digest_before = {side: _log_digest(side) for side in ("a", "b")}
    _p1().vtysh_cmd(
        "configure terminal\nrouter bgp 65002\naddress-family ipv4 unicast\n"
        "no network 10.200.2.0/24\n"
    )
    ok, diff = wait_for(
        lambda: {"more": _sessions("b").get(PEER, {}).get("messagesLogged", 0) > before},
        {"more": True},
        title="withdrawal replicated",
    )
    assert ok, diff
    _p1().vtysh_cmd(
        "configure terminal\nrouter bgp 65002\naddress-family ipv4 unicast\n"
        "network 10.200.2.0/24\n"
    )
    ok, diff = wait_for(
        lambda: {"more": _sessions("b").get(PEER, {}).get("messagesLogged", 0) >= before + 2},
        {"more": True},
        title="announcement replicated",
    )
    assert ok, diff
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="logs equal")
    assert ok, diff
    # each card hashed both UPDATEs as it logged them, for the session's
    # digest -- and counts what that cost (logDigest)
    for side, was in digest_before.items():
        now = _log_digest(side)
        assert now["messagesHashed"] >= was["messagesHashed"] + 2, (side, was, now)
        assert now["bytesHashed"] >= was["bytesHashed"] + 2 * 23, (side, was, now)
        assert now["usecHashing"] >= was["usecHashing"], (side, was, now)


def _log_digest(side):
    "What card side's bgpd spent on the sessions' log digests."
    return R1.vtysh_json(side, "show redundancy bgp json")["logDigest"]


def _standby_routes(prefixes):
    "Which of prefixes card b's bgpd and zebra have (valid, from p1)."
    bgp = R1.vtysh_json("b", "show ip bgp json").get("routes", {})
    out = {}
    for prefix in prefixes:
        rib = R1.vtysh_json("b", "show ip route %s json" % prefix).get(prefix, [{}])
        out[prefix] = {
            "bgpd": any(p.get("valid") for p in bgp.get(prefix, [])),
            # (json_cmp: an expected None means "key absent")
            "zebra": rib[0].get("protocol", "absent"),
        }
    return out


def test_standby_bgpd_carries_the_session():
    """The standby's bgpd carries the replicated session: Established on
    the replicated messages (fed through its own receive path as they
    arrive), p1's routes in its RIB and in zebra's, a route p1 announces or
    withdraws now there or gone at once; "show bgp summary" says the
    session is the standby's copy; and it sends nothing on the line."""
    _skip_on_failure()
    R1.wait_carried("b", [PEER])
    summary = R1.vtysh_json("b", "show bgp ipv4 unicast summary json")["peers"][PEER]
    assert summary["state"] == "Established" and summary["peerState"] == "Standby", summary
    assert "(Standby)" in R1.card("b").vtysh_cmd("show bgp ipv4 unicast summary")
    # not on the active
    summary = R1.vtysh_json("a", "show bgp ipv4 unicast summary json")["peers"][PEER]
    assert summary["peerState"] == "OK", summary
    prefixes = ["10.200.1.0/24", "10.200.2.0/24"]
    ok, diff = wait_for(
        lambda: _standby_routes(prefixes),
        {p: {"bgpd": True, "zebra": "bgp"} for p in prefixes},
        title="p1's routes in card b's bgpd and zebra",
    )
    assert ok, diff
    line_before = R1.forwarded_from("s1", "b")
    _p1_announces("10.200.7.0/24")
    ok, diff = wait_for(
        lambda: _standby_routes(["10.200.7.0/24"]),
        {"10.200.7.0/24": {"bgpd": True, "zebra": "bgp"}},
        title="p1's new route in card b's bgpd and zebra",
    )
    assert ok, diff
    _p1().vtysh_multicmd(
        "configure terminal\nrouter bgp 65002\naddress-family ipv4 unicast\n"
        "no network 10.200.7.0/24\n"
    )
    ok, diff = wait_for(
        lambda: _standby_routes(["10.200.7.0/24"]),
        {"10.200.7.0/24": {"bgpd": False, "zebra": "absent"}},
        title="p1's withdrawal in card b's bgpd and zebra",
    )
    assert ok, diff
    assert R1.forwarded_from("s1", "b") == line_before
    # the record is the same on both cards
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="replicated to card b")
    assert ok, diff


def test_bgpd_module_synced():
    "The bgp-session class is part of bgpd's digests: the module is synced, the router redundant."
    _skip_on_failure()
    ok, diff = wait_for(
        lambda: R1.redundancy("a")["daemons"]["bgpd"]["replication"],
        {"state": "synced", "lastDigest": "match"},
        title="bgpd synced",
    )
    assert ok, diff
    assert R1.redundancy("a")["redundant"]


def test_gate_waits_reported():
    """How long the active's gate held segments for the standby's commit is
    reported: while card a's data channel is blocked, p1's UPDATE waits in
    card a's netfilter queue; once unblocked, the standby commits it and
    the gate lets it pass -- counted as released by the commit, its wait at
    least as long as the channel was seen blocked with the UPDATE held."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the test")
    waits = lambda: _gated("a")["waits"]
    before = waits()
    try:
        _p1_update_held_by_card_a("10.203.1.0/24")
        held_seen = time.time()
    finally:
        R1.unblock_data_channel("a")
    blocked_usec = (time.time() - held_seen) * 1e6
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show ip bgp json").get("routes", {}),
        {"10.203.1.0/24": [{"valid": True}]},
        title="p1's UPDATE on card b",
    )
    assert ok, diff
    after = waits()
    assert after["releasedByCommit"] > before["releasedByCommit"], (before, after)
    assert after["maxUsec"] >= blocked_usec, (blocked_usec, after)
    assert 0 < after["meanUsec"] <= after["maxUsec"], after
    # the channel was not given up: nothing let go without the commit
    assert after["releasedWithoutCommit"] == before["releasedWithoutCommit"], (before, after)
    text = R1.card("a").vtysh_cmd("show redundancy bgp")
    assert re.search(r"Gate waits: \d+ released by the standby's commit after \d+ us", text), text


def test_restarted_standby_bgpd_gets_the_sessions_back():
    "A restarted standby bgpd is brought current by a bulk copy, sessions and logs included."
    _skip_on_failure()
    card = R1.card("b")
    pid = R1.redundancy("b")["daemons"]["bgpd"]["pid"]
    card.cmd_raises("kill -9 %d" % pid)
    ok, diff = wait_for(
        lambda: {"gone": "bgpd" not in R1.redundancy("b")["daemons"]},
        {"gone": True},
        title="standby bgpd gone",
    )
    assert ok, diff
    card.net.startRouterDaemons(daemons=["bgpd"])
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, count=100, title="bulk copy")
    assert ok, diff
    R1.wait_active("a", "redundant again")
    # the peer saw nothing of this (the standby was never on the line)
    assert peer_bgp_neighbor(_p1(), "10.0.1.1")["bgpState"] == "Established"


def _p1_view():
    return peer_bgp_session_view(_p1(), "10.0.1.1")


def _session_ports():
    "The session's connection as p1 sees it: (r1's port, p1's port)."
    n = peer_bgp_neighbor(_p1(), "10.0.1.1")
    return n["portForeign"], n["portLocal"]


def _switchover_keeps_session(old, new):
    before = _p1_view()
    assert before["bgpState"] == "Established", before
    R1.wait_active(old, "redundant before the switchover")
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="session replicated")
    assert ok, diff
    teardowns = R1.tcp_teardown_count("s1", "session")
    R1.switchover_with_bgp(old, new, [PEER])
    # judged by the peer: never left Established, no new connection, no
    # drop, no FIN/RST from the router on the session's connection -- also
    # over 12 s, more than p1's 9 s hold time: the new active's keepalives
    # flow on the moved connection
    hold_unchanged(_p1_view, before, teardowns=(R1, "s1", "session", teardowns))
    # p1's routes are in the new active's RIB (its UPDATEs were replayed)
    ok, diff = wait_for(
        lambda: R1.vtysh_json(new, "show ip bgp json").get("routes", {}),
        {"10.200.1.0/24": [{"valid": True}], "10.200.2.0/24": [{"valid": True}]},
        title="p1's routes on card %s" % new,
    )
    assert ok, "%s\n%s\n%s" % (
        diff,
        R1.card(new).vtysh_cmd("show ip bgp"),
        R1.card(new).vtysh_cmd("show redundancy bgp"),
    )


def test_graceful_switchover_keeps_the_session():
    "redundancy switchover moves the BGP session with its TCP connection: p1 sees nothing."
    _skip_on_failure()
    r1_port, p1_port = _session_ports()
    R1.watch_tcp_teardown("s1", "10.0.1.1", sport=r1_port, dport=p1_port, name="session")
    R1.watch_tcp_teardown("s1", "10.0.1.1", name="all")
    _switchover_keeps_session("a", "b")
    _switchover_keeps_session("b", "a")
    # for test_no_reset_at_all_on_the_line
    SWITCHOVER_RESETS.append((R1.tcp_teardown_count("s1", "all"), R1.tcp_teardowns("s1", "all")))


def test_twenty_switchovers_keep_the_session():
    "20 graceful switchovers back and forth: the same BGP session all along, as p1 sees it."
    _skip_on_failure()
    before = _p1_view()
    r1_port, p1_port = _session_ports()
    teardowns = R1.tcp_teardown_count("s1", "session")
    side = "a"
    for i in range(20):
        other = R1.other(side)
        ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="session replicated")
        assert ok, diff
        R1.switchover_with_bgp(side, other, [PEER])
        assert _p1_view() == before, (i + 1, before, _p1_view())
        side = other
    assert side == "a"
    # the same connection as before the 20 switchovers
    assert _session_ports() == (r1_port, p1_port)
    assert R1.tcp_teardown_count("s1", "session") == teardowns
    assert _p1_view() == before


def _p1_announces_to_a_paused_standby(prefixes):
    """Card b's bgpd no longer fed (the caller resumes it), p1 announces
    each of prefixes in its own UPDATE: committed on card b, not processed
    by its bgpd."""
    out = R1.card("b").vtysh_cmd("debug redundancy bgp standby-feed-paused")
    assert "%" not in out, out
    for n, prefix in enumerate(prefixes, 1):
        _p1_announces(prefix)
        # in card b's record before the next
        ok, diff = wait_for(
            lambda: {"behind": R1.bgp_session("b", PEER)["standbyBgpd"]["messagesBehind"] >= n},
            {"behind": True},
            title="p1's UPDATE of %s replicated, not processed, on card b" % prefix,
        )
        assert ok, (diff, R1.card("b").vtysh_cmd("show redundancy bgp"))


def _configure_r1_bgp(side, line):
    out = R1.card(side).vtysh_multicmd("configure terminal\nrouter bgp 65001\n%s\n" % line)
    assert "%" not in out, out


def test_switchover_refused_while_the_standby_bgpd_is_behind():
    """A graceful switchover is refused while the standby's bgpd has more
    replicated messages not processed than the limit (its routes, and the
    new active's after a switchover, would lag by them): the standby
    reports its backlog to the active, whose bgpd refuses the quiesce with
    the figures; nothing changes for p1.  Once the standby has caught up,
    the switchover goes through.  The limit is configuration (replicated,
    in the running configuration)."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the test")
    R1.wait_carried("b", [PEER])
    before = _p1_view()
    _configure_r1_bgp("a", "redundancy switchover-max-standby-backlog 2")
    assert "redundancy switchover-max-standby-backlog 2" in R1.card("a").vtysh_cmd(
        "show running-config bgpd"
    )
    prefixes = ["10.202.%d.0/24" % i for i in range(1, 4)]
    try:
        _p1_announces_to_a_paused_standby(prefixes)
        # the standby's report reaches the active
        ok, diff = wait_for(
            lambda: {
                "over": R1.vtysh_json("a", "show redundancy bgp json")["standbyBacklog"]["total"]
                > 2
            },
            {"over": True},
            title="card a knows card b's bgpd is behind",
        )
        assert ok, (diff, R1.vtysh_json("b", "show redundancy bgp json").get("backlog"))
        last = R1.redundancy("a").get("lastSwitchover", {}).get("id", 0)
        assert "started" in R1.card("a").vtysh_cmd("redundancy switchover")
        ok, diff = wait_for(
            lambda: {"done": not R1.redundancy("a")["lastSwitchover"]["inProgress"]},
            {"done": True},
            title="the switchover ended",
        )
        assert ok, diff
        swo = R1.redundancy("a")["lastSwitchover"]
        assert swo["id"] == last + 1, swo
        assert "refused: bgpd: the standby has" in swo["result"], swo
        assert "BGP messages and prefixes not processed yet (limit 2)" in swo["result"], swo
        assert R1.role("a") == "active" and R1.role("b") == "standby"
    finally:
        R1.card("b").vtysh_cmd("no debug redundancy bgp standby-feed-paused")
    # caught up: reported, and the switchover goes through
    ok, diff = wait_for(
        lambda: {
            "total": R1.vtysh_json("a", "show redundancy bgp json")["standbyBacklog"][
                "total"
            ]
        },
        {"total": 0},
        title="card b's bgpd caught up, card a knows",
    )
    assert ok, diff
    R1.switchover_with_bgp("a", "b", [PEER])
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show ip bgp json").get("routes", {}),
        {p: [{"valid": True}] for p in prefixes},
        title="p1's routes on card b",
    )
    assert ok, diff
    # (the limit was replicated with the configuration)
    assert "redundancy switchover-max-standby-backlog 2" in R1.card("b").vtysh_cmd(
        "show running-config bgpd"
    )
    _configure_r1_bgp("b", "no redundancy switchover-max-standby-backlog")
    assert "switchover-max-standby-backlog" not in R1.card("b").vtysh_cmd(
        "show running-config bgpd"
    )
    hold_unchanged(_p1_view, before)
    R1.switchover_with_bgp("b", "a", [PEER])
    for prefix in prefixes:
        _p1().vtysh_multicmd(
            "configure terminal\nrouter bgp 65002\naddress-family ipv4 unicast\n"
            "no network %s\n" % prefix
        )


def test_takeover_before_the_standby_bgpd_catches_up():
    """A standby bgpd behind the active -- p1's last UPDATEs replicated and
    committed, not yet processed by it (its feed paused, as when it is
    still working through a full table) -- takes the session over first
    (connection, keepalive, hold timer) and processes them afterwards, as
    bgpd's own events, ahead of what it reads from the connection: p1
    notices nothing, and its routes reach the new active."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the test")
    R1.wait_carried("b", [PEER])
    before = _p1_view()
    prefixes = ["10.201.%d.0/24" % i for i in range(1, 4)]
    try:
        _p1_announces_to_a_paused_standby(prefixes)
        routes = R1.vtysh_json("b", "show ip bgp json").get("routes", {})
        assert not any(p in routes for p in prefixes), routes.keys()
        logged = R1.bgp_session("a", PEER)["messagesLogged"]
        R1.switchover_with_bgp("a", "b", [PEER])
    finally:
        R1.card("b").vtysh_cmd("no debug redundancy bgp standby-feed-paused")
    after = R1.bgp_session("b", PEER)["afterTakeover"]
    assert after["backlogAtTakeover"] >= len(prefixes), after
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show ip bgp json").get("routes", {}),
        {p: [{"valid": True}] for p in prefixes},
        title="p1's routes processed on card b after the takeover",
    )
    assert ok, diff
    ok, diff = wait_for(
        lambda: R1.bgp_session("b", PEER)["afterTakeover"],
        {"backlogLeft": 0},
        title="the backlog processed",
    )
    assert ok, diff
    # processed, not logged a second time (they were in the record)
    assert R1.bgp_session("b", PEER)["messagesLogged"] == logged
    # the session was taken over before the backlog was processed
    taken = log_lines(R1, "b", "bgpd", "frr-ha: session %s taken over with its TCP" % PEER)
    done = log_lines(R1, "b", "bgpd", "not processed at the takeover processed in")
    assert taken and done, (taken, done)
    assert log_time(taken[-1]) <= log_time(done[-1]), (taken[-1], done[-1])
    hold_unchanged(_p1_view, before)
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="the same record on both cards")
    assert ok, diff
    R1.switchover_with_bgp("b", "a", [PEER])
    for prefix in prefixes:
        _p1().vtysh_multicmd(
            "configure terminal\nrouter bgp 65002\naddress-family ipv4 unicast\n"
            "no network %s\n" % prefix
        )


def test_route_refresh_and_peer_reset_after_switchover():
    """Dynamic cases on a moved session: route refreshes both ways right
    after a switchover keep the session and the routes; then p1 resets the
    session itself: the new session is established with the new active,
    replicated, and moves at the next switchover like the first."""
    _skip_on_failure()
    R1.switchover_with_bgp("a", "b", [PEER])
    before = _p1_view()
    # p1 asks the new active for its routes again, the new active asks p1
    _p1().vtysh_cmd("clear bgp ipv4 unicast 10.0.1.1 soft in")
    R1.card("b").vtysh_cmd("clear bgp ipv4 unicast %s soft in" % PEER)
    ok, diff = wait_for(
        lambda: {"routes": len(_route_from_r1_on_p1()), "view": _p1_view()},
        {"routes": 1, "view": before},
        title="route refreshes: session and route kept",
    )
    assert ok, diff
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show ip bgp json").get("routes", {}),
        {"10.200.1.0/24": [{"valid": True}], "10.200.2.0/24": [{"valid": True}]},
        title="p1's routes on card b after the refresh",
    )
    assert ok, diff
    # p1 resets the session: a new one, with card b (a connection
    # collision p1 resolves on the way is allowed, see view_after_one_reset)
    p1_logdir = os.path.join(get_topogen().logdir, "p1")
    collisions = frr_peer_collisions(p1_logdir)
    _p1().vtysh_cmd("clear bgp 10.0.1.1")
    ok, diff = wait_for(
        lambda: view_after_one_reset(
            _p1_view, before, lambda: frr_peer_collisions(p1_logdir), collisions
        ),
        {
            "bgpState": "Established",
            "connectionsEstablished": before["connectionsEstablished"] + 1,
        },
        count=120,
        title="p1's new session with r1",
    )
    assert ok, diff
    R1.wait_active("b", "redundant with the new session", count=400)
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="new session replicated")
    assert ok, diff
    before = _p1_view()
    R1.switchover_with_bgp("b", "a", [PEER])
    deadline = time.time() + 10
    while time.time() < deadline:
        assert _p1_view() == before, (before, _p1_view())
        time.sleep(0.5)


def test_bgpd_crash_without_takeover_closes_at_once():
    """kill -9 of the active bgpd with "no switchover on-daemon-failure": no
    takeover follows, and a bgpd restarted on the card does not take the
    frozen connection back, so hard closes the socket it held at once --
    a FIN, as bgpd's death alone would have sent.  p1 sees the session end
    within a second (before, hard kept it frozen and silent for 30 s: p1's
    hold timer, 9 s, ended it, and a peer with the default 180 s would have
    kept r1's routes and refused the restarted bgpd's connection that
    long), and the restarted bgpd establishes it again."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the crash")
    ok, diff = wait_for(
        lambda: R1.redundancy("a")["daemons"]["bgpd"],
        {"heldSessionSockets": 1},
        title="hard holds the session's socket",
    )
    assert ok, diff
    out = R1.configure_hard("a", ["no switchover on-daemon-failure"])
    assert "%" not in out, out
    R1.watch_tcp_teardown("s1", "10.0.1.1", name="crash")
    teardowns = R1.tcp_teardown_count("s1", "crash")
    dropped = peer_bgp_session_view(_p1(), "10.0.1.1")["connectionsDropped"]
    pid = R1.redundancy("a")["daemons"]["bgpd"]["pid"]
    killed = time.time()
    R1.card("a").cmd_raises("kill -9 %d" % pid)
    # p1's hold time is 9 s and r1's last KEEPALIVE at most 3 s old: its
    # hold timer cannot end the session within 6 s of the kill
    ok, diff = wait_for(
        lambda: {"p1 dropped the session": peer_bgp_session_view(
            _p1(), "10.0.1.1")["connectionsDropped"] > dropped},
        {"p1 dropped the session": True},
        count=30,
        wait=0.1,
        title="p1 saw the session end",
    )
    ended_after = time.time() - killed
    assert ok, (diff, log_lines(R1, "a", "hard", "no takeover follows"))
    print("\np1 saw the session end %.2f s after the kill" % ended_after)
    assert ended_after < 3, ended_after
    assert R1.tcp_teardown_count("s1", "crash") > teardowns, "no FIN from r1 on the line"
    assert log_lines(R1, "a", "hard", "no takeover follows (no switchover on-daemon-failure): "
                     "1 of its session sockets closed (FIN)")
    assert R1.redundancy("a").get("frozenSessionSockets") == 0
    # ... and not for its hold timer: p1 read the connection's end
    last_reset = peer_bgp_neighbor(_p1(), "10.0.1.1").get("lastResetDueTo", "")
    assert "Hold Timer" not in last_reset, last_reset
    print("p1's last reset: %s" % last_reset)
    R1.card("a").net.startRouterDaemons(daemons=["bgpd"])
    # a restarted daemon on the active card gets its configuration from the
    # card's configuration file, as at boot (the standby's comes from here)
    R1.card("a").cmd_raises("vtysh -f /etc/frr/frr.conf")
    R1.configure_hard("a", ["switchover on-daemon-failure"])
    ok, diff = wait_for(
        lambda: peer_bgp_neighbor(_p1(), "10.0.1.1"),
        {"bgpState": "Established"},
        count=120,
        title="p1 Established again",
    )
    assert ok, diff
    R1.wait_active("a", "redundant again", count=400)


def _route_from_r1_on_p1():
    """The route r1 announces, as p1 holds it: its attributes, and when p1
    last changed it (epoch seconds)."""
    out = _p1().vtysh_cmd("show ip bgp 10.100.1.0/24 json", isjson=True)
    return [
        dict(
            {k: p.get(k) for k in ("aspath", "nexthops", "valid", "bestpath")},
            changed=p.get("lastUpdate", {}).get("epoch", 0),
        )
        for p in out.get("paths", [])
    ]


def _same_attributes(before, after):
    "Same paths with the same attributes (when p1 last got them aside)."
    return [dict(p, changed=0) for p in before] == [dict(p, changed=0) for p in after]


# p1's view of r1's route before and after the crash takeover, and how
# card b's filter of bgpd's re-advertisement ended, for
# test_no_update_resent_at_takeover
ROUTE_AT_TAKEOVER = []


def _restart_bgpd_on_a_and_switch_back():
    """After a takeover by card b: bgpd back on card a, a standby brought
    current by a bulk copy, then a graceful switchover back to card a."""
    R1.card("a").net.startRouterDaemons(daemons=["bgpd"])
    R1.wait_active("b", "redundant again, card b active", count=400)
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="session replicated to a")
    assert ok, diff
    R1.switchover_with_bgp("b", "a", [PEER])


def test_bgpd_crash_takeover_keeps_the_session():
    """kill -9 of the active bgpd: hard freezes the session's connection and
    sends its state to card b, whose bgpd takes the session over with it.
    Judged by p1: never left Established, no new connection, no FIN/RST,
    the route it has from r1 unchanged, its routes on the new active."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the crash", count=400)
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="session replicated")
    assert ok, diff
    R1.wait_bgp_takeover_ready("a", PEER, held=1)
    # p1 has r1's route, settled (not changed for 5 s: the session may have
    # come up again just now, after the test before)
    ok, diff = wait_for(
        lambda: {
            "settled": [time.time() - p["changed"] >= 5 for p in _route_from_r1_on_p1()]
        },
        {"settled": [True]},
        count=60,
        title="p1 has r1's route, settled",
    )
    assert ok, diff
    before = _p1_view()
    route_before = _route_from_r1_on_p1()
    updates_before = peer_updates_received(_p1(), "10.0.1.1")
    r1_port, p1_port = _session_ports()
    R1.watch_tcp_teardown("s1", "10.0.1.1", sport=r1_port, dport=p1_port, name="crash-session")
    teardowns = R1.tcp_teardown_count("s1", "crash-session")
    taken_before = R1.vtysh_json("b", "show redundancy bgp json")["sessionsTakenOver"]

    R1.crash_bgpd_takeover("a", PEER)
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy bgp json"),
        {"sessionsTakenOver": taken_before + 1, "sessionsResetAtTakeover": 0},
        title="card b's bgpd took the session over with its connection",
    )
    assert ok, "%s\n%s" % (diff, R1.card("b").vtysh_cmd("show redundancy bgp"))
    hold_unchanged(_p1_view, before, teardowns=(R1, "s1", "crash-session", teardowns))
    assert _session_ports() == (r1_port, p1_port)
    route_after = _route_from_r1_on_p1()
    # bgpd's re-advertisement to p1 went through the filter, and is over
    ok, diff = wait_for(
        lambda: R1.bgp_session("b", PEER),
        {"adjRibOutAsSent": {"complete": True}, "afterTakeover": {"filtering": False}},
        title="card b's re-advertisement to p1 over",
    )
    assert ok, diff
    ROUTE_AT_TAKEOVER.extend(
        [
            updates_before,
            peer_updates_received(_p1(), "10.0.1.1"),
            R1.bgp_session("b", PEER),
        ]
    )
    assert _same_attributes(route_before, route_after), "\nbefore: %s\nafter:  %s" % (
        route_before,
        route_after,
    )
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show ip bgp json").get("routes", {}),
        {"10.200.1.0/24": [{"valid": True}], "10.200.2.0/24": [{"valid": True}]},
        title="p1's routes on card b",
    )
    assert ok, diff

    # and back to card a gracefully: still the same session for p1
    _restart_bgpd_on_a_and_switch_back()
    assert _p1_view() == before, (before, _p1_view())
    assert R1.tcp_teardown_count("s1", "crash-session") == teardowns


def _p1_unacknowledged():
    "Bytes p1 sent on its session with r1 that r1 has not acknowledged (p1's Send-Q)."
    out = _p1().cmd("ss -tnH state established dst 10.0.1.1")
    return sum(int(line.split()[1]) for line in out.splitlines() if line.strip())


def _gated(side):
    return R1.vtysh_json(side, "show redundancy bgp json")["inboundGate"]


def _ready_for_a_crash():
    """Card a active, the session replicated and ready for a takeover on
    card b: p1's view and b's count of sessions taken over, before."""
    R1.wait_active("a", "redundant before the crash", count=400)
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="session replicated")
    assert ok, diff
    R1.wait_bgp_takeover_ready("a", PEER, held=1)
    return _p1_view(), R1.vtysh_json("b", "show redundancy bgp json")["sessionsTakenOver"]


def _p1_announces(prefix):
    _p1().vtysh_multicmd(
        "configure terminal\nip route %s blackhole\nrouter bgp 65002\n"
        "address-family ipv4 unicast\nnetwork %s\n" % (prefix, prefix)
    )


def _p1_update_held_by_card_a(prefix):
    """Card a's data channel blocked (the caller unblocks it), p1 announces
    prefix: its UPDATE waits in card a's netfilter queue -- card a's kernel
    does not acknowledge it, nor does its bgpd see it."""
    R1.block_data_channel("a", "bgpd")
    _p1_announces(prefix)
    # (p1's hold time is 9 s: its keepalives wait in the queue too)
    ok, diff = wait_for(
        lambda: {"unacknowledged": _p1_unacknowledged() > 0},
        {"unacknowledged": True},
        wait=0.1,
        title="p1's UPDATE not acknowledged by card a",
    )
    assert ok, diff
    assert prefix not in R1.vtysh_json("a", "show ip bgp json").get("routes", {})


def _carried_on_by_b(taken_before, before, prefix):
    """Card b took the session over with its connection, p1's route prefix
    reached it, p1 noticed nothing; then back to card a."""
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy bgp json"),
        {"sessionsTakenOver": taken_before + 1, "sessionsResetAtTakeover": 0},
        title="card b took the session over with its connection",
    )
    assert ok, "%s\n%s" % (diff, R1.card("b").vtysh_cmd("show redundancy bgp"))
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show ip bgp json").get("routes", {}),
        {prefix: [{"valid": True}]},
        title="p1's route %s on card b" % prefix,
    )
    assert ok, diff
    hold_unchanged(_p1_view, before)
    _restart_bgpd_on_a_and_switch_back()


def test_bgpd_crash_with_input_not_on_the_standby_carries_on():
    """The inbound gate: while the standby cannot get it (card a's data
    channel blocked), p1's UPDATE waits in card a's netfilter queue -- card
    a's kernel does not even acknowledge it, nor does its bgpd see it.  kill
    -9 of bgpd then: card b takes the session over with its connection
    (nothing is missing: what card a acknowledged, b has), p1 sends the
    UPDATE again, now to card b.  p1 notices nothing."""
    _skip_on_failure()
    before, taken_before = _ready_for_a_crash()
    assert _gated("a")["bound"] is True, _gated("a")

    try:
        _p1_update_held_by_card_a("10.200.4.0/24")
        pid = R1.redundancy("a")["daemons"]["bgpd"]["pid"]
        R1.card("a").cmd_raises("kill -9 %d" % pid)
        R1.wait_active("b", "card b took over after bgpd died on card a", redundant=False)
    finally:
        R1.unblock_data_channel("a")
    # p1 sends the UPDATE again, to card b
    _carried_on_by_b(taken_before, before, "10.200.4.0/24")


def _gdb_on_bgpd_of_a(pid, breakpoint, then, log):
    """gdb attached to card a's bgpd (pid): at breakpoint it runs the shell
    command then; returns the path of gdb's output, once attached."""
    card = R1.card("a")
    path = os.path.join(get_topogen().logdir, "r1a", log)
    card.cmd(
        "nohup gdb -p %d -batch -ex '%s' -ex continue -ex 'shell %s' > %s 2>&1 &"
        % (pid, breakpoint, then, path)
    )
    ok, diff = wait_for(
        lambda: {"traced": card.cmd("grep TracerPid /proc/%d/status" % pid).split()[-1] != "0"},
        {"traced": True},
        wait=0.1,
        title="gdb attached to card a's bgpd",
    )
    assert ok, diff
    return path


def test_bgpd_crash_with_input_read_not_replicated_carries_on():
    """The inbound gate's other half: bgpd killed after its I/O thread read
    a message of p1's (the kernel acknowledged it: its segment was committed
    on the standby first) and before its main thread processed -- and
    replicated -- it: gdb stops bgpd at its next bgp_process_packet() and
    kills it there.  Card b finds the bytes the old active read beyond its
    record in the gate's segments, puts them back at the head of the receive
    queue and carries the session on; p1 notices nothing and its new route
    reaches card b."""
    _skip_on_failure()
    before, taken_before = _ready_for_a_crash()
    found_before = len(log_lines(R1, "b", "bgpd", "the inbound gate's segments have them"))
    pid = R1.redundancy("a")["daemons"]["bgpd"]["pid"]
    _gdb_on_bgpd_of_a(pid, "break bgp_process_packet", "kill -9 %d" % pid, "gdb-crash.log")
    # an UPDATE (or a KEEPALIVE of p1's, whichever comes first) is read,
    # and bgpd dies before it processes it
    _p1_announces("10.200.5.0/24")
    R1.wait_active("b", "card b took over after bgpd died on card a", redundant=False)
    ok, diff = wait_for(
        lambda: {"found": len(log_lines(R1, "b", "bgpd", "the inbound gate's segments have them"))},
        {"found": found_before + 1},
        title="card b found what bgpd read in the gate's segments",
    )
    assert ok, diff
    _carried_on_by_b(taken_before, before, "10.200.5.0/24")


def test_withdrawal_lost_with_the_crash_is_sent_after_the_takeover():
    """A withdrawal bgpd queued for p1 and never sent when it died is not
    lost: r1 sends p1's routes back to it, so when p1 withdraws one, card
    a's bgpd queues its withdrawal for p1 -- gdb stops bgpd right there (the
    bgp_update_queue hook) and kills it.  Card b's bgpd, which carried the
    session as standby, processed p1's withdrawal; the record of what p1 has
    from us still has the route.  After the takeover card b withdraws it
    once its own announcement is over, and p1 notices nothing else."""
    _skip_on_failure()
    before, taken_before = _ready_for_a_crash()
    R1.wait_carried("b", [PEER])

    def records():
        "What p1 has from r1: bgpd's count and both cards' records."
        adv = R1.vtysh_json("a", "show bgp ipv4 unicast neighbors %s advertised-routes json" % PEER)
        out = {s: R1.bgp_session(s, PEER)["adjRibOutAsSent"]["routes"] for s in "ab"}
        out["bgpd"] = adv.get("totalPrefixCounter")
        return out

    # settled: the records count what bgpd advertised to p1 (p1's own
    # routes at least: r1 sends them back)
    ok, diff = wait_for(
        lambda: {"equal": len(set(records().values())) == 1 and records()["a"] >= 2},
        {"equal": True},
        title="both cards' records of what p1 has from r1 as bgpd advertised it",
    )
    assert ok, diff
    routes_before = records()["a"]
    _p1_announces("10.200.6.0/24")
    ok, diff = wait_for(
        lambda: {s: R1.bgp_session(s, PEER)["adjRibOutAsSent"]["routes"] for s in "ab"},
        {"a": routes_before + 1, "b": routes_before + 1},
        title="p1 has its route 10.200.6.0/24 back from r1 (both cards' records)",
    )
    assert ok, diff
    before = _p1_view()
    updates_before = peer_updates_received(_p1(), "10.0.1.1")
    card = R1.card("a")
    pid = R1.redundancy("a")["daemons"]["bgpd"]["pid"]
    # stopped at the first UPDATE queued that withdraws (bytes 19-20, the
    # withdrawn routes' length, not 0: not an End-of-RIB or an announcement
    # of card a's that happens to be queued first), held there until the
    # test kills it
    gdb_log = _gdb_on_bgpd_of_a(
        pid,
        "break bgp_ha_update_queue if (st->data[19] | st->data[20]) != 0",
        "while kill -0 %d 2>/dev/null; do sleep 0.05; done" % pid,
        "gdb-withdrawal.log",
    )
    _p1().vtysh_multicmd(
        "configure terminal\nrouter bgp 65002\naddress-family ipv4 unicast\n"
        "no network 10.200.6.0/24\n"
    )
    ok, diff = wait_for(
        lambda: {"stopped": "hit Breakpoint" in card.cmd("cat %s" % gdb_log)},
        {"stopped": True},
        wait=0.1,
        title="card a's bgpd stopped queueing its withdrawal of 10.200.6.0/24 for p1",
    )
    assert ok, diff
    # card b's bgpd, carrying the session, has processed p1's withdrawal
    # (so its own announcement after the takeover will not have the route)
    ok, diff = wait_for(
        lambda: _standby_routes(["10.200.6.0/24"]),
        {"10.200.6.0/24": {"bgpd": False, "zebra": "absent"}},
        title="p1's withdrawal processed by card b's bgpd",
    )
    assert ok, diff
    card.cmd("kill -9 %d" % pid)
    R1.wait_active("b", "card b took over after bgpd died on card a", redundant=False)
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy bgp json"),
        {
            "sessionsTakenOver": taken_before + 1,
            "sessionsResetAtTakeover": 0,
            "sessions": {
                PEER: {
                    "lastTakeover": "taken over after bgpd died on the old active (%s)"
                    % R1.CARRIED,
                    "adjRibOutAsSent": {"routes": routes_before, "complete": True},
                    "afterTakeover": {"filtering": False, "staleRoutesWithdrawn": 1},
                }
            },
        },
        title="card b took the session over and withdrew the route",
    )
    assert ok, "%s\n%s" % (diff, R1.card("b").vtysh_cmd("show redundancy bgp"))
    # what p1 got: that withdrawal, nothing else
    assert peer_updates_received(_p1(), "10.0.1.1") == updates_before + 1
    hold_unchanged(_p1_view, before)
    _restart_bgpd_on_a_and_switch_back()


def test_bgpd_crash_with_unreplicated_input_resets_the_session_cleanly():
    """Without the inbound gate (its NFQUEUE rules removed from card a):
    kill -9 of the active bgpd after it processed an UPDATE that never
    reached the standby (its data channel blocked): card b's record does
    not add up with the frozen connection, so b resets that session cleanly
    -- a NOTIFICATION (Cease/Administrative Reset) and a normal close --
    instead of carrying on with a stream it does not have; the session comes
    back and the route with it."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the crash", count=400)
    ok, diff = wait_for(_same_on_both_cards, {"equal": True}, title="session replicated")
    assert ok, diff
    before = _p1_view()
    resets_before = R1.vtysh_json("b", "show redundancy bgp json")["sessionsResetAtTakeover"]
    logged_b = _sessions("b")[PEER]["messagesLogged"]

    R1.bgp_inbound_gate("a", False)
    R1.block_data_channel("a", "bgpd")
    try:
        _p1_announces("10.200.3.0/24")
        ok, diff = wait_for(
            lambda: R1.vtysh_json("a", "show ip bgp json").get("routes", {}),
            {"10.200.3.0/24": [{"valid": True}]},
            title="card a's bgpd has p1's new route",
        )
        assert ok, diff
        # ... and the standby does not: the UPDATE's delta is stuck
        assert _sessions("b")[PEER]["messagesLogged"] == logged_b
        pid = R1.redundancy("a")["daemons"]["bgpd"]["pid"]
        R1.card("a").cmd_raises("kill -9 %d" % pid)
        R1.wait_active("b", "card b took over after bgpd died on card a", redundant=False)
    finally:
        R1.unblock_data_channel("a")
        R1.bgp_inbound_gate("a", True)
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy bgp json"),
        {
            "sessionsResetAtTakeover": resets_before + 1,
            "sessions": {PEER: {"lastTakeover": "reset after bgpd died on the old active"}},
        },
        title="card b reset the session instead of adopting it",
    )
    assert ok, "%s\n%s" % (diff, R1.card("b").vtysh_cmd("show redundancy bgp"))
    # p1 saw one clean reset: our NOTIFICATION, then the session again
    ok, diff = wait_for(
        _p1_view,
        {
            "bgpState": "Established",
            "connectionsDropped": before["connectionsDropped"] + 1,
            "connectionsEstablished": before["connectionsEstablished"] + 1,
        },
        count=120,
        title="p1: one reset, then Established again",
    )
    assert ok, diff
    # what p1 logged of it (bgp log-neighbor-changes): our NOTIFICATION
    with open(os.path.join(get_topogen().logdir, "p1", "bgpd.log")) as f:
        log = f.read()
    assert "NOTIFICATION: received from neighbor 10.0.1.1 6/4 (Cease/Administrative Reset)" in log
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show ip bgp json").get("routes", {}),
        {"10.200.3.0/24": [{"valid": True}]},
        title="p1's new route on card b",
    )
    assert ok, diff
    _restart_bgpd_on_a_and_switch_back()


def test_no_update_resent_at_takeover():
    """At the crash takeover above, p1 got no UPDATE at all from r1 (its
    UPDATE counter; nothing changed): card b's bgpd advertised its table
    again, and the filter left out what p1 had -- its routes and a second
    End-of-RIB."""
    assert ROUTE_AT_TAKEOVER, "the takeover test did not get that far"
    before, after, session = ROUTE_AT_TAKEOVER
    assert after == before, "p1 got %d UPDATEs from r1 at the takeover" % (after - before)
    assert session["afterTakeover"]["routesNotSentAgain"] >= 1, session


def test_no_reset_at_all_on_the_line():
    """Across the graceful switchovers above, r1 sent no FIN or RST at all on
    the line: the standby's bgpd makes no connection attempts of its own
    (their leftovers were answered with RSTs at takeover)."""
    assert SWITCHOVER_RESETS, "the switchover test did not get that far"
    count, captured = SWITCHOVER_RESETS[0]
    assert count == 0, captured


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
