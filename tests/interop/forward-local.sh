#!/bin/sh
# kssh's local and dynamic forwarding: -L to a python3 HTTP server through
# ksshd and OpenSSH's sshd (the page fetched with curl is the file), -L to
# and from Unix sockets, -D with curl --socks5-hostname, --socks4a, --socks5
# and --socks4, -f -N (in the background only once the listener is there),
# -g (every address), ExitOnForwardFailure with the port taken (exit 255,
# OpenSSH's lines) and without it (a warning, the command runs),
# LocalForward/DynamicForward from a config file, a server refusing
# forwarding (the open failure reported as ssh reports it, the local
# connection closed, kssh running on), bad specifications, and kssh -G's
# forwarding lines against ssh -G.
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

# fetch FILE CURL-ARGS... : curl the page into FILE; the same bytes as served.
fetch() {
	_f=$1; shift
	rm -f "$_f"
	timeout 10 curl -sf -o "$_f" "$@" && [ "$(sha "$_f")" = "$want" ]
}
# wait_for COMMAND... : up to 10 s for the command to succeed.
wait_for() {
	_i=0
	while [ $_i -lt 100 ]; do "$@" && return 0; sleep 0.1; _i=$((_i + 1)); done
	return 1
}
sock_exists() { [ -S "$1" ]; }
# listening_any PORT : a socket listens on 0.0.0.0:PORT.
listening_any() {
	_hex=$(printf '%04X' "$1")
	awk -v p="00000000:$_hex" '$2 == p && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}
not_listening() { ! listening "$1"; }
# bg_kssh NAME PORT "OPTS" : kssh -N in the background (pid in BG_PID).
bg_kssh() {
	client kssh "$2" "-N $3" 2>"$T/$1.err" </dev/null &
	BG_PID=$!
	echo "$BG_PID" >>"$T/pids"
}
# stop_bg PID : SIGTERM to the kssh under client's timeout (only it: a second
# signal from timeout could cut its clean-up short), then wait.
stop_bg() {
	_c=$(pgrep -P "$1" | head -n1)
	kill -TERM "${_c:-$1}" 2>/dev/null; wait "$1" 2>/dev/null
}

for s in ksshd sshd; do
	start_server "$s" "$s" || { fail "$s server start"; continue; }
	port=$SRV_PORT
	[ "$s" = ksshd ] && port_ksshd=$port

	# -L to the HTTP server; two fetches on one forwarding.
	lp=$(free_port)
	bg_kssh "l-$s" "$port" "-L $lp:127.0.0.1:$hport"
	wait_for listening "$lp" && fetch "$T/got" "http://127.0.0.1:$lp/f.txt" &&
		fetch "$T/got" "http://localhost:$lp/f.txt"
	res "-L to an HTTP server through $s" || cat "$T/l-$s.err" >&2
	stop_bg "$BG_PID"

	# -L to a Unix socket, and from one.
	lp=$(free_port)
	bg_kssh "lu-$s" "$port" "-L $lp:$T/http.sock -L $T/from-$s.sock:127.0.0.1:$hport"
	wait_for listening "$lp" && fetch "$T/got" "http://127.0.0.1:$lp/f.txt"
	res "-L port:/path (to a Unix socket) through $s" || cat "$T/lu-$s.err" >&2
	wait_for sock_exists "$T/from-$s.sock" && fetch "$T/got" --unix-socket "$T/from-$s.sock" "http://x/f.txt"
	res "-L /path:host:port (from a Unix socket) through $s" || cat "$T/lu-$s.err" >&2
	stop_bg "$BG_PID"
	[ ! -e "$T/from-$s.sock" ]; res "the Unix listener kssh made is removed at the end ($s)"

	# -D: SOCKS5 with the name resolved by the server, 4a, 5, 4.
	dp=$(free_port)
	bg_kssh "d-$s" "$port" "-D $dp"
	wait_for listening "$dp" &&
		fetch "$T/got" --socks5-hostname "127.0.0.1:$dp" "http://localhost:$hport/f.txt"
	res "-D with curl --socks5-hostname through $s" || cat "$T/d-$s.err" >&2
	fetch "$T/got" --socks4a "127.0.0.1:$dp" "http://localhost:$hport/f.txt"
	res "-D with curl --socks4a through $s" || cat "$T/d-$s.err" >&2
	fetch "$T/got" --socks5 "127.0.0.1:$dp" "http://127.0.0.1:$hport/f.txt" &&
		fetch "$T/got" --socks4 "127.0.0.1:$dp" "http://127.0.0.1:$hport/f.txt"
	res "-D with curl --socks5 and --socks4 through $s" || cat "$T/d-$s.err" >&2
	# A target nobody listens on: the SOCKS client is told, kssh goes on.
	dead=$(free_port)
	! timeout 10 curl -sf -o /dev/null --socks5-hostname "127.0.0.1:$dp" "http://127.0.0.1:$dead/" 2>/dev/null &&
		running "$BG_PID" && grep -q "^channel [0-9]*: open failed: connect failed: " "$T/d-$s.err" &&
		fetch "$T/got" --socks5-hostname "127.0.0.1:$dp" "http://localhost:$hport/f.txt"
	res "-D to a closed port: SOCKS failure, 'open failed: connect failed' ($s)" || cat "$T/d-$s.err" >&2
	stop_bg "$BG_PID"
done
port=$port_ksshd

# The session ends while a forwarded connection is open: kssh waits for it
# (as ssh does), so what the target sends later still arrives.
sport=$(free_port)
"$PY" -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $sport)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); time.sleep(2); c.sendall(b'late-data'); c.close()" </dev/null 2>>"$T/late.err" &
echo $! >>"$T/pids"
wait_for listening "$sport"
lp=$(free_port)
client kssh "$port" "-L $lp:127.0.0.1:$sport" sleep 1 </dev/null 2>"$T/late-k.err" &
BG_PID=$!; echo "$BG_PID" >>"$T/pids"
wait_for listening "$lp"
got=$(timeout 15 "$PY" -c "
import socket
s = socket.create_connection(('127.0.0.1', $lp)); d = b''
while True:
    b = s.recv(100)
    if not b: break
    d += b
print(d.decode())")
wait "$BG_PID"; rc=$?
[ "$got" = late-data ] && [ $rc -eq 0 ]
res "after the session ends kssh waits for the forwarded connection" || { echo "got=$got rc=$rc" >&2; cat "$T/late-k.err" >&2; }

# -f -N: back at the prompt only once the listener exists.
lp=$(free_port)
client kssh "$port" "-f -N -L $lp:127.0.0.1:$hport" </dev/null 2>"$T/f.err"; rc=$?
listening "$lp"; up=$?
fpid=$(pgrep -u "$(id -u)" -f -- "-L $lp:127.0.0.1:$hport" | head -n1)
[ -n "$fpid" ] && echo "$fpid" >>"$T/pids"
[ $rc -eq 0 ] && [ $up -eq 0 ] && [ -n "$fpid" ] && fetch "$T/got" "http://127.0.0.1:$lp/f.txt"
res "-f -N -L: backgrounded after the listener is up, and it forwards" || cat "$T/f.err" >&2
[ -n "$fpid" ] && kill -TERM "$fpid" && wait_for not_listening "$lp"
res "-f -N: the background kssh ends on SIGTERM"

# -g: every address (0.0.0.0), not only loopback.
lp=$(free_port)
bg_kssh g "$port" "-g -L $lp:127.0.0.1:$hport"
wait_for listening_any "$lp" && ! listening "$lp" && fetch "$T/got" "http://127.0.0.1:$lp/f.txt"
res "-g listens on every address" || cat "$T/g.err" >&2
stop_bg "$BG_PID"

# ExitOnForwardFailure with the port taken: exit 255 with OpenSSH's lines.
for k in kssh ssh; do
	out=$(client "$k" "$port" "-o ExitOnForwardFailure=yes -o LogLevel=INFO -L 127.0.0.1:$hport:127.0.0.1:22" \
		echo ran </dev/null 2>"$T/eof-$k.err"); rc=$?
	echo "$rc|$out" >"$T/eof-$k.rc"
done
[ "$(cat "$T/eof-kssh.rc")" = "255|" ] &&
	grep -qx "bind \[127.0.0.1\]:$hport: Address already in use" "$T/eof-kssh.err" &&
	grep -qx "channel_setup_fwd_listener_tcpip: cannot listen to port: $hport" "$T/eof-kssh.err" &&
	grep -qx "Could not request local forwarding." "$T/eof-kssh.err"
res "ExitOnForwardFailure yes, port taken: exit 255 with bind/cannot listen lines" || cat "$T/eof-kssh.err" >&2
# (ssh ends its lines with \r\n on stderr)
tr -d '\r' <"$T/eof-ssh.err" | diff - "$T/eof-kssh.err" >&2 && diff "$T/eof-ssh.rc" "$T/eof-kssh.rc" >&2
res "ExitOnForwardFailure: the same lines and status as ssh"
client kssh "$port" "-f -N -o ExitOnForwardFailure=yes -L 127.0.0.1:$hport:127.0.0.1:22" </dev/null 2>"$T/eoff.err"; rc=$?
[ $rc -eq 255 ] && grep -qx "Could not request local forwarding." "$T/eoff.err" &&
	! pgrep -u "$(id -u)" -f -- "-L 127.0.0.1:$hport:127.0.0.1:22" >/dev/null
res "-f with ExitOnForwardFailure: exit 255 before going to the background" || cat "$T/eoff.err" >&2
out=$(client kssh "$port" "-o LogLevel=INFO -L 127.0.0.1:$hport:127.0.0.1:22" echo ran </dev/null 2>"$T/nf.err"); rc=$?
[ $rc -eq 0 ] && [ "$out" = ran ] && grep -q "cannot listen to port: $hport" "$T/nf.err"
res "without ExitOnForwardFailure: a warning, the command runs" || cat "$T/nf.err" >&2

# Bind addresses that cannot be listened on: the same lines as ssh's.
for b in nosuch.invalid 198.51.100.1; do
	for k in kssh ssh; do
		client "$k" "$port" "-o LogLevel=INFO -L $b:4445:127.0.0.1:1" echo ran </dev/null 2>"$T/bb-$k.err" |
			tr -d '\r' >"$T/bb-$k.out"
		tr -d '\r' <"$T/bb-$k.err" | grep -v '^Warning: Permanently added' >"$T/bb-$k.msg"
	done
	[ "$(cat "$T/bb-kssh.out")" = ran ] && [ -s "$T/bb-ssh.msg" ] && diff "$T/bb-ssh.msg" "$T/bb-kssh.msg" >&2
	res "-L $b:port: the command runs, the error lines are ssh's"
done

# An IPv6 bind address (if this machine has ::1).
if "$PY" -c 'import socket; s = socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	lp=$(free_port)
	bg_kssh v6 "$port" "-L [::1]:$lp:127.0.0.1:$hport"
	wait_for fetch "$T/got" -g "http://[::1]:$lp/f.txt" && ! listening "$lp"
	res "-L [::1]:port listens on ::1 only" || cat "$T/v6.err" >&2
	stop_bg "$BG_PID"
else
	skip "-L [::1]:port (no IPv6 loopback here)"
fi

# LocalForward and DynamicForward from a config file.
lp=$(free_port); dp=$(free_port)
cat >"$T/fwd.conf" <<EOF
Host fwdhost
  HostName 127.0.0.1
  Port $port
  User $TUSER
  IdentityFile $T/user_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $T/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking no
  BatchMode yes
  LogLevel ERROR
  LocalForward $lp 127.0.0.1:$hport
  DynamicForward 127.0.0.1:$dp
EOF
timeout 60 "$KSSH" -F "$T/fwd.conf" -N fwdhost </dev/null 2>"$T/cf.err" &
BG_PID=$!; echo "$BG_PID" >>"$T/pids"
wait_for listening "$lp" && fetch "$T/got" "http://127.0.0.1:$lp/f.txt" &&
	wait_for listening "$dp" && fetch "$T/got" --socks5-hostname "127.0.0.1:$dp" "http://localhost:$hport/f.txt"
res "LocalForward and DynamicForward from a config file" || cat "$T/cf.err" >&2
stop_bg "$BG_PID"

# A server with AllowTcpForwarding no: "open failed: administratively
# prohibited", the local connection closed, kssh still running.
cp "$T/ksshd.conf" "$T/nofwd.conf" && echo "AllowTcpForwarding no" >>"$T/nofwd.conf"
if start_server ksshd nofwd; then
	for k in kssh ssh; do
		lp=$(free_port)
		client "$k" "$SRV_PORT" "-N -o LogLevel=INFO -L $lp:127.0.0.1:$hport" 2>"$T/pro-$k.err" </dev/null &
		BG_PID=$!; echo "$BG_PID" >>"$T/pids"
		wait_for listening "$lp"
		timeout 10 curl -s -o "$T/pro-$k.out" "http://127.0.0.1:$lp/f.txt"; echo "$?" >"$T/pro-$k.curl"
		sleep 0.3
		running "$BG_PID"; echo "$?" >"$T/pro-$k.alive"
		stop_bg "$BG_PID"
	done
	c=$(cat "$T/pro-kssh.curl")
	[ "$c" -ne 0 ] && [ "$c" -ne 124 ] && [ ! -s "$T/pro-kssh.out" ] && [ "$(cat "$T/pro-kssh.alive")" = 0 ] &&
		grep -q "^channel [0-9]*: open failed: administratively prohibited: " "$T/pro-kssh.err"
	res "refused by the server: open failed message, connection closed, kssh runs on" || cat "$T/pro-kssh.err" >&2
	[ "$(grep 'open failed' "$T/pro-kssh.err" | sed 's/^channel [0-9]*:/channel N:/')" = \
		"$(tr -d '\r' <"$T/pro-ssh.err" | grep 'open failed' | sed 's/^channel [0-9]*:/channel N:/')" ]
	res "the refusal reads as ssh's" || { cat "$T/pro-ssh.err" "$T/pro-kssh.err" >&2; }
else
	fail "ksshd AllowTcpForwarding no start"
fi

# Bad specifications: refused before connecting, as ssh words it.
for spec in "-L bad" "-L 1:2" "-D bad:x:y" "-R x:y:z:w:v"; do
	# shellcheck disable=SC2086
	"$KSSH" -F /dev/null $spec 127.0.0.1 true </dev/null >/dev/null 2>"$T/bad-k"; rk=$?
	# shellcheck disable=SC2086
	"$SSH" -F /dev/null $spec 127.0.0.1 true </dev/null >/dev/null 2>"$T/bad-s"; rs=$?
	[ $rk -eq 255 ] && [ $rs -eq 255 ] && diff "$T/bad-s" "$T/bad-k" >&2
	res "kssh $spec refused as ssh refuses it"
done

# kssh -G: the forwarding lines ssh -G prints for the same configuration.
cat >"$T/g.conf" <<EOF
Host *
  LocalForward 1234 h:5
  LocalForward [::1]:99 [::1]:100
  LocalForward /tmp/l.sock h:1
  DynamicForward 1080
  DynamicForward 127.0.0.1:1081
  RemoteForward 2222 /tmp/s
  RemoteForward 0 localhost:22
  RemoteForward 8000
  RemoteForward 127.0.0.1:8001
  GatewayPorts yes
  ExitOnForwardFailure yes
  StreamLocalBindMask 077
  StreamLocalBindUnlink yes
EOF
for k in kssh ssh; do
	if [ $k = kssh ]; then b=$KSSH; else b=$SSH; fi
	"$b" -F "$T/g.conf" -L 5555:x:6 -D '*:7777' -R 9:a:10 -G somehost 2>/dev/null |
		grep -E '^(localforward|remoteforward|dynamicforward|gatewayports|exitonforwardfailure|streamlocalbind[a-z]*) ' \
			>"$T/G-$k"
done
[ -s "$T/G-ssh" ] && diff "$T/G-ssh" "$T/G-kssh" >&2
res "kssh -G forwarding lines equal ssh -G's"
# ClearAllForwardings (what scp passes): none left, on the command line or in files.
for k in kssh ssh; do
	if [ $k = kssh ]; then b=$KSSH; else b=$SSH; fi
	"$b" -F "$T/g.conf" -o ClearAllForwardings=yes -L 5555:x:6 -G somehost 2>/dev/null |
		grep -E '^(localforward|remoteforward|dynamicforward|clearallforwardings) ' >"$T/GC-$k"
done
[ "$(cat "$T/GC-kssh")" = "clearallforwardings yes" ] && diff "$T/GC-ssh" "$T/GC-kssh" >&2
res "ClearAllForwardings yes clears them all, as ssh -G shows"
lp=$(free_port)
out=$(client kssh "$port" "-o ClearAllForwardings=yes -L $lp:127.0.0.1:$hport" sh -c "'cat /proc/net/tcp'" </dev/null 2>"$T/caf.err")
hex=$(printf '%04X' "$lp")
[ -n "$out" ] && ! echo "$out" | grep -q ":$hex 00000000:0000 0A"
res "ClearAllForwardings yes: no listener" || cat "$T/caf.err" >&2

finish
