#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
The script mastership driver: hard runs the configured program as
"PROGRAM acquire|release SLOT [force]"; a failing acquire keeps the card
off the line, its first output line is the reason, and a graceful
switchover that cannot complete rolls back to the old active.
"""
import os
import shutil
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter, wait_for

pytestmark = [pytest.mark.hard]

R1 = None
RUN = "/tmp/frrha-topotests/ha_script_driver.run"
SCRIPT = RUN + "/mastership-recorder.sh"


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])


def setup_module(mod):
    shutil.rmtree(RUN, ignore_errors=True)
    os.makedirs(RUN + "/run")
    os.chmod(RUN + "/run", 0o777)  # hard runs the script as user frr
    shutil.copy(os.path.join(CWD, "mastership-recorder.sh"), SCRIPT)
    Topogen(build_topo, mod.__name__)
    R1.start(CWD)


def teardown_module(mod):
    get_topogen().stop_topology()


def _calls():
    path = RUN + "/run/calls"
    if not os.path.exists(path):
        return []
    with open(path, encoding="ascii") as f:
        return f.read().splitlines()


def test_switch_to_script_driver():
    "Both cards move to the script driver; roles are kept."
    R1.wait_active("a", "boot election")
    for side in ("a", "b"):
        out = R1.configure_hard(side, ["mastership script %s" % SCRIPT])
        assert "%" not in out, out
    for side in ("a", "b"):
        assert R1.redundancy(side)["mastershipDriver"] == "script"
    out = R1.configure_hard("a", ["mastership script relative/path"])
    assert "Invalid script 'relative/path': give an absolute path" in out, out


def test_switchover_runs_the_script():
    "A graceful switchover releases through the script on one card and acquires on the other."
    before = len(_calls())
    assert "started" in R1.card("a").vtysh_cmd("redundancy switchover")
    ok, diff = wait_for(
        lambda: {"a": R1.role("a"), "b": R1.role("b")},
        {"a": "standby", "b": "active"},
        title="switchover to b",
    )
    assert ok, diff
    assert _calls()[before:] == ["release 1", "acquire 2"], _calls()


def test_refused_acquire_rolls_back():
    "If the script refuses slot 1, the switchover to it is aborted and b stays active."
    with open(RUN + "/run/fail", "w", encoding="ascii") as f:
        f.write("1\n")
    assert "started" in R1.card("b").vtysh_cmd("redundancy switchover")
    ok, diff = wait_for(
        lambda: {
            "a": R1.role("a"),
            "b": R1.role("b"),
            "result": R1.redundancy("a").get("lastSwitchover", {}).get("result", ""),
        },
        {"a": "standby", "b": "active"},
        title="rollback",
    )
    assert ok, diff
    result = R1.redundancy("a")["lastSwitchover"]["result"]
    assert "aborted" in result and "arbiter says no to slot 1" in result, result
    assert _calls()[-3:] == ["release 2", "acquire 1", "acquire 2"], _calls()
    os.unlink(RUN + "/run/fail")
    assert "started" in R1.card("b").vtysh_cmd("redundancy switchover")
    ok, diff = wait_for(
        lambda: {"a": R1.role("a"), "b": R1.role("b")},
        {"a": "active", "b": "standby"},
        title="switchover to a",
    )
    assert ok, diff


def test_slow_script_keeps_heartbeats_flowing():
    "A script slower than the heartbeat dead time (200 ms) does not get its card declared lost."
    # (with the script driver the bridge ports do not move: roles only)
    ok, diff = wait_for(
        lambda: {"a": R1.role("a"), "redundant": R1.redundancy("a")["redundant"]},
        {"a": "active", "redundant": True},
        title="redundant before the slow switchover",
    )
    assert ok, diff
    ups = {side: R1.redundancy(side)["peer"]["ups"] for side in ("a", "b")}
    with open(RUN + "/run/delay", "w", encoding="ascii") as f:
        f.write("0.6\n")
    try:
        before = len(_calls())
        assert "started" in R1.card("a").vtysh_cmd("redundancy switchover")
        ok, diff = wait_for(
            lambda: {
                "a": R1.role("a"),
                "b": R1.role("b"),
                "result": R1.redundancy("a").get("lastSwitchover", {}).get("result", ""),
            },
            {"a": "standby", "b": "active", "result": "completed: slot 2 is active"},
            title="slow switchover to b",
        )
        assert ok, diff
        assert _calls()[before:] == ["release 1", "acquire 2"], _calls()
        # hard answered heartbeats while each script ran for 600 ms
        for side in ("a", "b"):
            peer = R1.redundancy(side)["peer"]
            assert peer["connected"] and peer["ups"] == ups[side], (side, peer)
        duration = R1.redundancy("a")["lastSwitchover"]["durationUsec"]
        assert duration >= 1200000, duration  # both scripts ran in full
    finally:
        os.unlink(RUN + "/run/delay")
    ok, diff = wait_for(
        lambda: {"b": R1.role("b"), "redundant": R1.redundancy("b")["redundant"]},
        {"b": "active", "redundant": True},
        title="redundant after the slow switchover",
    )
    assert ok, diff


if __name__ == "__main__":
    args = ["-s"] + sys.argv[1:]
    sys.exit(pytest.main(args))
