# File copies over a long path: kscp (SFTP and -O) and ksftp get/put through the delay proxy (sourced by tools/bench.sh).
#
# part sftplat: tools/delay-proxy.py adds BENCH_SFTPLAT_RTT ms (default 50)
# of round trip in front of ksshd and of sshd.  One file of
# BENCH_SFTPLAT_MB MiB (default 128, random) is copied up and down by
#   scp       kscp / scp in SFTP mode (each side's default)
#   legacy    kscp -O / scp -O (the scp protocol over a remote shell)
#   sftp      ksftp / sftp in batch mode (-b), "get" and "put"
# for each pair in BENCH_SFTPLAT_PAIRS (default all four): kagi-kagi (kscp or
# ksftp -> ksshd), kagi-openssh (-> sshd), openssh-kagi (scp/sftp -> ksshd)
# and openssh-openssh, the baseline every ratio is taken against.
# BENCH_SFTPLAT_RUNS (default 3) runs, each one of every test and pair in
# turn (interleaved); medians.  The first run compares the copies byte for
# byte, the others their sizes.  BENCH_SFTPLAT_TESTS (default all) picks
# TOOL:DIRECTION words, e.g. "scp:down sftp:up".  MiB/s are whole runs,
# login included (one login costs about 4 round trips more than OpenSSH's
# three or so; at 50 ms that is a fraction of a second either way).

SL_RTT=${BENCH_SFTPLAT_RTT:-50}
SL_MB=${BENCH_SFTPLAT_MB:-128}
SL_RUNS=${BENCH_SFTPLAT_RUNS:-3}
SL_PAIRS=${BENCH_SFTPLAT_PAIRS:-kagi-kagi kagi-openssh openssh-kagi openssh-openssh}
SL_TESTS=${BENCH_SFTPLAT_TESTS:-scp:down scp:up legacy:down legacy:up sftp:down sftp:up}

# sl_proxy TARGET_PORT -> the proxy's port on stdout (its pid joins $T/pids)
sl_proxy() {
	_pf=$T/proxy.$1
	rm -f "$_pf"
	"$PY" "$KAGI_ROOT/tools/delay-proxy.py" -r "$SL_RTT" -p "$_pf" -t 3600 "$1" >/dev/null 2>"$T/proxy.$1.err" &
	echo $! >>"$T/pids"
	_i=0
	while [ ! -s "$_pf" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -s "$_pf" ] || return 1
	cat "$_pf"
}

# sl_one PAIR TOOL DIRECTION CHECK -> seconds on stdout
sl_one() {
	case $1 in kagi-*) _c=k ;; *) _c=o ;; esac
	case $1 in *-kagi) _port=$SL_KPORT ;; *) _port=$SL_OPORT ;; esac
	if [ "$3" = up ]; then _got=$SL_DIR/up/big; else _got=$SL_DIR/down/big; fi
	rm -f "$_got"
	_common="-F /dev/null -i $T/user_ed25519 -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR"
	if [ "$_c" = k ]; then _scp=$KSCP; _sftp=$KSFTP; _s=""
	else _scp=$SCP; _sftp=$SFTP; _s="-S $SSH"; fi
	_t0=$(now)
	case $2 in
	scp | legacy)
		if [ "$2" = legacy ]; then _f=-O; else _f=""; fi
		if [ "$3" = up ]; then _a=$SL_DIR/big; _b=$TUSER@127.0.0.1:$SL_DIR/up/big
		else _a=$TUSER@127.0.0.1:$SL_DIR/big; _b=$SL_DIR/down/big; fi
		# shellcheck disable=SC2086  # options are word-split on purpose
		timeout -k 5 "$CLIENT_TIMEOUT" "$_scp" -q $_s $_f $_common -P "$_port" "$_a" "$_b" </dev/null 2>"$T/err"
		;;
	sftp)
		if [ "$3" = up ]; then echo "put $SL_DIR/big $SL_DIR/up/big" >"$T/batch"
		else echo "get $SL_DIR/big $SL_DIR/down/big" >"$T/batch"; fi
		# shellcheck disable=SC2086
		timeout -k 5 "$CLIENT_TIMEOUT" "$_sftp" -q $_s $_common -P "$_port" -b "$T/batch" "$TUSER@127.0.0.1" \
			</dev/null >/dev/null 2>"$T/err"
		;;
	esac
	_rc=$?; _t1=$(now)
	[ $_rc -eq 0 ] || { cat "$T/err" >&2; return 1; }
	_n=$(wc -c <"$_got")
	[ "$(echo $_n)" = $((SL_MB * 1048576)) ] || { echo "bench: $1 $2 $3 copied $_n bytes, not $((SL_MB * 1048576))" >&2; return 1; }
	[ "$4" = 1 ] && { cmp -s "$SL_DIR/big" "$_got" || { echo "bench: $1 $2 $3: the copy differs" >&2; return 1; }; }
	rm -f "$_got"
	elapsed "$_t0" "$_t1"
}

run_sftplat() {
	KSFTP=$(abs_prog "${KSFTP:-$KAGI_BIN/ksftp}")
	SFTP=$(abs_prog "${SFTP:-/usr/bin/sftp}")
	for p in "$KSCP" "$SCP" "$KSFTP" "$SFTP" "$SFTP_SERVER"; do [ -x "$p" ] || die "$p is missing (make first)"; done
	SL_KPORT=$(sl_proxy "$KPORT") || die "the delay proxy for ksshd did not start"
	SL_OPORT=$(sl_proxy "$OPORT") || die "the delay proxy for sshd did not start"
	SL_DIR=$(mktemp -d "$(scp_dir)/kagi-bench-sl.XXXXXX") || die "no directory for the copies"
	chmod 755 "$SL_DIR"
	trap 'rm -rf "$SL_DIR" "${S:-}"; cleanup' EXIT
	mkdir -p "$SL_DIR/up" "$SL_DIR/down" || die "mkdir failed"
	head -c $((SL_MB * 1048576)) /dev/urandom >"$SL_DIR/big" || die "could not make the file to copy"
	echo "long path: $SL_RTT ms round trip (tools/delay-proxy.py), $SL_MB MiB file, $SL_RUNS runs; medians, interleaved"
	for x in $SL_TESTS; do for p in $SL_PAIRS; do : >"$T/sl_${p}_$x"; done; done
	i=0
	while [ $i -lt "$SL_RUNS" ]; do
		if [ $i -eq 0 ]; then chk=1; else chk=0; fi
		for x in $SL_TESTS; do
			for p in $SL_PAIRS; do
				# shellcheck disable=SC2046  # split on purpose
				t=$(sl_one "$p" $(echo "$x" | tr ':' ' ') $chk) || die "$p $x failed"
				echo "$t" >>"$T/sl_${p}_$x"
			done
		done
		i=$((i + 1))
	done
	rm -rf "$SL_DIR"
	echo "MiB/s per pair (client-server); ratio: against openssh-openssh (scp/sftp -> sshd); above 1 is faster."
	printf '%-14s' "test"
	for p in $SL_PAIRS; do printf ' %16s' "$p"; done
	for p in $SL_PAIRS; do [ "$p" = openssh-openssh ] || printf ' %8s' "$(echo "$p" | sed 's/kagi/k/g; s/openssh/o/g')"; done
	echo
	for x in $SL_TESTS; do
		case $x in scp:*) n="kscp" ;; legacy:*) n="kscp -O" ;; sftp:*) n="ksftp" ;; esac
		case $x in *:up) n="$n up" ;; *) n="$n down" ;; esac
		printf '%-14s' "$n"
		base=""
		[ -s "$T/sl_openssh-openssh_$x" ] && base=$(median <"$T/sl_openssh-openssh_$x")
		for p in $SL_PAIRS; do
			m=$(median <"$T/sl_${p}_$x")
			awk -v mb="$SL_MB" -v m="$m" 'BEGIN { printf " %16.1f", mb / m }'
		done
		for p in $SL_PAIRS; do
			[ "$p" = openssh-openssh ] && continue
			m=$(median <"$T/sl_${p}_$x")
			if [ -n "$base" ]; then awk -v m="$m" -v b="$base" 'BEGIN { printf " %7.2fx", b / m }'
			else printf ' %8s' -; fi
		done
		echo
	done
	echo "(ratio columns k-k, k-o, o-k: kagi client to ksshd, kagi client to sshd, OpenSSH client to ksshd)"
}
