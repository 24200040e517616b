#!/bin/sh
# Pseudo-terminal sessions for each client/server pair.
# Usage: pty.sh [ssh-ksshd] [kssh-sshd] [kssh-ksshd]
. "$(dirname "$0")/lib.sh"
select_pairs "$@"

setup_keys || { fail "setup keys"; finish; }

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	eval "port=\${PORT_$s:-}"
	if [ -z "$port" ]; then
		if ! start_server "$s" "$s"; then fail "$l server start"; continue; fi
		port=$SRV_PORT; eval "PORT_$s=$port"
	fi

	out=$(client "$c" "$port" "-tt" tty </dev/null 2>"$T/e" | tr -d '\r'); rc=$?
	echo "$out" | grep -Eqx '/dev/pts/[0-9]+'; res "$l -tt tty is a pts" || note "got '$out'"

	out=$(client "$c" "$port" "-T" tty </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 1 ] && [ "$out" = "not a tty" ]; res "$l -T no tty"

	# -t alone needs a local terminal: with stdin from /dev/null no pty is made.
	out=$(client "$c" "$port" "-t" tty </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 1 ] && [ "$out" = "not a tty" ]; res "$l -t without local terminal"

	client "$c" "$port" "-tt" 'exit 7' </dev/null >/dev/null 2>"$T/e"; rc=$?
	[ $rc -eq 7 ]; res "$l exit status through pty" || note "exit $rc"

	out=$(TERM=vt100 client "$c" "$port" "-tt" 'echo "term=$TERM"' </dev/null 2>"$T/e" | tr -d '\r')
	[ "$out" = term=vt100 ]; res "$l TERM passed to pty" || note "got '$out'"

	out=$(printf 'kagi-line\n' | client "$c" "$port" "-tt" 'read x; echo "got:$x"' 2>"$T/e" | tr -d '\r')
	echo "$out" | grep -qx 'got:kagi-line'; res "$l stdin through pty" || note "got '$out'"

	out=$(client "$c" "$port" "-tt" 'stty -a | grep -q "icanon" && echo cooked' </dev/null 2>"$T/e" | tr -d '\r')
	[ "$out" = cooked ]; res "$l pty has terminal modes" || note "got '$out'"
done
finish
