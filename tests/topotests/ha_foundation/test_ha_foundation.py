#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Foundation: a redundant router r1 (cards r1a, r1b) with an FRR peer p1
running BGP and OSPF to r1's line interface.

- sessions come up with the card that holds mastership (p1's view);
- the other card puts nothing on the line (bridge counters), although it
  runs the same daemons and does transmit into its blocked port;
- every HA-capable daemon on both cards has its ha module loaded and
  registered with the card's hard;
- show redundancy answers on both cards through vtysh (text and JSON);
- hard refuses invalid configuration with a clear error and keeps running;
- redundancy switchover moves the line (sessions then come up with the other card:
  without NSR, which is the next issues' work, they are re-established).
"""
import json
import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import (
    HA_MODULE_DAEMONS,
    RedundantRouter,
    ha_wire_version,
    peer_bgp_neighbor,
    peer_ospf_full,
    wait_for,
)

pytestmark = [pytest.mark.bgpd, pytest.mark.ospfd, pytest.mark.hard]

R1 = None


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    R1.add_frr_peer("p1", "s1")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD, peers=["p1"])


def teardown_module(mod):
    get_topogen().stop_topology()


def _p1():
    return get_topogen().gears["p1"]


def _skip_on_failure():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)


def test_sessions_up_with_master():
    "p1 sees r1 (card a, the master) as BGP Established and OSPF Full."
    _skip_on_failure()
    ok, diff = wait_for(
        lambda: peer_bgp_neighbor(_p1(), "10.0.1.1"),
        {"bgpState": "Established"},
        title="p1 BGP to r1",
    )
    assert ok, "p1's BGP session to r1 not Established: %s" % diff
    ok, diff = wait_for(
        lambda: peer_ospf_full(_p1(), "10.255.0.1"),
        {"full": True},
        title="p1 OSPF to r1",
    )
    assert ok, "p1's OSPF neighbour r1 not Full: %s" % diff
    # the routes r1 announces arrived, from the master card
    ok, diff = wait_for(
        lambda: json.loads(_p1().vtysh_cmd("show ip route 10.100.1.0/24 json")),
        {"10.100.1.0/24": [{"protocol": "bgp", "selected": True}]},
        title="p1 route from r1",
    )
    assert ok, "p1 did not learn r1's prefix: %s" % diff
    # and the master card has p1's route
    ok, diff = wait_for(
        lambda: R1.vtysh_json("a", "show ip route 10.100.2.0/24 json"),
        {"10.100.2.0/24": [{"protocol": "bgp", "selected": True}]},
        title="r1a route from p1",
    )
    assert ok, "r1a did not learn p1's prefix: %s" % diff


def test_other_card_silent_on_line():
    "Nothing card b sends reaches the line, though card b is transmitting."
    _skip_on_failure()
    assert R1.port_state("s1", "a") == "forwarding"
    assert R1.port_state("s1", "b") == "blocked"

    sent_b = R1.sent_into_port("s1", "b")
    fwd_a = R1.forwarded_from("s1", "a")
    # card b's daemons are silent as standby (bgpd makes no connection,
    # ospfd sends nothing): its kernel is made to transmit instead (broadcast pings
    # towards p1), so that the check below is not vacuous
    pinged = R1.card("b").cmd("ping -b -c 5 -i 0.2 -W 0.2 10.0.1.255; ip -s link show r1-eth0")
    ok, _ = wait_for(
        lambda: {"more": R1.sent_into_port("s1", "b") >= sent_b + 3},
        {"more": True},
        title="card b transmitting",
    )
    assert ok, "card b does not transmit at all: the silence check proves nothing\n" + pinged
    ok, _ = wait_for(
        lambda: {"more": R1.forwarded_from("s1", "a") > fwd_a},
        {"more": True},
        title="card a forwarded",
    )
    assert ok, "no frame from card a forwarded: the counters do not count"
    assert R1.forwarded_from("s1", "b") == 0, "frames from card b reached the line"


def test_ha_modules_loaded_and_registered():
    "Every HA-capable daemon on both cards runs its ha module."
    _skip_on_failure()
    for side in ("a", "b"):
        card = R1.card(side)
        modules = card.vtysh_cmd("show modules")
        for daemon in HA_MODULE_DAEMONS:
            assert "%s_ha" % daemon in modules, "%s: %s_ha not loaded" % (
                card.name,
                daemon,
            )
        expected = {"daemons": {d: {"moduleVersion": ha_wire_version()} for d in HA_MODULE_DAEMONS}}
        ok, diff = wait_for(
            lambda: R1.vtysh_json(side, "show redundancy json"),
            expected,
            title="%s registrations" % card.name,
        )
        assert ok, "%s: not all ha modules registered with hard: %s" % (
            card.name,
            diff,
        )


def test_show_redundancy():
    "show redundancy answers from hard on both cards, text and JSON."
    _skip_on_failure()
    for side, slot, role, peer_role in (("a", 1, "active", "standby"), ("b", 2, "standby", "active")):
        ok, diff = wait_for(
            lambda: R1.vtysh_json(side, "show redundancy json"),
            {
                "card": {"slot": slot, "priority": 100, "role": role},
                "redundant": True,
                "peer": {"configured": True, "port": 2631, "connected": True, "role": peer_role},
            },
            title="r1%s redundancy" % side,
        )
        assert ok, "r1%s: %s" % (side, diff)
        out = R1.vtysh_json(side, "show redundancy json")
        hard_pid = int(R1.card(side).cmd_raises("cat /var/run/frr/hard.pid"))
        assert out["hardPid"] == hard_pid, "answer did not come from hard"
        text = R1.card(side).vtysh_cmd("show redundancy")
        assert "This card: slot %d, priority 100, role %s" % (slot, role) in text
        assert "Router is redundant" in text
        assert "Registered daemons: %d" % len(HA_MODULE_DAEMONS) in text
        running = R1.card(side).vtysh_cmd("show running-config")
        block = running[running.index("\nredundancy\n") :]
        block = block[: block.index("\nexit\n")]
        # slot 1 is the default and, like every default, not shown
        assert (" slot %d\n" % slot in block) == (slot != 1), block
        assert " peer 169.254.77.%d key " % (3 - slot) in block, block
        assert " mastership bridge port s1-r1%s peer-port s1-r1%s" % (
            side,
            R1.other(side),
        ) in block, block


@pytest.mark.parametrize(
    "command,message",
    [
        ("peer router.example key secret-key-1", "Invalid peer address"),
        ("peer 10.9.9.9 port 0 key secret-key-1", "Invalid port 0"),
        ("peer 10.9.9.9", "a peer card needs an authentication key"),
        ("peer 10.9.9.9 key short", "Invalid key: 5 characters"),
        ("peer fe80::1%r1-eth0 key secret-key-1", "Invalid peer address"),
        ("slot 3", "Unknown command"),
    ],
)
def test_hard_refuses_bad_config(command, message):
    "A bad redundancy config is refused with a clear error; hard survives."
    _skip_on_failure()
    card = R1.card("a")
    before = R1.vtysh_json("a", "show redundancy json")
    out = card.cmd(
        "vtysh -c 'configure terminal' -c 'redundancy' -c '%s' 2>&1" % command
    )
    assert message in out, "no clear error for %r: %r" % (command, out)
    after = R1.vtysh_json("a", "show redundancy json")
    assert after["hardPid"] == before["hardPid"], "hard restarted or crashed"
    configured = lambda out: {k: out["peer"].get(k) for k in ("configured", "address", "port")}
    assert configured(after) == configured(before), "refused config was applied"
    assert "peer 10.9.9.9" not in card.vtysh_cmd("show running-config")


def test_hard_accepts_good_config_change():
    "A valid change is applied (and reverted) through the northbound."
    _skip_on_failure()
    card = R1.card("a")
    card.vtysh_multicmd("configure terminal\nredundancy\npriority 150\n")
    out = R1.vtysh_json("a", "show redundancy json")
    assert out["card"]["priority"] == 150
    assert " priority 150" in card.vtysh_cmd("show running-config")
    card.vtysh_multicmd("configure terminal\nredundancy\nno priority\n")
    assert R1.vtysh_json("a", "show redundancy json")["card"]["priority"] == 100


def test_hard_notices_daemon_death():
    "hard sees a module's daemon go away at once (its channel closes)."
    _skip_on_failure()
    card = R1.card("b")
    pid = R1.vtysh_json("b", "show redundancy json")["daemons"]["ripd"]["pid"]
    card.cmd_raises("kill -9 %d" % pid)
    ok, diff = wait_for(
        lambda: {"gone": "ripd" not in R1.vtysh_json("b", "show redundancy json")["daemons"]},
        {"gone": True},
        count=20,
        wait=0.1,
        title="ripd death noticed",
    )
    assert ok, "hard still lists the killed ripd: %s" % diff
    # bring it back so later checks see a complete card
    card.net.startRouterDaemons(daemons=["ripd"])
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show redundancy json"),
        {"daemons": {"ripd": {"moduleVersion": ha_wire_version()}}},
        title="ripd re-registered",
    )
    assert ok, "restarted ripd did not register again: %s" % diff


def test_switchover_moves_the_line():
    "redundancy switchover moves mastership; p1 then talks to card b only."
    _skip_on_failure()
    # the restarted ripd's module must be resynchronised first
    R1.wait_active("a", "redundant again after the ripd restart")
    out = R1.card("a").vtysh_cmd("redundancy switchover")
    assert "started" in out, out
    ok, diff = wait_for(
        lambda: {"online": R1.on_line(), "role": R1.redundancy("b")["card"]["role"]},
        {"online": ["b"], "role": "active"},
        title="mastership on card b",
    )
    assert ok, "mastership did not move to card b: %s" % diff
    fwd_a = R1.forwarded_from("s1", "a")
    ok, diff = wait_for(
        lambda: {"fwd": R1.forwarded_from("s1", "b") > 0},
        {"fwd": True},
        title="card b forwarded",
    )
    assert ok, "nothing from card b reached the line after the move"
    # without replication (the next issues) p1's session to r1 is
    # re-established with card b; checked here: b is now on the line
    ok, diff = wait_for(
        lambda: R1.vtysh_json("b", "show bgp summary json"),
        {"ipv4Unicast": {"peers": {"10.0.1.2": {"state": "Established"}}}},
        count=80,
        title="r1b BGP to p1",
    )
    assert ok, "card b's session to p1 not Established: %s" % diff
    assert R1.forwarded_from("s1", "a") == fwd_a, "card a still on the line"
    # and back
    assert "started" in R1.card("b").vtysh_cmd("redundancy switchover")
    ok, diff = wait_for(
        lambda: {"online": R1.on_line(), "redundant": R1.redundancy("a")["redundant"]},
        {"online": ["a"], "redundant": True},
        title="mastership back on card a",
    )
    assert ok, "mastership did not come back to card a: %s" % diff


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
