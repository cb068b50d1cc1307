#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Format (or with --check, verify) frr-ha's C sources with .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h')
if [ "${1:-}" = "--check" ]; then
	bad=0
	for f in $files; do
		clang-format "$f" | diff -q - "$f" >/dev/null || { echo "not formatted: $f"; bad=1; }
	done
	exit $bad
fi
clang-format -i $files
