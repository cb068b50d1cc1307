#!/bin/sh
# A mastership script for the test: records every call, fails an acquire
# for the slot named in $DIR/fail (printing the reason) and, if $DIR/delay
# exists, takes that many seconds (slow hardware).
DIR=$(dirname "$0")/run
echo "$*" >> "$DIR/calls"
if [ -f "$DIR/delay" ]; then
	sleep "$(cat "$DIR/delay")"
fi
if [ "$1" = acquire ] && [ -f "$DIR/fail" ] && [ "$(cat "$DIR/fail")" = "$2" ]; then
	echo "arbiter says no to slot $2"
	exit 1
fi
exit 0
