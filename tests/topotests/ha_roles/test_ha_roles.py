#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Roles, mastership and switchover of the redundancy platform (hard), on the
two-card router r1 (no protocol state is replicated yet: these tests are
about the platform).

- boot election, then the other boot order (the card holding mastership
  keeps it), then priority;
- graceful switchover refused where it must be, and 20 of them back and
  forth with mastership moving every time and never on both cards;
- wrong key refused, intercard link cut: never a second master;
- restart of the standby's and of the active's hard;
- a daemon failing on the active hands over;
- the kernel's routing lock held longer than the dead interval (a router
  flushing a table): no card takes the other for dead;
- hard held up longer than the dead interval reads what the peer card
  sent before calling it dead;
- the death of the whole active card (processes, line port and intercard
  link) makes the standby take over, noticed within a few ms of the dead
  interval.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen
from lib.topolog import logger

from frrha_topo import INTERCARD_KEY, RedundantRouter, log_lines, wait_for

pytestmark = [pytest.mark.hard]

R1 = None
RESULTS = {}


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD)


def teardown_module(mod):
    path = "/tmp/frrha-topotests/ha_roles.results.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(RESULTS, f, indent=2)
    get_topogen().stop_topology()


def _skip_on_failure():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)


def _role(side):
    return R1.role(side)


def _roles():
    return {side: _role(side) for side in ("a", "b")}


def wait_roles(active, title, redundant=True):
    R1.wait_active(active, title, redundant=redundant)


class LineWatch:
    """Samples which cards are on the line, in a thread, and remembers any
    moment with both."""

    def __init__(self):
        self.samples = 0
        self.both = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            online = R1.on_line()
            self.samples += 1
            if len(online) > 1:
                self.both.append(time.time())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_boot_election():
    "Both cards boot together: equal priority, slot 1 is active."
    _skip_on_failure()
    wait_roles("a", "boot election")
    hist = R1.vtysh_json("b", "show redundancy history json")["history"]
    assert hist[-1]["to"] == "standby"
    assert "lower slot id" in hist[-1]["reason"], hist
    out = R1.redundancy("a")
    assert out["card"]["mastership"] is True
    assert out["peer"]["mastership"] is False
    assert out["mastershipDriver"] == "bridge"


def _hb_debug_lines(side):
    log = "/tmp/frrha-topotests/ha_roles.test_ha_roles/r1%s/hard.log" % side
    return int(R1.card(side).cmd("grep -c 'heartbeat from peer card' %s" % log).strip() or 0)


def test_debug_redundancy():
    "debug redundancy peer logs heartbeats; no debug stops it; show debugging tells."
    _skip_on_failure()
    card = R1.card("a")
    assert _hb_debug_lines("a") == 0, "heartbeat debug logged without debug on"
    card.vtysh_cmd("debug redundancy peer")
    assert "Intercard channel and heartbeats debugging is on" in card.vtysh_cmd(
        "show debugging"
    )
    ok, diff = wait_for(lambda: {"lines": _hb_debug_lines("a") > 3}, {"lines": True},
                        title="heartbeat debug")
    assert ok, diff
    card.vtysh_cmd("no debug redundancy peer")
    stopped = _hb_debug_lines("a")
    heard = R1.redundancy("a")["peer"]["heartbeatsReceived"]
    ok, diff = wait_for(
        lambda: {"more": R1.redundancy("a")["peer"]["heartbeatsReceived"] >= heard + 5},
        {"more": True},
        title="five more heartbeats",
    )
    assert ok, diff
    assert _hb_debug_lines("a") <= stopped + 1, "heartbeats still logged after 'no debug'"


def test_switchover_refused_on_standby():
    "redundancy switchover on the standby is refused, saying why."
    _skip_on_failure()
    out = R1.card("b").vtysh_cmd("redundancy switchover")
    assert "Switchover refused: this card is standby" in out, out
    assert _roles() == {"a": "active", "b": "standby"}


def test_twenty_graceful_switchovers():
    "20 graceful switchovers back and forth; the line moves every time and is never held by both."
    _skip_on_failure()
    durations = []
    active = "a"
    with LineWatch() as watch:
        for i in range(20):
            before = R1.redundancy(active).get("switchoversCompleted", 0)
            out = R1.card(active).vtysh_cmd("redundancy switchover")
            assert "started" in out, "switchover %d: %s" % (i, out)
            new = R1.other(active)
            wait_roles(new, "switchover %d to %s" % (i + 1, new))
            old = R1.redundancy(active)
            assert old["switchoversCompleted"] == before + 1
            assert old["lastSwitchover"]["graceful"] is True
            assert old["lastSwitchover"]["result"].startswith("completed"), old
            durations.append(old["lastSwitchover"]["durationUsec"])
            active = new
    assert watch.samples > 20, "the line was not watched"
    assert not watch.both, "both cards on the line at %s" % watch.both
    durations.sort()
    RESULTS["graceful_switchover_usec"] = {
        "count": len(durations),
        "p50": durations[len(durations) // 2],
        "max": durations[-1],
        "line_samples": watch.samples,
    }
    logger.info("graceful switchover: %s", RESULTS["graceful_switchover_usec"])
    assert active == "a"


def test_wrong_key_refused_and_single_master():
    "A card with the wrong key is refused; it never takes the line from the live active."
    _skip_on_failure()
    fails = R1.redundancy("a")["peer"]["authenticationFailures"]
    R1.configure_hard("b", ["peer 169.254.77.1 key not-the-right-key"])
    ok, diff = wait_for(
        lambda: {
            "auth": R1.redundancy("a")["peer"]["authenticationFailures"] > fails,
            "connected": R1.redundancy("a")["peer"]["connected"],
        },
        {"auth": True, "connected": False},
        title="wrong key refused",
    )
    assert ok, diff
    # the standby lost the active but sees its claim renewed: it waits
    ok, diff = wait_for(
        lambda: {"blocked": "alive" in R1.redundancy("b").get("takeoverBlocked", "")},
        {"blocked": True},
        title="takeover blocked",
    )
    assert ok, diff
    with LineWatch() as watch:
        deadline = time.time() + 2
        while time.time() < deadline:
            assert _roles()["a"] == "active"
    assert not watch.both and watch.samples > 0
    assert R1.on_line() == ["a"]
    # and a switchover is refused for lack of a standby
    out = R1.card("a").vtysh_cmd("redundancy switchover")
    assert "Switchover refused: no standby card" in out, out
    log = R1.card("a").cmd("grep -c 'authentication failed' /tmp/frrha-topotests/ha_roles.test_ha_roles/r1a/hard.log")
    assert int(log.strip() or 0) > 0, "no log line for the refusal"
    R1.configure_hard("b", ["peer 169.254.77.1 key %s" % INTERCARD_KEY])
    wait_roles("a", "key fixed")


def test_intercard_link_cut_no_second_master():
    "Cutting the intercard link with both cards alive never makes two masters."
    _skip_on_failure()
    R1.card("a").cmd_raises("ip link set ic0 down")
    ok, diff = wait_for(
        lambda: {"connected": R1.redundancy("b")["peer"]["connected"]},
        {"connected": False},
        title="peer lost on b",
    )
    assert ok, diff
    with LineWatch() as watch:
        deadline = time.time() + 2
        while time.time() < deadline:
            assert R1.on_line() == ["a"]
    assert not watch.both
    assert _roles() == {"a": "active", "b": "standby"}
    R1.card("a").cmd_raises("ip link set ic0 up")
    wait_roles("a", "intercard link back")


def test_restart_standby_hard():
    "The standby's hard restarts: it rejoins as standby, redundant again."
    _skip_on_failure()
    R1.kill_hard("b")
    ok, diff = wait_for(
        lambda: {"redundant": R1.redundancy("a")["redundant"]},
        {"redundant": False},
        title="not redundant",
    )
    assert ok, diff
    R1.start_hard("b")
    wait_roles("a", "standby back")


def test_restart_active_hard():
    "The active's hard dies: the standby takes over once its claim expires; it rejoins as standby."
    _skip_on_failure()
    R1.kill_hard("a")
    ok, diff = wait_for(
        lambda: {"role": _role("b"), "online": R1.on_line()},
        {"role": "active", "online": ["b"]},
        title="takeover after active hard death",
    )
    assert ok, diff
    swo = R1.redundancy("b")["lastSwitchover"]
    assert swo["graceful"] is False and swo["result"].startswith("completed"), swo
    RESULTS["takeover_after_hard_death_usec"] = swo["durationUsec"]
    R1.start_hard("a")
    # the card holding mastership (b) keeps it: the other boot order
    wait_roles("b", "a rejoins as standby")
    hist = R1.vtysh_json("a", "show redundancy history json")["history"]
    assert "holding mastership keeps it" in hist[-1]["reason"], hist


def test_priority_election():
    "With neither card holding mastership, the higher priority wins."
    _skip_on_failure()
    for side in ("a", "b"):
        R1.redundancy_lines[side].append("priority %d" % (200 if side == "a" else 100))
        R1.kill_hard(side)
    for side in ("a", "b"):
        R1.start_hard(side)
    wait_roles("a", "priority election")
    hist = R1.vtysh_json("a", "show redundancy history json")["history"]
    assert "higher priority" in hist[-1]["reason"], hist


def test_daemon_failure_hands_over():
    "bgpd dies on the active: hard hands over to the standby at once."
    _skip_on_failure()
    pid = R1.redundancy("a")["daemons"]["bgpd"]["pid"]
    R1.card("a").cmd_raises("kill -9 %d" % pid)
    ok, diff = wait_for(
        lambda: {"roles": _roles(), "online": R1.on_line()},
        {"roles": {"a": "standby", "b": "active"}, "online": ["b"]},
        title="handover on bgpd failure",
    )
    assert ok, diff
    swo = R1.redundancy("b")["lastSwitchover"]
    assert swo["graceful"] is False, swo
    assert "bgpd failed" in R1.redundancy("a")["lastSwitchover"]["reason"]
    RESULTS["handover_on_daemon_failure_usec"] = swo["durationUsec"]
    R1.card("a").net.startRouterDaemons(daemons=["bgpd"])
    wait_roles("b", "redundant again")


HOG_NS = "frrha-rtnl-hog"


def _hold_the_routing_lock(routes):
    """Hold the kernel's routing netlink lock (RTNL: one for every namespace
    of the machine) for as long as a router flushing `routes` routes takes,
    as a router installing or losing a full table does: routes through a
    veth in a scratch namespace, then that veth set down (the kernel flushes
    them under the lock in one go).  Returns how long the down took, s."""
    batch = "/tmp/%s.batch" % HOG_NS
    with open(batch, "w", encoding="utf-8") as f:
        for i in range(routes):
            f.write("route add %d.%d.%d.%d/32 dev hog0\n"
                    % (10 + (i >> 24), (i >> 16) & 255, (i >> 8) & 255, i & 255))
    subprocess.run(["ip", "netns", "del", HOG_NS], stderr=subprocess.DEVNULL, check=False)
    subprocess.run(["ip", "netns", "add", HOG_NS], check=True)
    for cmd in ("link add hog0 type veth peer name hog1", "link set hog0 up", "link set hog1 up",
                "addr add 192.0.2.1/24 dev hog0"):
        subprocess.run(["ip", "-n", HOG_NS] + cmd.split(), check=True)
    subprocess.run(["ip", "-n", HOG_NS, "-batch", batch], check=True)
    start = time.time()
    subprocess.run(["ip", "-n", HOG_NS, "link", "set", "hog0", "down"], check=True)
    took = time.time() - start
    subprocess.run(["ip", "netns", "del", HOG_NS], check=True)
    os.unlink(batch)
    return took


def test_heartbeats_go_on_while_the_routing_lock_is_held():
    """The master renews its claim on the line every heartbeat, which takes the
    kernel's routing netlink lock; a router flushing a table holds that lock
    for longer than the cards' dead interval (50 ms x 4).  The renewal waits
    on a thread of its own and the heartbeats go on: neither card takes the
    other for dead."""
    _skip_on_failure()
    active = "a" if _role("a") == "active" else "b"
    standby = R1.other(active)
    before = {side: R1.redundancy(side) for side in ("a", "b")}
    dead_ms = (before[active]["peer"]["heartbeatIntervalMsecs"]
               * before[active]["peer"]["heartbeatMultiplier"])
    # (2 500 000 routes: their flush holds the lock ~0.4 s here)
    held = _hold_the_routing_lock(2500000)
    logger.info("routing lock held by the flush: %.3f s", held)
    after = {side: R1.redundancy(side) for side in ("a", "b")}
    renewal = after[active]["claimRenewal"]
    RESULTS["routing_lock_held_s"] = held
    RESULTS["claim_renewal_during_it"] = renewal
    # the test's point: renewals did wait, one longer than the dead interval
    assert renewal["maxUsec"] > dead_ms * 1000, (held, renewal)
    assert (renewal["slowerThanHeartbeat"]
            > before[active]["claimRenewal"]["slowerThanHeartbeat"]), (held, renewal)
    assert _roles() == {active: "active", standby: "standby"}, _roles()
    for side in ("a", "b"):
        assert after[side]["peer"]["downs"] == before[side]["peer"]["downs"], (
            side, after[side]["peer"].get("lastDownReason"))
        assert after[side]["switchoversCompleted"] == before[side]["switchoversCompleted"]
    assert after[active]["card"]["mastership"] is True
    assert R1.on_line() == [active]


def test_a_late_event_loop_reads_before_calling_the_peer_dead():
    """hard's own event loop held up longer than the dead interval (here: its
    process stopped 0.6 s) runs its heartbeat timer before the reads that
    came due with it; it reads what the peer card sent meanwhile before
    calling it dead, and does not.  The other card's dead interval is made
    long enough (2 s) not to call the stopped one dead."""
    _skip_on_failure()
    active = "a" if _role("a") == "active" else "b"
    standby = R1.other(active)
    out = R1.configure_hard(active, ["heartbeat interval 50 multiplier 40"])
    assert "%" not in out, out
    try:
        before = {side: R1.redundancy(side)["peer"] for side in ("a", "b")}
        pid = R1.hard_pid(standby)
        R1.card(standby).cmd_raises("kill -STOP %d" % pid)
        time.sleep(0.6)  # the lateness under test, not a wait for a condition
        R1.card(standby).cmd_raises("kill -CONT %d" % pid)
        ok, diff = wait_for(
            lambda: {"read": R1.redundancy(standby)["peer"]["silencesOnlyOwnLateness"]
                     > before[standby]["silencesOnlyOwnLateness"]},
            {"read": True}, count=40, wait=0.05,
            title="card %s read the heartbeats that waited" % standby)
        after = {side: R1.redundancy(side)["peer"] for side in ("a", "b")}
        assert ok, (diff, after[standby].get("lastDownReason"))
        for side in ("a", "b"):
            assert after[side]["downs"] == before[side]["downs"], (
                side, after[side].get("lastDownReason"))
        assert _roles() == {active: "active", standby: "standby"}, _roles()
        # and both cards say where the gap was: the stopped card sent two
        # heartbeats 0.6 s apart, without waiting for a CPU (it was not
        # runnable); the other received them that far apart, sent so
        gaps = {"sent by %s" % standby: after[standby]["longestHeartbeatGapSentMsecs"],
                "received by %s" % active: after[active]["longestHeartbeatGapReceivedMsecs"],
                "of those, sent apart": after[active]["longestHeartbeatGapReceivedSentMsecs"]}
        assert min(gaps.values()) >= 600, gaps
        late = log_lines(R1, standby, "hard", "this card's hard was late")
        assert late and re.search(r"sent \d{3,} ms after .* waited \d ms for a CPU", late[-1]), late
    finally:
        out = R1.configure_hard(active, ["heartbeat interval 50 multiplier 4"])
        assert "%" not in out, out


def test_card_kill_takeover():
    """The active card dies (all its processes, its line port and its end of
    the intercard link cut: no FIN reaches card a): the standby notices the
    silence within a few ms of the dead interval and takes over."""
    _skip_on_failure()
    dying = "a" if _role("a") == "active" else "b"
    survivor = R1.other(dying)
    peer = R1.redundancy(survivor)["peer"]
    dead_ms = peer["heartbeatIntervalMsecs"] * peer["heartbeatMultiplier"]
    earlier = len(log_lines(R1, survivor, "hard", "peer card lost: heartbeat timeout"))
    R1.kill_card(dying)
    ok, diff = wait_for(
        lambda: {"role": R1.redundancy(survivor)["card"]["role"], "online": R1.on_line()},
        {"role": "active", "online": [survivor]},
        count=100,
        wait=0.05,
        title="takeover after card kill",
    )
    assert ok, diff
    swo = R1.redundancy(survivor)["lastSwitchover"]
    assert swo["graceful"] is False and swo["result"].startswith("completed"), swo
    # noticed from the silence, checked at the dead interval's end (not at
    # the next heartbeat tick after it, up to an interval later)
    lost = log_lines(R1, survivor, "hard", "peer card lost: heartbeat timeout")
    assert len(lost) > earlier, R1.redundancy(survivor)["peer"].get("lastDownReason")
    silent = int(re.search(r"nothing heard for (\d+) ms", lost[-1]).group(1))
    RESULTS["card_kill_silence_ms"] = silent
    assert dead_ms < silent <= dead_ms + 30, lost[-1]
    # hard's own figure: from noticing the loss to being active on the line
    RESULTS["card_kill_takeover_usec"] = swo["durationUsec"]
    logger.info("card kill: noticed after %d ms of silence, active %d us later", silent,
                swo["durationUsec"])


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
