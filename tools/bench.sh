#!/bin/sh
# Throughput and connection set-up, kagi (kssh -> ksshd) against OpenSSH
# (ssh -> sshd), measured in the same run, interleaved, medians: data piped
# into `wc -c` on the server (the count is checked), and logins running
# `true`.  Both use an ed25519 host key and an ed25519 user key, over
# 127.0.0.1.
#   BENCH_MB (default 512)         data per throughput run
#   BENCH_RUNS (default 3)         throughput runs per cipher and side
#   BENCH_SETUP_RUNS (default 15)  connection set-up runs per side
# Programs: KAGI_BIN (default build/bin) or KSSH/KSSHD; SSH/SSHD for OpenSSH.
KAGI_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$KAGI_ROOT/tests/interop/lib.sh"
MB=${BENCH_MB:-512}
RUNS=${BENCH_RUNS:-3}
SETUP_RUNS=${BENCH_SETUP_RUNS:-15}
CIPHERS="aes128-gcm@openssh.com chacha20-poly1305@openssh.com"
CLIENT_TIMEOUT=${BENCH_TIMEOUT:-900}
SERVER_LOGLEVEL=INFO

die() { echo "bench: $*" >&2; exit 1; }
for p in "$KSSH" "$KSSHD" "$SSH" "$SSHD"; do [ -x "$p" ] || die "$p is missing (make first)"; done
setup_keys || die "key generation failed"
start_server ksshd ksshd || die "ksshd did not start"; KPORT=$SRV_PORT
start_server sshd sshd || die "sshd did not start"; OPORT=$SRV_PORT

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
	client "$1" "$2" "-o Compression=no" true </dev/null 2>"$T/err"
	_rc=$?; _t1=$(now)
	[ $_rc -eq 0 ] || { cat "$T/err" >&2; return 1; }
	elapsed "$_t0" "$_t1"
}

echo "kagi:    $KSSH -> $KSSHD"
echo "OpenSSH: $SSH -> $SSHD ($("$SSH" -V 2>&1))"
echo "$MB MiB x $RUNS runs per cipher, $SETUP_RUNS connection set-ups; medians, runs interleaved"
echo

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
