#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the libFuzzer targets under tests/fuzz with clang and run each for a
# bounded time (default 30 s each).  A crash or an assertion in a decoder
# fails the run; the crashing input is kept under tests/fuzz/.
#
#   tools/fuzz.sh [SECONDS]
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-30}
CLANG=$(command -v clang || command -v clang-14 || true)
if [ -z "$CLANG" ]; then
	echo "fuzz: clang not installed (apt-get install clang-14 libclang-rt-14-dev)" >&2
	exit 1
fi
OUT=${FUZZ_OUT:-$TOP/tests/fuzz/build}
mkdir -p "$OUT"
status=0
for src in "$TOP"/tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	# a target fuzzes the pure decoder file of lib/ it is named after
	# (fuzz_ha_X -> ha_X.c) or the sources its "fuzz-sources:" line names
	srcs=$(sed -n 's/^ \* fuzz-sources: //p' "$src")
	libs=$(sed -n 's/^ \* fuzz-libs: //p' "$src")
	if [ -n "$srcs" ]; then
		srcs=$(for f in $srcs; do echo "$TOP/$f"; done)
	else
		srcs=$TOP/lib/${name#fuzz_}.c
	fi
	# shellcheck disable=SC2086
	"$CLANG" -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I"$TOP/lib" -I"$TOP/proto" \
		"$src" $srcs -o "$OUT/$name" $libs
	corpus=$OUT/corpus-$name
	mkdir -p "$corpus"
	echo "fuzz: $name for $SECS s"
	if ! (cd "$OUT" && "./$name" -max_total_time="$SECS" -print_final_stats=1 \
		"$corpus" 2>"$OUT/$name.log"); then
		echo "fuzz: $name FAILED, see $OUT/$name.log" >&2
		tail -30 "$OUT/$name.log" >&2
		status=1
	else
		grep -E "stat::number_of_executed_units|Done" "$OUT/$name.log" | tail -2
	fi
done
exit $status
