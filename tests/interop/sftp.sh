#!/bin/sh
# SFTP interop: OpenSSH's sftp against sshd serving ksftp-server, ksftp
# against sshd serving OpenSSH's sftp-server, and ksftp against ksftp-server:
# byte-exact large files both ways, a tree of awkward names with -r both
# ways, -p times and modes, batch files that stop (or not) on failure.
#
# Knobs: SFTP_BIG_MB (size of the large file, default 64), SFTP_PERF=1
# (print MB/s for each large transfer), KEEP_TMP=1, CLIENT_TIMEOUT.
# Prints "PASS: name" / "FAIL: name" lines.

PY=/usr/bin/python3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${KAGI_BIN:-$ROOT/build/bin}
KSFTP=$BIN/ksftp
KSFTP_SERVER=$BIN/ksftp-server
SSHD=/usr/sbin/sshd
OPENSSH_SFTP_SERVER=/usr/lib/openssh/sftp-server
BIG_MB=${SFTP_BIG_MB:-256}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-300}

npass=0; nfail=0
pass() { echo "PASS: sftp $*"; npass=$((npass + 1)); }
fail() { echo "FAIL: sftp $*"; nfail=$((nfail + 1)); }
note() { echo "# $*" >&2; }
res() { if [ $? -eq 0 ]; then pass "$1"; else fail "$1"; fi; }

T=$(mktemp -d "${TMPDIR:-/tmp}/kagi-sftp.XXXXXX") || { echo "FAIL: sftp mktemp"; exit 1; }
chmod 755 "$T"
PIDS=""
cleanup() {
	trap - EXIT INT TERM HUP
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	if [ "${KEEP_TMP:-0}" = 1 ]; then note "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

for p in "$KSFTP" "$KSFTP_SERVER" "$SSHD" "$OPENSSH_SFTP_SERVER" /usr/bin/sftp; do
	[ -x "$p" ] || { fail "setup ($p missing)"; exit 1; }
done

free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
listening() {
	_hex=$(printf '%04X' "$1")
	awk -v p="0100007F:$_hex" '$2 == p && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}

ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" </dev/null || { fail setup; exit 1; }
ssh-keygen -q -t ed25519 -N '' -f "$T/user_key" </dev/null || { fail setup; exit 1; }
cp "$T/user_key.pub" "$T/authorized_keys"
: >"$T/known_hosts"
[ "$(id -u)" -ne 0 ] || [ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 755 /run/sshd; }

# start_sshd NAME SUBSYSTEM-PATH : sets PORT_<NAME>
start_sshd() {
	cat >"$T/$1.conf" <<EOF
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile none
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
LogLevel ERROR
Subsystem sftp $2
EOF
	_try=0
	while [ $_try -lt 3 ]; do
		_try=$((_try + 1))
		_port=$(free_port)
		setsid "$SSHD" -D -e -f "$T/$1.conf" -p "$_port" >>"$T/$1.log" 2>&1 </dev/null &
		_pid=$!
		PIDS="$PIDS $_pid"
		_i=0
		while [ $_i -lt 100 ]; do
			if listening "$_port"; then eval "PORT_$1=$_port"; return 0; fi
			kill -0 "$_pid" 2>/dev/null || break
			sleep 0.1; _i=$((_i + 1))
		done
	done
	tail -n 20 "$T/$1.log" >&2
	return 1
}

start_sshd kagi "$KSFTP_SERVER" || { fail "sshd with ksftp-server did not start"; exit 1; }
start_sshd openssh "$OPENSSH_SFTP_SERVER" || { fail "sshd with sftp-server did not start"; exit 1; }

# run_client KIND PORT BATCHFILE [extra flags] : OpenSSH sftp or ksftp in batch mode.
run_client() {
	_kind=$1; _port=$2; _batch=$3; shift 3
	if [ "$_kind" = sftp ]; then _bin=/usr/bin/sftp; else _bin=$KSFTP; fi
	timeout -k 5 "$CLIENT_TIMEOUT" "$_bin" -q -F /dev/null -P "$_port" -i "$T/user_key" \
		-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o BatchMode=yes \
		-o LogLevel=ERROR "$@" -b "$_batch" "$(id -un)@127.0.0.1"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
now_ms() { date +%s%3N; }

# ---- fixtures ---------------------------------------------------------------
head -c $((BIG_MB * 1024 * 1024)) /dev/urandom >"$T/big.bin" || { fail setup; exit 1; }
"$PY" - "$T/tree" <<'EOF' || { fail "setup tree"; exit 1; }
import os, sys, random
root = sys.argv[1]
random.seed(7)
names = ["plain", "with space", "-leading-dash", "--double", "caf\u00e9", "\u65e5\u672c\u8a9e",
         "quote'single", 'quote"double', "dollar$(x)", "back`tick`", "semi;colon", "star*", "brack[1]",
         "tab\there", "new", ".hidden", "trailing space ", "percent%20"]
dirs = [root, os.path.join(root, "sub dir"), os.path.join(root, "-dash dir"),
        os.path.join(root, "\u00fcber", "deep er"), os.path.join(root, "empty dir")]
for d in dirs:
    os.makedirs(d, exist_ok=True)
n = 0
for d in dirs[:4]:
    for i in range(80):
        name = "%s %d" % (names[i % len(names)], i)
        size = 0 if i % 9 == 0 else random.choice([1, 100, 4095, 4096, 40000, 70001])
        with open(os.path.join(d, name), "wb") as f:
            f.write(os.urandom(size))
        n += 1
print(n, file=sys.stderr)
EOF
printf 'preserve me\n' >"$T/pfile"
chmod 640 "$T/pfile"
touch -d '2001-02-03 04:05:06' "$T/pfile"

# ---- the cases ----------------------------------------------------------------
# suite LABEL CLIENT PORT
suite() {
	_l=$1; _c=$2; _p=$3
	R=$T/r-$_l; L=$T/l-$_l
	mkdir -p "$R" "$L"

	printf 'put %s %s/big.up\n' "$T/big.bin" "$R" >"$T/b.put"
	_t0=$(now_ms)
	run_client "$_c" "$_p" "$T/b.put" >"$T/$_l.out" 2>&1 && [ "$(sha "$R/big.up")" = "$(sha "$T/big.bin")" ]
	res "$_l put ${BIG_MB} MiB byte-exact"
	_t1=$(now_ms)
	[ "${SFTP_PERF:-0}" = 1 ] && note "$_l put: $((BIG_MB * 1000 / (_t1 - _t0 + 1))) MB/s"

	printf 'get %s/big.up %s/big.down\n' "$R" "$L" >"$T/b.get"
	_t0=$(now_ms)
	run_client "$_c" "$_p" "$T/b.get" >"$T/$_l.out" 2>&1 && [ "$(sha "$L/big.down")" = "$(sha "$T/big.bin")" ]
	res "$_l get ${BIG_MB} MiB byte-exact"
	_t1=$(now_ms)
	[ "${SFTP_PERF:-0}" = 1 ] && note "$_l get: $((BIG_MB * 1000 / (_t1 - _t0 + 1))) MB/s"
	rm -f "$R/big.up" "$L/big.down"

	printf 'put -r %s %s/tree.up\n' "$T/tree" "$R" >"$T/b.putr"
	run_client "$_c" "$_p" "$T/b.putr" >"$T/$_l.out" 2>&1 && diff -r "$T/tree" "$R/tree.up" >/dev/null
	res "$_l put -r tree with awkward names"

	printf 'get -r %s/tree.up %s/tree.down\n' "$R" "$L" >"$T/b.getr"
	run_client "$_c" "$_p" "$T/b.getr" >"$T/$_l.out" 2>&1 && diff -r "$T/tree" "$L/tree.down" >/dev/null
	res "$_l get -r tree with awkward names"

	printf 'put -p %s %s/p.up\nget -p %s/p.up %s/p.down\n' "$T/pfile" "$R" "$R" "$L" >"$T/b.p"
	run_client "$_c" "$_p" "$T/b.p" >"$T/$_l.out" 2>&1 &&
		[ "$(stat -c '%a %Y' "$R/p.up")" = "640 $(stat -c %Y "$T/pfile")" ] &&
		[ "$(stat -c '%a %Y' "$L/p.down")" = "640 $(stat -c %Y "$T/pfile")" ]
	res "$_l -p keeps times and modes"

	printf 'mkdir %s/s1\nrm %s/no-such-file\nmkdir %s/s2\n' "$R" "$R" "$R" >"$T/b.stop"
	run_client "$_c" "$_p" "$T/b.stop" >"$T/$_l.out" 2>&1
	_rc=$?
	[ $_rc -ne 0 ] && [ -d "$R/s1" ] && [ ! -e "$R/s2" ]
	res "$_l batch stops at a failing command"

	printf 'mkdir %s/c1\n-rm %s/no-such-file\nmkdir %s/c2\n' "$R" "$R" "$R" >"$T/b.cont"
	run_client "$_c" "$_p" "$T/b.cont" >"$T/$_l.out" 2>&1 && [ -d "$R/c1" ] && [ -d "$R/c2" ]
	res "$_l batch continues past a '-' command"

	# rename, symlink, chmod, ls, reget of a partial download
	head -c 300000 /dev/urandom >"$R/part.src"
	head -c 100000 "$R/part.src" >"$L/part.dst"
	printf 'rename %s/c1 %s/c1r\nln -s part.src %s/lnk\nchmod 600 %s/part.src\nls -l %s\nreget %s/part.src %s/part.dst\n' \
		"$R" "$R" "$R" "$R" "$R" "$R" "$L" >"$T/b.misc"
	run_client "$_c" "$_p" "$T/b.misc" >"$T/$_l.out" 2>&1 && [ -d "$R/c1r" ] &&
		[ "$(readlink "$R/lnk")" = part.src ] && [ "$(stat -c %a "$R/part.src")" = 600 ] &&
		cmp -s "$R/part.src" "$L/part.dst" && grep -q 'part.src' "$T/$_l.out"
	res "$_l rename, ln -s, chmod, ls -l, reget"
}

suite "sftp->ksftp-server" sftp "$PORT_kagi"
suite "ksftp->sftp-server" ksftp "$PORT_openssh"
suite "ksftp->ksftp-server" ksftp "$PORT_kagi"

# ---- names a server chose never reach the terminal raw ------------------------
mkdir -p "$T/esc.src"
: >"$T/esc.src/$(printf 'red\033[31mname')"
printf 'get -r %s %s/esc.down\n' "$T/esc.src" "$T" >"$T/b.esc"
timeout -k 5 "$CLIENT_TIMEOUT" "$KSFTP" -F /dev/null -P "$PORT_kagi" -i "$T/user_key" \
	-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
	-o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR -b "$T/b.esc" "$(id -un)@127.0.0.1" >"$T/esc.out" 2>&1 &&
	[ -f "$T/esc.down/$(printf 'red\033[31mname')" ] && grep -qF 'red\033[31mname' "$T/esc.out" &&
	! grep -q "$(printf '\033')" "$T/esc.out"
res "ksftp get -r shows control characters in a server's names escaped" || cat -A "$T/esc.out" >&2

# ---- malformed requests straight to ksftp-server -----------------------------
mkdir -p "$T/raw"
(cd "$T/raw" && timeout 30 "$PY" "$ROOT/tests/interop/sftp_malformed.py" "$KSFTP_SERVER") >"$T/raw.out" 2>&1
res "ksftp-server answers malformed requests and keeps serving" || cat "$T/raw.out" >&2

note "sftp: $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
