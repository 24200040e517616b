#!/bin/sh
# ServerAliveInterval/ServerAliveCountMax: with the server frozen (SIGSTOP
# to the listener and every process below it: sshd's connection children
# start sessions of their own, so the process group is not enough) kssh ends with exit 255 and "Timeout, server
# ... not responding." in bounded time; with a live server the keepalives
# are answered and a command outlasting several intervals finishes normally.
# Against ksshd and OpenSSH's sshd.
. "$(dirname "$0")/lib.sh"

# tree PID: PID and all its descendants.
tree() {
	echo "$1"
	for _c in $(ps -o pid= --ppid "$1"); do tree "$_c"; done
}

have_prog kssh kssh || finish
setup_keys || { fail "setup keys"; finish; }
for s in ksshd sshd; do
	have_prog "$s" "$s" || continue
	start_server "$s" "$s" || { fail "$s start"; continue; }
	spid=$SRV_PID
	[ -n "$spid" ] || { fail "$s: server pid unknown"; continue; }

	out=$(client kssh "$SRV_PORT" "-o ServerAliveInterval=1 -o ServerAliveCountMax=1" 'sleep 3; echo done' </dev/null 2>"$T/live.err")
	[ "$out" = done ]; res "$s: live server answers keepalives (command outlasts 3 intervals)" ||
		sed 's/^/#   /' "$T/live.err" >&2

	client kssh "$SRV_PORT" "-o ServerAliveInterval=1 -o ServerAliveCountMax=2" \
		'echo started; sleep 60' </dev/null >"$T/frozen.out" 2>"$T/frozen.err" &
	cpid=$!
	_i=0
	while [ $_i -lt 100 ] && ! grep -q started "$T/frozen.out"; do sleep 0.1; _i=$((_i + 1)); done
	# Stop the tree until a walk finds nothing new (a stopped process
	# starts nothing, and one walk can miss a process the server is
	# still starting).
	frozen=""
	_i=0
	while [ $_i -lt 50 ]; do
		_now=$(tree "$spid" | sort -n | tr '\n' ' ')
		kill -STOP $_now 2>/dev/null
		[ "$_now" = "$frozen" ] && [ "$(echo $_now | wc -w)" -gt 1 ] && break
		frozen=$_now
		sleep 0.1; _i=$((_i + 1))
	done
	t0=$(date +%s)
	wait $cpid; st=$?
	t1=$(date +%s)
	kill -CONT $frozen
	[ $st -eq 255 ] && grep -q 'Timeout, server 127.0.0.1 not responding' "$T/frozen.err" && [ $((t1 - t0)) -le 15 ]
	res "$s: frozen server: exit 255 with the timeout message in $((t1 - t0)) s" ||
		{ note "exit $st"; sed 's/^/#   /' "$T/frozen.err" >&2; }
	kill -TERM $frozen 2>/dev/null
done
finish
