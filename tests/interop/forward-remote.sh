#!/bin/sh
# kssh's remote forwarding, through ksshd and OpenSSH's sshd: -R to a
# python3 HTTP server (curl on the server-side port gets the file), -R 0
# (OpenSSH's "Allocated port N for remote forward to host:port", and that
# port works), -R port with no target (kssh answers SOCKS: curl
# --socks5-hostname and --socks4a on the server side), -R to and from Unix
# socket paths (streamlocal-forward@openssh.com), a second -R on a taken
# port (OpenSSH's warning and the command still runs; exit 255 with
# ExitOnForwardFailure yes, as ssh), PermitRemoteOpen limiting the SOCKS
# mode, -f -N -R, a server refusing forwarding (exit 255 with ssh's
# line), kssh -G's permitremoteopen, and RemoteForward from a config file.
# OpenSSH's ssh -R to ksshd is tested in forward-server.sh.
. "$(dirname "$0")/lib.sh"

have_prog kssh kssh ksshd ssh sshd || finish
command -v curl >/dev/null 2>&1 || { skip "curl not installed"; finish; }
setup_keys || { fail "setup keys"; finish; }

mkdir -p "$T/www" && head -c 30000 /dev/urandom | base64 >"$T/www/f.txt"
WEBSERVE=$(cd "$(dirname "$0")" && pwd)/webserve.py
hport=$(free_port)
setsid "$PY" "$WEBSERVE" "$T/www" tcp "$hport" </dev/null >>"$T/http.err" 2>&1 &
echo $! >>"$T/pids"
setsid "$PY" "$WEBSERVE" "$T/www" unix "$T/http.sock" </dev/null >>"$T/http.err" 2>&1 &
echo $! >>"$T/pids"
want=$(sha "$T/www/f.txt")

# fetch CURL-ARGS... : curl the page; the same bytes as served.
fetch() {
	rm -f "$T/got"
	timeout 10 curl -sf -o "$T/got" "$@" && [ "$(sha "$T/got")" = "$want" ]
}
# wait_for COMMAND... : up to 10 s for the command to succeed.
wait_for() {
	_i=0
	while [ $_i -lt 100 ]; do "$@" && return 0; sleep 0.1; _i=$((_i + 1)); done
	return 1
}
sock_exists() { [ -S "$1" ]; }
not_listening() { ! listening "$1"; }
# bg_kssh NAME PORT "OPTS" : kssh -N in the background (pid in BG_PID),
# at log level INFO as ssh -N would be run.
bg_kssh() {
	client kssh "$2" "-N -o LogLevel=INFO $3" 2>"$T/$1.err" </dev/null &
	BG_PID=$!
	echo "$BG_PID" >>"$T/pids"
}
# stop_bg PID : SIGTERM to the kssh under client's timeout, then wait.
stop_bg() {
	_c=$(pgrep -P "$1" | head -n1)
	kill -TERM "${_c:-$1}" 2>/dev/null; wait "$1" 2>/dev/null
}
if ! wait_for listening "$hport" || ! wait_for sock_exists "$T/http.sock"; then fail "http servers start"; finish; fi

port_ksshd=
for s in ksshd sshd; do
	start_server "$s" "$s" || { fail "$s server start"; continue; }
	port=$SRV_PORT
	[ "$s" = ksshd ] && port_ksshd=$port

	# -R to the HTTP server, fetched twice on the server-side port.
	rp=$(free_port)
	bg_kssh "r-$s" "$port" "-R $rp:127.0.0.1:$hport"
	wait_for listening "$rp" && fetch "http://127.0.0.1:$rp/f.txt" && fetch "http://localhost:$rp/f.txt"
	res "-R port:host:port through $s (curl on the server side)" || cat "$T/r-$s.err" >&2

	# A second -R on the same port: OpenSSH's warning, the command still
	# runs; with ExitOnForwardFailure exit 255 and the error line.
	out=$(client kssh "$port" "-o LogLevel=INFO -R $rp:127.0.0.1:$hport" echo ran </dev/null 2>"$T/w-$s.err")
	[ "$out" = ran ] && grep -qx "Warning: remote port forwarding failed for listen port $rp" "$T/w-$s.err"
	res "a taken -R port: 'Warning: remote port forwarding failed for listen port N', the command runs ($s)" ||
		cat "$T/w-$s.err" >&2
	out=$(client kssh "$port" "-o ExitOnForwardFailure=yes -R $rp:127.0.0.1:$hport" echo ran </dev/null \
		2>"$T/e-$s.err"); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ] && grep -q "remote port forwarding failed for listen port $rp" "$T/e-$s.err"
	res "a taken -R port with ExitOnForwardFailure yes: exit 255 ($s)" || { echo "rc=$rc out=$out"; cat "$T/e-$s.err"; } >&2
	stop_bg "$BG_PID"
	wait_for not_listening "$rp"; res "the server-side port closes when kssh ends ($s)"

	# An empty bind address ("*"): the server's open names it as asked.
	rp=$(free_port)
	bg_kssh "star-$s" "$port" "-R *:$rp:127.0.0.1:$hport"
	wait_for listening "$rp" && fetch "http://127.0.0.1:$rp/f.txt"
	res "-R '*:port:host:port' through $s" || cat "$T/star-$s.err" >&2
	stop_bg "$BG_PID"

	# -R 0: the allocated port is printed and works.
	bg_kssh "r0-$s" "$port" "-R 0:127.0.0.1:$hport"
	wait_for grep -qs "^Allocated port [0-9]* for remote forward to 127.0.0.1:$hport\$" "$T/r0-$s.err"
	ap=$(sed -n 's/^Allocated port \([0-9]*\) for remote forward.*/\1/p' "$T/r0-$s.err" | head -n 1)
	[ -n "$ap" ] && fetch "http://127.0.0.1:$ap/f.txt"
	res "-R 0: 'Allocated port $ap for remote forward to 127.0.0.1:$hport' and it works ($s)" || cat "$T/r0-$s.err" >&2
	stop_bg "$BG_PID"

	# -R port with no target: kssh is the SOCKS server.
	dp=$(free_port)
	bg_kssh "d-$s" "$port" "-R $dp"
	wait_for listening "$dp" && fetch --socks5-hostname "127.0.0.1:$dp" "http://localhost:$hport/f.txt" &&
		fetch --socks4a "127.0.0.1:$dp" "http://localhost:$hport/f.txt"
	res "-R port (SOCKS on the client) with curl --socks5-hostname and --socks4a ($s)" || cat "$T/d-$s.err" >&2
	stop_bg "$BG_PID"

	# Unix sockets: listened on by the server, and as the target.
	rp=$(free_port)
	bg_kssh "u-$s" "$port" "-R $T/r-$s.sock:127.0.0.1:$hport -R $rp:$T/http.sock"
	wait_for sock_exists "$T/r-$s.sock" && fetch --unix-socket "$T/r-$s.sock" "http://x/f.txt"
	res "-R /path:host:port (streamlocal-forward) through $s" || cat "$T/u-$s.err" >&2
	wait_for listening "$rp" && fetch "http://127.0.0.1:$rp/f.txt"
	res "-R port:/path (to a Unix socket) through $s" || cat "$T/u-$s.err" >&2
	stop_bg "$BG_PID"
done
[ -n "$port_ksshd" ] || finish
port=$port_ksshd

# PermitRemoteOpen: the SOCKS mode reaches only what is listed.
dp=$(free_port)
bg_kssh pro "$port" "-o PermitRemoteOpen=localhost:$hport -R $dp"
wait_for listening "$dp" && fetch --socks5-hostname "127.0.0.1:$dp" "http://localhost:$hport/f.txt" &&
	! fetch --socks5-hostname "127.0.0.1:$dp" "http://127.0.0.1:$hport/f.txt" && running "$BG_PID"
res "PermitRemoteOpen host:port: listed target reached, another refused, kssh goes on" || cat "$T/pro.err" >&2
stop_bg "$BG_PID"
dp=$(free_port)
bg_kssh pron "$port" "-o PermitRemoteOpen=none -R $dp"
wait_for listening "$dp" && ! fetch --socks5-hostname "127.0.0.1:$dp" "http://localhost:$hport/f.txt" &&
	running "$BG_PID"
res "PermitRemoteOpen none refuses every SOCKS target" || cat "$T/pron.err" >&2
stop_bg "$BG_PID"
out=$(client kssh "$port" "-o PermitRemoteOpen=nohost -R 0" echo ran </dev/null 2>"$T/prb.err"); rc=$?
[ $rc -eq 255 ] && [ -z "$out" ] && grep -q "PermitRemoteOpen" "$T/prb.err"
res "a bad PermitRemoteOpen value is an error (exit 255)" || cat "$T/prb.err" >&2

# kssh -G prints PermitRemoteOpen as ssh -G does.
g1=$("$KSSH" -G -F /dev/null -o "PermitRemoteOpen=a:1 [::1]:*" x 2>&1 | grep '^permitremoteopen')
g2=$("$SSH" -G -F /dev/null -o "PermitRemoteOpen=a:1 [::1]:*" x 2>&1 | grep '^permitremoteopen')
[ -n "$g1" ] && [ "$g1" = "$g2" ]; res "kssh -G permitremoteopen as ssh -G ($g1)" || echo "$g1 | $g2" >&2

# -f -N: in the background only once the server answered the -R.
rp=$(free_port)
client kssh "$port" "-f -N -R $rp:127.0.0.1:$hport" </dev/null 2>"$T/f.err"; rc=$?
listening "$rp"; up=$?
fpid=$(pgrep -u "$(id -u)" -f -- "-R $rp:127.0.0.1:$hport" | head -n1)
[ -n "$fpid" ] && echo "$fpid" >>"$T/pids"
[ $rc -eq 0 ] && [ $up -eq 0 ] && fetch "http://127.0.0.1:$rp/f.txt"
res "-f -N -R: backgrounded once the remote port listens, and it forwards" || cat "$T/f.err" >&2
[ -n "$fpid" ] && kill -TERM "$fpid" && wait_for not_listening "$rp"
res "-f -N -R: the background kssh ends on SIGTERM, the remote port closes"

# A server that refuses forwarding: -R 0 fails as with ssh.
write_server_config "$T/nofwd.conf" "$T/host_ed25519"
echo "AllowTcpForwarding no" >>"$T/nofwd.conf"
if start_server ksshd nofwd; then
	for k in kssh ssh; do
		out=$(client "$k" "$SRV_PORT" "-o ExitOnForwardFailure=yes -R 0:127.0.0.1:$hport" echo ran </dev/null \
			2>"$T/nf-$k.err"); echo "$?|$out|$(grep -c 'Error: remote port forwarding failed for listen port 0' \
			"$T/nf-$k.err")" >"$T/nf-$k.rc"
	done
	[ "$(cat "$T/nf-kssh.rc")" = "255||1" ] && [ "$(cat "$T/nf-ssh.rc")" = "255||1" ]
	res "AllowTcpForwarding no: -R 0 with ExitOnForwardFailure exits 255 with ssh's error line" ||
		{ cat "$T/nf-kssh.rc" "$T/nf-kssh.err" "$T/nf-ssh.rc"; } >&2
else
	fail "ksshd (AllowTcpForwarding no) start"
fi

# RemoteForward from a config file.
rp=$(free_port)
printf 'Host *\n  RemoteForward %s 127.0.0.1:%s\n' "$rp" "$hport" >"$T/rf.conf"
timeout -k 5 30 "$KSSH" -N -F "$T/rf.conf" -p "$port" -l "$TUSER" -i "$T/user_ed25519" \
	-o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=no -o IdentitiesOnly=yes \
	-o BatchMode=yes 127.0.0.1 </dev/null 2>"$T/rf.err" &
BG_PID=$!
echo "$BG_PID" >>"$T/pids"
wait_for listening "$rp" && fetch "http://127.0.0.1:$rp/f.txt"
res "RemoteForward from a config file" || cat "$T/rf.err" >&2
stop_bg "$BG_PID"

finish
