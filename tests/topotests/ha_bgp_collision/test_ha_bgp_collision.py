#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
A connection collision provoked on purpose, with both connections in
OpenSent (RFC 4271 6.8), then graceful switchovers back and forth.

The peer x1 is a scripted BGP speaker (collision_speaker.py): when r1's
connection comes in, x1 opens its own to r1 before either side has got an
OPEN, then sends its OPEN on both.  r1 resolves the collision by the BGP
Identifiers: with x1's higher than r1's (10.255.0.1) the connection x1
opened is kept, with x1's lower the one r1 opened.  Both cases: the
session the collision left is the one the standby carries and the new
active takes over -- from x1's side nothing happens at the switchovers (no
NOTIFICATION, no close, r1's KEEPALIVEs keep coming on the same
connection, no FIN/RST from r1 on the line) and x1's route is on the new
active.  Then card a fails -- its bgpd killed (first case), the whole card
(second) -- and card b carries the kept connection on, unnoticed; card a
comes back and becomes active again, unnoticed.
"""
import json
import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter, hold_unchanged, log_lines, wait_for

pytestmark = [pytest.mark.bgpd, pytest.mark.hard]

R1 = None
X1 = "10.0.1.6"
X1_ROUTE = "10.226.1.0/24"


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    R1.add_line_host("x1", "s1", "10.0.1.6/24")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD)
    R1.start_line_host("x1")


def teardown_module(mod):
    _stop_speaker()
    get_topogen().stop_topology()


def _status_path():
    return os.path.join(get_topogen().logdir, "x1", "speaker.json")


def _status():
    try:
        with open(_status_path(), encoding="ascii") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _start_speaker(router_id):
    path = _status_path()
    if os.path.exists(path):
        os.unlink(path)
    get_topogen().gears["x1"].cmd(
        "nohup /usr/bin/python3 %s %s %s >%s.log 2>&1 & echo $! >%s.pid"
        % (os.path.join(CWD, "collision_speaker.py"), router_id, path, path, path)
    )


def _stop_speaker():
    get_topogen().gears["x1"].cmd("kill $(cat %s.pid) 2>/dev/null" % _status_path())


def _x1_view():
    """What x1 saw of its session: which connection it is, its NOTIFICATIONs
    and whether it closed -- constant while the session lives; r1's
    KEEPALIVEs are counted apart (they must keep coming)."""
    s = _status()
    return {
        "session": s.get("session"),
        "notifications": s.get("notifications_on_session"),
        "closed": s.get("session_closed"),
    }


def _collision_then_switchovers(router_id, kept, failure):
    R1.wait_active("a", "redundant before the collision")
    cease = "6/7 (Cease/Connection Collision Resolution)"
    ceases = len(log_lines(R1, "a", "bgpd", cease))
    _start_speaker(router_id)
    ok, diff = wait_for(
        lambda: {"session": (_status().get("session") or {}).get("initiated_by")},
        {"session": kept},
        count=60,
        title="x1's collision resolved, the connection %s opened kept" % kept,
    )
    assert ok, (diff, _status())
    events = _status()["events"]
    whats = [e["what"] for e in events]
    given_up = "r1" if kept == "speaker" else "speaker"
    # both in OpenSent: x1's connection was up before either got an OPEN;
    # r1 gave the other one up for the collision (Cease 6 / subcode 7 in
    # its log) and it ended
    assert whats.index("both connections up") < whats.index("OPEN received"), events
    assert len(log_lines(R1, "a", "bgpd", cease)) > ceases, events
    assert any(
        e["what"] in ("connection closed", "connection reset") and e["initiated_by"] == given_up
        for e in events
    ), events
    ok, diff = wait_for(
        lambda: R1.vtysh_json("a", "show ip bgp json").get("routes", {}),
        {X1_ROUTE: [{"valid": True}]},
        title="x1's route on card a",
    )
    assert ok, diff
    before = _x1_view()
    ports = before["session"]["ports"]
    name = "collision_%s" % kept
    R1.watch_tcp_teardown("s1", "10.0.1.1", sport=ports["remote"], dport=ports["local"], name=name)
    for old, new in (("a", "b"), ("b", "a")):
        keepalives = _status()["keepalives_received"]
        R1.switchover_with_bgp(old, new, [X1])
        hold_unchanged(_x1_view, before, teardowns=(R1, "s1", name, 0))
        # the new active's keepalives on the same connection (every 3 s)
        assert _status()["keepalives_received"] > keepalives, _status()
        ok, diff = wait_for(
            lambda: R1.vtysh_json(new, "show ip bgp json").get("routes", {}),
            {X1_ROUTE: [{"valid": True}]},
            title="x1's route on card %s" % new,
        )
        assert ok, diff
    # then card a fails (its bgpd killed, or the whole card): card b
    # carries the kept connection on, from its record of it
    keepalives = _status()["keepalives_received"]
    if failure == "crash":
        R1.crash_bgpd_takeover("a", X1)
    else:
        R1.card_death_takeover("a", [X1])
    hold_unchanged(_x1_view, before, teardowns=(R1, "s1", name, 0))
    assert _status()["keepalives_received"] > keepalives, _status()
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show ip bgp json").get("routes", {}),
        {X1_ROUTE: [{"valid": True}]},
        title="x1's route on card b",
    )
    assert ok, diff
    # card a back as standby, and active again
    if failure == "crash":
        R1.restart_bgpd("a", X1)
    else:
        R1.revive_card("a")
    R1.switchover_with_bgp("b", "a", [X1])
    hold_unchanged(_x1_view, before, teardowns=(R1, "s1", name, 0))
    _stop_speaker()
    ok, diff = wait_for(
        lambda: {"down": R1.vtysh_json("a", "show bgp neighbors %s json" % X1)
                 .get(X1, {}).get("bgpState") != "Established"},
        {"down": True},
        title="r1's session with x1 down after the speaker stopped",
    )
    assert ok, diff
    return events


def _notification_received(events, initiated_by):
    return any(
        e["what"] == "NOTIFICATION received"
        and (e["code"], e["subcode"]) == (6, 7)
        and e["initiated_by"] == initiated_by
        for e in events
    )



def test_collision_keeps_the_peers_connection():
    """x1's BGP Identifier higher than r1's: r1 keeps the connection x1
    opened, and x1 gets the NOTIFICATION on the one r1 gives up; after the
    switchovers, kill -9 of card a's bgpd."""
    events = _collision_then_switchovers("10.255.0.9", "speaker", "crash")
    assert _notification_received(events, "r1"), events


def test_collision_keeps_our_connection():
    """x1's BGP Identifier lower than r1's: r1 keeps the connection it
    opened, and x1 gets the NOTIFICATION on the one r1 gives up; after the
    switchovers, the death of card a."""
    events = _collision_then_switchovers("10.0.0.9", "r1", "card death")
    assert _notification_received(events, "speaker"), events


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
