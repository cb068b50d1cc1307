#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
OSPFv2 non-stop routing, judged by the neighbours (doc/ospf-nsr.md).

r1 (cards r1a, r1b) has three OSPF neighbours:
  - s1, a broadcast segment with default timers (hello 10 s, dead 40 s):
    p1 (FRR, Backup DR) and b1 (BIRD 2, not FRR, DROther); r1 is the DR
    and originates the segment's network LSA;
  - s2, a point-to-point link with MD5 authentication and a 1 s dead
    interval (hellos every 250 ms): p2 (FRR), whose loopback 10.102.0.1
    p1 pings through r1.

Across graceful switchovers back and forth, a kill -9 of the active's
ospfd and the death of the whole active card, quiet and while p1 flaps
stub networks: no neighbour's adjacency with r1 leaves Full (their own
logs of adjacency changes, BIRD's too), their LSDBs keep r1's LSAs with
the same sequence numbers (no re-origination, no premature aging: in a
quiet network their whole LSDBs, BIRD's too, stay as they were), and
pings through r1 lose at most the few in flight while the line moves.
"""
import json
import os
import re
import sys
import time

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter, peer_ospf_neighbors, wait_for

pytestmark = [pytest.mark.ospfd, pytest.mark.hard]

R1 = None
R1_ID = "10.255.0.1"
NEIGHBORS = {"p1": "10.255.0.2", "b1": "10.255.0.3", "p2": "10.254.0.4"}
# r1's address on each neighbour's link
R1_ADDRESS = {"p1": "10.0.1.1", "p2": "10.0.2.1"}
# iptables u32: an OSPF Database Description packet (type 2) without the I
# bit (0x04 in its flags, byte 27 of the OSPF packet): every DD of an
# exchange but the first
DD_NOT_INITIAL = "0>>22&0x3C@0>>16&0xFF=2&&0>>22&0x3C@24&0x04=0"
PING_TARGET = "10.102.0.1"
# pings 10 ms apart lost across a graceful switchover, at most (the line
# moves in a few ms; the new active's kernel has the OSPF routes once its
# ospfd ran SPF, right at the takeover)
PINGS_LOST_MAX = 10
# ... across a takeover after a crash or the death of the card: what is in
# flight until hard decides (at once for a crash, about 200 ms of silence
# for a dead card) and the new active runs SPF
PINGS_LOST_CRASH_MAX = 30
PINGS_LOST_CARD_DEATH_MAX = 60


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0"), ("s2", "r1-eth1")])
    R1.add_frr_peer("p1", "s1")
    R1.add_bird_peer("b1", "s1", "10.0.1.3/24")
    R1.add_frr_peer("p2", "s2")


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD, peers=["p1", "p2"])
    R1.start_bird_peer("b1", os.path.join(CWD, "bird.conf"))


def teardown_module(mod):
    R1.stop_bird_peer("b1")
    get_topogen().stop_topology()


def _skip_on_failure():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)


def _gear(name):
    return get_topogen().gears[name]


def _frr_adjacency_changes(name):
    """Lines of FRR peer NAME's log about its adjacency with r1 changing
    (log-adjacency-changes detail)."""
    log = os.path.join(get_topogen().logdir, name, "ospfd.log")
    with open(log, encoding="utf-8", errors="replace") as f:
        return [l for l in f if "AdjChg" in l and R1_ID in l]


def _bird_adjacency_changes():
    "Lines of BIRD's log about its neighbour r1 changing state."
    log = os.path.join(get_topogen().logdir, "b1", "bird.log")
    with open(log, encoding="utf-8", errors="replace") as f:
        return [l for l in f if "Neighbor %s" % R1_ID in l and "changed state" in l]


def _bird_r1_state():
    out = R1.birdc("b1", "show ospf neighbors")
    m = re.search(r"^%s\s+\d+\s+(\S+)" % re.escape(R1_ID), out, re.M)
    return m.group(1) if m else None


def _views():
    """What the neighbours see of r1: its state as their neighbour, and how
    often their adjacency with it changed (their logs)."""
    view = {}
    for name in ("p1", "p2"):
        nbrs = peer_ospf_neighbors(_gear(name)).get(R1_ID, [])
        view[name] = {
            "state": nbrs[0].get("nbrState") if nbrs else None,
            "changes": len(_frr_adjacency_changes(name)),
        }
    view["b1"] = {"state": _bird_r1_state(), "changes": len(_bird_adjacency_changes())}
    return view


# FRR's JSON names of LSA types
LSA_KINDS = {"routerLinkStates": 1, "networkLinkStates": 2, "summaryLinkStates": 3,
             "asbrSummaryLinkStates": 4, "asExternalLinkStates": 5}


# an LSA at MaxAge is being flushed: each router keeps it a while
# (maxage-delay) after its flooding is acknowledged, then removes it -- not
# in an LSDB as compared here (an LSA of ours aged out early is then
# missing: still a difference)
MAXAGE = 3600


def _frr_lsdb(j):
    """An FRR "show ip ospf database json" as {"TYPE LSID ADVROUTER":
    sequence} (ages left out: each router ages its copy; LSAs at MaxAge
    left out)."""
    out = {}
    for area in j.get("areas", {}).values():
        for kind, lsas in area.items():
            if isinstance(lsas, list):
                for lsa in lsas:
                    if lsa.get("lsaAge", 0) >= MAXAGE:
                        continue
                    out["%d %s %s" % (LSA_KINDS.get(kind, 0), lsa.get("lsId"),
                                      lsa.get("advertisedRouter"))] = lsa.get("sequenceNumber")
    return out


def _lsdb(name):
    "FRR peer NAME's LSDB (_frr_lsdb)."
    return _frr_lsdb(json.loads(_gear(name).vtysh_cmd("show ip ospf database json")))


def _bird_lsdb():
    "BIRD's LSDB, in the same form (LSAs at MaxAge left out)."
    out = {}
    for m in re.finditer(r"^\s*([0-9a-f]{4})\s+(\S+)\s+(\S+)\s+([0-9a-f]{8})\s+(\d+)\s+[0-9a-f]{4}\s*$",
                         R1.birdc("b1", "show ospf lsadb"), re.M):
        if int(m.group(5)) >= MAXAGE:
            continue
        out["%d %s %s" % (int(m.group(1), 16), m.group(2), m.group(3))] = m.group(4)
    return out


def _peer_lsdbs():
    "The three neighbours' LSDBs."
    return {"p1": _lsdb("p1"), "p2": _lsdb("p2"), "b1": _bird_lsdb()}


def _lsdbs_settled():
    """The three neighbours' LSDBs once each is the active card's (flooding
    over: an LSA originated within MinLSArrival of the one before reaches a
    neighbour only as a retransmission, 5 s later)."""

    def state():
        mine = _card_lsdb(_active())
        return {n: l == mine for n, l in _peer_lsdbs().items()}

    ok, diff = wait_for(state, {"p1": True, "p2": True, "b1": True}, count=60,
                        title="the neighbours' LSDBs are r1's")
    assert ok, (diff, _lsdb_differences(_card_lsdb(_active())))
    return _peer_lsdbs()


def _lsdb_differences(mine):
    """What each neighbour's LSDB has other than mine (an LSDB of r1's card):
    {name: {key: (theirs, mine)}} for the neighbours that differ."""
    out = {}
    for name, theirs in _peer_lsdbs().items():
        diff = {k: (theirs.get(k), mine.get(k)) for k in set(theirs) | set(mine)
                if theirs.get(k) != mine.get(k)}
        if diff:
            out[name] = diff
    return out


def _card_lsdb(side):
    "Card side's LSDB as its ospfd shows it (_frr_lsdb)."
    return _frr_lsdb(R1.vtysh_json(side, "show ip ospf database json"))


def _all_full():
    return {n: v["state"].startswith("Full") if v["state"] else False for n, v in _views().items()}


def _unnoticed(before, seconds=3):
    """For seconds (over p2's 1 s dead interval), no neighbour's view of r1
    changes: still Full, no adjacency change in its log."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        now = _views()
        assert now == before, (before, now)
        time.sleep(0.25)


def test_adjacencies_full_and_held_by_the_standby():
    """p1, BIRD and p2 have r1 Full (r1 the DR on s1); card b's ospfd holds
    the same neighbours -- "show ip ospf neighbor" there says Standby -- and
    the same LSDB, and sent nothing."""
    R1.wait_active("a", "boot election", count=400)
    ok, diff = wait_for(_all_full, {"p1": True, "b1": True, "p2": True}, count=200,
                        title="r1 Full with p1, BIRD and p2")
    assert ok, diff
    ok, diff = wait_for(
        lambda: {"dr": R1.vtysh_json("a", "show ip ospf interface r1-eth0 json")["interfaces"][
            "r1-eth0"].get("state")},
        {"dr": "DR"},
        title="r1 the DR on s1",
    )
    assert ok, diff
    R1.wait_ospf_held("b", list(NEIGHBORS.values()))

    def standby_view():
        nbrs = R1.vtysh_json("b", "show ip ospf neighbor json")["neighbors"]
        return {
            rid: {"note": n[0].get("note"), "full": n[0]["nbrState"].startswith("Full")}
            for rid, n in nbrs.items()
        }

    ok, diff = wait_for(
        standby_view,
        {rid: {"note": "Standby", "full": True} for rid in NEIGHBORS.values()},
        title="card b's ospfd has the neighbours Full, as the standby's",
    )
    assert ok, diff
    assert "(Standby)" in R1.card("b").vtysh_cmd("show ip ospf neighbor")
    assert "note" not in R1.vtysh_json("a", "show ip ospf neighbor json")["neighbors"][
        NEIGHBORS["p1"]][0]
    ok, diff = wait_for(lambda: {"same": _card_lsdb("a") == _card_lsdb("b")}, {"same": True},
                        title="the same LSDB on both cards")
    assert ok, (diff, _card_lsdb("a"), _card_lsdb("b"))
    # the standby's ospfd sent nothing on its interfaces
    ifs = R1.vtysh_json("b", "show ip ospf interface json")["interfaces"]
    assert all(i.get("helloOut", 0) == 0 for i in ifs.values()), ifs


def test_graceful_switchovers_unnoticed():
    """20 graceful switchovers back and forth: after each, for 3 s, no
    neighbour's adjacency with r1 changes; r1's LSAs at p1 and p2 keep
    their sequence numbers throughout."""
    _skip_on_failure()
    before = _views()
    lsdbs = _lsdbs_settled()
    assert any(k.endswith(" " + R1_ID) for k in lsdbs["b1"]), lsdbs
    old = "a"
    for i in range(20):
        new = R1.other(old)
        R1.wait_ospf_held(new, list(NEIGHBORS.values()))
        R1.switchover_with_bgp(old, new)
        _unnoticed(before)
        old = new
    # no LSA of r1's (or anyone's) re-originated, none aged out early
    assert _peer_lsdbs() == lsdbs
    # the new active keeps every adjacency up on its own: longer than the
    # broadcast segment's 40 s dead interval
    _unnoticed(before, seconds=45)
    assert _peer_lsdbs() == lsdbs
    # and the standby holds the same LSDB again
    ok, diff = wait_for(lambda: {"same": _card_lsdb("a") == _card_lsdb("b")}, {"same": True},
                        title="the same LSDB on both cards")
    assert ok, diff


def _active():
    return "a" if R1.role("a") == "active" else "b"


def _ping_during(action, count=400):
    """Ping p2's loopback from p1 through r1 every 10 ms while action()
    runs (started 1 s into the pings); the number of pings lost."""
    out = os.path.join(get_topogen().logdir, "p1", "ping.out")
    _gear("p1").cmd("rm -f %s; ping -n -i 0.01 -c %d -W 1 %s > %s 2>&1 &" % (
        out, count, PING_TARGET, out))
    ok, diff = wait_for(
        lambda: {"pinging": _gear("p1").cmd("grep -c 'bytes from' %s" % out).strip() not in ("", "0")},
        {"pinging": True},
        wait=0.05,
        title="p1's pings answered",
    )
    assert ok, (diff, _gear("p1").cmd("cat %s" % out))
    action()
    ok, diff = wait_for(
        lambda: {"done": "packets transmitted" in _gear("p1").cmd("cat %s" % out)},
        {"done": True},
        title="p1's pings done",
    )
    assert ok, diff
    text = _gear("p1").cmd("cat %s" % out)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    assert m, text
    return int(m.group(1)) - int(m.group(2))


def test_ping_through_a_switchover():
    """p1 pings p2's loopback through r1 (r1's OSPF route to it) every
    10 ms across a graceful switchover: at most the few pings in flight
    while the line moves are lost (the figure is printed)."""
    _skip_on_failure()
    old = _active()
    R1.wait_ospf_held(R1.other(old), list(NEIGHBORS.values()))
    before = _views()
    lost = _ping_during(lambda: R1.switchover_with_bgp(old, R1.other(old)))
    print("pings lost across a graceful switchover: %d (10 ms apart)" % lost)
    assert lost <= PINGS_LOST_MAX, lost
    _unnoticed(before, seconds=1)


def test_ospfd_crash_unnoticed():
    """kill -9 of the active's ospfd: the other card takes over (hard hands
    the card over) and no neighbour notices; ospfd restarted on the old
    card holds the state again as standby; back by a switchover."""
    _skip_on_failure()
    old = _active()
    new = R1.other(old)
    R1.wait_ospf_held(new, list(NEIGHBORS.values()))
    before = _views()
    lsdbs = _lsdbs_settled()
    takeovers = R1.vtysh_json(new, "show redundancy ospf json")["takeovers"]

    def crash():
        R1.kill_daemon(old, "ospfd")
        R1.wait_active(new, "card %s took over after ospfd died on card %s" % (new, old),
                       redundant=False)

    lost = _ping_during(crash)
    print("pings lost across an ospfd crash takeover: %d (10 ms apart)" % lost)
    assert lost <= PINGS_LOST_CRASH_MAX, lost
    assert R1.vtysh_json(new, "show redundancy ospf json")["takeovers"] == takeovers + 1
    _unnoticed(before)
    R1.restart_daemon(old, "ospfd")
    R1.wait_ospf_held(old, list(NEIGHBORS.values()))
    _unnoticed(before, seconds=1)
    R1.switchover_with_bgp(new, old)
    _unnoticed(before)
    assert _peer_lsdbs() == lsdbs


def test_card_death_unnoticed():
    """The whole active card dies (line ports cut, every process killed):
    the other card takes over from what it holds and no neighbour notices;
    the dead card comes back as standby."""
    _skip_on_failure()
    old = _active()
    new = R1.other(old)
    R1.wait_ospf_held(new, list(NEIGHBORS.values()))
    before = _views()
    lsdbs = _lsdbs_settled()

    def death():
        R1.kill_card(old)
        R1.wait_active(new, "card %s took over after card %s died" % (new, old),
                       only_active=True, count=400)

    lost = _ping_during(death)
    print("pings lost across a card death takeover: %d (10 ms apart)" % lost)
    assert lost <= PINGS_LOST_CARD_DEATH_MAX, lost
    _unnoticed(before)
    R1.revive_card(old)
    R1.wait_ospf_held(old, list(NEIGHBORS.values()))
    _unnoticed(before, seconds=1)
    assert _peer_lsdbs() == lsdbs


def test_interface_configured_and_removed():
    """An OSPF interface added, then removed by configuration on the active
    card (replicated to the standby): the standby's ospfd holds it, then
    takes it down and frees it as ospfd does -- it keeps running and
    holding the neighbours, the router is redundant again, no neighbour
    notices."""
    _skip_on_failure()
    active = _active()
    standby = R1.other(active)
    before = _views()
    pid = R1.redundancy(standby)["daemons"]["ospfd"]["pid"]

    def standby_has_lo():
        return {"lo": "lo" in R1.vtysh_json(standby, "show ip ospf interface json").get(
            "interfaces", {})}

    R1.card(active).vtysh_multicmd("configure terminal\nrouter ospf\nnetwork 10.0.9.1/32 area 0\n")
    ok, diff = wait_for(standby_has_lo, {"lo": True}, title="card %s's ospfd has lo" % standby)
    assert ok, diff
    R1.wait_active(active, "redundant with the new interface")
    R1.card(active).vtysh_multicmd(
        "configure terminal\nrouter ospf\nno network 10.0.9.1/32 area 0\n")
    ok, diff = wait_for(standby_has_lo, {"lo": False}, title="card %s's ospfd freed lo" % standby)
    assert ok, diff
    assert R1.redundancy(standby)["daemons"]["ospfd"]["pid"] == pid
    R1.wait_active(active, "redundant after the interface went")
    R1.wait_ospf_held(standby, list(NEIGHBORS.values()))
    _unnoticed(before, seconds=1)


def test_standby_ospfd_stops_cleanly():
    """The standby's ospfd stopped (SIGTERM, as systemd or watchfrr would):
    it tears down the interfaces and neighbours it holds as ospfd does and
    exits without an assertion or a core; started again, it holds the
    state again; no neighbour notices."""
    _skip_on_failure()
    standby = R1.other(_active())
    before = _views()
    pid = R1.redundancy(standby)["daemons"]["ospfd"]["pid"]
    card = R1.card(standby)
    log = os.path.join(get_topogen().logdir, R1.cards[standby], "ospfd.log")
    card.cmd("kill -TERM %d" % pid)
    ok, diff = wait_for(lambda: {"gone": card.cmd("kill -0 %d 2>/dev/null && echo up" % pid).strip()
                                 == ""}, {"gone": True}, wait=0.1, title="ospfd exited")
    assert ok, diff
    with open(log, encoding="utf-8", errors="replace") as f:
        tail = f.read().split("Terminating on signal")[-1]
    assert "assertion" not in tail and "Received signal" not in tail, tail[-3000:]
    R1.restart_daemon(standby, "ospfd")
    R1.wait_ospf_held(standby, list(NEIGHBORS.values()))
    _unnoticed(before, seconds=1)


def _frr_adjacency_changes_since(name, n):
    "What FRR peer NAME's log says of its adjacency with r1 after its first n lines."
    return [re.sub(r"^.*AdjChg: ", "", l.strip()) for l in _frr_adjacency_changes(name)[n:]]


def _r1_neighbor(side, rid):
    "Card side's ospfd-ha record of neighbour rid (show redundancy ospf json)."
    for n in R1.vtysh_json(side, "show redundancy ospf json").get("neighbors", {}).values():
        if n["routerId"] == rid:
            return n
    return {}


def _exchange_carried_across_a_switchover(peer, r1_master):
    """peer resets its adjacency with r1 (clear ip ospf neighbor) while its
    kernel drops every DD packet from r1 but the first: the database
    exchange stops half-way, r1 in Exchange (the master of it if r1_master,
    else the slave), and the standby holds it so.  A graceful switchover,
    then the drop removed: the exchange goes on with the new active where
    it stopped -- the master's next retransmission is the DD the slave
    expects -- and ends Full, with no SeqNumberMismatch and no second
    ExStart in the peer's log; the other neighbours notice nothing."""
    rid = NEIGHBORS[peer]
    others = [n for n in NEIGHBORS if n != peer]
    old = _active()
    new = R1.other(old)
    R1.wait_ospf_held(new, list(NEIGHBORS.values()))
    before = {n: v for n, v in _views().items() if n != peer}
    takeovers = R1.vtysh_json(new, "show redundancy ospf json")["takeovers"]
    logged = len(_frr_adjacency_changes(peer))
    rule = "INPUT -p 89 -s %s -m u32 --u32 '%s' -j DROP" % (R1_ADDRESS[peer], DD_NOT_INITIAL)
    gear = _gear(peer)
    gear.cmd("iptables -I " + rule)
    try:
        gear.vtysh_cmd("clear ip ospf neighbor %s" % R1_ID)

        def exchange():
            return {side: {k: _r1_neighbor(side, rid).get(k) for k in ("state", "ddMaster")}
                    for side in (old, new)}

        ok, diff = wait_for(
            exchange,
            {side: {"state": "Exchange", "ddMaster": r1_master} for side in (old, new)},
            title="r1's exchange with %s stopped half-way, held by the standby" % peer,
        )
        assert ok, diff
        dropped = gear.cmd("iptables -L INPUT -v -x -n | awk '/u32/ {print $1}'").strip()
        assert dropped not in ("", "0"), gear.cmd("iptables -L INPUT -v -x -n")
        R1.switchover_with_bgp(old, new)
    finally:
        gear.cmd("iptables -D " + rule)
    ok, diff = wait_for(
        lambda: {"state": (peer_ospf_neighbors(gear).get(R1_ID) or [{}])[0].get("nbrState", "")
                 .split("/")[0]},
        {"state": "Full"},
        count=60,
        title="%s's exchange with r1 (card %s now) done" % (peer, new),
    )
    assert ok, diff
    changes = _frr_adjacency_changes_since(peer, logged)
    assert not [c for c in changes if "SeqNumberMismatch" in c or "BadLSReq" in c], changes
    assert len([c for c in changes if "-> ExStart" in c]) == 1, changes
    assert "Exchange -> " in changes[-1] or "Loading -> Full" in changes[-1], changes
    assert R1.vtysh_json(new, "show redundancy ospf json")["takeovers"] == takeovers + 1
    now = {n: v for n, v in _views().items() if n != peer}
    assert now == before, (others, before, now)
    R1.wait_ospf_held(old, list(NEIGHBORS.values()))
    _lsdbs_settled()


def test_exchange_as_slave_carried_across_a_switchover():
    """A database exchange with p1 (its router id is higher: p1 is the
    master, r1 the slave) carried across a graceful switchover
    (_exchange_carried_across_a_switchover): the new active recognises
    p1's retransmitted DD and answers with the DD the old active sent."""
    _skip_on_failure()
    _exchange_carried_across_a_switchover("p1", r1_master=False)


def test_exchange_as_master_carried_across_a_switchover():
    """A database exchange with p2 (point-to-point, MD5, 1 s dead; its
    router id is lower: r1 is the master) carried across a graceful
    switchover: the new active retransmits the DD p2 has not answered and
    the exchange goes on from there."""
    _skip_on_failure()
    _exchange_carried_across_a_switchover("p2", r1_master=True)


def _card_lsdb_by_area(side):
    """Card side's LSDB per area: {area: {"TYPE LSID ADVROUTER": sequence}}
    (LSAs at MaxAge left out), the AS-scope LSAs under "AS"."""
    j = R1.vtysh_json(side, "show ip ospf database json")
    out = {}
    for area, lsas in j.get("areas", {}).items():
        out[area] = _frr_lsdb({"areas": {area: lsas}})
    out["AS"] = _frr_lsdb({"areas": {"AS": {k: v for k, v in j.items() if k != "areas"
                                            and isinstance(v, list)}}})
    return out


def test_corrupt_lsa_delta_refused_and_its_area_resynchronised():
    """The active card lies once: gdb flips a byte in the middle of the
    next LSA delta its ospfd replicates (one of its LSA's body, after
    encoding, so the channel's authentication holds; the LSA in it fails
    its checksum).  r1 has two areas for this test (its loopback in area
    0.0.0.1).  The standby's ospfd refuses the LSA -- logs why, counts it
    (lsasRefused; the module's refusedDeltas) and installs nothing of it --
    and asks the active for a copy of that area alone: area 0.0.0.0's LSAs
    and list entries are copied again (lastScopedCopy), area 0.0.0.1's are
    not, no bulk copy of the module; then digests compared, the same LSDB
    on both cards in each area, the standby holding every neighbour.  No
    neighbour notices."""
    _skip_on_failure()
    active = _active()
    standby = R1.other(active)
    R1.wait_ospf_held(standby, list(NEIGHBORS.values()))
    before = _views()
    r1 = R1.card(active)
    r1.vtysh_multicmd("configure terminal\nrouter ospf\nnetwork 10.0.9.1/32 area 0.0.0.1\n")
    try:
        def two_areas():
            return {side: sorted(R1.vtysh_json(side, "show redundancy ospf json")["areas"])
                    for side in (active, standby)}

        ok, diff = wait_for(two_areas, {active: ["0.0.0.0", "0.0.0.1"],
                                        standby: ["0.0.0.0", "0.0.0.1"]},
                            title="area 0.0.0.1 on both cards")
        assert ok, diff
        R1.wait_active(active, "redundant with two areas")
        ok, diff = wait_for(
            lambda: {"same": _card_lsdb_by_area(active) == _card_lsdb_by_area(standby)},
            {"same": True}, title="the same LSDB on both cards, per area")
        assert ok, diff
        area1_lsas = len(_card_lsdb_by_area(standby)["0.0.0.1"])
        assert area1_lsas >= 2, _card_lsdb_by_area(standby)
        ha = R1.vtysh_json(standby, "show redundancy ospf json")
        repl = R1.redundancy(standby)["daemons"]["ospfd"]["replication"]
        repl_active = R1.redundancy(active)["daemons"]["ospfd"]["replication"]
        pid = R1.redundancy(active)["daemons"]["ospfd"]["pid"]
        gdb_log = os.path.join(get_topogen().logdir, R1.cards[active], "gdb-corrupt.log")
        # a byte of the LSA's body: the LSA (at least a header of 20 bytes
        # and one link) ends the delta but for its age (at most 3 bytes);
        # xor 0x0f, not 0xff (the Fletcher checksum, mod 255, cannot tell
        # 0x00 from 0xff)
        at = "((unsigned char *)data)[len - 8]"
        r1.cmd(
            "nohup gdb -p %d -batch -ex 'break ha_repl_send if cls == 2 && subtype == 3'"
            " -ex continue -ex 'print/x %s' -ex 'set var %s = %s ^ 0x0f' -ex 'print/x %s'"
            " -ex delete -ex detach > %s 2>&1 &" % (pid, at, at, at, at, gdb_log)
        )
        ok, diff = wait_for(
            lambda: {"attached": "Breakpoint 1 at" in r1.cmd("cat %s" % gdb_log)},
            {"attached": True},
            wait=0.1,
            title="gdb attached to card %s's ospfd" % active,
        )
        assert ok, diff
        # p1's router LSA (area 0) changes (a stub network): flooded to r1,
        # installed, replicated -- corrupted on the way
        _gear("p1").cmd("ip addr add 10.101.7.1/32 dev lo")
        ok, diff = wait_for(
            lambda: {"detached": "detached]" in r1.cmd("cat %s" % gdb_log)},
            {"detached": True},
            wait=0.1,
            title="one LSA delta corrupted",
        )
        assert ok, (diff, r1.cmd("cat %s" % gdb_log))
        log = os.path.join(get_topogen().logdir, R1.cards[standby], "ospfd.log")
        active_log = os.path.join(get_topogen().logdir, R1.cards[active], "ospfd.log")

        def lines(path, *words):
            with open(path, encoding="utf-8", errors="replace") as f:
                return [l for l in f if all(w in l for w in words)]

        def refusal():
            now = R1.vtysh_json(standby, "show redundancy ospf json")
            repl_now = R1.redundancy(standby)["daemons"]["ospfd"]["replication"]
            return {
                "logged": len(lines(log, "refusing replicated state", "checksum",
                                    "asking the active to copy area 0.0.0.0 again")),
                "copy sent": len(lines(active_log, "copy of ospf-state area 0.0.0.0 sent to the standby")),
                "lsasRefused": now["lsasRefused"] - ha["lsasRefused"],
                "refusedDeltas": repl_now["refusedDeltas"] - repl["refusedDeltas"],
                "scopedResyncs": now["scopedResyncs"] - ha["scopedResyncs"],
                "bulks": repl_now["bulks"] - repl["bulks"],
                "synced": repl_now["state"],
            }

        ok, diff = wait_for(
            refusal,
            {"logged": 1, "copy sent": 1, "lsasRefused": 1, "refusedDeltas": 1,
             "scopedResyncs": 1, "bulks": 0, "synced": "synced"},
            title="card %s refused the corrupt LSA and got area 0.0.0.0 again" % standby,
        )
        assert ok, diff
        # the copy: area 0.0.0.0's LSAs, none of area 0.0.0.1's
        copy = R1.vtysh_json(standby, "show redundancy ospf json")["lastScopedCopy"]
        area0_lsas = R1.vtysh_json(active, "show redundancy ospf json")["areas"]["0.0.0.0"]["lsas"]
        assert copy["scope"] == "area 0.0.0.0", copy
        assert copy["lsas"] == area0_lsas, (copy, area0_lsas)
        assert R1.redundancy(active)["daemons"]["ospfd"]["replication"]["bulks"] == \
            repl_active["bulks"]
        print("area 0.0.0.0 copied again: %d LSAs, %d list entries (area 0.0.0.1's %d not)"
              % (copy["lsas"], copy["listEntries"], area1_lsas))
        R1.wait_ospf_held(standby, list(NEIGHBORS.values()))
        ok, diff = wait_for(
            lambda: {"same": _card_lsdb_by_area(active) == _card_lsdb_by_area(standby),
                     "p1's stub": "10.101.7.1" in _gear("p2").vtysh_cmd(
                         "show ip ospf database router %s" % NEIGHBORS["p1"])},
            {"same": True, "p1's stub": True},
            title="the same LSDB on both cards, p1's new router LSA in it",
        )
        assert ok, diff
        R1.wait_active(active, "redundant again after the area's resynchronisation")
    finally:
        _gear("p1").cmd("ip addr del 10.101.7.1/32 dev lo")
        r1.vtysh_multicmd(
            "configure terminal\nrouter ospf\nno network 10.0.9.1/32 area 0.0.0.1\n"
            "no area 0.0.0.1\n")
    ok, diff = wait_for(
        lambda: {side: sorted(R1.vtysh_json(side, "show redundancy ospf json")["areas"])
                 for side in (active, standby)},
        {active: ["0.0.0.0"], standby: ["0.0.0.0"]}, title="area 0.0.0.1 gone from both cards")
    assert ok, diff
    R1.wait_active(active, "redundant again with one area")
    _unnoticed(before, seconds=1)
    _lsdbs_settled()


def _maxage_list(side):
    "The LSAs card side's ospfd keeps at MaxAge until it removes them."
    return R1.card(side).vtysh_cmd("show ip ospf database max-age")


def test_maxage_lsa_removed_across_switchovers():
    """p1 originates an AS-external LSA (a static route redistributed),
    then flushes it (the route removed): r1 keeps it at MaxAge for
    maxage-delay (60 s) after that, as ospfd does, then removes it -- also
    while graceful switchovers come every few seconds: each new active
    removes it when the old one would have, not maxage-delay after its own
    takeover (which would keep it for ever).  No neighbour notices the
    switchovers."""
    _skip_on_failure()
    p1 = _gear("p1")
    p1.vtysh_multicmd("configure terminal\nip route 10.77.0.0/24 Null0\nrouter ospf\n"
                      "redistribute static\n")
    ok, diff = wait_for(
        lambda: {"lsa": "10.77.0.0" in R1.card(_active()).vtysh_cmd(
            "show ip ospf database external 10.77.0.0")},
        {"lsa": True},
        title="p1's AS-external LSA 10.77.0.0 at r1",
    )
    assert ok, diff
    before = _views()
    p1.vtysh_multicmd("configure terminal\nno ip route 10.77.0.0/24 Null0\n")
    ok, diff = wait_for(lambda: {"maxage": "10.77.0.0" in _maxage_list(_active())},
                        {"maxage": True}, wait=0.1, title="p1's flush at r1")
    assert ok, diff
    flushed = time.time()
    switchovers = 0
    while "10.77.0.0" in _maxage_list(_active()) + R1.card(_active()).vtysh_cmd(
            "show ip ospf database external 10.77.0.0"):
        assert time.time() - flushed < 60 + 15, (
            "the MaxAge LSA still at card %s %.1f s after the flush, %d switchovers"
            % (_active(), time.time() - flushed, switchovers),
            {side: (_maxage_list(side), {
                k: n["retransmissionList"] for k, n in R1.vtysh_json(
                    side, "show redundancy ospf json")["neighbors"].items()})
             for side in ("a", "b")})
        old = _active()
        R1.wait_ospf_held(R1.other(old), list(NEIGHBORS.values()))
        R1.switchover_with_bgp(old, R1.other(old))
        switchovers += 1
        deadline = time.time() + 5
        while time.time() < deadline and "10.77.0.0" in _maxage_list(_active()):
            time.sleep(0.25)
    print("MaxAge LSA removed %.1f s after the flush, across %d switchovers"
          % (time.time() - flushed, switchovers))
    # (sooner than 60 s when ospfd's remover was already due for an LSA
    # flushed before: it removes every MaxAge LSA it can at once)
    assert switchovers >= 2, switchovers
    _unnoticed(before, seconds=1)
    p1.vtysh_multicmd("configure terminal\nrouter ospf\nno redistribute static\n")


def test_hung_standby_given_up_within_the_dead_interval():
    """The standby's ospfd hangs (SIGSTOP) while the active replicates
    something (p1's router LSA changes): the active's gate holds every OSPF
    packet behind what the standby has not acknowledged -- hellos to p2,
    whose dead interval is 1 s, too.  The active gives the standby up after
    a third of the shortest dead interval (ackTimeoutMsec 333: with the
    engine's 5 s p2 would drop r1), its packets go at once and no
    neighbour notices; the standby, continued, is brought current by a bulk
    copy."""
    _skip_on_failure()
    active = _active()
    standby = R1.other(active)
    R1.wait_ospf_held(standby, list(NEIGHBORS.values()))
    assert R1.vtysh_json(active, "show redundancy ospf json")["ackTimeoutMsec"] == 333
    before = _views()
    bulks = R1.redundancy(standby)["daemons"]["ospfd"]["replication"]["bulks"]
    pid = R1.redundancy(standby)["daemons"]["ospfd"]["pid"]
    log = os.path.join(get_topogen().logdir, R1.cards[active], "ospfd.log")
    with open(log, encoding="utf-8", errors="replace") as f:
        given_up = f.read().count("the standby acknowledged nothing for")
    R1.card(standby).cmd("kill -STOP %d" % pid)
    try:
        _gear("p1").cmd("ip addr add 10.101.8.1/32 dev lo")
        # over p2's 1 s dead interval, twice
        _unnoticed(before, seconds=2)
        # (given up again on each new channel while it still hangs)
        with open(log, encoding="utf-8", errors="replace") as f:
            assert f.read().count("the standby acknowledged nothing for 333 ms") > given_up
    finally:
        R1.card(standby).cmd("kill -CONT %d" % pid)
        _gear("p1").cmd("ip addr del 10.101.8.1/32 dev lo")
    ok, diff = wait_for(
        lambda: {"bulk": R1.redundancy(standby)["daemons"]["ospfd"]["replication"]["bulks"] > bulks},
        {"bulk": True},
        title="card %s's ospfd brought current by a bulk copy" % standby,
    )
    assert ok, diff
    R1.wait_ospf_held(standby, list(NEIGHBORS.values()))
    R1.wait_active(active, "redundant again after the hung standby")
    _unnoticed(before, seconds=1)
    _lsdbs_settled()


def _churn(on):
    """p1 flaps stub networks (10.101.x.1/32 on its loopback, in OSPF):
    its router LSA changes every 0.2 s, flooded through r1 to p2."""
    out = os.path.join(get_topogen().logdir, "p1", "churn.sh")
    if on:
        with open(out, "w", encoding="ascii") as f:
            f.write(
                "while true; do for i in 1 2 3 4 5; do ip addr add 10.101.$i.1/32 dev lo;"
                " sleep 0.1; ip addr del 10.101.$i.1/32 dev lo; sleep 0.1; done; done\n"
            )
        _gear("p1").cmd("nohup bash %s > /dev/null 2>&1 & echo $! > %s.pid" % (out, out))
    else:
        _gear("p1").cmd("kill $(cat %s.pid); sleep 0; ip addr flush dev lo scope global" % out)


def _p1_lsa_changes():
    "How many instances of p1's router LSA p2 has seen (its sequence number)."
    seq = _lsdb("p2").get("1 %s %s" % (NEIGHBORS["p1"], NEIGHBORS["p1"]))
    return int(seq, 16) if seq else 0


def test_unnoticed_under_churn():
    """While p1 flaps stub networks (its router LSA changing every 0.2 s,
    flooded through r1): 6 graceful switchovers, a kill -9 of the active's
    ospfd and the death of the active card -- no neighbour notices; once
    the churn stops, p1, p2 and the active card have the same LSDB."""
    _skip_on_failure()
    before = _views()
    _churn(True)
    try:
        seq = _p1_lsa_changes()
        ok, diff = wait_for(lambda: {"churning": _p1_lsa_changes() >= seq + 5}, {"churning": True},
                            title="p1's router LSA changing at p2")
        assert ok, diff
        for _ in range(6):
            old = _active()
            R1.wait_ospf_held(R1.other(old), list(NEIGHBORS.values()))
            R1.switchover_with_bgp(old, R1.other(old))
            _unnoticed(before)
        old = _active()
        new = R1.other(old)
        R1.wait_ospf_held(new, list(NEIGHBORS.values()))
        R1.kill_daemon(old, "ospfd")
        R1.wait_active(new, "ospfd crash under churn", redundant=False)
        _unnoticed(before)
        R1.restart_daemon(old, "ospfd")
        R1.wait_ospf_held(old, list(NEIGHBORS.values()))
        R1.kill_card(new)
        R1.wait_active(old, "card death under churn", only_active=True, count=400)
        _unnoticed(before)
        R1.revive_card(new)
    finally:
        _churn(False)
    active = _active()

    def converged():
        mine = _card_lsdb(active)
        return {n: l == mine for n, l in _peer_lsdbs().items()}

    ok, diff = wait_for(converged, {"p1": True, "p2": True, "b1": True}, count=60,
                        title="the LSDBs agree")
    assert ok, (diff, _lsdb_differences(_card_lsdb(active)))
    _unnoticed(before, seconds=1)


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
