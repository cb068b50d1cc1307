#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benchmark of the delta codec (protobuf-c against libyang's LYB on the
# same model, bench/codec_bench.c -> bench/results/codec.json) and of a
# data channel between two "cards": two network namespaces
# joined by a veth pair, a standby engine in one, an active one in the
# other (bench/repl_bench.c).  Prints deltas/s, MB/s and gated-ack latency
# p50/p99, each with a plain-TCP baseline measured on the same link in the
# same run, and writes them to bench/results/repl.json.
#
#   bench/repl.sh
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "repl.sh: must run as root" >&2; exit 1; }
"$TOP/tools/build.sh" >/dev/null
mkdir -p "$TOP/bench/results"
OUT=$TOP/bench/results/repl.json
A=frrha-bench-a B=frrha-bench-b PORT=2700

cleanup() {
	ip netns pids $B 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del $A 2>/dev/null || true
	ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add $A
ip netns add $B
ip link add bench-a netns $A type veth peer name bench-b netns $B
ip -n $A addr add 10.77.0.1/24 dev bench-a
ip -n $B addr add 10.77.0.2/24 dev bench-b
for ns in $A $B; do
	ip -n $ns link set lo up
done
ip -n $A link set bench-a up
ip -n $B link set bench-b up

"$TOP/bench/codec_bench" "$TOP" "$TOP/bench/results/codec.json"
echo

ip netns exec $B "$TOP/bench/repl_bench" standby $PORT &
ip netns exec $A "$TOP/bench/repl_bench" active 10.77.0.2 $PORT "$OUT"
wait
echo "results: $OUT"
