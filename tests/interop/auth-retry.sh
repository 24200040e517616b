#!/bin/sh
# paramiko retries with a key after a failed password on the same
# connection, asking for the ssh-userauth service again first: ksshd
# accepts the repeated request and the key login runs a command.
. "$(dirname "$0")/lib.sh"

if ! "$PY" -c 'import paramiko' 2>/dev/null; then skip "all (paramiko not installed)"; finish; fi
have_prog ksshd ksshd || finish
setup_keys || { fail "setup keys"; finish; }
if ! start_server ksshd ksshd; then fail "server start"; finish; fi

out=$(timeout -k 5 60 "$PY" "$(dirname "$0")/auth_retry.py" --port "$SRV_PORT" --user "$TUSER" \
	--key "$T/user_ed25519" 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = retry-ok ]; res "paramiko: key after failed password on one connection" \
	|| { note "out: $out"; cat "$T/e" >&2; tail -n 5 "$SRV_LOG" >&2; }
finish
