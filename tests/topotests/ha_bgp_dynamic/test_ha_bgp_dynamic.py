#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
BGP non-stop routing, dynamic cases with the FRR peer p1: the peer resets
its own session (NOTIFICATION Cease/Administrative Reset and close) while
the router switches over -- just before, at the same time, just after --
and while a fresh standby's bgpd is being bulk-synced.  Also: only the
active card listens on BGP's port.  Whatever the
order, the only reset p1 sees is its own: the session comes back once
(p1's Established counter grows by exactly one), p1's routes are on the
active card, r1's route at p1, and the new session is replicated so well
that the next graceful switchover moves it unnoticed.
"""
import os
import sys

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
    peer_bgp_neighbor,
    peer_bgp_session_view,
    peer_routes,
    view_after_one_reset,
    wait_for,
)

pytestmark = [pytest.mark.bgpd, pytest.mark.hard]

R1 = None
PEER = "10.0.1.2"


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


def _p1_view():
    return peer_bgp_session_view(_p1(), "10.0.1.1")


def _p1_resets_session(background=False):
    "p1 resets its session with r1 (NOTIFICATION Cease/Administrative Reset)."
    cmd = "vtysh -c 'clear bgp 10.0.1.1'"
    if background:
        _p1().cmd("%s >/dev/null 2>&1 &" % cmd)
    else:
        _p1().cmd_raises(cmd)


def _listeners_and_gates():
    "What each card listens on and its inbound gate (for failure messages)."
    return {
        side: (
            R1.card(side).cmd("ss -Hltn 'sport = :179'"),
            R1.vtysh_json(side, "show redundancy bgp json").get("inboundGate"),
            R1.card(side).cmd("iptables -L INPUT -v -n"),
        )
        for side in ("a", "b")
    }


def _p1_collisions():
    "Connection collisions p1 resolved so far (NOTIFICATIONs sent for it)."
    return frr_peer_collisions(os.path.join(get_topogen().logdir, "p1"))


# p1's collision count when the last reset was over (see _back_once)
COLLISION_MARK = [0]


def _back_once(before, active):
    """p1's reset is the only one: Established again with one more
    connection, routes both ways; the standby holds the new session.  (Two
    FRR speakers reconnecting at the same moment after a reset may resolve
    a connection collision with one more flap of the new session -- FRR's
    behaviour, seen in p1's log as Cease/Connection Collision Resolution:
    such flaps are allowed, none other.)"""

    def view():
        return view_after_one_reset(_p1_view, before, _p1_collisions, COLLISION_MARK[0])

    ok, diff = wait_for(
        view,
        {
            "bgpState": "Established",
            "connectionsEstablished": before["connectionsEstablished"] + 1,
            "connectionsDropped": before["connectionsDropped"] + 1,
        },
        count=120,
        title="p1: its own reset only, session back",
    )
    assert ok, "%s\n%s" % (diff, _listeners_and_gates())
    ok, diff = wait_for(
        lambda: R1.vtysh_json(active, "show ip bgp json").get("routes", {}),
        {"10.200.1.0/24": [{"valid": True}], "10.200.2.0/24": [{"valid": True}]},
        title="p1's routes on card %s" % active,
    )
    assert ok, diff
    ok, diff = wait_for(
        lambda: {"r1": "10.100.1.0/24" in peer_routes(_p1())}, {"r1": True}, title="r1's route at p1"
    )
    assert ok, diff
    R1.wait_active(active, "redundant", count=400)
    R1.wait_bgp_takeover_ready(active, PEER)
    # the session did not bounce again meanwhile
    after = view()
    assert after["connectionsEstablished"] == before["connectionsEstablished"] + 1, (before, after)
    COLLISION_MARK[0] = _p1_collisions()


def _next_switchover_unnoticed(old, new):
    before = _p1_view()
    R1.switchover_with_bgp(old, new, [PEER])
    hold_unchanged(_p1_view, before)


def test_session_up():
    R1.wait_active("a", "boot election")
    ok, diff = wait_for(_p1_view, {"bgpState": "Established"}, count=80, title="p1 Established")
    assert ok, diff
    R1.wait_active("a", "redundant", count=400)
    R1.wait_bgp_takeover_ready("a", PEER)
    # p1's first UPDATE (its table, sent a moment after Established: FRR's
    # coalescing) is in before any test announces more -- otherwise it
    # carries their first prefix too, and the log's compaction that
    # test_switchover_rolled_back_keeps_the_session counts on differs
    ok, diff = wait_for(
        lambda: R1.vtysh_json("a", "show ip bgp json").get("routes", {}),
        {"10.200.1.0/24": [{"valid": True}], "10.200.2.0/24": [{"valid": True}]},
        title="p1's table on card a",
    )
    assert ok, diff
    COLLISION_MARK[0] = _p1_collisions()


def _listening(side):
    "Whether card side has a socket listening on BGP's port."
    return {side: bool(R1.card(side).cmd("ss -Hltn 'sport = :179'").strip())}


def _wait_listening(active):
    standby = R1.other(active)
    ok, diff = wait_for(
        lambda: dict(_listening(active), **_listening(standby)),
        {active: True, standby: False},
        wait=0.1,
        title="only card %s listens on port 179" % active,
    )
    assert ok, diff
    # and show redundancy bgp says so -- the active over IPv4 too (the
    # line's address family here; a TIME_WAIT of a carried-on connection
    # once kept that bind from succeeding)
    for side, listening in ((active, True), (standby, False)):
        out = R1.vtysh_json(side, "show redundancy bgp json")
        assert out["listening"] is listening, (side, out)
        assert out["listeningIpv4"] is listening, (side, out)


def test_listen_socket_follows_mastership():
    """Only the active card's bgpd listens for BGP connections; the
    listener moves with each switchover (the session moves unnoticed)."""
    _skip_on_failure()
    _wait_listening("a")
    _next_switchover_unnoticed("a", "b")
    _wait_listening("b")
    _next_switchover_unnoticed("b", "a")
    _wait_listening("a")


@pytest.mark.parametrize(
    "order", ["reset, then switchover", "at the same time", "switchover, then reset"]
)
def test_peer_resets_around_a_switchover(order):
    """p1 resets its session just before / while / just after the router
    switches over a->b; then the next switchover b->a moves the new
    session unnoticed."""
    _skip_on_failure()
    R1.wait_active("a", "redundant before the switchover", count=400)
    R1.wait_bgp_takeover_ready("a", PEER)
    before = _p1_view()
    if order == "reset, then switchover":
        _p1_resets_session()
    elif order == "at the same time":
        _p1_resets_session(background=True)
    out = R1.card("a").vtysh_cmd("redundancy switchover")
    assert "started" in out, out
    if order == "switchover, then reset":
        _p1_resets_session()
    R1.wait_active("b", "switched to card b", redundant=False, count=400)
    _back_once(before, "b")
    _next_switchover_unnoticed("b", "a")


@pytest.mark.parametrize("opener", ["p1", "r1"])
def test_session_opened_by_either_side_moves(opener):
    """The session's TCP connection opened by p1 (r1 passive: an inbound
    open, r1 on port 179) or by r1 (p1 passive: an outbound open, p1 on
    port 179): either way two switchovers move it unnoticed.  (Configuring
    "passive" resets the session, as FRR does on that change; so does
    removing it at the end.)"""
    _skip_on_failure()
    R1.wait_active("a", "redundant", count=400)
    R1.wait_bgp_takeover_ready("a", PEER)
    if opener == "p1":
        node, asn, line = R1.card("a"), 65001, "neighbor 10.0.1.2 passive"
    else:
        node, asn, line = _p1(), 65002, "neighbor 10.0.1.1 passive"

    before = _p1_view()
    node.vtysh_multicmd("configure terminal\nrouter bgp %d\n%s\n" % (asn, line))
    _back_once(before, "a")
    n = R1.vtysh_json("a", "show bgp neighbors %s json" % PEER)[PEER]
    ports = {"r1": n["portLocal"], "p1": n["portForeign"]}
    listener = "r1" if opener == "p1" else "p1"
    assert ports[listener] == 179, (opener, ports)
    _next_switchover_unnoticed("a", "b")
    _next_switchover_unnoticed("b", "a")
    # card a listens over IPv4 again although the connection it carried
    # on before the reset left a TIME_WAIT on port 179 (with r1 passive,
    # r1 closed first)
    _wait_listening("a")

    before = _p1_view()
    node.vtysh_multicmd("configure terminal\nrouter bgp %d\nno %s\n" % (asn, line))
    _back_once(before, "a")


def test_peer_resets_during_a_bulk():
    """bgpd restarted on the standby (a bulk copy to it begins) while p1
    resets its session: the standby ends up holding the new session, and
    a switchover moves it unnoticed."""
    _skip_on_failure()
    R1.wait_active("a", "redundant", count=400)
    before = _p1_view()
    R1.kill_daemon("b", "bgpd")
    ok, diff = wait_for(
        lambda: {"gone": "bgpd" not in R1.redundancy("b")["daemons"]}, {"gone": True}, wait=0.1
    )
    assert ok, diff
    R1.card("b").net.startRouterDaemons(daemons=["bgpd"])
    _p1_resets_session()
    _back_once(before, "a")
    # the restarted bgpd got its configuration from the active: it does not
    # listen for connections either
    _wait_listening("a")
    _next_switchover_unnoticed("a", "b")
    _next_switchover_unnoticed("b", "a")


def _p1_network(prefix, announce):
    """p1 announces (a blackhole route and its network statement) or
    withdraws prefix; waits until card a has logged p1's UPDATE."""
    logged = R1.bgp_session("a", PEER)["messagesLogged"]
    no = "" if announce else "no "
    _p1().cmd_raises(
        "vtysh -c 'conf t' -c '%sip route %s blackhole' -c 'router bgp 65002'"
        " -c 'address-family ipv4 unicast' -c '%snetwork %s'" % (no, prefix, no, prefix)
    )
    ok, diff = wait_for(
        lambda: {"logged": R1.bgp_session("a", PEER)["messagesLogged"] > logged},
        {"logged": True},
        title="card a logged p1's UPDATE for %s" % prefix,
    )
    assert ok, diff


# p1's routes the rolled-back switchover's replay must get right: one
# announced, withdrawn and announced again, one announced and withdrawn
CHURNED_KEPT, CHURNED_GONE = "10.200.9.0/24", "10.200.8.0/24"


def _switchover_rolled_back():
    """redundancy switchover on card a that card b's mastership refuses (a
    script driver that answers no) after card a released the line: it rolls
    back to card a, which carries the session on from its own frozen
    connection (its bgpd had stopped the peer: the messages are replayed);
    p1 notices nothing, card b drops its stale copy."""
    R1.wait_bgp_takeover_ready("a", PEER)
    before = _p1_view()
    taken_a = R1.vtysh_json("a", "show redundancy bgp json")["sessionsTakenOver"]
    script = os.path.join(get_topogen().logdir, "refuse-acquire.sh")
    with open(script, "w", encoding="ascii") as f:
        f.write(
            '#!/bin/sh\ncase "$1" in acquire) echo "refused by the test"; exit 1;; esac\nexit 0\n'
        )
    os.chmod(script, 0o755)
    out = R1.configure_hard("b", ["mastership script %s" % script])
    assert "%" not in out, out
    try:
        assert "started" in R1.card("a").vtysh_cmd("redundancy switchover")
        ok, diff = wait_for(
            lambda: {
                "a": R1.role("a"),
                "b": R1.role("b"),
                "result": "aborted"
                in R1.redundancy("a").get("lastSwitchover", {}).get("result", ""),
            },
            {"a": "active", "b": "standby", "result": True},
            wait=0.1,
            title="the switchover rolled back to card a",
        )
        assert ok, (diff, R1.redundancy("a").get("lastSwitchover"))
    finally:
        out = R1.configure_hard(
            "b", [line for line in R1.redundancy_lines["b"] if line.startswith("mastership")]
        )
        assert "%" not in out, out
    ok, diff = wait_for(
        lambda: R1.vtysh_json("a", "show redundancy bgp json"),
        {
            "sessionsTakenOver": taken_a + 1,
            "sessions": {
                # (its bgpd had stopped the peer going standby: the
                # session's messages are replayed, not carried)
                PEER: {
                    "lastTakeover": "taken over after a switchover that did not complete"
                    " (its replicated messages replayed through bgpd)"
                }
            },
        },
        title="card a carried the session on from its own frozen connection",
    )
    assert ok, "%s\n%s" % (diff, R1.card("a").vtysh_cmd("show redundancy bgp"))
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy bgp json")["sessions"].get(PEER, {}),
        {"frozenConnection": "none"},
        title="card b dropped its stale copy of the connection",
    )
    assert ok, diff
    hold_unchanged(_p1_view, before)
    R1.wait_active("a", "redundant again", count=400)


def test_switchover_rolled_back_keeps_the_session():
    """A graceful switchover that cannot complete after card a released the
    line -- card b's mastership refuses to take it (a script driver that
    answers no) -- rolls back to card a.  Card a's bgpd had handed the
    session over and gone standby; it kept the frozen connection and carries
    the session on from it: p1 notices nothing, card b drops its stale copy,
    and the next switchovers move the session as usual.  The session's log
    is compacted first (p1 announces and withdraws two prefixes): card a's
    bgpd, which had stopped the peer going standby, gets p1's routes back
    from the replay of the compacted log -- the route announced last there,
    the one withdrawn last not."""
    _skip_on_failure()
    R1.wait_active("a", "redundant", count=400)
    for prefix, announce in ((CHURNED_KEPT, True), (CHURNED_GONE, True), (CHURNED_KEPT, False),
                             (CHURNED_GONE, False), (CHURNED_KEPT, True)):
        _p1_network(prefix, announce)
    for side in ("a", "b"):
        ok, diff = wait_for(
            lambda: {k: R1.bgp_session(side, PEER).get(k) for k in ("messagesLogged", "messagesKept")},
            {k: R1.bgp_session("a", PEER)[k] for k in ("messagesLogged", "messagesKept")},
            title="card %s's log of p1's messages like card a's" % side,
        )
        assert ok, diff
        rec = R1.bgp_session(side, PEER)
        # the first announcements of both prefixes and the first withdrawal
        # of CHURNED_KEPT no longer matter
        assert rec["messagesKept"] <= rec["messagesLogged"] - 3, (side, rec)
    _switchover_rolled_back()
    # the replay of the compacted log gave card a's bgpd p1's routes as
    # they are, and card b's as well
    for side in ("a", "b"):
        ok, diff = wait_for(
            lambda: R1.vtysh_json(side, "show ip bgp json").get("routes", {}),
            {
                "10.200.1.0/24": [{"valid": True}],
                CHURNED_KEPT: [{"valid": True}],
                CHURNED_GONE: None,
            },
            title="p1's routes on card %s after the replay of its compacted log" % side,
        )
        assert ok, diff
    _p1_network(CHURNED_KEPT, False)
    R1.wait_bgp_takeover_ready("a", PEER)
    _next_switchover_unnoticed("a", "b")
    _next_switchover_unnoticed("b", "a")


def test_switchover_rolled_back_before_bgpd_let_go():
    """The same rollback, card a's bgpd made to let go of the sessions it
    handed over only 5 s after the handover (hidden test command): the
    rollback comes first, and card a stops them as it goes active again --
    the branch of the role change that runs the pending stop first -- then
    carries them on as above, p1 noticing nothing."""
    _skip_on_failure()
    R1.wait_active("a", "redundant", count=400)
    first = "the sessions handed over are stopped now, before this card goes active"
    earlier = len(log_lines(R1, "a", "bgpd", first))
    R1.card("a").vtysh_cmd("debug redundancy bgp handover-stop-delay 5000")
    try:
        _switchover_rolled_back()
    finally:
        R1.card("a").vtysh_cmd("debug redundancy bgp handover-stop-delay 0")
    assert len(log_lines(R1, "a", "bgpd", first)) == earlier + 1
    # and nothing of that stop is left pending on the active card (left
    # scheduled, it would find the card active and wait for ever, the
    # session still marked to be stopped at the next role change)
    ok, diff = wait_for(
        lambda: {"pending": R1.vtysh_json("a", "show redundancy bgp json").get(
            "sessionsHandedOverNotStopped")},
        {"pending": 0},
        title="card a has no handed-over session left to stop",
    )
    assert ok, diff
    R1.wait_bgp_takeover_ready("a", PEER)
    _next_switchover_unnoticed("a", "b")
    _next_switchover_unnoticed("b", "a")


def _set_timers(keepalive, hold):
    """Both ends' timers with each other, then the session reset by p1 to
    negotiate them (FRR applies timers at the next OPEN)."""
    before = _p1_view()
    R1.card("a").vtysh_multicmd(
        "configure terminal\nrouter bgp 65001\nneighbor %s timers %d %d\n" % (PEER, keepalive, hold))
    _p1().vtysh_multicmd(
        "configure terminal\nrouter bgp 65002\nneighbor 10.0.1.1 timers %d %d\n"
        % (keepalive, hold))
    _p1_resets_session()
    _back_once(before, "a")
    ok, diff = wait_for(
        lambda: {"hold": peer_bgp_neighbor(_p1(), "10.0.1.1").get("bgpTimerHoldTimeMsecs"),
                 "ackTimeoutMsec": R1.vtysh_json("a", "show redundancy bgp json").get(
                     "ackTimeoutMsec")},
        {"hold": hold * 1000, "ackTimeoutMsec": min(5000, hold * 1000 // 3)},
        title="hold time %d s negotiated, the standby's ack timeout a third of it" % hold,
    )
    assert ok, diff


def test_hung_standby_given_up_within_the_hold_time():
    """With a hold time of 3 s, BGP's shortest (timers 1 3 on both ends),
    the active gives a standby that acknowledges nothing up after a third
    of it (ackTimeoutMsec 1000): every byte to and from p1 -- keepalives
    too -- waits for the standby's commit, and with the engine's 5 s p1's
    hold timer would expire first.  The standby's bgpd is stopped
    (SIGSTOP) for 4 s: p1 notices nothing; continued, the standby is
    brought current by a bulk copy, and the next switchovers move the
    session unnoticed.  Then the timers go back to 3 9."""
    _skip_on_failure()
    R1.wait_active("a", "redundant", count=400)
    R1.wait_bgp_takeover_ready("a", PEER)
    _set_timers(1, 3)
    try:
        R1.wait_active("a", "redundant with hold time 3 s", count=400)
        R1.wait_bgp_takeover_ready("a", PEER)
        before = _p1_view()
        bulks = R1.redundancy("b")["daemons"]["bgpd"]["replication"]["bulks"]
        pid = R1.redundancy("b")["daemons"]["bgpd"]["pid"]
        given_up = len(log_lines(R1, "a", "bgpd", "the standby acknowledged nothing for"))
        R1.card("b").cmd("kill -STOP %d" % pid)
        try:
            # over p1's hold time
            hold_unchanged(_p1_view, before, seconds=4)
            assert len(log_lines(R1, "a", "bgpd", "the standby acknowledged nothing for 1")) \
                > given_up
        finally:
            R1.card("b").cmd("kill -CONT %d" % pid)
        ok, diff = wait_for(
            lambda: {"bulk": R1.redundancy("b")["daemons"]["bgpd"]["replication"]["bulks"]
                     > bulks},
            {"bulk": True},
            title="card b's bgpd brought current by a bulk copy",
        )
        assert ok, diff
        R1.wait_active("a", "redundant again after the hung standby", count=400)
        R1.wait_bgp_takeover_ready("a", PEER)
        _next_switchover_unnoticed("a", "b")
        _next_switchover_unnoticed("b", "a")
    finally:
        _set_timers(3, 9)


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
