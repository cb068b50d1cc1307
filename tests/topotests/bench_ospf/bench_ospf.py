#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Benchmark of OSPF non-stop routing (run by bench/ospf.sh, not by the test
command).  A BIRD 2 neighbour b1 originates N AS-external LSAs (static
routes redistributed into OSPF).  r1 is the two-card router (on s1), r0 a
plain FRR router (baseline, no frr-ha module, on its own segment s2);
BIRD has one OSPF protocol per segment.

First, r1 with an LSDB of N LSAs (BIRD's protocol to r0 off):
- bulk_sync_s: ospfd restarted on the standby card until its module is
  synced again (bulk copy, digests);
- graceful_switchover_ms: hard's figure (command to new active), the new
  active's ospfd takeover (replicated state to running timers, hellos
  scheduled at once: its own measurement), and from the command as the
  bench sent it to the new active's ospfd log line of that takeover
  (target <= 50 ms);
- card_kill_takeover_ms: from the kill to the new active's ospfd takeover
  (its log line), and hard's detection-to-active figure;
- bird_noticed: adjacency changes in BIRD's log during the switchover and
  the card kill, observed until 6 s after (its dead interval is 4 s);
- ospfd_rss_mb: resident memory of ospfd on r1's active and standby with
  the N LSAs, and on r0 with its LSDB of the same size (below).

Then the flooding rate, flooding_s: BIRD exports N more routes (a set of
its own each time), and the time from BIRD's first LS Update to the
router's last LS Acknowledgment is taken from a capture on BIRD's
interface (the router received, installed and acknowledged them all; the
HA card's acknowledgments wait for the standby's commit), r0 and r1's
active card in turn (BIRD's OSPF protocol to the other one off),
REPEATS times each
(FRRHA_BENCH_REPEATS, default 3); the ratio of the medians (target
<= 1.15).  The LSDBs grow by N per run (flushing 10 000 LSAs between runs
took minutes of FRR's MaxAge removal, idle).
"""
import json
import os
import statistics
import sys
import time

CWD = os.path.dirname(os.path.realpath(__file__))
sys.path.append(os.path.join(CWD, "../"))

# pylint: disable=C0413
from lib.topogen import Topogen, get_topogen

from frrha_topo import RedundantRouter, daemon_rss_mb, wait_for

R1 = None
N = int(os.environ.get("FRRHA_BENCH_LSAS", "10000"))
REPEATS = int(os.environ.get("FRRHA_BENCH_REPEATS", "3"))
BIRD_ID = "10.255.0.3"


def build_topo(tgen):
    global R1
    R1 = RedundantRouter.build(tgen, "r1", [("s1", "r1-eth0")])
    R1.add_bird_peer("b1", "s1", "10.0.1.3/24")
    tgen.add_switch("s2")
    R1.add_frr_peer("r0", "s2")
    tgen.gears["s2"].add_link(tgen.gears["b1"], myif="s2-b1", nodeif="b1-eth1")


def _prefix(i):
    return "%d.%d.%d.0/24" % (11 + (i >> 16), (i >> 8) & 255, i & 255)


def _bird_conf():
    path = os.path.join(get_topogen().logdir, "bench-bird.conf")
    sets = ["ext_base"] + ["ext_%s_%d" % (r, k) for k in range(REPEATS) for r in ("r0", "r1")]
    with open(path, "w", encoding="ascii") as f:
        f.write("router id %s;\nlog \"LOGFILE\" all;\n" % BIRD_ID)
        f.write("protocol device {}\n")
        # static protocols of N prefixes of their own each
        for n, name in enumerate(sets):
            f.write("protocol static %s {\n\tdisabled;\n\tipv4;\n" % name)
            for i in range(N):
                f.write("\troute %s blackhole;\n" % _prefix(n * N + i))
            f.write("}\n")
        for name, ifname in (("o_r1", "b1-eth0"), ("o_r0", "b1-eth1")):
            f.write(
                "protocol ospf v2 %s {\n\tdisabled;\n\tdebug { states };\n"
                "\tipv4 { import none; export where source = RTS_STATIC; };\n"
                "\tarea 0 { interface \"%s\" { type broadcast; hello 1; dead 4; }; };\n}\n"
                % (name, ifname)
            )
    return path


def setup_module(mod):
    Topogen(build_topo, mod.__name__)
    R1.start(CWD, peers=["r0"])
    get_topogen().gears["b1"].cmd_raises("ip addr add 10.0.2.3/24 dev b1-eth1; ip link set b1-eth1 up")
    R1.start_bird_peer("b1", _bird_conf())


def teardown_module(mod):
    R1.stop_bird_peer("b1")
    get_topogen().stop_topology()


def _r0_cmd(cmd):
    return get_topogen().gears["r0"].vtysh_cmd(cmd)


def _externals(router_cmd):
    return json.loads(router_cmd("show ip ospf json")).get("lsaExternalCounter", 0)


def _bird_full(router_cmd):
    nbrs = json.loads(router_cmd("show ip ospf neighbor json")).get("neighbors", {})
    return any(n.get("nbrState", "").startswith("Full") for n in nbrs.get(BIRD_ID, []))


def _poll(cond, limit=600):
    start = time.time()
    while not cond():
        assert time.time() - start < limit, "not within %d s" % limit
        time.sleep(0.1)
    return time.time() - start


def _stable_count(router_cmd):
    "The router's external LSA count once it has not moved for 1 s."
    last, since = _externals(router_cmd), time.time()
    while time.time() - since < 1.0:
        time.sleep(0.1)
        now = _externals(router_cmd)
        if now != last:
            last, since = now, time.time()
    return last


def _cpu_s(node):
    "CPU seconds (user + system) ospfd on node has used."
    pid = node.cmd("cat /var/run/frr/ospfd.pid 2>/dev/null").strip()
    fields = node.cmd("cat /proc/%s/stat" % pid).rsplit(")", 1)[-1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _flood(proto, other, router_cmd, ext, ifname, router_addr):
    """BIRD exports the N routes of static protocol ext into OSPF, its
    protocol to the other router off.  Seconds from BIRD's first LS Update
    to the router's last LS Acknowledgment on the line (captured on BIRD's
    interface ifname): the router received, installed and acknowledged
    them all (its acknowledgments gated, on the HA card)."""
    b1 = get_topogen().gears["b1"]
    pcap = os.path.join(get_topogen().logdir, "b1", "flood-%s.pcap" % ext)
    R1.birdc("b1", "disable %s" % other)
    R1.birdc("b1", "enable %s" % proto)
    _poll(lambda: _bird_full(router_cmd), 120)
    before = _stable_count(router_cmd)
    b1.cmd("tcpdump -i %s -w %s -U -s 128 ip proto 89 >/dev/null 2>&1 & echo $! > %s.pid"
           % (ifname, pcap, pcap))
    _poll(lambda: os.path.exists(pcap), 10)
    nodes = {"r0": get_topogen().gears["r0"], "r1a": R1.card("a"), "r1b": R1.card("b")}

    def flooding_packets(since=0.0):
        "(stamp, source, kind) of the LS Updates and Acks captured after since."
        out = []
        for line in b1.cmd("tcpdump -r %s -n -tt 2>/dev/null" % pcap).splitlines():
            parts = line.split()
            if len(parts) < 4 or float(parts[0]) < since:
                continue
            kind = "update" if "LS-Update" in line else "ack" if "LS-Ack" in line else None
            if kind:
                out.append((float(parts[0]), parts[2], kind))
        return out

    # a quiet line first: no LS Update or Ack for over the delayed-ack
    # interval (the adjacency just came up: BIRD's new router LSA and the
    # router's delayed Ack of it; a delayed-ack timer already running when
    # the flood begins would send part of the flood's Acks early and the
    # rest a second later, timing the timer's phase, not the router)
    capture_start = time.time()
    _poll(lambda: time.time() - max([capture_start] + [p[0] for p in flooding_packets()]) > 1.5,
          30)
    start = time.time()
    cpu = {n: _cpu_s(node) for n, node in nodes.items()}
    R1.birdc("b1", "enable %s" % ext)
    _poll(lambda: _externals(router_cmd) >= before + N)

    def times():
        first_update = last_ack = None
        for stamp, src, kind in flooding_packets(start):
            if kind == "update" and src.startswith("10.0.") and src.endswith(".3") \
                    and first_update is None:
                first_update = stamp
            elif kind == "ack" and src == router_addr:
                last_ack = stamp
        return first_update, last_ack

    # the router's acknowledgments (delayed ones come a second later):
    # over once none came for 2 s
    _poll(lambda: times()[1] is not None and time.time() - times()[1] > 2.0, 60)
    b1.cmd("kill $(cat %s.pid); while kill -0 $(cat %s.pid) 2>/dev/null; do sleep 0.05; done"
           % (pcap, pcap))
    first_update, last_ack = times()
    cpu = {n: _cpu_s(node) - cpu[n] for n, node in nodes.items()}
    assert first_update and last_ack and last_ack > first_update, (first_update, last_ack)
    return last_ack - first_update, cpu


def _takeovers(side):
    "Card side's ospfd-ha takeover counters (show redundancy ospf json)."
    return R1.vtysh_json(side, "show redundancy ospf json")


def _bird_adjacency_changes():
    log = os.path.join(get_topogen().logdir, "b1", "bird.log")
    with open(log, encoding="utf-8", errors="replace") as f:
        return sum(1 for l in f if "Neighbor 10.255.0.1" in l and "changed state" in l)


def test_bench():
    R1.wait_active("a", "boot election", count=400)
    results = {"lsas": N, "repeats": REPEATS}
    r1a = lambda c: R1.card("a").vtysh_cmd(c)  # noqa: E731

    # r1 with N LSAs, on both cards
    R1.birdc("b1", "enable o_r1")
    _poll(lambda: _bird_full(r1a), 120)
    R1.birdc("b1", "enable ext_base")
    _poll(lambda: _externals(r1a) >= N)
    ok, diff = wait_for(
        lambda: {"held": R1.vtysh_json("b", "show redundancy ospf json").get("asExternalLsas", 0)
                 >= N},
        {"held": True}, count=600, title="the standby holds the N LSAs")
    assert ok, diff
    R1.wait_ospf_held("b", [BIRD_ID])
    results["lsdb_lsas"] = _externals(r1a)

    # bulk copy to a fresh standby
    R1.kill_daemon("b", "ospfd")
    R1.wait_active("a", "standby's ospfd gone", redundant=False, only_active=True, count=400)
    start = time.time()
    R1.restart_daemon("b", "ospfd")
    R1.wait_ospf_held("b", [BIRD_ID])
    results["bulk_sync_s"] = time.time() - start

    # graceful switchover with the LSDB
    noticed = _bird_adjacency_changes()
    takeovers = _takeovers("b")["takeovers"]
    sent = time.time()
    assert "started" in R1.card("a").vtysh_cmd("redundancy switchover")
    R1.wait_active("b", "switched to card b", redundant=False, count=400)
    ok, diff = wait_for(lambda: {"n": _takeovers("b")["takeovers"]}, {"n": takeovers + 1},
                        wait=0.05, title="card b's ospfd took over")
    assert ok, diff
    t = _takeovers("b")
    results["graceful_switchover_ms"] = {
        # (the commanding card's record; the new active's starts at PREPARE)
        "hard_command_to_active": R1.redundancy("a")["lastSwitchover"]["durationUsec"] / 1000.0,
        "ospfd_takeover": t["lastTakeoverUsec"] / 1000.0,
        "command_to_ospfd_active": t["lastTakeoverAtEpochUsec"] / 1000.0 - sent * 1000.0,
    }
    R1.wait_active("b", "redundant again", count=600)
    R1.wait_ospf_held("a", [BIRD_ID])
    results["ospfd_rss_mb"] = {
        "ha_active": daemon_rss_mb(R1.card("b"), "ospfd"),
        "ha_standby": daemon_rss_mb(R1.card("a"), "ospfd"),
    }

    # card kill
    takeovers = _takeovers("a")["takeovers"]
    killed = time.time()
    R1.kill_card("b")
    R1.wait_active("a", "card a took over", only_active=True, count=400)
    ok, diff = wait_for(lambda: {"n": _takeovers("a")["takeovers"]}, {"n": takeovers + 1},
                        wait=0.05, title="card a's ospfd took over")
    assert ok, diff
    results["card_kill_takeover_ms"] = {
        "kill_to_ospfd_active": _takeovers("a")["lastTakeoverAtEpochUsec"] / 1000.0
        - killed * 1000.0,
        "hard_detection_to_active": R1.redundancy("a")["lastSwitchover"]["durationUsec"] / 1000.0,
    }
    # BIRD's adjacency with r1 over the switchover and the kill: observed
    # for 6 s after (its dead interval is 4 s)
    observed_until = time.time() + 6
    while time.time() < observed_until:
        time.sleep(0.5)
    results["bird_noticed"] = _bird_adjacency_changes() - noticed
    R1.revive_card("b")

    # the flooding rate, r0 and r1 in turn
    runs = {"plain_frr": [], "ha_active": []}
    cpu = {"plain_frr": [], "ha_active": [], "ha_standby": []}
    for k in range(REPEATS):
        t, c = _flood("o_r0", "o_r1", _r0_cmd, "ext_r0_%d" % k, "b1-eth1", "10.0.2.5")
        runs["plain_frr"].append(t)
        cpu["plain_frr"].append(c["r0"])
        t, c = _flood("o_r1", "o_r0", r1a, "ext_r1_%d" % k, "b1-eth0", "10.0.1.1")
        runs["ha_active"].append(t)
        cpu["ha_active"].append(c["r1a"])
        cpu["ha_standby"].append(c["r1b"])
    med = {name: statistics.median(v) for name, v in runs.items()}
    cmed = {name: statistics.median(v) for name, v in cpu.items()}
    results["flooding_s"] = {"runs": runs, "median": med,
                             "ratio": med["ha_active"] / med["plain_frr"]}
    results["flooding_ospfd_cpu_s"] = {
        "runs": cpu, "median": cmed,
        "ratio_active": cmed["ha_active"] / cmed["plain_frr"] if cmed["plain_frr"] else None}
    results["ospfd_rss_mb"]["plain_frr"] = daemon_rss_mb(get_topogen().gears["r0"], "ospfd")
    results["ospfd_rss_mb"]["plain_frr_lsas"] = _externals(_r0_cmd)
    with open(os.environ["FRRHA_BENCH_OUT"], "w") as f:
        json.dump(results, f, indent=1)
    print(json.dumps(results, indent=1))
