#!/bin/sh
# Throughput and connection set-up, kagi (kssh -> ksshd) against OpenSSH
# (ssh -> sshd), measured in the same run, interleaved, medians: data piped
# into `wc -c` on the server (the count is checked), and logins running
# `true`.  Then file copies, kscp -> ksshd against scp -> sshd, in SFTP mode
# and in legacy mode (-O): one big file up and down, and a tree of small
# files up and down with -r.  Both use an ed25519 host key and an ed25519
# user key, over 127.0.0.1, with each side's default cipher.  Last, the
# server's cost alone, OpenSSH's ssh as the client of both ksshd and sshd:
# logins per second (and server CPU per login) and memory (Pss) per idle
# authenticated connection (tools/bench-server.sh).
#   BENCH_MB (default 512)         data per throughput run
#   BENCH_RUNS (default 3)         throughput runs per cipher and side
#   BENCH_SETUP_RUNS (default 15)  connection set-up runs per side
#   BENCH_SCP_MB (default 1024)    size of the big file copied
#   BENCH_SCP_FILES (default 2000) small files (1-8 KiB) in the tree copied
#   BENCH_SCP_RUNS (default 3)     copy runs per test and side
#   BENCH_SCP_TESTS (default all)  MODE:DIRECTION:WHAT words, e.g. "sftp:down:big
#                                  legacy:up:tree"; MODE sftp|legacy, DIRECTION
#                                  up|down, WHAT big|tree
#   BENCH_ONLY (default "ssh scp pq logins memory cpu lat sftplat") which parts to run;
#                                  pq: connection set-up with
#                                  mlkem768x25519-sha256 against
#                                  curve25519-sha256, kagi and OpenSSH 10.5
#                                  (built once, cached, by the peers script
#                                  or given as OPENSSH10_PREFIX);
#                                  cpu: CPU-seconds per GiB on each side,
#                                  up and down through `kssh host cmd`
#                                  (tools/bench-cpu.sh, BENCH_CPU_*);
#                                  logins: logins per second and memory:
#                                  memory per idle connection, OpenSSH's ssh
#                                  against ksshd and sshd (tools/bench-server.sh
#                                  says how, and its BENCH_LOGIN_*, BENCH_MEM_*
#                                  and BENCH_ACCOUNTS settings);
#                                  lat: `cat` up and down through a 50 ms
#                                  delay proxy, kagi and OpenSSH on both
#                                  ends (tools/bench-lat.sh, BENCH_LAT_*);
#                                  sftplat: kscp, kscp -O and ksftp through
#                                  the same proxy (tools/bench-sftp.sh)
#   BENCH_SCP_DIR                  where the files and their copies go (both
#                                  sides): default /dev/shm when it is a tmpfs
#                                  with room for three big files, else the
#                                  temporary directory ($TMPDIR, default /tmp).
#                                  On a disk, small-file creation dominates.
# Each copy is removed before the next run.
# Programs: KAGI_BIN (default build/bin) or KSSH/KSSHD/KSCP; SSH/SSHD/SCP and
# SFTP_SERVER for OpenSSH.
KAGI_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$KAGI_ROOT/tests/interop/lib.sh"
. "$KAGI_ROOT/tools/bench-server.sh"
. "$KAGI_ROOT/tools/bench-cpu.sh"
. "$KAGI_ROOT/tools/bench-lat.sh"
. "$KAGI_ROOT/tools/bench-sftp.sh"
MB=${BENCH_MB:-512}
RUNS=${BENCH_RUNS:-3}
SETUP_RUNS=${BENCH_SETUP_RUNS:-15}
CIPHERS="aes128-gcm@openssh.com chacha20-poly1305@openssh.com"
SCP_MB=${BENCH_SCP_MB:-1024}
SCP_FILES=${BENCH_SCP_FILES:-2000}
SCP_RUNS=${BENCH_SCP_RUNS:-3}
ONLY=${BENCH_ONLY:-ssh scp pq logins memory cpu lat sftplat}
KSCP=$(abs_prog "${KSCP:-$KAGI_BIN/kscp}")
SCP=$(abs_prog "${SCP:-/usr/bin/scp}")
SFTP_SERVER=${SFTP_SERVER:-/usr/lib/openssh/sftp-server}
CLIENT_TIMEOUT=${BENCH_TIMEOUT:-900}
SERVER_LOGLEVEL=INFO

die() { echo "bench: $*" >&2; exit 1; }
wants() { case " $ONLY " in *" $1 "*) return 0 ;; esac; return 1; }
for w in $ONLY; do
	case $w in ssh|scp|pq|logins|memory|cpu|lat|sftplat) ;; *) die "unknown part '$w' in BENCH_ONLY (ssh scp pq logins memory cpu lat sftplat)" ;; esac
done
if [ "$IS_ROOT" -eq 1 ]; then ACCOUNTS=${BENCH_ACCOUNTS:-self user}; else ACCOUNTS=${BENCH_ACCOUNTS:-self}; fi
for p in "$KSSH" "$KSSHD" "$SSH" "$SSHD"; do [ -x "$p" ] || die "$p is missing (make first)"; done
if wants scp || wants sftplat; then
	for p in "$KSCP" "$SCP" "$SFTP_SERVER"; do [ -x "$p" ] || die "$p is missing (make first)"; done
fi
setup_keys || die "key generation failed"
# ksshd finds its SFTP server (ksftp-server) and legacy scp (kscp) beside
# itself; sshd is given Debian's.
write_server_config "$T/sshd.conf" "$T/host_ed25519"
echo "Subsystem sftp $SFTP_SERVER" >>"$T/sshd.conf"
start_server ksshd ksshd || die "ksshd did not start"; KPORT=$SRV_PORT; KPID=$SRV_PID
start_server sshd sshd || die "sshd did not start"; OPORT=$SRV_PORT; OPID=$SRV_PID
if wants logins || wants memory || wants cpu; then server_base "$KPID"; server_base "$OPID"; fi

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# one_transfer KIND PORT CIPHER -> seconds on stdout
one_transfer() {
	_t0=$(now)
	# The server counts what arrived (wc -c costs what cat > /dev/null does),
	# so a short transfer cannot pass for a fast one.
	_n=$(head -c $((MB * 1048576)) /dev/zero | client "$1" "$2" "-c $3 -o Compression=no" 'wc -c' 2>"$T/err")
	_rc=$?; _t1=$(now)
	[ $_rc -eq 0 ] || { cat "$T/err" >&2; return 1; }
	[ "$(echo $_n)" = $((MB * 1048576)) ] || { echo "bench: $1 delivered '$_n' bytes, not $((MB * 1048576))" >&2; return 1; }
	elapsed "$_t0" "$_t1"
}
one_setup() {
	_t0=$(now)
	client "$1" "$2" "-o Compression=no ${3:-}" true </dev/null 2>"$T/err"
	_rc=$?; _t1=$(now)
	[ $_rc -eq 0 ] || { cat "$T/err" >&2; return 1; }
	elapsed "$_t0" "$_t1"
}

# scp_copy KIND PORT "FLAGS" SOURCE TARGET : kscp (kind kssh) or scp with
# the same options as client() above; scp runs $SSH as its transport.
scp_copy() {
	if [ "$1" = kssh ]; then _prog=$KSCP; _s=""; else _prog=$SCP; _s="-S $SSH"; fi
	# shellcheck disable=SC2086  # FLAGS/_s are deliberately word-split
	timeout -k 5 "$CLIENT_TIMEOUT" "$_prog" -q $_s $3 -F /dev/null -i "$T/user_ed25519" -P "$2" \
		-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o BatchMode=yes \
		-o ConnectTimeout=10 -o LogLevel=ERROR "$4" "$5"
}

# Sources and copies of the file tests.  Uploads land in $S/up (written by
# the server), downloads in $S/down (written by the client).
scp_dir() {
	if [ -n "${BENCH_SCP_DIR:-}" ]; then echo "$BENCH_SCP_DIR"; return; fi
	_free=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] && [ -w /dev/shm ] &&
		[ "${_free:-0}" -gt $((SCP_MB * 3 * 1024 + 262144)) ]; then echo /dev/shm
	else echo "$T"; fi
}
make_scp_sources() {
	S=$(mktemp -d "$(scp_dir)/kagi-bench.XXXXXX") || return 1
	chmod 755 "$S"
	# lib.sh's cleanup removes $T; this directory may lie elsewhere.
	trap 'rm -rf "$S"; cleanup' EXIT
	mkdir -p "$S/up" "$S/down" || return 1
	case " $SCP_TESTS " in *:big" "*)
		head -c $((SCP_MB * 1048576)) /dev/urandom >"$S/big" || return 1 ;;
	esac
	# SCP_FILES files of 1-8 KiB in directories of at most 100.
	"$PY" - "$S/tree" "$SCP_FILES" <<'EOP' || return 1
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
for i in range(n):
    d = os.path.join(root, "d%02d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%04d.dat" % i), "wb") as f:
        f.write(os.urandom(rng.randint(1024, 8192)))
EOP
	TREE_BYTES=$(cat "$S"/tree/*/* | wc -c)
}
# tree_sum DIR : "FILES BYTES" under DIR
tree_sum() { echo "$(find "$1" -type f | wc -l) $(find "$1" -type f -exec cat {} + | wc -c)"; }

# one_copy KIND PORT MODE DIRECTION WHAT CHECK -> seconds on stdout.
# MODE sftp or legacy; DIRECTION up or down; WHAT big or tree; CHECK 1
# compares the copy byte for byte (else sizes only).
one_copy() {
	if [ "$3" = legacy ]; then _f="-O"; else _f=""; fi
	if [ "$5" = tree ]; then _f="$_f -r"; fi
	if [ "$4" = up ]; then _src=$S/$5; _dst=$TUSER@127.0.0.1:$S/up/$5; _got=$S/up/$5
	else _src=$TUSER@127.0.0.1:$S/$5; _dst=$S/down/$5; _got=$S/down/$5; fi
	rm -rf "$_got"
	_t0=$(now)
	scp_copy "$1" "$2" "$_f" "$_src" "$_dst" </dev/null 2>"$T/err"
	_rc=$?; _t1=$(now)
	[ $_rc -eq 0 ] || { cat "$T/err" >&2; return 1; }
	if [ "$5" = big ]; then
		_n=$(wc -c <"$_got")
		[ "$(echo $_n)" = $((SCP_MB * 1048576)) ] || { echo "bench: $1 copied $_n bytes, not $((SCP_MB * 1048576))" >&2; return 1; }
		[ "$6" = 1 ] && { cmp -s "$S/big" "$_got" || { echo "bench: $1 copy of the big file differs" >&2; return 1; }; }
	else
		_n=$(tree_sum "$_got")
		[ "$_n" = "$SCP_FILES $TREE_BYTES" ] || { echo "bench: $1 copied '$_n' (files bytes), not '$SCP_FILES $TREE_BYTES'" >&2; return 1; }
		[ "$6" = 1 ] && { diff -r "$S/tree" "$_got" >/dev/null || { echo "bench: $1 copy of the tree differs" >&2; return 1; }; }
	fi
	rm -rf "$_got"
	elapsed "$_t0" "$_t1"
}

echo "kagi:    $KSSH -> $KSSHD"
echo "OpenSSH: $SSH -> $SSHD ($("$SSH" -V 2>&1))"
wants ssh && echo "$MB MiB x $RUNS runs per cipher, $SETUP_RUNS connection set-ups; medians, runs interleaved"
wants scp && echo "copies: $KSCP -> ksshd, $SCP -> sshd; $SCP_MB MiB file and $SCP_FILES small files, $SCP_RUNS runs each; medians, runs interleaved"
echo

if wants ssh; then
	# Set-up first: its median is also taken off the transfer times below.
	: >"$T/k_setup"; : >"$T/o_setup"
	i=0
	while [ $i -lt "$SETUP_RUNS" ]; do
		t=$(one_setup kssh "$KPORT") || die "kssh -> ksshd connection failed"; echo "$t" >>"$T/k_setup"
		t=$(one_setup ssh "$OPORT") || die "ssh -> sshd connection failed"; echo "$t" >>"$T/o_setup"
		i=$((i + 1))
	done
	for c in $CIPHERS; do
		: >"$T/k_$c"; : >"$T/o_$c"
		i=0
		while [ $i -lt "$RUNS" ]; do
			t=$(one_transfer kssh "$KPORT" "$c") || die "kssh -> ksshd transfer with $c failed"
			echo "$t" >>"$T/k_$c"
			t=$(one_transfer ssh "$OPORT" "$c") || die "ssh -> sshd transfer with $c failed"
			echo "$t" >>"$T/o_$c"
			i=$((i + 1))
		done
	done

	echo "throughput: $MB MiB of zeros piped to 'wc -c' on the server, per cipher."
	echo "MiB/s leaves out the login (the median set-up time below); seconds are whole runs."
	printf '%-32s %11s %9s %14s %10s %7s\n' "test" "kagi MiB/s" "kagi s" "OpenSSH MiB/s" "OpenSSH s" "ratio"
	ks=$(median <"$T/k_setup"); os=$(median <"$T/o_setup")
	for c in $CIPHERS; do
		k=$(median <"$T/k_$c"); o=$(median <"$T/o_$c")
		awk -v n="$c" -v mb="$MB" -v k="$k" -v o="$o" -v ks="$ks" -v os="$os" 'BEGIN {
			kn = k - ks; if (kn < 0.001) kn = 0.001
			on = o - os; if (on < 0.001) on = 0.001
			printf "%-32s %11.1f %9.3f %14.1f %10.3f %7.2f\n", n, mb / kn, k, mb / on, o, on / kn }'
	done
	awk -v k="$ks" -v o="$os" 'BEGIN {
		printf "%-32s %11s %9.3f %14s %10.3f %7.2f\n", "connection set-up (true)", "-", k, "-", o, o / k }'
	echo
	echo "ratio: kagi/OpenSSH throughput, OpenSSH/kagi time for set-up; above 1 means kagi is faster."
fi

if wants scp; then
	wants ssh && echo
	SCP_TESTS=${BENCH_SCP_TESTS:-sftp:up:big sftp:down:big legacy:up:big legacy:down:big sftp:up:tree sftp:down:tree legacy:up:tree legacy:down:tree}
	make_scp_sources || die "could not make the files to copy"
	echo "copies in $(dirname "$S") ($(stat -f -c %T "$S"))"
	for x in $SCP_TESTS; do
		# shellcheck disable=SC2046  # split on purpose
		set -- $(echo "$x" | tr ':' ' ')
		: >"$T/k_$x"; : >"$T/o_$x"
		i=0
		while [ $i -lt "$SCP_RUNS" ]; do
			if [ $i -eq 0 ]; then chk=1; else chk=0; fi
			t=$(one_copy kssh "$KPORT" "$1" "$2" "$3" $chk) || die "kscp -> ksshd $1 $2 $3 failed"
			echo "$t" >>"$T/k_$x"
			t=$(one_copy ssh "$OPORT" "$1" "$2" "$3" $chk) || die "scp -> sshd $1 $2 $3 failed"
			echo "$t" >>"$T/o_$x"
			i=$((i + 1))
		done
	done
	rm -rf "$S"

	echo "copies: kscp -> ksshd against scp -> sshd; SFTP is the default mode, -O the legacy protocol."
	echo "MiB/s and seconds are whole runs (login included)."
	printf '%-32s %11s %9s %14s %10s %7s\n' "test" "kagi MiB/s" "kagi s" "OpenSSH MiB/s" "OpenSSH s" "ratio"
	for x in $SCP_TESTS; do
		# shellcheck disable=SC2046  # split on purpose
		set -- $(echo "$x" | tr ':' ' ')
		if [ "$1" = legacy ]; then m="-O"; else m="sftp"; fi
		if [ "$2" = up ]; then d=upload; else d=download; fi
		if [ "$3" = big ]; then n="$SCP_MB MiB $d ($m)"; mb=$SCP_MB
		else n="$SCP_FILES files -r $d ($m)"; mb=$(awk -v b="$TREE_BYTES" 'BEGIN { print b / 1048576 }'); fi
		k=$(median <"$T/k_$x"); o=$(median <"$T/o_$x")
		awk -v n="$n" -v mb="$mb" -v k="$k" -v o="$o" 'BEGIN {
			if (k < 0.001) k = 0.001
			if (o < 0.001) o = 0.001
			printf "%-32s %11.1f %9.3f %14.1f %10.3f %7.2f\n", n, mb / k, k, mb / o, o, o / k }'
	done
	echo
	echo "ratio: OpenSSH/kagi time; above 1 means kagi is faster."
fi

if wants pq; then
	(wants ssh || wants scp) && echo
	O10=${OPENSSH10_PREFIX:-}
	if [ -z "$O10" ]; then
		b=$KAGI_ROOT/../shared/peers/build-openssh.sh
		[ -x "$b" ] || b=/work/shared/peers/build-openssh.sh
		[ -x "$b" ] && { mkdir -p /var/cache/kagi-peers 2>/dev/null; O10=$(flock /var/cache/kagi-peers/.build.lock sh "$b" 2>"$T/o10.err" | tail -n 1); }
	fi
	if [ -z "$O10" ] || [ ! -x "$O10/bin/ssh" ] || [ ! -x "$O10/sbin/sshd" ]; then
		echo "post-quantum set-up: skipped, OpenSSH 10.5 is not available ($(tail -n 1 "$T/o10.err" 2>/dev/null))"
	else
		o_sshd=$SSHD; SSHD=$O10/sbin/sshd
		write_server_config "$T/sshd10.conf" "$T/host_ed25519"
		start_server sshd sshd10 || die "OpenSSH 10.5 sshd did not start"; O10PORT=$SRV_PORT
		SSHD=$o_sshd
		PQ_KEXES="mlkem768x25519-sha256 curve25519-sha256"
		for x in $PQ_KEXES; do : >"$T/pk_$x"; : >"$T/po_$x"; done
		i=0
		while [ $i -lt "$SETUP_RUNS" ]; do
			for x in $PQ_KEXES; do
				t=$(one_setup kssh "$KPORT" "-o KexAlgorithms=$x") || die "kssh -> ksshd with $x failed"
				echo "$t" >>"$T/pk_$x"
				t=$(SSH=$O10/bin/ssh; one_setup ssh "$O10PORT" "-o KexAlgorithms=$x") ||
					die "OpenSSH 10.5 ssh -> sshd with $x failed"
				echo "$t" >>"$T/po_$x"
			done
			i=$((i + 1))
		done
		echo "post-quantum connection set-up (login running 'true'), $SETUP_RUNS runs, medians, interleaved:"
		echo "kagi: kssh -> ksshd; OpenSSH: $("$O10/bin/ssh" -V 2>&1) ssh -> sshd"
		printf '%-32s %9s %11s %7s\n' "key exchange" "kagi s" "OpenSSH s" "ratio"
		for x in $PQ_KEXES; do
			k=$(median <"$T/pk_$x"); o=$(median <"$T/po_$x")
			awk -v n="$x" -v k="$k" -v o="$o" 'BEGIN { printf "%-32s %9.4f %11.4f %7.2f\n", n, k, o, o / k }'
		done
		km=$(median <"$T/pk_mlkem768x25519-sha256"); kc=$(median <"$T/pk_curve25519-sha256")
		om=$(median <"$T/po_mlkem768x25519-sha256"); oc=$(median <"$T/po_curve25519-sha256")
		awk -v km="$km" -v kc="$kc" -v om="$om" -v oc="$oc" 'BEGIN {
			printf "%-32s %+8.1fms %+10.1fms\n", "mlkem768x25519 - curve25519", (km - kc) * 1000, (om - oc) * 1000 }'
		echo
		echo "ratio: OpenSSH/kagi time; above 1 means kagi is faster.  The last line is what the"
		echo "post-quantum half adds to a connection's set-up on each side."
	fi
fi

if wants logins; then
	(wants ssh || wants scp || wants pq) && echo
	run_logins
fi

if wants memory; then
	(wants ssh || wants scp || wants pq || wants logins) && echo
	run_memory
fi

if wants cpu; then
	(wants ssh || wants scp || wants pq || wants logins || wants memory) && echo
	run_cpu
fi

if wants lat; then
	(wants ssh || wants scp || wants pq || wants logins || wants memory || wants cpu) && echo
	run_lat
fi

if wants sftplat; then
	(wants ssh || wants scp || wants pq || wants logins || wants memory || wants lat) && echo
	run_sftplat
fi
