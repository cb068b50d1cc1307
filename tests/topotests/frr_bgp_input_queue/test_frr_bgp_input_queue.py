#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
FRR patch 0007 (patches/frr/): bgpd's I/O thread holds its reads while a
peer's input queue is full, and the main thread resumes them once half
of the queue is done -- instead of the I/O thread reading again and
again, finding the queue still full, until the main thread made room.

r1 is a plain FRR router (no frr-ha module) with `bgp input-queue-limit
20`; BIRD b1 announces it N prefixes with 500 MED values, so UPDATEs
carry a few dozen prefixes each and one read of the socket brings far
more messages than the queue holds.  r1 must learn every prefix (the
reads were resumed each time), and its I/O thread must not have spun:
its read task ran fewer times than r1 received UPDATEs (spinning, it runs
many times for each).  Run: 1534 runs for 18 158 UPDATEs in the test's
first run.  FRR 10.3 without the patch (checked) had not learnt the table
after 120 s.  Not examined further; the likely cause, from reading
bgp_io.c: the whole messages its work buffer holds when the queue is full
wait there until the socket is next readable (the peer's next segment).
"""
import json
import os
import sys

import pytest

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, TopoRouter, get_topogen

from frrha_topo import wait_for

pytestmark = [pytest.mark.bgpd]

N = 20000
LIMIT = 20
PEER = "10.0.1.3"


def build_topo(tgen):
    tgen.add_router("r1")
    tgen.add_router("b1")  # BIRD's namespace, no FRR daemon
    sw = tgen.add_switch("s1")
    sw.add_link(tgen.gears["r1"], myif="s1-r1", nodeif="r1-eth0")
    sw.add_link(tgen.gears["b1"], myif="s1-b1", nodeif="b1-eth0")


def _bird_conf(logdir):
    path = os.path.join(logdir, "bird.conf")
    with open(path, "w", encoding="ascii") as f:
        f.write('router id 10.255.0.3;\nlog "%s" all;\n' % os.path.join(logdir, "bird.log"))
        f.write("protocol device {}\nprotocol static static4 {\n\tipv4;\n")
        for i in range(N):
            f.write("\troute 11.%d.%d.0/24 blackhole { bgp_med = %d; };\n"
                    % (i >> 8, i & 255, i % 500))
        f.write("}\n")
        f.write("protocol bgp r1 {\n\tdisabled;\n\tlocal 10.0.1.3 as 65003;\n"
                "\tneighbor 10.0.1.1 as 65001;\n\thold time 9;\n\tkeepalive time 3;\n"
                "\tipv4 { import none; export where source = RTS_STATIC; };\n}\n")
    return path


def setup_module(mod):
    tgen = Topogen(build_topo, mod.__name__)
    tgen.start_topology()
    tgen.gears["r1"].load_frr_config(
        os.path.join(CWD, "r1", "frr.conf"),
        daemons=[(TopoRouter.RD_ZEBRA, None), (TopoRouter.RD_MGMTD, None),
                 (TopoRouter.RD_BGP, None)])
    tgen.start_router(tgen.gears["r1"])
    b1 = tgen.gears["b1"]
    logdir = os.path.join(tgen.logdir, "b1")
    os.makedirs(logdir, exist_ok=True)
    b1.cmd_raises("ip addr add 10.0.1.3/24 dev b1-eth0 && ip link set b1-eth0 up"
                  " && ip link set lo up")
    b1.cmd_raises("bird -c %s -s %s/bird.ctl -P %s/bird.pid"
                  % (_bird_conf(logdir), logdir, logdir))


def teardown_module(mod):
    tgen = get_topogen()
    tgen.gears["b1"].cmd("kill $(cat %s/b1/bird.pid) 2>/dev/null" % tgen.logdir)
    tgen.stop_topology()


def _birdc(command):
    tgen = get_topogen()
    return tgen.gears["b1"].cmd("birdc -s %s/b1/bird.ctl %s" % (tgen.logdir, command))


def _read_task_runs():
    "How many times r1's bgpd ran its I/O thread's read task so far."
    out = get_topogen().gears["r1"].vtysh_cmd("show event cpu", daemon="bgpd")
    return sum(int(f[2]) for f in (l.split() for l in out.splitlines())
               if len(f) >= 9 and f[0].isdigit() and f[-1] == "bgp_process_reads")


def _neighbor():
    out = get_topogen().gears["r1"].vtysh_cmd("show bgp neighbor %s json" % PEER)
    return json.loads(out).get(PEER, {})


def test_table_learnt_through_a_full_input_queue():
    tgen = get_topogen()
    if tgen.routers_have_failure():
        pytest.skip(tgen.errors)
    r1 = tgen.gears["r1"]
    out = r1.vtysh_cmd("show running-config bgpd")
    assert "bgp input-queue-limit %d" % LIMIT in out, "the premise: a queue of %d" % LIMIT
    assert "neighbor %s remote-as" % PEER in out, "r1's configuration not read: %s" % out

    runs_before = _read_task_runs()
    _birdc("enable r1")
    ok, diff = wait_for(
        lambda: {"pfxRcd": _neighbor().get("addressFamilyInfo", {})
                 .get("ipv4Unicast", {}).get("acceptedPrefixCounter")},
        {"pfxRcd": N}, count=240, wait=0.5, title="r1 learnt every prefix")
    assert ok, diff
    runs = _read_task_runs() - runs_before
    print("r1's I/O thread: %d runs of its read task for %d UPDATEs"
          % (runs, _neighbor().get("messageStats", {}).get("updatesRecv", 0)))
    updates = _neighbor().get("messageStats", {}).get("updatesRecv", 0)
    # the premise: many times more UPDATEs than the queue holds (one read
    # brings up to 40 KB: hundreds of them), so the queue was full
    assert updates > 20 * LIMIT, "only %d UPDATEs: the queue never filled" % updates
    assert runs < updates, (
        "r1's I/O thread ran its read task %d times for %d UPDATEs: it read again"
        " and again while the input queue was full" % (runs, updates))
