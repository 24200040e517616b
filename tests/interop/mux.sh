#!/bin/sh
# Connection sharing (ControlMaster, ControlPath, ControlPersist, -M -S -O):
# kssh as master and as mux client, OpenSSH's ssh as a client of a kssh
# master and kssh as a client of an OpenSSH master.  A shared session
# authenticates nothing: the server logs one login, and the second client
# has no key at all.
. "$(dirname "$0")/lib.sh"

have_prog mux kssh ksshd || finish
setup_keys
write_server_config "$T/kd.conf" "$T/host_ed25519"
echo "Subsystem sftp $KAGI_BIN/ksftp-server" >>"$T/kd.conf"
start_server ksshd kd || { fail "ksshd starts"; finish; }
P=$SRV_PORT
LOG=$SRV_LOG
NOKEY="-i $T/no-such-key"

logins() { grep -c "Accepted publickey" "$LOG"; }
# wait_for COND... : up to 10 s
wait_for() { _i=0; while [ $_i -lt 100 ]; do "$@" && return 0; sleep 0.1; _i=$((_i + 1)); done; return 1; }
sock() { [ -S "$1" ]; }
gone() { [ ! -e "$1" ]; }
dead() { ! running "$1"; }

# --- a master with -M -N, in the background
CM=$T/cm
client kssh "$P" "-M -S $CM -N" </dev/null >/dev/null 2>"$T/master.err" &
MPID=$!
echo "$MPID" >>"$T/pids"
wait_for sock "$CM"; res "kssh -M creates the control socket" || cat "$T/master.err" >&2
[ "$(stat -c %a "$CM" 2>/dev/null)" = 600 ]; res "control socket is 0600"
before=$(logins)

# The master is kssh under the harness's timeout: the kssh process whose
# command line names the socket.
KPID=
for p in $(pgrep -f -- "kssh -M -S $CM"); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = kssh ] && KPID=$p; done
out=$(client kssh "$P" "-S $CM -O check" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -n "$KPID" ] && [ "$(printf '%s' "$out" | tr -d '\r')" = "Master running (pid=$KPID)" ]
res "kssh -O check: Master running (pid=N)" || echo "rc=$rc out=$out kssh=$KPID" >&2

out=$(client kssh "$P" "-S $CM $NOKEY" 'echo shared; exit 7' </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 7 ] && [ "$out" = shared ]; res "shared session runs, exit status carried" || { echo "rc=$rc out=$out" >&2; cat "$T/e" >&2; }
out=$(client kssh "$P" "-S $CM $NOKEY" 'echo to-stderr >&2' </dev/null 2>&1 >/dev/null)
[ "$out" = to-stderr ]; res "shared session's stderr passes"
head -c 3000000 /dev/urandom >"$T/blob"
got=$(client kssh "$P" "-S $CM $NOKEY" 'cat' <"$T/blob" | sha256sum | cut -d' ' -f1)
[ "$got" = "$(sha256sum <"$T/blob" | cut -d' ' -f1)" ]; res "stdin passes through a shared session (3 MB round trip)"
# Two shared sessions at once next to each other.
client kssh "$P" "-S $CM $NOKEY" 'sleep 1; echo a' </dev/null >"$T/a" 2>&1 &
a=$!
out=$(client kssh "$P" "-S $CM $NOKEY" 'echo b' </dev/null 2>&1)
wait $a
[ "$out" = b ] && [ "$(cat "$T/a")" = a ]; res "two shared sessions at once"
[ "$(logins)" -eq "$before" ]; res "shared sessions authenticate nothing (one login in the server log)" || tail "$LOG" >&2

# -O forward / -O cancel: the master listens for us.  The forwarded port
# leads to the server's port: its banner shows the forwarding works.
banner() { "$PY" -c "import socket,sys; s=socket.create_connection(('127.0.0.1',int(sys.argv[1])),3); s.settimeout(3); print(s.recv(64)[:3].decode())" "$1" 2>/dev/null; }
LP=$(free_port)
out=$(client kssh "$P" "-S $CM -O forward -L $LP:127.0.0.1:$P" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(banner "$LP")" = SSH ]; res "-O forward -L: the master forwards the port" || echo "rc=$rc $out" >&2
out=$(client kssh "$P" "-S $CM -O cancel -L $LP:127.0.0.1:$P" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$(banner "$LP")" ]; res "-O cancel -L: the port is closed again" || echo "rc=$rc $out" >&2
out=$(client kssh "$P" "-S $CM -O cancel -L $LP:127.0.0.1:$P" 2>&1); rc=$?
[ $rc -eq 255 ] && echo "$out" | grep -q "Master refused cancel forwarding request"; res "-O cancel of an unknown forwarding refused" || echo "rc=$rc $out" >&2
LP2=$(free_port)
client kssh "$P" "-S $CM $NOKEY -L $LP2:127.0.0.1:$P" 'sleep 2' </dev/null >/dev/null 2>&1 &
sp=$!
wait_for listening "$LP2"; [ "$(banner "$LP2")" = SSH ]; res "a shared session's -L is set up by the master"
wait $sp
out=$(client kssh "$P" "-S $CM $NOKEY -tt" 'tty; exit 2' </dev/null 2>/dev/null | tr -d '\r'); rc=$?
rc=$(client kssh "$P" "-S $CM $NOKEY -tt" 'exit 2' </dev/null >/dev/null 2>&1; echo $?)
echo "$out" | grep -q '^/dev/pts/' && [ "$rc" -eq 2 ]; res "a shared session with a pty (-tt)" || echo "rc=$rc out=$out" >&2
# ksftp rides the master too (the sftp subsystem through a shared session).
KSFTP=$KAGI_BIN/ksftp
if [ -x "$KSFTP" ]; then
	printf 'put %s %s\nget %s %s\n' "$T/blob" "$T/up.bin" "$T/up.bin" "$T/down.bin" >"$T/batch"
	timeout 60 "$KSFTP" -q -F /dev/null -P "$P" -i "$T/no-such-key" -o BatchMode=yes -o ControlPath="$CM" \
		-o UserKnownHostsFile="$T/known_hosts" -b "$T/batch" "$TUSER@127.0.0.1" >"$T/sftp.out" 2>&1; rc=$?
	[ $rc -eq 0 ] && cmp -s "$T/blob" "$T/down.bin"; res "ksftp through the master: put and get (no key)" || { echo "rc=$rc" >&2; cat "$T/sftp.out" >&2; }
fi
# ...and kscp, in SFTP mode and with the legacy protocol (-O).
KSCP=$KAGI_BIN/kscp
if [ -x "$KSCP" ]; then
	ko="-q -F /dev/null -P $P -i $T/no-such-key -o BatchMode=yes -o ControlPath=$CM -o UserKnownHostsFile=$T/known_hosts"
	# shellcheck disable=SC2086
	timeout 60 "$KSCP" $ko "$T/blob" "$TUSER@127.0.0.1:$T/scp-up.bin" 2>"$T/e" &&
		timeout 60 "$KSCP" $ko "$TUSER@127.0.0.1:$T/scp-up.bin" "$T/scp-down.bin" 2>>"$T/e" &&
		cmp -s "$T/blob" "$T/scp-down.bin"
	res "kscp through the master (SFTP): up and down (no key)" || cat "$T/e" >&2
	rm -f "$T/scp-up.bin" "$T/scp-down.bin"
	# shellcheck disable=SC2086
	timeout 60 "$KSCP" -O $ko "$T/blob" "$TUSER@127.0.0.1:$T/scp-up.bin" 2>"$T/e" &&
		timeout 60 "$KSCP" -O $ko "$TUSER@127.0.0.1:$T/scp-up.bin" "$T/scp-down.bin" 2>>"$T/e" &&
		cmp -s "$T/blob" "$T/scp-down.bin"
	res "kscp -O through the master (scp protocol): up and down" || cat "$T/e" >&2
fi
# -W through the master (NEW_STDIO_FWD): the server's own banner comes back.
out=$( (sleep 1) | client kssh "$P" "-S $CM $NOKEY -W 127.0.0.1:$P" 2>"$T/e" | head -c 7)
[ "$out" = SSH-2.0 ]; res "kssh -W through the master (stdio forwarding)" || { echo "out=$out" >&2; cat "$T/e" >&2; }
out=$(client kssh "$P" "-S $CM -O bogus" 2>&1); rc=$?
[ $rc -eq 255 ] && echo "$out" | grep -q "Invalid multiplex command"; res "-O bogus refused"

# --- OpenSSH's ssh as a client of the kssh master
if [ -x "$SSH" ]; then
	out=$(client ssh "$P" "-S $CM -O check" 2>&1); rc=$?
	[ $rc -eq 0 ] && echo "$out" | grep -q "Master running (pid=$KPID)"; res "ssh -O check against a kssh master" || echo "rc=$rc $out" >&2
	out=$(client ssh "$P" "-S $CM $NOKEY" 'echo from-ssh; exit 3' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 3 ] && [ "$out" = from-ssh ]; res "ssh runs a command through a kssh master" || { echo "rc=$rc out=$out" >&2; cat "$T/e" >&2; }
	out=$(printf 'piped\n' | client ssh "$P" "-S $CM $NOKEY" 'cat' 2>"$T/e")
	[ "$out" = piped ]; res "ssh's stdin through a kssh master" || cat "$T/e" >&2
fi
if [ -x "$SSH" ]; then
	LP3=$(free_port)
	out=$(client ssh "$P" "-S $CM -O forward -L $LP3:127.0.0.1:$P" 2>&1); rc=$?
	[ $rc -eq 0 ] && [ "$(banner "$LP3")" = SSH ]; res "ssh -O forward through a kssh master" || echo "rc=$rc $out" >&2
	out=$(client ssh "$P" "-S $CM -O cancel -L $LP3:127.0.0.1:$P" 2>&1); rc=$?
	[ $rc -eq 0 ] && [ -z "$(banner "$LP3")" ]; res "ssh -O cancel through a kssh master" || echo "rc=$rc $out" >&2
fi
[ "$(logins)" -eq "$before" ]; res "still one login after the ssh clients"

out=$(client kssh "$P" "-S $CM -O exit" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$(printf '%s' "$out" | tr -d '\r')" = "Exit request sent." ]; res "kssh -O exit: Exit request sent." || echo "$out" >&2
wait_for dead "$MPID" && wait_for gone "$CM"; res "master ends on -O exit and removes its socket"
out=$(client kssh "$P" "-S $CM -O check" 2>&1); rc=$?
[ $rc -eq 255 ] && echo "$out" | grep -q "Control socket connect($CM): No such file or directory"
res "-O check with no master: exit 255, ssh's message" || echo "rc=$rc $out" >&2

# --- a master with its own session keeps serving while it runs; -O stop
CM2=$T/cm2
client kssh "$P" "-o ControlMaster=yes -o ControlPath=$CM2" 'sleep 2; echo own' </dev/null >"$T/own" 2>&1 &
M2=$!
wait_for sock "$CM2"
out=$(client kssh "$P" "-o ControlMaster=auto -o ControlPath=$CM2 $NOKEY" 'echo beside' </dev/null 2>&1)
[ "$out" = beside ]; res "a master serves a shared session beside its own"
out=$(client kssh "$P" "-S $CM2 -O stop" 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "Stop listening request sent."; res "kssh -O stop" || echo "$out" >&2
wait_for gone "$CM2"; res "-O stop removes the socket"
wait $M2; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$T/own")" = own ]; res "the master's own session ends normally" || { echo "rc=$rc" >&2; cat "$T/own" >&2; }

# A master whose own session ends first waits for the shared ones.
CM3=$T/cm3
client kssh "$P" "-o ControlMaster=yes -o ControlPath=$CM3" 'sleep 1' </dev/null >/dev/null 2>&1 &
M3=$!
wait_for sock "$CM3"
out=$(client kssh "$P" "-S $CM3 $NOKEY" 'sleep 3; echo late' </dev/null 2>&1)
[ "$out" = late ]; res "the master outlives its own session while a shared one runs" || echo "$out" >&2
wait_for dead "$M3" && wait_for gone "$CM3"; res "...and leaves once that one is over"

# --- ControlPersist, ansible's way: ControlMaster=auto ControlPersist=Ns ControlPath=...
AP="$T/ans-%h-%p-%r"
APX="$T/ans-127.0.0.1-$P-$TUSER"
before=$(logins)
start=$(date +%s)
out=$(client kssh "$P" "-o ControlMaster=auto -o ControlPersist=3s -o ControlPath=$AP" 'echo first; exit 4' </dev/null 2>"$T/e"); rc=$?
end=$(date +%s)
[ $rc -eq 4 ] && [ "$out" = first ] && [ $((end - start)) -lt 3 ]
res "ControlPersist: the first call returns at once with the status" || { echo "rc=$rc out=$out t=$((end - start))" >&2; cat "$T/e" >&2; }
sock "$APX"; res "ControlPersist: the master stays in the background (%h-%p-%r expanded)"
PP=$(client kssh "$P" "-S $APX -O check" 2>&1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
[ -n "$PP" ] && echo "$PP" >>"$T/pids"
out=$(printf 'via-persist\n' | client kssh "$P" "-o ControlMaster=auto -o ControlPersist=3s -o ControlPath=$AP $NOKEY" 'cat' 2>"$T/e")
[ "$out" = via-persist ] && [ "$(logins)" -eq $((before + 1)) ]
res "ControlPersist: the next call rides the master (no key, no login)" || cat "$T/e" >&2
wait_for gone "$APX" && { [ -z "$PP" ] || wait_for dead "$PP"; }; res "ControlPersist=3s: the master leaves after its idle time"

# The foreground process of a ControlPersist call still ends on SIGTERM
# (a timeout killing it), and the master stays.
client kssh "$P" "-o ControlMaster=auto -o ControlPersist=5 -o ControlPath=$T/pt" 'sleep 20' </dev/null >/dev/null 2>&1 &
cp=$!
wait_for sock "$T/pt"
fg=
for x in $(pgrep -f "ControlPath=$T/pt"); do
	pp=$(awk '{print $4}' "/proc/$x/stat" 2>/dev/null)
	[ "$(cat "/proc/$x/comm" 2>/dev/null)" = kssh ] && [ "$(cat "/proc/$pp/comm" 2>/dev/null)" = timeout ] && fg=$x
done
[ -n "$fg" ] && kill -TERM "$fg"
wait $cp; rc=$?
[ -n "$fg" ] && [ $rc -eq 255 ] && sock "$T/pt"; res "ControlPersist: SIGTERM ends the foreground, the master stays" || echo "fg=$fg rc=$rc" >&2
client kssh "$P" "-S $T/pt -O exit" >/dev/null 2>&1

# --- kssh as a client of an OpenSSH master
if [ -x "$SSH" ]; then
	OM=$T/om
	client ssh "$P" "-M -S $OM -f -N" </dev/null 2>"$T/e"
	wait_for sock "$OM"; res "ssh -M -f -N master up" || cat "$T/e" >&2
	out=$(client kssh "$P" "-S $OM -O check" 2>&1); rc=$?
	[ $rc -eq 0 ] && echo "$out" | grep -q "Master running"; res "kssh -O check against an OpenSSH master" || echo "$out" >&2
	out=$(printf 'in\n' | client kssh "$P" "-S $OM $NOKEY" 'cat; echo via-openssh; exit 5' 2>"$T/e"); rc=$?
	[ $rc -eq 5 ] && [ "$out" = "in
via-openssh" ]; res "kssh runs a command through an OpenSSH master" || { echo "rc=$rc out=$out" >&2; cat "$T/e" >&2; }
	out=$(client kssh "$P" "-S $OM -O exit" 2>&1); rc=$?
	[ $rc -eq 0 ] && wait_for gone "$OM"; res "kssh -O exit ends an OpenSSH master" || echo "$out" >&2
fi

# --- agent forwarding through a master that forwards an agent (-A on both)
if command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null; then
	eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null && echo "$SSH_AGENT_PID" >>"$T/pids"
	ssh-add -q "$T/user_ed25519" 2>/dev/null
	CG=$T/cg
	client kssh "$P" "-A -M -S $CG -N" </dev/null >/dev/null 2>&1 &
	wait_for sock "$CG"
	fp=$(ssh-add -l | cut -d' ' -f2)
	out=$(client kssh "$P" "-A -S $CG $NOKEY" 'ssh-add -l' </dev/null 2>&1)
	echo "$out" | grep -q -- "$fp"; res "a shared session with -A gets the master's forwarded agent" || echo "$out" >&2
	out=$(client kssh "$P" "-S $CG $NOKEY" 'ssh-add -l' </dev/null 2>&1)
	! echo "$out" | grep -q -- "$fp"; res "...and one without -A does not"
	client kssh "$P" "-S $CG -O exit" >/dev/null 2>&1
	kill "$SSH_AGENT_PID" 2>/dev/null
	unset SSH_AUTH_SOCK SSH_AGENT_PID
fi

# --- ControlMaster ask: each session is confirmed through SSH_ASKPASS
printf '#!/bin/sh\necho no\n' >"$T/askno"; chmod +x "$T/askno"
CA=$T/ca
SSH_ASKPASS=$T/askno client kssh "$P" "-M -M -S $CA -N" </dev/null >/dev/null 2>&1 &
wait_for sock "$CA"
out=$(client kssh "$P" "-S $CA" 'echo asked' </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = asked ] && grep -q "Master refused session request: Permission denied" "$T/e"
res "ControlMaster ask (-MM): refused by SSH_ASKPASS, the client connects itself" || { echo "rc=$rc $out" >&2; cat "$T/e" >&2; }
out=$(client kssh "$P" "-S $CA -O exit" 2>&1); rc=$?
[ $rc -eq 255 ] && echo "$out" | grep -q "Master refused termination request: Permission denied" && sock "$CA"
res "an ask master asks before -O exit too" || echo "rc=$rc $out" >&2
AK=$(client kssh "$P" "-S $CA -O check" 2>&1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
[ -n "$AK" ] && kill -TERM "$AK"
wait_for gone "$CA"; res "a master ends on SIGTERM and removes its socket"

# --- kssh -G prints the three keywords as ssh -G does
if [ -x "$SSH" ]; then
	g="-F /dev/null -G -o ControlMaster=autoask -o ControlPath=~/cm-%h-%p-%r -o ControlPersist=10m -l bob -p 2222 example.org"
	# shellcheck disable=SC2086
	[ "$("$KSSH" $g 2>/dev/null | grep '^control')" = "$("$SSH" $g 2>/dev/null | grep '^control')" ]
	res "kssh -G agrees with ssh -G on controlmaster, controlpath, controlpersist"
fi

# --- ControlPath none and a stale socket
out=$(client kssh "$P" "-o ControlMaster=auto -o ControlPath=none" 'echo plain' </dev/null 2>&1)
[ "$out" = plain ]; res "ControlPath none: a plain connection"
"$PY" -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$T/stale"
out=$(client kssh "$P" "-o ControlMaster=auto -o ControlPath=$T/stale" 'echo over-stale' </dev/null 2>&1)
[ "$out" = over-stale ]; res "ControlMaster auto replaces a stale socket" || echo "$out" >&2
gone "$T/stale"; res "the stale socket's master cleaned up after itself"

# kssh -f -N -M: the usual way to start a master by hand.
CF=$T/cf
client kssh "$P" "-f -N -M -S $CF" </dev/null >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 0 ] && wait_for sock "$CF" && [ "$(client kssh "$P" "-S $CF $NOKEY" 'echo bg' </dev/null 2>&1)" = bg ]
res "kssh -f -N -M: a master in the background" || { echo "rc=$rc" >&2; cat "$T/e" >&2; }
client kssh "$P" "-S $CF -O exit" >/dev/null 2>&1
wait_for gone "$CF"; res "...which -O exit ends"

# ControlPath too long for a socket: refused as ssh refuses it.
long=$T/$(printf '%0200d' 0)
out=$(client kssh "$P" "-o ControlMaster=auto -o ControlPath=$long" true </dev/null 2>&1); rc=$?
[ $rc -eq 255 ] && echo "$out" | grep -q "ControlPath too long"; res "an over-long ControlPath: ssh's error, exit 255" || echo "rc=$rc $out" >&2

# --- the connection dies under a shared session: the client exits 255, the
# master removes its socket.
CD=$T/cd
client kssh "$P" "-M -S $CD -N" </dev/null >/dev/null 2>&1 &
wait_for sock "$CD"
client kssh "$P" "-S $CD $NOKEY" 'sleep 20' </dev/null >/dev/null 2>&1 &
sp=$!
sleep 1
kill -TERM "-$SRV_PID" 2>/dev/null
start=$(date +%s)
wait $sp; rc=$?
[ $rc -eq 255 ] && [ $(($(date +%s) - start)) -lt 10 ] && wait_for gone "$CD"
res "server gone: the shared session ends with 255, the master cleans up" || echo "rc=$rc" >&2

finish
