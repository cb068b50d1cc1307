#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Benchmark of BGP non-stop routing (run by bench/bgp.sh, not by the test
command).  A BIRD 2 peer b1 announces N IPv4 prefixes (static routes, 500
distinct MED values, so UPDATEs carry many prefixes each as in a real
table) to r0, a plain FRR router (baseline, no frr-ha module), and to r1,
the two-card router with the modules; the two sessions are enabled one
after the other so that they do not share the 2 cores.

Figures (written to the file named by FRRHA_BENCH_OUT):
- learn_table_s: from the session's establishment until the router's bgpd
  has all N prefixes (both polled every 0.2 s), r0 vs r1's active card;
- bulk_sync_s: bgpd restarted on the standby card until its module is
  synced again (bulk copy of the session and its messages, digests);
- graceful_switchover_ms: hard's figure (command to new active), and
  until the new active's bgpd has the session Established with all N
  prefixes;
- bgpd_rss_mb: resident memory of bgpd on r0, on r1's active and standby.
"""
import json
import os
import sys
import time

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter, daemon_rss_mb, wait_for

R1 = None
N = int(os.environ.get("FRRHA_BENCH_PREFIXES", "100000"))


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    R1.add_frr_peer("r0", "s1")
    R1.add_bird_peer("b1", "s1", "10.0.1.3/24")


def _bird_conf():
    path = os.path.join(get_topogen().logdir, "bench-bird.conf")
    with open(path, "w", encoding="ascii") as f:
        f.write("router id 10.255.0.3;\nlog \"LOGFILE\" { warning, error };\n")
        f.write("protocol device {}\nprotocol static static4 {\n\tipv4;\n")
        for i in range(N):
            f.write(
                "\troute %d.%d.%d.0/24 blackhole { bgp_med = %d; };\n"
                % (11 + (i >> 16), (i >> 8) & 255, i & 255, i % 500)
            )
        f.write("}\n")
        for name, addr in (("r0", "10.0.1.5"), ("r1", "10.0.1.1")):
            f.write(
                "protocol bgp %s {\n\tdisabled;\n\tlocal 10.0.1.3 as 65003;\n"
                "\tneighbor %s as 65001;\n\thold time 9;\n\tkeepalive time 3;\n"
                "\tipv4 { import none; export where source = RTS_STATIC; };\n}\n"
                % (name, addr)
            )
    return path


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD, peers=["r0"])
    R1.start_bird_peer("b1", _bird_conf())


def teardown_module(mod):
    R1.stop_bird_peer("b1")
    get_topogen().stop_topology()


def _session(router_cmd):
    out = json.loads(router_cmd("show bgp ipv4 unicast summary json"))
    peers = out.get("ipv4Unicast", out).get("peers", {})
    return peers.get("10.0.1.3", {})


def _prefixes(router_cmd):
    return _session(router_cmd).get("pfxRcd", 0)


def _learn(name, router_cmd):
    """Seconds from the session's establishment (first poll that sees it)
    until all N prefixes are in."""
    start = time.time()
    R1.birdc("b1", "enable %s" % name)
    established = None
    while True:
        s = _session(router_cmd)
        if established is None and s.get("state") == "Established":
            established = time.time()
        if s.get("pfxRcd", 0) >= N:
            return time.time() - established
        assert time.time() - start < 1800, "table not learnt in 30 min"
        time.sleep(0.2)


def test_bench_bgp():
    tgen = get_topogen()
    R1.wait_active("a", "boot", count=400)
    results = {"prefixes": N}
    r0 = tgen.gears["r0"]
    results["learn_table_s"] = {
        "plain_frr": _learn("r0", lambda c: r0.vtysh_cmd(c)),
        "ha_active": _learn("r1", lambda c: R1.card("a").vtysh_cmd(c)),
    }
    results["learn_table_s"]["ratio"] = (
        results["learn_table_s"]["ha_active"] / results["learn_table_s"]["plain_frr"]
    )
    R1.wait_active("a", "redundant with the table", count=6000)
    results["bgpd_rss_mb"] = {
        "plain_frr": daemon_rss_mb(r0),
        "ha_active": daemon_rss_mb(R1.card("a")),
        "ha_standby": daemon_rss_mb(R1.card("b")),
    }

    # bulk sync to a fresh standby bgpd
    pid = R1.redundancy("b")["daemons"]["bgpd"]["pid"]
    R1.card("b").cmd_raises("kill -9 %d" % pid)
    ok, _ = wait_for(
        lambda: {"gone": "bgpd" not in R1.redundancy("b")["daemons"]}, {"gone": True}
    )
    assert ok
    start = time.time()
    R1.card("b").net.startRouterDaemons(daemons=["bgpd"])
    R1.wait_active("a", "redundant after the bulk", count=6000)
    results["bulk_sync_s"] = time.time() - start

    # graceful switchover with the table
    start = time.time()
    assert "started" in R1.card("a").vtysh_cmd("redundancy switchover")
    R1.wait_active("b", "switched", redundant=False, count=6000)
    while _prefixes(lambda c: R1.card("b").vtysh_cmd(c)) < N:
        assert time.time() - start < 600
        time.sleep(0.05)
    results["graceful_switchover_ms"] = {
        "hard_command_to_active": R1.redundancy("b")["lastSwitchover"]["durationUsec"] / 1000.0,
        "until_new_active_has_table": (time.time() - start) * 1000.0,
    }
    with open(os.environ["FRRHA_BENCH_OUT"], "w") as f:
        json.dump(results, f, indent=1)
