# Helpers for the kscp tests (POSIX sh; sourced by scp-*.sh, does nothing
# when run on its own).
#   KSCP   kscp under test (default <repo>/build/bin/kscp)
#   SCP_TIMEOUT  seconds per copy (default 120)
case $0 in *scp-lib.sh) exit 0 ;; esac

PY=/usr/bin/python3
SCP_TIMEOUT=${SCP_TIMEOUT:-120}
TEST_NAME=$(basename "$0" .sh)
KAGI_ROOT=${KAGI_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
KSCP=${KSCP:-$KAGI_ROOT/build/bin/kscp}
SFTP_SERVER=${SFTP_SERVER:-/usr/lib/openssh/sftp-server}

npass=0; nfail=0
pass() { echo "PASS: $TEST_NAME $*"; npass=$((npass + 1)); }
fail() { echo "FAIL: $TEST_NAME $*"; nfail=$((nfail + 1)); }
skip() { echo "SKIP: $TEST_NAME $*"; }
note() { echo "# $*" >&2; }
res() { if [ $? -eq 0 ]; then pass "$1"; return 0; else fail "$1"; return 1; fi; }
finish() { note "$TEST_NAME: $npass passed, $nfail failed"; [ "$nfail" -eq 0 ]; exit $?; }

T=$(mktemp -d "${TMPDIR:-/tmp}/kagi-$TEST_NAME.XXXXXX") || { echo "FAIL: $TEST_NAME mktemp"; exit 1; }
chmod 755 "$T"
: >"$T/pids"
: >"$T/mounts"
cleanup() {
	trap - EXIT INT TERM HUP
	while read -r _p; do kill -TERM "-$_p" 2>/dev/null || kill -TERM "$_p" 2>/dev/null; done <"$T/pids"
	while read -r _m; do umount "$_m" 2>/dev/null; done <"$T/mounts"
	if [ "${KEEP_TMP:-0}" = 1 ]; then note "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

[ -x "$KSCP" ] || { echo "FAIL: $TEST_NAME kscp not found: $KSCP"; exit 1; }

# closed_port : prints a 127.0.0.1 port that stays closed for the rest of
# the test: a socket is bound there but never listens (connecting gets
# "connection refused"), so no other program can take the port meanwhile.
# The holder ends with the test (its pid joins $T/pids).
closed_port() {
	"$PY" -c '
import os, signal, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
os.close(1)
while True: time.sleep(3600)
' >"$T/closed_port.$$" &
	echo $! >>"$T/pids"
	_i=0
	while [ ! -s "$T/closed_port.$$" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
	cat "$T/closed_port.$$"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# A stand-in for ssh (kscp -S): skips the options up to "--", then runs the
# remote command locally with sh (the "remote shell", PATH has $T/rbin where
# scp is kscp), or the SFTP server for "-s ... sftp".
make_fake_ssh() {
	mkdir -p "$T/rbin"
	ln -sf "$KSCP" "$T/rbin/scp"
	cat >"$T/fakessh" <<EOS
#!/bin/sh
sub=0
while [ \$# -gt 0 ]; do
	case \$1 in --) shift; break ;; -s) sub=1; shift ;; -l|-p|-F|-i|-c|-J) shift 2 ;; *) shift ;; esac
done
shift  # the host
if [ \$sub = 1 ]; then exec "$SFTP_SERVER"; fi
PATH="$T/rbin:\$PATH" exec sh -c "\$1"
EOS
	chmod 755 "$T/fakessh"
}

# kscp_t ARGS... : kscp bounded by SCP_TIMEOUT.
kscp_t() { timeout -k 5 "$SCP_TIMEOUT" "$KSCP" "$@"; }

# Awkward names for trees: spaces, quotes, shell syntax, non-ASCII, leading
# '-', empty files.  make_tree DIR COUNT
make_tree() {
	_d=$1; _n=${2:-300}
	mkdir -p "$_d/sub dir/deeper" "$_d/-dash dir" "$_d/ünï cödé" || return 1
	_i=0
	while [ $_i -lt "$_n" ]; do
		case $((_i % 8)) in
		0) _f="$_d/file $_i" ;;
		1) _f="$_d/sub dir/-lead $_i" ;;
		2) _f="$_d/ünï cödé/naïve $_i ✓" ;;
		3) _f="$_d/sub dir/deeper/quote'd \"$_i\"" ;;
		4) _f="$_d/-dash dir/\$(touch PWNED) $_i" ;;
		5) _f="$_d/back\`touch PWNED\`tick $_i" ;;
		6) _f="$_d/empty $_i" ;;
		7) _f="$_d/semi;colon&amp $_i" ;;
		esac
		if [ $((_i % 8)) -eq 6 ]; then : >"$_f"; else head -c $((_i * 37 % 5000 + 1)) /dev/urandom >"$_f"; fi
		_i=$((_i + 1))
	done
	chmod 600 "$_d/file 0"; chmod 751 "$_d/sub dir"
	touch -d '2001-02-03 04:05:06' "$_d/file 8" "$_d/sub dir"
}

# same_tree A B : same names, contents (and with -p the caller checks modes).
same_tree() { diff -r "$1" "$2" >/dev/null 2>&1; }

# modes_times DIR : "path mode mtime" for every entry, sorted.
modes_times() { (cd "$1" && find . -mindepth 1 -exec stat -c '%n %a %Y' {} + | sort); }

# start_test_server PROGRAM NAME [SFTP-SERVER] : sshd or ksshd on a free
# 127.0.0.1 port with host key $T/host and $T/authorized_keys (public keys
# only); config $T/NAME.conf, log $T/NAME.log.  Sets PORT; 1 if it does not
# start listening.
start_test_server() {
	_bin=$1; _nm=$2; _sub=${3:-}
	cat >"$T/$_nm.conf" <<EOC
ListenAddress 127.0.0.1
HostKey $T/host
PidFile none
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
EOC
	[ -n "$_sub" ] && echo "Subsystem sftp $_sub" >>"$T/$_nm.conf"
	# ksshd penalises sources as OpenSSH 10 does: 127.0.0.1, where every test comes from, is exempt.
	[ "$(basename "$_bin")" = ksshd ] && echo "PerSourcePenaltyExemptList 127.0.0.1" >>"$T/$_nm.conf"
	PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	setsid "$_bin" -D -e -f "$T/$_nm.conf" -p "$PORT" >"$T/$_nm.log" 2>&1 </dev/null &
	echo $! >>"$T/pids"
	_i=0
	while [ $_i -lt 100 ] && ! $PY -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ $_i -lt 100 ] || { tail "$T/$_nm.log" >&2; return 1; }
}
