#!/bin/sh
# Basic sessions between each client and server pair: command output, exit
# status, stdin and stderr pass-through, remote command arguments.
# Usage: basic.sh [ssh-ksshd] [kssh-sshd] [kssh-ksshd]
. "$(dirname "$0")/lib.sh"
select_pairs "$@"

setup_keys || { fail "setup keys"; finish; }
head -c 1048576 /dev/urandom >"$T/rand1m"
want_sha=$(sha "$T/rand1m")

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	eval "port=\${PORT_$s:-}"
	if [ -z "$port" ]; then
		if ! start_server "$s" "$s"; then fail "$l server start"; continue; fi
		port=$SRV_PORT; eval "PORT_$s=$port"
	fi

	out=$(client "$c" "$port" "" echo hello </dev/null 2>"$T/err")
	check "$l echo" [ "$out" = hello ]

	client "$c" "$port" "" 'exit 42' </dev/null >/dev/null 2>>"$T/err"; rc=$?
	check "$l exit status 42" [ $rc -eq 42 ]

	out=$(client "$c" "$port" "" 'echo zero; exit 0' </dev/null 2>>"$T/err"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = zero ]; res "$l exit status 0"

	client "$c" "$port" "" cat <"$T/rand1m" >"$T/out1m" 2>>"$T/err"; rc=$?
	[ $rc -eq 0 ] && [ "$(sha "$T/out1m")" = "$want_sha" ]; res "$l stdin 1MiB sha256"

	client "$c" "$port" "" 'echo to-stderr >&2; echo to-stdout' </dev/null >"$T/o" 2>"$T/e"; rc=$?
	[ $rc -eq 0 ] && [ "$(cat "$T/o")" = to-stdout ] && grep -qx to-stderr "$T/e"
	res "$l stderr passthrough"

	# The client joins its arguments with spaces; the remote shell parses them.
	out=$(client "$c" "$port" "" printf "'[%s]'" "'a b'" '"c  d"' '$((6*7))' </dev/null 2>>"$T/err")
	check "$l command with quotes" [ "$out" = "[a b][c  d][42]" ]

	out=$(client "$c" "$port" "" echo "x  y" z </dev/null 2>>"$T/err")
	check "$l arguments joined" [ "$out" = "x y z" ]

	# stdin closed at EOF must reach the remote command (wc ends on EOF).
	out=$(printf 'a\nb\nc\n' | client "$c" "$port" "" 'wc -l' 2>>"$T/err")
	check "$l stdin EOF" [ "$(echo $out)" = 3 ]

	# Larger output than one channel window.
	out=$(client "$c" "$port" "" 'head -c 3000000 /dev/zero | tr "\0" x' </dev/null 2>>"$T/err" | wc -c)
	check "$l 3MB stdout" [ "$(echo $out)" = 3000000 ]

	if [ -s "$T/err" ]; then note "$l client stderr:"; head -n 20 "$T/err" >&2; fi
	: >"$T/err"
done
finish
