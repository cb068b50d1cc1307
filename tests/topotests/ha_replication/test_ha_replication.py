#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The replication platform (issue 3) on the two-card router r1: every ha
module has a data channel to its peer module, bulk copy and digests make
the router redundant, configuration (persistent data) follows the active
card, and the standby refuses configuration.

- every daemon's module is synced and its digest matched, on both cards;
- a configuration change on the active appears on the standby, a removal
  too; the replication counters move;
- configuration typed on the standby is refused with a message saying so,
  while hard's per-card redundancy configuration stays possible there;
- a restarted standby daemon starts empty and is brought current by a bulk
  copy; the router is redundant again;
- a standby whose configuration cannot be made equal (its own startup file
  has more) is resynchronised once, then reported failed; the router is
  not redundant and a switchover is refused with that reason;
- after a graceful switchover the new active's changes flow the other way.
"""
import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter, wait_for

pytestmark = [pytest.mark.hard]

R1 = None
DAEMONS = ("zebra", "bgpd", "ospfd", "isisd", "ripd")


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD)


def teardown_module(mod):
    get_topogen().stop_topology()


def _skip_on_failure():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)


def _repl(side, daemon):
    return R1.redundancy(side)["daemons"][daemon]["replication"]


def _running(side, daemon):
    return R1.card(side).vtysh_cmd("show running-config %s" % daemon)


def _configure(side, lines):
    args = " ".join("-c '%s'" % line for line in ["configure terminal"] + lines)
    return R1.card(side).cmd("vtysh %s 2>&1" % args)


def _restart_standby_daemon(daemon):
    "kill -9 the daemon on card b, wait until hard saw it go, start it again."
    card = R1.card("b")
    pid = R1.redundancy("b")["daemons"][daemon]["pid"]
    card.cmd_raises("kill -9 %d" % pid)
    ok, diff = wait_for(
        lambda: {"gone": daemon not in R1.redundancy("b")["daemons"]},
        {"gone": True},
        title="standby %s gone" % daemon,
    )
    assert ok, diff
    card.net.startRouterDaemons(daemons=[daemon])


def _wait_synced(side, title):
    expected = {d: {"replication": {"state": "synced", "lastDigest": "match"}} for d in DAEMONS}
    ok, diff = wait_for(
        lambda: R1.redundancy(side)["daemons"], expected, count=100, wait=0.1, title=title
    )
    assert ok, diff


def test_modules_synced_on_both_cards():
    "Every module replicates to its peer module; digests match on both cards."
    R1.wait_active("a", "boot election")
    _wait_synced("a", "active card a synced")
    _wait_synced("b", "standby card b synced")
    st = _repl("a", "bgpd")
    assert st["moduleRole"] == "active" and st["channel"] >= 1, st
    assert st["bulks"] >= 1 and st["deltasCommitted"] == st["deltasSent"], st
    assert _repl("b", "bgpd")["moduleRole"] == "standby"
    ok, diff = wait_for(
        lambda: {s: R1.redundancy(s)["card"]["syncState"] for s in ("a", "b")},
        {"a": "redundant", "b": "redundant"},
        title="both cards say redundant",
    )
    assert ok, diff
    out = R1.card("a").vtysh_cmd("show redundancy")
    assert "Replication to the peer card's modules" in out, out
    assert "Router is redundant" in out, out


def test_config_change_reaches_the_standby():
    "A change on the active appears in the standby's running configuration; so does its removal."
    _skip_on_failure()
    before = _repl("a", "bgpd")["deltasCommitted"]
    out = _configure("a", ["router bgp 65001", "neighbor 10.0.1.60 remote-as 65060"])
    assert "%" not in out, out
    ok, diff = wait_for(
        lambda: {"line": "neighbor 10.0.1.60 remote-as 65060" in _running("b", "bgpd")},
        {"line": True},
        title="neighbor replicated to card b",
    )
    assert ok, diff
    # counters reach hard at most every 200 ms
    ok, diff = wait_for(
        lambda: {"moved": _repl("a", "bgpd")["deltasCommitted"] > before},
        {"moved": True},
        title="commit counter moved",
    )
    assert ok, diff
    out = _configure("a", ["router ospf", "network 10.9.0.0/16 area 0.0.0.1"])
    assert "%" not in out, out
    ok, diff = wait_for(
        lambda: {"line": "network 10.9.0.0/16 area 0.0.0.1" in _running("b", "ospfd")},
        {"line": True},
        title="ospf network replicated to card b",
    )
    assert ok, diff
    # nested nodes: the replay follows the session into address-family
    out = _configure(
        "a",
        [
            "router bgp 65001",
            "address-family ipv4 unicast",
            "network 10.77.0.0/16",
            "exit-address-family",
            "timers bgp 10 30",
        ],
    )
    assert "%" not in out, out
    ok, diff = wait_for(
        lambda: {
            "af": "  network 10.77.0.0/16" in _running("b", "bgpd"),
            "timers": " timers bgp 10 30" in _running("b", "bgpd"),
        },
        {"af": True, "timers": True},
        title="address-family network replicated to card b",
    )
    assert ok, diff
    out = _configure("a", ["router bgp 65001", "no neighbor 10.0.1.60 remote-as 65060"])
    ok, diff = wait_for(
        lambda: {"line": "10.0.1.60" in _running("b", "bgpd")},
        {"line": False},
        title="neighbor removal replicated to card b",
    )
    assert ok, diff
    # the digests still agree: a graceful switchover's check would pass
    _wait_synced("a", "still synced after the changes")


def test_standby_refuses_configuration():
    "Configuration typed on the standby is refused and says why; hard's stays possible."
    _skip_on_failure()
    out = _configure("b", ["router bgp 65001", "neighbor 10.0.1.70 remote-as 65070"])
    assert "standby of a redundant router" in out, out
    assert "10.0.1.70" not in _running("b", "bgpd")
    assert "10.0.1.70" not in _running("a", "bgpd")
    # per-card redundancy configuration is hard's, not replicated, allowed
    out = R1.configure_hard("b", ["priority 100"])
    assert "%" not in out, out
    # show commands work as usual on the standby
    assert "router bgp 65001" in _running("b", "bgpd")


def test_restarted_standby_daemon_is_brought_current():
    "A standby bgpd restarted without configuration gets the active's by a bulk copy."
    _skip_on_failure()
    bulks = _repl("a", "bgpd")["bulks"]
    _restart_standby_daemon("bgpd")
    ok, diff = wait_for(
        lambda: {"line": "neighbor 10.0.1.50 remote-as 65050" in _running("b", "bgpd")},
        {"line": True},
        count=100,
        title="restarted standby bgpd has the active's configuration",
    )
    assert ok, diff
    R1.wait_active("a", "redundant again after the bulk copy")
    assert _repl("a", "bgpd")["bulks"] > bulks


def test_standby_that_cannot_match_is_reported_and_blocks_switchover():
    "Extra configuration on the standby: one resync, then failed; switchover refused with the reason."
    _skip_on_failure()
    card = R1.card("b")
    extra = os.path.join(get_topogen().logdir, "r1b-bgpd-extra.conf")
    with open(extra, "w", encoding="ascii") as f:
        f.write("router bgp 65001\n neighbor 10.0.1.99 remote-as 65099\nexit\n")
    os.chmod(extra, 0o644)
    options = card.net.daemons_options.get("bgpd", "")
    card.net.daemons_options["bgpd"] = options + " -f " + extra
    resyncs = _repl("a", "bgpd")["resyncs"]
    _restart_standby_daemon("bgpd")
    ok, diff = wait_for(
        lambda: {"state": _repl("a", "bgpd")["state"], "digest": _repl("a", "bgpd")["lastDigest"]},
        {"state": "failed", "digest": "mismatch"},
        count=100,
        title="bgpd replication failed",
    )
    assert ok, diff
    assert _repl("a", "bgpd")["resyncs"] == resyncs + 1, "exactly one resync"
    red = R1.redundancy("a")
    assert not red["redundant"]
    assert "bgpd" in red["notRedundantReason"], red
    out = R1.card("a").vtysh_cmd("redundancy switchover")
    assert "Switchover refused" in out and "bgpd" in out, out
    assert R1.role("a") == "active"
    # repair: the standby bgpd without its own file starts empty, then synced
    card.net.daemons_options["bgpd"] = options
    _restart_standby_daemon("bgpd")
    R1.wait_active("a", "redundant again after the repair")


def test_after_switchover_changes_flow_the_other_way():
    "After a graceful switchover, the new active's configuration changes reach card a."
    _skip_on_failure()
    out = R1.card("a").vtysh_cmd("redundancy switchover")
    assert "started" in out, out
    R1.wait_active("b", "card b active and redundant")
    _wait_synced("b", "card b synced as active")
    out = _configure("b", ["router bgp 65001", "neighbor 10.0.1.80 remote-as 65080"])
    assert "%" not in out, out
    ok, diff = wait_for(
        lambda: {"line": "neighbor 10.0.1.80 remote-as 65080" in _running("a", "bgpd")},
        {"line": True},
        title="change on card b replicated to card a",
    )
    assert ok, diff
    out = _configure("a", ["router bgp 65001", "neighbor 10.0.1.81 remote-as 65081"])
    assert "standby of a redundant router" in out, out
    out = R1.card("b").vtysh_cmd("redundancy switchover")
    assert "started" in out, out
    R1.wait_active("a", "back on card a")


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
