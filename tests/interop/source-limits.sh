#!/bin/sh
# ksshd's per-source limits (127.0.0.0/8 is all loopback, so clients bind
# 127.0.0.2-4 as their source): 150 idle connections from one address do
# not stop a login from another with PerSourceMaxStartups 10 (the 11th
# from it is refused, the idle ones end at the identification timeout);
# repeated failed authentications penalise an address (PerSourcePenalties
# authfail) until the penalty runs out, while others log in; an address in
# PerSourcePenaltyExemptList is never penalised; ksshd -T shows the values.
. "$(dirname "$0")/lib.sh"

have_prog ksshd ksshd ssh || finish
KSSHD_EXEMPT=""  # lib.sh exempts 127.0.0.1 otherwise; this test sets its own list
setup_keys || { fail "setup keys"; finish; }
gen_key "$T/wrong" ed25519 || { fail "wrong key"; finish; }

write_server_config "$T/k.conf" "$T/host_ed25519"
{
	echo "MaxStartups 300:30:400"
	echo "PerSourceMaxStartups 10"
	echo "PerSourceNetBlockSize 32:64"
	echo "PerSourcePenalties authfail:4s min:10s max:10s noauth:1s"
	echo "PerSourcePenaltyExemptList 127.0.0.4,198.51.100.0/24"
} >>"$T/k.conf"

"$KSSHD" -T -f "$T/k.conf" >"$T/dump" 2>&1
grep -qx 'persourcemaxstartups 10' "$T/dump" && grep -qx 'persourcenetblocksize 32:64' "$T/dump" &&
	grep -qx 'maxstartups 300:30:400' "$T/dump" &&
	grep -qx 'persourcepenaltyexemptlist 127.0.0.4,198.51.100.0/24' "$T/dump" &&
	grep -qx 'persourcepenalties crash:90.000000 authfail:4.000000 noauth:1.000000 invaliduser:5.000000 grace-exceeded:10.000000 refuseconnection:10.000000 max:10.000000 min:10.000000 max-sources4:65536 max-sources6:65536 overflow:permissive overflow6:permissive' "$T/dump"
res "ksshd -T shows the PerSource values" || cat "$T/dump" >&2
printf 'HostKey %s\n' "$T/host_ed25519" >"$T/d.conf"
"$KSSHD" -T -f "$T/d.conf" >"$T/dump0" 2>&1
grep -qx 'persourcemaxstartups none' "$T/dump0" && grep -qx 'persourcenetblocksize 32:128' "$T/dump0" &&
	grep -qx 'persourcepenaltyexemptlist none' "$T/dump0" &&
	grep -qx 'persourcepenalties crash:90.000000 authfail:5.000000 noauth:1.000000 invaliduser:5.000000 grace-exceeded:10.000000 refuseconnection:10.000000 max:600.000000 min:15.000000 max-sources4:65536 max-sources6:65536 overflow:permissive overflow6:permissive' "$T/dump0"
res "ksshd -T shows the defaults as OpenSSH 10" || cat "$T/dump0" >&2
printf 'HostKey %s\nPerSourcePenalties authfail:soon\n' "$T/host_ed25519" >"$T/bad.conf"
"$KSSHD" -T -f "$T/bad.conf" >"$T/bad" 2>&1; rc=$?
[ $rc -ne 0 ] && grep -q 'line 2: PerSourcePenalties' "$T/bad"; res "a bad PerSourcePenalties value is refused" || cat "$T/bad" >&2

start_server ksshd k || { fail "ksshd start"; finish; }
port=$SRV_PORT; log=$SRV_LOG

# login SRC [OPTS] : ssh from source address SRC prints ok.
login() {
	_src=$1; shift
	[ "$(client ssh "$port" "-b $_src -o PreferredAuthentications=publickey $*" echo ok </dev/null 2>>"$T/login.err")" = ok ]
}

# --- 150 idle connections from 127.0.0.2 (half send a version line, half nothing) ---
"$PY" "$(dirname "$0")/source_idle.py" "$port" 127.0.0.2 150 "$T/idle" 14 &
idle=$!
i=0; while [ ! -s "$T/idle" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
grep -qx 'served 10 dropped 140' "$T/idle"; res "PerSourceMaxStartups 10: 10 of 150 idle connections served, 140 refused" || cat "$T/idle" >&2
login 127.0.0.1; res "a login from 127.0.0.1 works beside 150 idle connections from 127.0.0.2" || tail -n 5 "$T/login.err" >&2
login 127.0.0.2; [ $? -ne 0 ]; res "the 11th connection from 127.0.0.2 is refused"
grep -q 'drop connection #[0-9]* from \[127.0.0.2\]:[0-9]* past PerSourceMaxStartups' "$log"; res "ksshd logs the PerSourceMaxStartups drops"
wait $idle
grep -qx 'identclosed 5 of the silent 5, 0 of the versioned 5' "$T/idle"
res "the idle connections that send no identification line are closed at its timeout, the others wait" || cat "$T/idle" >&2
grep -q 'Timeout waiting for identification string from 127.0.0.2' "$log"; res "ksshd logs the identification timeout"
sleep 1.5  # the idle connections' noauth penalty (1 s, under min) has run out
login 127.0.0.2; res "127.0.0.2 logs in once its idle connections are gone" || tail -n 5 "$T/login.err" >&2

# --- failed authentications from 127.0.0.3 ---
# authfail:4s accrues: three failures (12 s, capped at max 10 s) reach min 10 s.
for n in 1 2 3; do
	out=$(client ssh "$port" "-b 127.0.0.3 -o PreferredAuthentications=publickey -i $T/wrong" echo ok </dev/null 2>"$T/f$n"); rc=$?
	[ $rc -ne 0 ] && grep -q 'Permission denied' "$T/f$n"; res "wrong key $n from 127.0.0.3 is denied (not yet penalised)" || cat "$T/f$n" >&2
done
sleep 0.5  # the listener reaps the last child
t0=$(date +%s)
out=$(client ssh "$port" "-b 127.0.0.3 -o PreferredAuthentications=publickey" echo ok </dev/null 2>"$T/pen"); rc=$?
[ $rc -ne 0 ] && [ "$out" != ok ] && ! grep -q 'Permission denied' "$T/pen"; res "a good key from 127.0.0.3 is refused during the penalty" || cat "$T/pen" >&2
grep -q 'drop connection #[0-9]* from \[127.0.0.3\]:[0-9]* penalty: failed authentication' "$log"; res "ksshd logs the penalty drop"
login 127.0.0.1; res "127.0.0.1 logs in while 127.0.0.3 is penalised" || tail -n 5 "$T/login.err" >&2
login 127.0.0.5; res "another address (127.0.0.5) logs in meanwhile" || tail -n 5 "$T/login.err" >&2
# The penalty lasts 10 s from the last failure.
while [ $(( $(date +%s) - t0 )) -lt 11 ]; do sleep 0.5; done
login 127.0.0.3; res "127.0.0.3 logs in again after the penalty time" || tail -n 5 "$T/login.err" >&2

# --- the exempt address ---
for n in 1 2 3 4 5 6; do
	client ssh "$port" "-b 127.0.0.4 -o PreferredAuthentications=publickey -i $T/wrong" echo ok </dev/null >/dev/null 2>&1
done
sleep 0.5
login 127.0.0.4; res "127.0.0.4 (PerSourcePenaltyExemptList) is not penalised after six failures" || tail -n 5 "$T/login.err" >&2
! grep -q 'from \[127.0.0.4\]:[0-9]* penalty' "$log"; res "no penalty drop logged for the exempt address"

# --- LoginGraceTime exceeded counts as grace-exceeded ---
write_server_config "$T/g.conf" "$T/host_ed25519"
{ echo "LoginGraceTime 2"; echo "MaxAuthTries 2"; echo "PerSourcePenalties grace-exceeded:8s authfail:8s crash:8s min:5s"; } >>"$T/g.conf"
start_server ksshd g || { fail "ksshd (grace) start"; finish; }
gport=$SRV_PORT; glog=$SRV_LOG
"$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.6", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"SSH-2.0-idle\r\n"); s.settimeout(6); t = time.time()
try:
    while s.recv(4096): pass
except OSError: pass
print("closed after %.0f" % (time.time() - t))' "$gport" >"$T/grace" 2>&1
grep -qx 'closed after [23]' "$T/grace" && grep -q 'Timeout before authentication for 127.0.0.6' "$glog"
res "LoginGraceTime 2 ends a connection that only sent its version line" || cat "$T/grace" >&2
sleep 0.5
out=$(client ssh "$gport" "-b 127.0.0.6" echo ok </dev/null 2>"$T/gpen")
[ "$out" != ok ] && grep -q 'drop connection #[0-9]* from \[127.0.0.6\]:[0-9]* penalty: exceeded LoginGraceTime' "$glog"
res "exceeding LoginGraceTime penalises the address (grace-exceeded)" || cat "$T/gpen" >&2
[ "$(client ssh "$gport" "-b 127.0.0.1" echo ok </dev/null 2>/dev/null)" = ok ]; res "127.0.0.1 still logs in to that server"

# --- MaxAuthTries exceeded counts as authfail ---
gen_key "$T/wrong2" ed25519 && gen_key "$T/wrong3" ed25519 || fail "more wrong keys"
client ssh "$gport" "-b 127.0.0.7 -o PreferredAuthentications=publickey -i $T/wrong -i $T/wrong2 -i $T/wrong3" echo ok </dev/null >/dev/null 2>"$T/mat"
grep -q 'Too many authentication failures' "$T/mat"; res "MaxAuthTries 2 ends the third wrong key" || cat "$T/mat" >&2
sleep 0.5
out=$(client ssh "$gport" "-b 127.0.0.7" echo ok </dev/null 2>"$T/mpen")
[ "$out" != ok ] && grep -q 'drop connection #[0-9]* from \[127.0.0.7\]:[0-9]* penalty: failed authentication' "$glog"
res "exceeding MaxAuthTries penalises the address (authfail)" || cat "$T/mpen" >&2

# --- a connection process killed by a signal counts as a crash ---
"$PY" -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.8", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5); s.recv(100); time.sleep(4)' "$gport" &
holder=$!
sleep 1
child=""
for p in $(pgrep -P "$SRV_PID"); do
	grep -q 'Connection from 127.0.0.8' "$glog" && child=$p
done
[ -n "$child" ] && kill -KILL "$child"
wait $holder
sleep 0.5
out=$(client ssh "$gport" "-b 127.0.0.8" echo ok </dev/null 2>"$T/cpen")
[ -n "$child" ] && [ "$out" != ok ] &&
	grep -q 'drop connection #[0-9]* from \[127.0.0.8\]:[0-9]* penalty: caused crash' "$glog"
res "a connection process killed by a signal penalises its address (crash)" || cat "$T/cpen" >&2

# --- an unknown user counts as invaliduser (default 5 s, at min 5 s here) ---
CLIENT_USER=kagi-no-such-user-x client ssh "$gport" "-b 127.0.0.9 -o PreferredAuthentications=publickey" echo ok </dev/null >/dev/null 2>"$T/iu"
grep -q 'Permission denied' "$T/iu"; res "an unknown user from 127.0.0.9 is denied" || cat "$T/iu" >&2
sleep 0.5
out=$(client ssh "$gport" "-b 127.0.0.9" echo ok </dev/null 2>"$T/iupen")
[ "$out" != ok ] && grep -q 'drop connection #[0-9]* from \[127.0.0.9\]:[0-9]* penalty: invalid user' "$glog"
res "an unknown user penalises the address (invaliduser)" || cat "$T/iupen" >&2

finish
