#!/bin/sh
# A mastership script for the test: records every call and fails an
# acquire for the slot named in $DIR/fail (printing the reason).
DIR=$(dirname "$0")/run
echo "$*" >> "$DIR/calls"
if [ "$1" = acquire ] && [ -f "$DIR/fail" ] && [ "$(cat "$DIR/fail")" = "$2" ]; then
	echo "arbiter says no to slot $2"
	exit 1
fi
exit 0
