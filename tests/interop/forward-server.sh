#!/bin/sh
# Forwarding served by ksshd, driven by OpenSSH's ssh: -R to a python3 HTTP
# server fetched with curl through the remote port, -R 0 (the allocated
# port is printed and works), -L (direct-tcpip), -L to a Unix socket
# (direct-streamlocal), -D with curl --socks5-hostname, -R port (ssh does
# SOCKS on what ksshd forwards), -R to a Unix socket
# path (streamlocal-forward), AllowTcpForwarding=no refusing (ssh with
# ExitOnForwardFailure=yes exits 255), PermitListen limiting ports, and as a
# non-root user: a privileged port refused, the socket file the user's.
. "$(dirname "$0")/lib.sh"

have_prog ksshd ksshd ssh || finish
command -v curl >/dev/null 2>&1 || { skip "curl not installed"; finish; }
setup_keys || { fail "setup keys"; finish; }

# An HTTP server on a TCP port and one on a Unix socket, serving $T/www.
mkdir -p "$T/www" && head -c 20000 /dev/urandom | base64 >"$T/www/f.txt"
WEBSERVE=$(cd "$(dirname "$0")" && pwd)/webserve.py
hport=$(free_port)
setsid "$PY" "$WEBSERVE" "$T/www" tcp "$hport" </dev/null >>"$T/http.err" 2>&1 &
echo $! >>"$T/pids"
mkdir -p "$T/s" && chmod 755 "$T/s"
setsid "$PY" "$WEBSERVE" "$T/www" unix "$T/s/http.sock" </dev/null >>"$T/http.err" 2>&1 &
echo $! >>"$T/pids"

# wait_for CMD... : up to 10 s for the command to succeed.
wait_for() { _i=0; while [ $_i -lt 100 ]; do "$@" && return 0; sleep 0.1; _i=$((_i + 1)); done; return 1; }
wait_for listening "$hport" && wait_for test -S "$T/s/http.sock" || { fail "http servers start"; finish; }
want=$(sha "$T/www/f.txt")
# fetched URL [CURL-ARGS...] : the file came through intact.
fetched() { _u=$1; shift; curl -s -m 10 "$@" -o "$T/got" "$_u" && [ "$(sha "$T/got")" = "$want" ]; }

write_server_config "$T/k.conf" "$T/host_ed25519"
start_server ksshd k || { fail "ksshd start"; finish; }
kport=$SRV_PORT; klog=$SRV_LOG

# bg_ssh PORT ERRFILE OPTS... : ssh -N in the background, $fpid its timeout
# wrapper (which passes a TERM on to ssh); the options of lib.sh's client.
bg_ssh() {
	_p=$1; _e=$2; shift 2
	timeout -k 5 "$CLIENT_TIMEOUT" $CLIENT_WRAP "$SSH" -N -o ExitOnForwardFailure=yes -o LogLevel=INFO "$@" \
		-F /dev/null -p "$_p" -l "${CLIENT_USER:-$TUSER}" -o UserKnownHostsFile="$T/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o ConnectTimeout=10 127.0.0.1 \
		</dev/null >/dev/null 2>"$_e" &
	fpid=$!
}
KEY="-i $T/user_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes"
# fwd NAME OPTS : forwarding to the main ksshd.
fwd() { _n=$1; shift; bg_ssh "$kport" "$T/$_n.err" $KEY "$@"; }
stop() { kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null; }

rport=$(free_port)
fwd R "-R $rport:127.0.0.1:$hport"
wait_for listening "$rport" && fetched "http://127.0.0.1:$rport/f.txt"; res "ssh -R: curl through the remote port" || cat "$T/R.err" >&2
stop
not_listening() { ! listening "$1"; }
wait_for not_listening "$rport"
res "the remote port is closed once ssh is gone"

fwd R0 "-R 0:127.0.0.1:$hport"
wait_for grep -q "Allocated port" "$T/R0.err"
aport=$(sed -n 's/.*Allocated port \([0-9]*\) for remote forward.*/\1/p' "$T/R0.err" | head -n 1)
[ -n "$aport" ] && fetched "http://127.0.0.1:$aport/f.txt"; res "ssh -R 0: allocated port $aport works" || cat "$T/R0.err" >&2
stop

lport=$(free_port)
fwd L "-L $lport:127.0.0.1:$hport"
wait_for listening "$lport" && fetched "http://127.0.0.1:$lport/f.txt"; res "ssh -L (direct-tcpip)" || cat "$T/L.err" >&2
stop

lport=$(free_port)
fwd LU "-L $lport:$T/s/http.sock"
wait_for listening "$lport" && fetched "http://127.0.0.1:$lport/f.txt"; res "ssh -L to a Unix socket (direct-streamlocal)" || cat "$T/LU.err" >&2
stop

dport=$(free_port)
fwd D "-D $dport"
# "localhost" is resolved by the server; its ::1 is refused, 127.0.0.1 taken.
wait_for listening "$dport" && fetched "http://localhost:$hport/f.txt" --socks5-hostname "127.0.0.1:$dport"
res "ssh -D + curl --socks5-hostname" || cat "$T/D.err" >&2
stop

# -R with no target: ssh answers SOCKS itself on what ksshd forwards.
rport=$(free_port)
fwd RD "-R $rport"
wait_for listening "$rport" && fetched "http://127.0.0.1:$hport/f.txt" --socks5-hostname "127.0.0.1:$rport"
res "ssh -R port (SOCKS through the remote port)" || cat "$T/RD.err" >&2
stop

fwd RU "-R $T/s/r.sock:127.0.0.1:$hport"
wait_for test -S "$T/s/r.sock" && fetched "http://x/f.txt" --unix-socket "$T/s/r.sock"
res "ssh -R to a Unix socket path (streamlocal-forward)" || cat "$T/RU.err" >&2
m=$(stat -c %a "$T/s/r.sock" 2>/dev/null)
[ "$m" = 600 ]; res "the forwarded socket has StreamLocalBindMask 0177's mode ($m)"
stop
# A second forward to the same path fails without StreamLocalBindUnlink.
fwd RU2 "-R $T/s/r.sock:127.0.0.1:$hport"
wait $fpid; rc=$?
[ $rc -eq 255 ] && grep -q "remote port forwarding failed for listen path" "$T/RU2.err"
res "an existing socket file is not replaced (exit $rc)" || cat "$T/RU2.err" >&2

# Refusals.
write_server_config "$T/no.conf" "$T/host_ed25519"
echo "AllowTcpForwarding no" >>"$T/no.conf"
start_server ksshd no || { fail "ksshd (AllowTcpForwarding no) start"; finish; }
noport=$SRV_PORT
client ssh "$noport" "-N -o ExitOnForwardFailure=yes -R $(free_port):127.0.0.1:$hport" </dev/null >/dev/null 2>"$T/no.err"
rc=$?
[ $rc -eq 255 ] && grep -q "remote port forwarding failed" "$T/no.err"; res "AllowTcpForwarding no: ssh -R exits 255" || cat "$T/no.err" >&2
lport=$(free_port)
bg_ssh "$noport" "$T/no.err" $KEY -L "$lport:127.0.0.1:$hport"
wait_for listening "$lport" && ! curl -s -m 5 -o /dev/null "http://127.0.0.1:$lport/f.txt"
res "AllowTcpForwarding no: ssh -L channel refused"
stop
grep -q "refused local port forward" "$SRV_LOG"; res "the refusal is logged"

okport=$(free_port); badport=$(free_port)
write_server_config "$T/pl.conf" "$T/host_ed25519"
echo "PermitListen $okport localhost:$(free_port)" >>"$T/pl.conf"
start_server ksshd pl || { fail "ksshd (PermitListen) start"; finish; }
plport=$SRV_PORT
client ssh "$plport" "-N -o ExitOnForwardFailure=yes -R $badport:127.0.0.1:$hport" </dev/null >/dev/null 2>"$T/pl.err"
rc=$?
[ $rc -eq 255 ] && grep -q "remote port forwarding failed for listen port $badport" "$T/pl.err"; res "PermitListen: an unlisted port is refused (exit $rc)"
bg_ssh "$plport" "$T/pl.err" $KEY -R "$okport:127.0.0.1:$hport"
wait_for listening "$okport" && fetched "http://127.0.0.1:$okport/f.txt"; res "PermitListen: the listed port works"
stop

# As a user other than root: the identity the server listens with.
if [ $IS_ROOT -eq 1 ] && setup_pwuser; then
	mkdir -p "$T/u" && chown "$PWUSER" "$T/u"
	export SSHPASS="$PWPASS"
	PWOPTS="-o PubkeyAuthentication=no -o PreferredAuthentications=password"
	CLIENT_WRAP="sshpass -e" CLIENT_USER=$PWUSER
	bg_ssh "$kport" "$T/pw.err" $PWOPTS -R "$T/u/r.sock:127.0.0.1:$hport"
	wait_for test -S "$T/u/r.sock"
	owner=$(stat -c %U "$T/u/r.sock" 2>/dev/null)
	[ "$owner" = "$PWUSER" ] && fetched "http://x/f.txt" --unix-socket "$T/u/r.sock"
	res "non-root user: -R to a socket works, the file is the user's ($owner)" || cat "$T/pw.err" >&2
	stop
	bg_ssh "$kport" "$T/pw.err" $PWOPTS -R "1000:127.0.0.1:$hport"
	wait $fpid; rc=$?
	[ $rc -eq 255 ] && grep -q "remote port forwarding failed for listen port 1000" "$T/pw.err"
	res "non-root user: a privileged port is refused (exit $rc)" || cat "$T/pw.err" >&2
	CLIENT_WRAP="" CLIENT_USER=""
else
	skip "non-root user cases (need root and sshpass)"
fi

still_serving ssh "$kport"; res "ksshd still serving"
finish
