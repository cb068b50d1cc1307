#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Benchmark of the redundancy platform (run by bench/platform.sh, not by the
test command): on the two-card router r1,

- N graceful switchovers back and forth (command to new active, as hard
  measures it: prepare, ready, release, acquire, confirmation);
- K card kills: the active card's hard killed (its TCP connection closes
  at once) and its line port cut; takeover time from detection to active;
- K card freezes: the active card's hard stopped (SIGSTOP: no FIN, no
  heartbeats, no claim renewal); takeover time from the last heartbeat
  heard to active, i.e. including detection.

Figures go to the file named by FRRHA_BENCH_OUT.
"""
import json
import os
import sys

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter

R1 = None
N = int(os.environ.get("FRRHA_BENCH_SWITCHOVERS", "100"))
K = int(os.environ.get("FRRHA_BENCH_KILLS", "10"))


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD)


def teardown_module(mod):
    get_topogen().stop_topology()


def _wait(active, redundant=True, only_active=False):
    R1.wait_active(active, "wait %s" % active, redundant=redundant, only_active=only_active)


def _stats(values):
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]
    return {"count": len(v), "p50_ms": pick(0.5) / 1000, "p99_ms": pick(0.99) / 1000,
            "max_ms": v[-1] / 1000}


def test_bench_platform():
    _wait("a")
    results = {}

    durations, active = [], "a"
    for _ in range(N):
        assert "started" in R1.card(active).vtysh_cmd("redundancy switchover")
        new = R1.other(active)
        _wait(new)
        durations.append(R1.redundancy(active)["lastSwitchover"]["durationUsec"])
        active = new
    results["graceful_switchover"] = _stats(durations)

    kills = []
    for _ in range(K):
        victim, survivor = active, R1.other(active)
        port = R1.port("s1", victim)
        R1.kill_hard(victim)
        R1._switch("s1").cmd_raises("ip link set %s down" % port)
        _wait(survivor, redundant=False, only_active=True)
        kills.append(R1.redundancy(survivor)["lastSwitchover"]["durationUsec"])
        R1._switch("s1").cmd_raises("ip link set %s up" % port)
        R1.start_hard(victim)
        _wait(survivor)
        active = survivor
    results["card_kill_takeover_from_detection"] = _stats(kills)

    freezes = []
    for _ in range(K):
        victim, survivor = active, R1.other(active)
        pid = R1.hard_pid(victim)
        hb = R1.redundancy(survivor)["peer"]["heartbeatIntervalMsecs"]
        R1.card(victim).cmd_raises("kill -STOP %d" % pid)
        _wait(survivor, redundant=False, only_active=True)
        swo = R1.redundancy(survivor)["lastSwitchover"]
        # detection took interval x multiplier of silence (the peer was
        # last heard at most one interval before it froze)
        mult = R1.redundancy(survivor)["peer"]["heartbeatMultiplier"]
        freezes.append(swo["durationUsec"] + hb * mult * 1000)
        R1.card(victim).cmd_raises("kill -CONT %d" % pid)
        _wait(survivor)
        active = survivor
    results["card_freeze_takeover_incl_detection_upper_bound"] = _stats(freezes)

    with open(os.environ.get("FRRHA_BENCH_OUT", "/tmp/frrha-bench-platform.json"), "w",
              encoding="utf-8") as f:
        json.dump(results, f, indent=2)
