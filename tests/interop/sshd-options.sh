#!/bin/sh
# The ksshd options admins use, driven by OpenSSH's ssh (and kssh): Match
# blocks (with ForceCommand, PermitTTY, MaxSessions, ClientAliveInterval,
# AllowTcpForwarding), SetEnv/AcceptEnv, Subsystem with arguments, PidFile
# with -D, ksshd -T -C against the expected values and against sshd -T,
# hostkeys-00/-prove-00 (ssh UpdateHostKeys=yes learns the second host
# key), and ChrootDirectory with internal-sftp (root only).
. "$(dirname "$0")/lib.sh"

have_prog sshd-options ksshd ssh sshd || finish
setup_keys || { fail "setup keys"; finish; }
gen_key "$T/host_rsa" rsa || { fail "rsa host key"; finish; }

# conf FILE LINES... : the harness's shared lines (but its "PidFile none"),
# then ours, whose Match blocks run to the end of the file.
conf() {
	_f=$1; shift
	write_server_config "$_f.base" ${SERVER_HOSTKEYS:-$T/host_ed25519}
	grep -v '^PidFile' "$_f.base" >"$_f"
	printf '%s\n' "$@" >>"$_f"
}

# ---- server A: environment, subsystem, pid file, a Match for this user ----
conf "$T/a.conf" "PidFile $T/a.pid" "SetEnv KAGI_SET=from-setenv" "AcceptEnv KAGI_ACC" \
	"Subsystem kagi-args printf '<%s>' one 'two words'" \
	"Match User nosuchuser-kagi" "ForceCommand echo wrong-block" \
	"Match User $TUSER Address 127.0.0.0/8,!127.0.0.2" "PermitTTY no" "MaxSessions 1" \
	"ClientAliveInterval 1" "ClientAliveCountMax 1" "AllowTcpForwarding no"
start_server ksshd a || { fail "ksshd a start"; finish; }
aport=$SRV_PORT; apid=$SRV_PID; alog=$SRV_LOG

[ -s "$T/a.pid" ] && [ "$(cat "$T/a.pid")" = "$apid" ]; res "PidFile written with -D" \
	|| note "pid file: $(cat "$T/a.pid" 2>&1), server $apid"

out=$(KAGI_ACC=sent client ssh "$aport" "-o SendEnv=KAGI_ACC" 'echo "$KAGI_SET/$KAGI_ACC"' </dev/null 2>"$T/e")
[ "$out" = "from-setenv/sent" ]; res "SetEnv and AcceptEnv reach the session (no unmatched ForceCommand)" \
	|| { note "got '$out'"; cat "$T/e" >&2; }

out=$(client ssh "$aport" "-s" kagi-args </dev/null 2>"$T/e")
[ "$out" = "<one><two words>" ]; res "Subsystem with arguments" || { note "got '$out'"; cat "$T/e" >&2; }

# ---- TCPKeepAlive (default yes): the accepted socket has SO_KEEPALIVE ----
# ss shows a keepalive timer on the server's end of an idle connection.
keepalive_seen() { # port -> 0 if the server's socket has the keepalive timer
	client ssh "$1" "" 'sleep 3' </dev/null >/dev/null 2>&1 &
	_kp=$!
	sleep 1.5
	ss -tnoH state established "( sport = :$1 )" >"$T/ss.$1" 2>&1
	wait $_kp
	grep -q 'timer:(keepalive' "$T/ss.$1"
}
if command -v ss >/dev/null 2>&1; then
	keepalive_seen "$aport"; res "TCPKeepAlive yes (default): SO_KEEPALIVE on the accepted socket" \
		|| cat "$T/ss.$aport" >&2
else
	skip "ss not installed: TCPKeepAlive not checked on a live socket"
fi

# ssh -tt makes a refused pty fatal (OpenSSH's client_status_confirm).
out=$(client ssh "$aport" "-tt" 'tty' </dev/null 2>"$T/e"); rc=$?
[ $rc -ne 0 ] && grep -q "PTY allocation request failed" "$T/e" && ! grep -q "Starting session.* on /dev/" "$alog"
res "PermitTTY no in a Match block refuses the pty" || { note "got '$out'"; cat "$T/e" >&2; }

# MaxSessions 1 (from the Match): a second session over one connection is refused.
sock=$T/mux.sock
client ssh "$aport" "-M -S $sock -o ControlPersist=no -N -f" </dev/null 2>"$T/m.e"
i=0; while [ $i -lt 50 ] && [ ! -S "$sock" ]; do sleep 0.1; i=$((i + 1)); done
n0=$(grep -c "Starting session" "$alog")
client ssh "$aport" "-S $sock" 'sleep 4' </dev/null >/dev/null 2>&1 &
spid=$!
i=0; while [ $i -lt 50 ] && [ "$(grep -c "Starting session" "$alog")" -le "$n0" ]; do sleep 0.1; i=$((i + 1)); done
out=$(client ssh "$aport" "-S $sock" 'echo second' </dev/null 2>"$T/e")
# (ssh then falls back to a connection of its own, which prints "second".)
grep -q "Session open refused by peer" "$T/e" && grep -q "MaxSessions (1) reached" "$alog"
res "MaxSessions 1 from a Match refuses the second session" || { note "got '$out'"; cat "$T/e" >&2; }
wait $spid
"$SSH" -S "$sock" -O exit x >/dev/null 2>&1

# AllowTcpForwarding no (from the Match): -W is refused.
out=$(client ssh "$aport" "-W 127.0.0.1:$aport" </dev/null 2>"$T/e"); rc=$?
[ $rc -ne 0 ] && grep -qi "prohibited\|open failed\|forwarding failed" "$T/e"; res "AllowTcpForwarding no in a Match refuses -W" \
	|| cat "$T/e" >&2

# ClientAliveInterval 1 / CountMax 1 from the Match: a stopped client is dropped.
if have_prog kssh kssh; then
	n0=$(grep -c "Starting session" "$alog")
	client kssh "$aport" "" 'sleep 30' </dev/null >/dev/null 2>"$T/e" &
	cpid=$!
	i=0; while [ $i -lt 50 ] && [ "$(grep -c "Starting session" "$alog")" -le "$n0" ]; do sleep 0.1; i=$((i + 1)); done
	kp=$(pgrep -P "$cpid" -x kssh || pgrep -P "$(pgrep -P "$cpid" | head -n 1)" -x kssh)
	[ -n "$kp" ] && kill -STOP "$kp"
	i=0; while [ $i -lt 100 ] && ! grep -q "Timeout, client not responding" "$alog"; do sleep 0.1; i=$((i + 1)); done
	[ -n "$kp" ] && kill -CONT "$kp"
	wait $cpid; rc=$?
	grep -q "Timeout, client not responding" "$alog" && [ $rc -ne 0 ]
	res "ClientAliveInterval from a Match ends a frozen client" || tail -n 5 "$alog" >&2
fi

# ---- ksshd -T -C: the Match values for this user, not for another ----
"$KSSHD" -T -f "$T/a.conf" -C "user=$TUSER,addr=127.0.0.1,host=127.0.0.1,laddr=127.0.0.1,lport=22" >"$T/t1" 2>"$T/t.e"
"$KSSHD" -T -f "$T/a.conf" -C "user=$TUSER,addr=127.0.0.2" >"$T/t2" 2>>"$T/t.e"
"$KSSHD" -T -f "$T/a.conf" -C "user=nosuchuser-kagi,addr=127.0.0.1" >"$T/t3" 2>>"$T/t.e"
grep -qx "maxsessions 1" "$T/t1" && grep -qx "permittty no" "$T/t1" && grep -qx "allowtcpforwarding no" "$T/t1" &&
	grep -qx "clientaliveinterval 1" "$T/t1" && grep -qx "forcecommand none" "$T/t1" &&
	grep -qx "maxsessions 10" "$T/t2" && grep -qx "permittty yes" "$T/t2" &&
	grep -qx "forcecommand echo wrong-block" "$T/t3" && grep -qx "maxsessions 10" "$T/t3"
res "ksshd -T -C applies exactly the matching blocks" || cat "$T/t.e" >&2

"$KSSHD" -T -f "$T/a.conf" -C bogus=1 >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 1 ] && grep -q "Invalid test mode specification" "$T/e"; res "ksshd -T -C refuses a bad specification"
printf 'Port 22\nMatch User x\n  Port 23\n' >"$T/bad.conf"
"$KSSHD" -t -f "$T/bad.conf" -h "$T/host_ed25519" >/dev/null 2>"$T/e"; rc=$?
[ $rc -eq 255 ] && grep -q "bad.conf line 3: Directive 'Port' is not allowed within a Match block" "$T/e"
res "ksshd -t refuses a keyword not allowed in Match (file, line, exit 255)" || cat "$T/e" >&2
"$KSSHD" -G -f "$T/a.conf" -h /nonexistent >/dev/null 2>&1; res "ksshd -G needs no host key"
"$KSSHD" -G -f "$T/a.conf" >"$T/g1" 2>"$T/g.e" && "$KSSHD" -T -f "$T/a.conf" >"$T/g2" 2>>"$T/g.e" &&
	cmp -s "$T/g1" "$T/g2" && grep -qx "tcpkeepalive yes" "$T/g1" &&
	"$KSSHD" -G -f "$T/a.conf" -C "user=$TUSER,addr=127.0.0.1" | grep -qx "maxsessions 1"
res "ksshd -G prints what -T prints without -C, and applies Match with -C (as sshd -G of OpenSSH 10)" || cat "$T/g.e" >&2

# ---- ksshd -T against sshd -T on the same file, keywords both print ----
# Known differences, by design: the algorithm lists (kagi's own defaults
# and implementations).
conf "$T/cmp.conf" "PidFile $T/cmp.pid" "MaxSessions 4" "ClientAliveInterval 2m" "AcceptEnv LANG LC_*" \
	"SetEnv A=1 B=2" "AllowUsers $TUSER bob@198.51.100.0/24" "DenyGroups nogroup" "Banner $T/banner" \
	"PermitUserEnvironment KAGI_*" "MaxStartups 5:20:50" "TCPKeepAlive no" "Subsystem sftp /usr/lib/openssh/sftp-server -l INFO"
"$KSSHD" -T -f "$T/cmp.conf" -C "user=$TUSER,addr=127.0.0.1,host=h,laddr=127.0.0.1,lport=22" >"$T/k.T" 2>"$T/k.e"
"$SSHD" -T -f "$T/cmp.conf" -C "user=$TUSER,addr=127.0.0.1,host=h,laddr=127.0.0.1,lport=22" >"$T/s.T" 2>"$T/s.e"
known="ciphers macs kexalgorithms hostkeyalgorithms pubkeyacceptedalgorithms"
awk '{print $1}' "$T/k.T" | sort -u >"$T/k.kw"
awk '{print $1}' "$T/s.T" | sort -u >"$T/s.kw"
diffs=""
for k in $(comm -12 "$T/k.kw" "$T/s.kw"); do
	case " $known " in *" $k "*) continue ;; esac
	grep "^$k " "$T/k.T" >"$T/k.1"; grep "^$k " "$T/s.T" >"$T/s.1"
	cmp -s "$T/k.1" "$T/s.1" || diffs="$diffs $k"
done
ncommon=$(comm -12 "$T/k.kw" "$T/s.kw" | wc -l)
[ -s "$T/s.T" ] && [ -z "$diffs" ] && [ "$ncommon" -ge 40 ]; res "ksshd -T equals sshd -T on $ncommon shared keywords" \
	|| { note "differ:$diffs"; cat "$T/k.e" "$T/s.e" >&2; }

# ---- hostkeys-00 / -prove-00: ssh learns the second host key ----
SERVER_HOSTKEYS="$T/host_ed25519 $T/host_rsa" conf "$T/hk.conf" "PidFile none" "TCPKeepAlive no"
start_server ksshd hk || { fail "ksshd hk start"; finish; }
hport=$SRV_PORT
if command -v ss >/dev/null 2>&1; then
	! keepalive_seen "$hport"; res "TCPKeepAlive no: no SO_KEEPALIVE on the accepted socket" || cat "$T/ss.$hport" >&2
fi
printf '[127.0.0.1]:%s %s\n' "$hport" "$(cut -d' ' -f1-2 "$T/host_ed25519.pub")" >"$T/known_hosts"
out=$(client ssh "$hport" "-o UpdateHostKeys=yes -o LogLevel=DEBUG1" 'echo ok' \
	</dev/null 2>"$T/e")
rsa=$(cut -d' ' -f2 "$T/host_rsa.pub")
[ "$out" = ok ] && grep -q "$rsa" "$T/known_hosts" && grep -qi "learned new hostkey" "$T/e"
res "ssh UpdateHostKeys=yes learns ksshd's second host key (hostkeys-00 + prove)" \
	|| { cat "$T/known_hosts" >&2; grep -i hostkey "$T/e" >&2; }

# ---- ChrootDirectory with internal-sftp (root: the tree must be root's) ----
if [ $IS_ROOT -eq 1 ]; then
	jail=$(mktemp -d /run/kagi-jail.XXXXXX) && chmod 755 "$jail" && mkdir "$jail/up" && echo inside >"$jail/up/f"
	conf "$T/c.conf" "PidFile none" "Match User $TUSER" "ChrootDirectory $jail" "ForceCommand internal-sftp"
	start_server ksshd c || { fail "ksshd c start"; rm -rf "$jail"; finish; }
	cport=$SRV_PORT
	printf 'get /up/f %s/got\nput %s/a.conf /up/put\nls /\n' "$T" "$T" >"$T/batch"
	timeout 30 sftp -b "$T/batch" -P "$cport" -i "$T/user_ed25519" -o UserKnownHostsFile="$T/known_hosts" \
		-o StrictHostKeyChecking=no -o BatchMode=yes -o IdentitiesOnly=yes "$TUSER@127.0.0.1" >"$T/sftp.out" 2>&1
	[ "$(cat "$T/got" 2>/dev/null)" = inside ] && [ -f "$jail/up/put" ]; res "ChrootDirectory + internal-sftp serves the tree with no binaries in it" \
		|| { cat "$T/sftp.out" >&2; tail -n 5 "$SRV_LOG" >&2; }
	# A directory under the world-writable /tmp is refused, with sshd's words.
	conf "$T/d.conf" "PidFile none" "ChrootDirectory $T" "ForceCommand internal-sftp"
	start_server ksshd d || fail "ksshd d start"
	out=$(client ssh "$SRV_PORT" "" 'echo in' </dev/null 2>"$T/e")
	[ "$out" != in ] && grep -q "bad ownership or modes for chroot directory component" "$SRV_LOG"
	res "ChrootDirectory under a world-writable component is refused" || tail -n 5 "$SRV_LOG" >&2
	rm -rf "$jail"
else
	skip "ChrootDirectory (needs root)"
fi

# ---- ForceCommand from a Match (OpenSSH and kagi clients) ----
conf "$T/f.conf" "PidFile none" "Match User $TUSER" "ForceCommand echo forced:\$SSH_ORIGINAL_COMMAND"
start_server ksshd f || { fail "ksshd f start"; finish; }
for c in ssh kssh; do
	have_prog "$c" "$c" || continue
	out=$(client "$c" "$SRV_PORT" "" 'hello world' </dev/null 2>"$T/e")
	[ "$out" = "forced:hello world" ]; res "$c: ForceCommand from Match User, SSH_ORIGINAL_COMMAND set" \
		|| { note "got '$out'"; cat "$T/e" >&2; }
done

# ---- a host key no offered algorithm uses is named at start-up ----
gen_key "$T/host_ecdsa" ecdsa || fail "ecdsa host key"
"$KSSHD" -t -f /dev/null -h "$T/host_ecdsa" -h "$T/host_ed25519" >"$T/t.out" 2>&1
grep -q "HostKey $T/host_ecdsa (ecdsa-sha2-nistp256) is not offered: HostKeyAlgorithms names none of its algorithms" "$T/t.out" &&
	! grep -q "HostKey $T/host_ed25519" "$T/t.out"
res "an ECDSA host key left out of the default HostKeyAlgorithms is named" || cat "$T/t.out" >&2
"$KSSHD" -t -f /dev/null -h "$T/host_ecdsa" -o HostKeyAlgorithms=+ecdsa-sha2-nistp256 >"$T/t2.out" 2>&1
! grep -q "is not offered" "$T/t2.out"; res "not once HostKeyAlgorithms offers it" || cat "$T/t2.out" >&2
finish
