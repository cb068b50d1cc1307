#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
How long an operation that takes the kernel's routing netlink lock (RTNL:
one lock for every network namespace of the machine) waits, against one
that takes no lock, while something else runs -- e.g. a router installing
a table in another namespace (bench/bgp.sh).  Run it as root in an idle
namespace of its own:

    ip netns add probe
    ip netns exec probe /usr/bin/python3 bench/rtnl-probe.py 60

Every 20 ms for SECONDS: `ip link set lo alias probe` (takes RTNL) then
`ip -V` (takes no lock, the same process start); prints max, p99, p90 and
median of each, in ms.  doc/redundancy.md has what it measured.
"""
import subprocess
import sys
import time


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    locked, free = [], []
    end = time.time() + seconds
    while time.time() < end:
        start = time.time()
        subprocess.run(["ip", "link", "set", "lo", "alias", "probe"], check=True)
        locked.append(time.time() - start)
        start = time.time()
        subprocess.run(["ip", "-V"], stdout=subprocess.DEVNULL, check=True)
        free.append(time.time() - start)
        time.sleep(0.02)
    for name, samples in (("takes RTNL (ip link set lo alias)", locked),
                          ("takes no lock (ip -V)", free)):
        samples.sort(reverse=True)
        n = len(samples)
        print("%s: n=%d max=%.1f ms p99=%.1f ms p90=%.1f ms median=%.1f ms"
              % (name, n, samples[0] * 1000, samples[n // 100] * 1000,
                 samples[n // 10] * 1000, samples[n // 2] * 1000))


if __name__ == "__main__":
    main()
