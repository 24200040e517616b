# The long path: `cat` through ssh over a delayed loopback relay, kagi against OpenSSH (sourced by tools/bench.sh).
#
# tools/delay-proxy.py holds each direction BENCH_LAT_RTT/2 ms (default 50
# ms round trip, no bandwidth limit) in front of ksshd and of sshd.  Each
# run moves BENCH_LAT_MB MiB (default 128) of zeros through the session's
# stdin to `wc -c` on the server (upload) or from `head -c` on the server
# to `wc -c` here (download); the count is checked.  Four pairs: kssh ->
# ksshd, kssh -> sshd, ssh -> ksshd and ssh -> sshd, each side's default
# cipher, no compression; BENCH_LAT_RUNS (default 3) runs per pair and
# direction, interleaved; medians.  A login through the proxy costs several
# round trips (about half a second), so each pair's logins running `true`
# are timed too (one per run) and the median is taken off its transfer
# time for MiB/s; "s" columns are whole runs.  ratio: MiB/s against ssh ->
# sshd in the same direction, above 1 is faster.  Uses $KPORT/$OPORT,
# client(), now(), elapsed() and median() from tools/bench.sh.

LAT_MB=${BENCH_LAT_MB:-128}
LAT_RUNS=${BENCH_LAT_RUNS:-3}
LAT_RTT=${BENCH_LAT_RTT:-50}
LAT_PAIRS="kssh:k kssh:o ssh:k ssh:o"

# lat_proxy PORT NAME : a delay proxy in front of 127.0.0.1:PORT; its port on stdout.
lat_proxy() {
	rm -f "$T/$2.port"
	# The proxy stops itself after an hour at most; cleanup ends it sooner.
	"$PY" "$KAGI_ROOT/tools/delay-proxy.py" -r "$LAT_RTT" -t 3600 -p "$T/$2.port" "$1" >/dev/null 2>"$T/$2.err" &
	echo $! >>"$T/pids"
	_i=0
	while [ ! -s "$T/$2.port" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -s "$T/$2.port" ] || { cat "$T/$2.err" >&2; return 1; }
	cat "$T/$2.port"
}

# lat_one CLIENT PORT up|down -> seconds on stdout
lat_one() {
	_want=$((LAT_MB * 1048576))
	_t0=$(now)
	if [ "$3" = up ]; then
		_n=$(head -c "$_want" /dev/zero | client "$1" "$2" "-o Compression=no" 'wc -c' 2>"$T/err")
	else
		_n=$(client "$1" "$2" "-o Compression=no" "head -c $_want /dev/zero" </dev/null 2>"$T/err" | wc -c)
	fi
	_rc=$?; _t1=$(now)
	[ $_rc -eq 0 ] || { cat "$T/err" >&2; return 1; }
	[ "$(echo $_n)" = "$_want" ] || { echo "bench: $1 $3 delivered '$_n' bytes, not $_want ($(cat "$T/err"))" >&2; return 1; }
	elapsed "$_t0" "$_t1"
}

# lat_login CLIENT PORT -> seconds on stdout
lat_login() {
	_t0=$(now)
	client "$1" "$2" "-o Compression=no" true </dev/null 2>"$T/err" || { cat "$T/err" >&2; return 1; }
	_t1=$(now)
	elapsed "$_t0" "$_t1"
}

run_lat() {
	LKPORT=$(lat_proxy "$KPORT" lat-k) || die "the delay proxy for ksshd did not start"
	LOPORT=$(lat_proxy "$OPORT" lat-o) || die "the delay proxy for sshd did not start"
	for p in $LAT_PAIRS; do : >"$T/lat_login_$p"; done
	for d in up down; do
		for p in $LAT_PAIRS; do : >"$T/lat_${d}_$p"; done
		i=0
		while [ $i -lt "$LAT_RUNS" ]; do
			for p in $LAT_PAIRS; do
				c=${p%:*}
				if [ "${p#*:}" = k ]; then port=$LKPORT; else port=$LOPORT; fi
				if [ "$d" = up ]; then
					t=$(lat_login "$c" "$port") || die "$c -> ${p#*:} login through the delay proxy failed"
					echo "$t" >>"$T/lat_login_$p"
				fi
				t=$(lat_one "$c" "$port" "$d") || die "$c -> ${p#*:} $d through the delay proxy failed"
				echo "$t" >>"$T/lat_${d}_$p"
			done
			i=$((i + 1))
		done
	done
	echo "long path: $LAT_RTT ms round trip (tools/delay-proxy.py), $LAT_MB MiB through 'cat' ('wc -c' and"
	echo "'head -c'), $LAT_RUNS runs per pair and direction, interleaved; medians.  MiB/s leave out the"
	echo "pair's login (the median of its logins running 'true', 'login s'); 'up s'/'down s' are whole runs."
	printf '%-16s %8s %9s %7s %7s %11s %7s %7s\n' "pair" "login s" "up MiB/s" "up s" "ratio" "down MiB/s" "down s" "ratio"
	for p in $LAT_PAIRS; do
		l=$(median <"$T/lat_login_$p"); u=$(median <"$T/lat_up_$p"); dn=$(median <"$T/lat_down_$p")
		echo "$p $l $u $dn"
	done >"$T/lat_table"
	awk -v mb="$LAT_MB" '
		function rate(t, l) { t -= l; if (t < 0.001) t = 0.001; return mb / t }
		{ n[NR] = $1; l[NR] = $2; u[NR] = $3; d[NR] = $4; if ($1 == "ssh:o") { ou = rate($3, $2); od = rate($4, $2) } }
		END {
			for (i = 1; i <= NR; i++) {
				split(n[i], a, ":"); s = (a[2] == "k") ? "ksshd" : "sshd"
				printf "%-16s %8.3f %9.1f %7.3f %7.2f %11.1f %7.3f %7.2f\n", a[1] " -> " s, l[i],
					rate(u[i], l[i]), u[i], rate(u[i], l[i]) / ou, rate(d[i], l[i]), d[i], rate(d[i], l[i]) / od
			}
		}' "$T/lat_table"
	echo
	echo "ratio: the pair's MiB/s against ssh -> sshd's in the same direction; above 1 is faster."
}
