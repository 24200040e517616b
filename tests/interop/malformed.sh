#!/bin/sh
# A hostile client (malformed.py) against the server under test: broken
# banners, packet lengths and padding, messages out of order, bad MACs,
# silent and flooding clients.  Each case passes when the connection was
# closed (no answer in kind) AND the server still serves a normal login
# afterwards.  The server runs with LoginGraceTime=3.
# Usage: malformed.sh [ksshd|sshd] [case...]   (default ksshd, all cases)
. "$(dirname "$0")/lib.sh"
MALFORMED=$(dirname "$0")/malformed.py
server=${1:-ksshd}
[ $# -gt 0 ] && shift
case $server in ksshd|sshd) ;; *) echo "FAIL: $TEST_NAME unknown server $server"; exit 1 ;; esac
GRACE=3

have_prog "$server" "$server" ssh || finish
"$PY" -c 'import cryptography' 2>/dev/null || { fail "python3 cryptography module missing"; finish; }
setup_keys || { fail "setup keys"; finish; }
start_server "$server" "$server" -o LoginGraceTime=$GRACE || { fail "$server server start"; finish; }
port=$SRV_PORT; pid=$SRV_PID
still_serving ssh "$port" || { fail "$server serves a normal login before the cases"; finish; }

cases=${*:-$("$PY" "$MALFORMED" --list)}
for cs in $cases; do
	timeout -k 5 60 "$PY" "$MALFORMED" --port "$port" --case "$cs" --grace $GRACE --timeout 15 \
		>"$T/case.out" 2>&1
	rc=$?
	detail=$(tail -n 1 "$T/case.out")
	if [ $rc -eq 0 ]; then ok=1; else ok=0; cat "$T/case.out" >&2; fi
	[ $rc -eq 124 ] && detail="case timed out"
	if ! server_alive "$pid"; then
		ok=0; detail="$detail; server process died"
	elif ! still_serving ssh "$port"; then
		ok=0; detail="$detail; server no longer serves a normal login"
	fi
	if [ $ok -eq 1 ]; then pass "$server $cs ($detail)"; else fail "$server $cs ($detail)"; fi
done
[ -s "$T/still_serving.err" ] && { note "client errors:"; tail -n 5 "$T/still_serving.err" >&2; }
finish
