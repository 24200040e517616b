#!/bin/sh
# OpenSSH's scp (SFTP and -O) and kscp against ksshd: byte-exact big file
# both ways, a tree of awkward names with -r -p.  ksshd serves "scp -t/-f"
# with kscp and "sftp" with ksftp-server.  Skips while ksshd is absent.
. "$(dirname "$0")/scp-lib.sh"
KSSHD=${KSSHD:-$KAGI_ROOT/build/bin/ksshd}
BIG_MB=${SCP_BIG_MB:-256}
[ -x "$KSSHD" ] || { skip "ksshd not built ($KSSHD)"; exit 0; }

ssh-keygen -q -t ed25519 -N '' -f "$T/host" </dev/null && ssh-keygen -q -t ed25519 -N '' -f "$T/user" </dev/null ||
	{ fail "keys"; finish; }
cp "$T/user.pub" "$T/authorized_keys"
sub=""; [ -x "$KAGI_ROOT/build/bin/ksftp-server" ] && sub=$KAGI_ROOT/build/bin/ksftp-server
start_test_server "$KSSHD" ksshd "$sub" || { fail "ksshd start"; finish; }

H=127.0.0.1
copy() { # PROGRAM ARGS...
	_p=$1; shift
	timeout -k 5 "$SCP_TIMEOUT" "$_p" -F /dev/null -i "$T/user" -P "$PORT" -o UserKnownHostsFile="$T/known_hosts" \
		-o StrictHostKeyChecking=no -o BatchMode=yes -o IdentitiesOnly=yes "$@"
}
head -c $((BIG_MB * 1048576)) /dev/urandom >"$T/big"; want=$(sha "$T/big")
make_tree "$T/tree" 300 || { fail "make tree"; finish; }
for c in "scp" "scp -O" "$KSCP" "$KSCP -O"; do
	l=$(echo "$c" | sed "s|$KSCP|kscp|")
	rm -rf "$T/R" "$T/L"; mkdir -p "$T/R" "$T/L"
	# shellcheck disable=SC2086
	set -- $c
	copy "$@" "$T/big" "$H:$T/R/big" 2>"$T/err"
	[ $? -eq 0 ] && [ "$(sha "$T/R/big")" = "$want" ]; res "$l -> ksshd upload ${BIG_MB}MiB" || tail -3 "$T/err" >&2
	copy "$@" "$H:$T/big" "$T/L/big" 2>"$T/err"
	[ $? -eq 0 ] && [ "$(sha "$T/L/big")" = "$want" ]; res "$l -> ksshd download ${BIG_MB}MiB" || tail -3 "$T/err" >&2
	copy "$@" -r -p "$T/tree" "$H:$T/R/" 2>"$T/err"
	[ $? -eq 0 ] && same_tree "$T/tree" "$T/R/tree" && [ "$(modes_times "$T/tree")" = "$(modes_times "$T/R/tree")" ]
	res "$l -> ksshd upload tree -r -p" || tail -3 "$T/err" >&2
	copy "$@" -r -p "$H:$T/tree" "$T/L/t2" 2>"$T/err"
	[ $? -eq 0 ] && same_tree "$T/tree" "$T/L/t2" && [ "$(modes_times "$T/tree")" = "$(modes_times "$T/L/t2")" ]
	res "$l -> ksshd download tree -r -p" || tail -3 "$T/err" >&2
done
# Jump hosts (-J): through ksshd to OpenSSH's sshd, the reverse, and two
# hops; each hop authenticates from here with the key named in the -F file.
mkdir -p /run/sshd 2>/dev/null
cat >"$T/sshd.conf" <<EOC
ListenAddress 127.0.0.1
HostKey $T/host
PidFile none
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
Subsystem sftp /usr/lib/openssh/sftp-server
EOC
SPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
setsid /usr/sbin/sshd -D -e -f "$T/sshd.conf" -p "$SPORT" >"$T/sshd.log" 2>&1 </dev/null &
echo $! >>"$T/pids"
i=0; while [ $i -lt 100 ] && ! $PY -c "import socket; socket.create_connection(('127.0.0.1',$SPORT),1)" 2>/dev/null; do
	sleep 0.1; i=$((i + 1)); done
cat >"$T/jump.conf" <<EOC
Host *
  IdentityFile $T/user
  IdentitiesOnly yes
  UserKnownHostsFile $T/known_hosts
  StrictHostKeyChecking no
  BatchMode yes
EOC
jcopy() { # JUMPS PORT ARGS...
	_j=$1; _p=$2; shift 2
	timeout -k 5 "$SCP_TIMEOUT" "$KSCP" -q -F "$T/jump.conf" -J "$_j" -P "$_p" "$@"
}
rm -rf "$T/J"; mkdir -p "$T/J"
jcopy "$H:$PORT" "$SPORT" "$T/big" "$H:$T/J/one" 2>"$T/err"
[ $? -eq 0 ] && [ "$(sha "$T/J/one")" = "$want" ]; res "kscp -J through ksshd to sshd" || tail -3 "$T/err" >&2
jcopy "$H:$SPORT" "$PORT" "$H:$T/J/one" "$T/J/back" 2>"$T/err"
[ $? -eq 0 ] && [ "$(sha "$T/J/back")" = "$want" ]; res "kscp -J through sshd to ksshd" || tail -3 "$T/err" >&2
jcopy "$H:$PORT,$H:$SPORT" "$PORT" -O "$T/big" "$H:$T/J/two" 2>"$T/err"
[ $? -eq 0 ] && [ "$(sha "$T/J/two")" = "$want" ]; res "kscp -O -J two hops (ksshd, sshd) to ksshd" || tail -3 "$T/err" >&2
jcopy "$H:$SPORT,$H:$PORT" "$SPORT" "$T/big" "$H:$T/J/three" 2>"$T/err"
[ $? -eq 0 ] && [ "$(sha "$T/J/three")" = "$want" ]; res "kscp -J two hops (sshd, ksshd) to sshd" || tail -3 "$T/err" >&2
if [ -x "$KAGI_ROOT/build/bin/ksftp" ]; then
	printf 'get %s %s\n' "$T/big" "$T/J/sftp" >"$T/batch"
	timeout -k 5 "$SCP_TIMEOUT" "$KAGI_ROOT/build/bin/ksftp" -q -F "$T/jump.conf" -J "$H:$PORT" -P "$SPORT" \
		-b "$T/batch" "$H" >/dev/null 2>"$T/err"
	[ $? -eq 0 ] && [ "$(sha "$T/J/sftp")" = "$want" ]; res "ksftp -J through ksshd to sshd" || tail -3 "$T/err" >&2
fi
finish
