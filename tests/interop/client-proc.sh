#!/bin/sh
# kssh process control: -N, -f, -n, -T/-t warnings (against ssh's own wording).
. "$(dirname "$0")/lib.sh"
have_prog client-proc kssh ksshd ssh || { finish 2>/dev/null; exit 0; }
setup_keys
start_server ksshd srv || { fail "server start"; exit 1; }
port=$SRV_PORT

# -N stays up; SIGTERM ends it with 0, as ssh.
for c in kssh ssh; do
	# Directly, not through client's timeout, so the signal reaches the program itself.
	"$(prog_of $c)" -N -F /dev/null -p "$port" -i "$T/user_ed25519" -o UserKnownHostsFile="$T/known_hosts" \
		-o StrictHostKeyChecking=no -o BatchMode=yes 127.0.0.1 </dev/null 2>"$T/n.$c" & pid=$!
	sleep 2
	running $pid; up=$?
	kill -TERM $pid; wait $pid; rc=$?
	[ $up -eq 0 ] && [ $rc -eq 0 ]; res "$c -N stays connected, SIGTERM exits 0" || { echo "up=$up rc=$rc" >&2; cat "$T/n.$c" >&2; }
done

# -f -N: the parent returns 0 once authenticated; the child stays connected.
start=$(date +%s)
client kssh "$port" "-f -N" </dev/null 2>"$T/f.e"; rc=$?
sleep 1
bg=$(pgrep -f "kssh.* -f -N .*-p $port " | head -1)
[ $rc -eq 0 ] && [ -n "$bg" ] && [ $(( $(date +%s) - start )) -lt 10 ]; res "kssh -f -N backgrounds after auth" || { echo "rc=$rc bg=$bg" >&2; cat "$T/f.e" >&2; }
[ -n "$bg" ] && [ "$(ps -o sid= -p "$bg" | tr -d ' ')" = "$bg" ]; res "kssh -f child leads its own session"
[ -n "$bg" ] && kill -TERM "$bg"

# -f with a command: output still reaches the caller's stdout.
out=$(client kssh "$port" "-f" echo bg-ran 2>"$T/fc.e"; sleep 2); [ "$out" = bg-ran ]; res "kssh -f command output" || cat "$T/fc.e" >&2
client kssh "$port" "-f" </dev/null 2>"$T/fx.e"; rc=$?
[ $rc -eq 255 ] && grep -qx "Cannot fork into background without a command to execute." "$T/fx.e"; res "kssh -f without a command refused"

# -n: stdin is not read.
out=$(echo from-stdin | client kssh "$port" "-n" cat 2>/dev/null); [ -z "$out" ]; res "kssh -n reads nothing"
out=$(echo from-stdin | client kssh "$port" "" cat 2>/dev/null); [ "$out" = from-stdin ]; res "kssh without -n reads stdin"

# Pty warnings: same lines as ssh in the same situations (before connecting: a closed port).
closed=$(free_port)
for o in "" "-t" "-tt" "-T" "-N" "-t -N" "-o RequestTTY=yes" "-o RequestTTY=force" "-f -t"; do
	for cmd in "" "true"; do
		# shellcheck disable=SC2086
		"$SSH" $o -F /dev/null -o LogLevel=INFO -p "$closed" 127.0.0.1 $cmd </dev/null 2>&1 | tr -d '\r' | sed 's/^ssh: //' >"$T/w.ssh"
		# shellcheck disable=SC2086
		"$KSSH" $o -F /dev/null -o LogLevel=INFO -p "$closed" 127.0.0.1 $cmd </dev/null 2>&1 | tr -d '\r' | sed 's/^kssh: //' >"$T/w.kssh"
		cmp -s "$T/w.ssh" "$T/w.kssh"; res "tty warning as ssh: '$o' ${cmd:-(shell)}" || diff "$T/w.ssh" "$T/w.kssh" >&2
	done
done
# On a terminal: -t -n warns, -t does not.
for o in "-t -n" "-t" "-n" "-tt -n"; do
	script -qc "$SSH $o -F /dev/null -p $closed 127.0.0.1 true" /dev/null </dev/null | tr -d '\r' | sed 's/^ssh: //' >"$T/p.ssh"
	script -qc "$KSSH $o -F /dev/null -p $closed 127.0.0.1 true" /dev/null </dev/null | tr -d '\r' | sed 's/^kssh: //' >"$T/p.kssh"
	cmp -s "$T/p.ssh" "$T/p.kssh"; res "tty warning on a terminal as ssh: '$o'" || diff "$T/p.ssh" "$T/p.kssh" >&2
done
# -Q: every name kagi lists is one ssh -Q knows (mlkem768x25519-sha256 is
# newer than OpenSSH 9.2); an unknown query exits 255 as ssh.
for q in cipher cipher-auth mac kex key key-plain key-sig sig compression protocol-version help; do
	"$KSSH" -Q $q >"$T/q.k"; krc=$?
	"$SSH" -Q $q >"$T/q.s"
	extra=$(grep -vxF -f "$T/q.s" "$T/q.k" | grep -vx "mlkem768x25519-sha256")
	[ $krc -eq 0 ] && [ -s "$T/q.k" ] && [ -z "$extra" ]; res "kssh -Q $q names known to ssh -Q" || echo "extra: $extra" >&2
done
"$KSSH" -Q bogus >/dev/null 2>"$T/q.e"; rc=$?
[ $rc -eq 255 ] && grep -qx 'kssh: Unsupported query "bogus"' "$T/q.e"; res "kssh -Q bogus exits 255"

# -v: debug1 lines; -E: the log goes to the file (appended), not stderr.
client kssh "$port" "-v" true </dev/null 2>"$T/v.e"
grep -q "^debug1: Connecting to 127.0.0.1" "$T/v.e" && grep -q "^debug1: Connection established." "$T/v.e" &&
	grep -q "^debug1: Authentications that can continue: " "$T/v.e"; res "kssh -v debug1 lines" || cat "$T/v.e" >&2
echo old-line >"$T/log"
client kssh "$port" "-v -E $T/log" true </dev/null 2>"$T/E.e"
[ "$(head -1 "$T/log")" = old-line ] && grep -q "^debug1: Connection established." "$T/log" && ! grep -q debug1 "$T/E.e"
res "kssh -E appends the log to the file" || { cat "$T/E.e" >&2; }

# ConnectionAttempts=3 to a closed port: about 2 s, one error, exit 255.
start=$(date +%s)
"$KSSH" -F /dev/null -o ConnectionAttempts=3 -p "$closed" 127.0.0.1 true </dev/null 2>"$T/ca.e"; rc=$?
took=$(( $(date +%s) - start ))
[ $rc -eq 255 ] && [ $took -ge 2 ] && [ $took -le 4 ] && [ "$(grep -c "Connection refused" "$T/ca.e")" -eq 1 ]
res "kssh ConnectionAttempts=3 retries 1 s apart" || { echo "rc=$rc took=$took" >&2; cat "$T/ca.e" >&2; }
finish
