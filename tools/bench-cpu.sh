# CPU per byte on both sides, ksshd/kssh against sshd/ssh (sourced by tools/bench.sh, after bench-server.sh).
#
# cpu: BENCH_CPU_MB (default 512) MiB of zeros, per cipher in CIPHERS, up
#   (piped into the client, `wc -c` on the server: the server writes what
#   arrives into that command's pipe) and down (`head -c N /dev/zero` on the
#   server, counted as it leaves the client), kagi (kssh -> ksshd) and
#   OpenSSH (ssh -> sshd) in the same run, BENCH_CPU_RUNS (default 3)
#   interleaved runs each; medians.  Measured per side:
#   client: the client's process tree, user + system time (getrusage of the
#     reaped child, in a small Python wrapper that also counts its output);
#   server: the listener's and its lasting processes' utime + stime +
#     cutime + cstime (/proc/PID/stat) before and after, once every process
#     of the connection has ended and been reaped (the command it ran, wc or
#     head, included: the same work on both servers).
#   Reported as CPU-seconds per GiB moved, client, server and both, and the
#   ratio kagi/OpenSSH of both (below 1: kagi spends less).  The byte count
#   that arrived is checked.  `perf stat -e task-clock,cycles,instructions`
#   around either side gives the same split with cycle counts.

CPU_MB=${BENCH_CPU_MB:-512}
CPU_RUNS=${BENCH_CPU_RUNS:-3}
# argv: the client and its arguments; stdin is passed on.  Prints "CPU-seconds
# bytes-written-by-the-client first-line-written"; exits with the client's status.
CPU_RUN_PY='
import os, resource, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.dup2(w, 1); os.close(r); os.close(w)
    os.execvp(sys.argv[1], sys.argv[1:])
os.close(w)
n, first = 0, b""
while True:
    b = os.read(r, 1 << 20)
    if not b:
        break
    if n < 64:
        first = (first + b[:64]).split(b"\n")[0][:64]
    n += len(b)
_, st, ru = os.wait4(pid, 0)
print("%.4f %d %s" % (ru.ru_utime + ru.ru_stime, n, first.strip().decode("ascii", "replace") or "-"))
sys.exit(os.waitstatus_to_exitcode(st))
'

# cpu_one KIND PORT CIPHER DIRECTION LISTENER : one transfer; prints
# "client-seconds server-seconds".
cpu_one() {
	_bytes=$((CPU_MB * 1048576)); _dir=$4; _lis=$5
	[ -f "$T/cpu-run.py" ] || printf '%s\n' "$CPU_RUN_PY" >"$T/cpu-run.py"
	no_children "$_lis" || { echo "bench: the listener $5 still has children before the run" >&2; return 1; }
	_c0=$(cpu_ticks "$_lis")
	if [ "$4" = up ]; then
		_o=$(head -c "$_bytes" /dev/zero | CLIENT_WRAP="$PY $T/cpu-run.py" client "$1" "$2" "-c $3 -o Compression=no" 'wc -c' 2>"$T/cpu.err")
	else
		_o=$(CLIENT_WRAP="$PY $T/cpu-run.py" client "$1" "$2" "-c $3 -o Compression=no" "head -c $_bytes /dev/zero" </dev/null 2>"$T/cpu.err")
	fi
	_rc=$?
	[ $_rc -eq 0 ] || { cat "$T/cpu.err" >&2; return 1; }
	no_children "$_lis" || { echo "bench: the connection's processes did not end" >&2; return 1; }
	_c1=$(cpu_ticks "$_lis")
	# "CPU-seconds bytes first-line": up, wc's count is the first line.
	# shellcheck disable=SC2086  # split on purpose
	set -- $_o
	if [ "$_dir" = up ]; then _got=$3; else _got=$2; fi
	[ "$_got" = "$_bytes" ] || { echo "bench: $_dir moved '$_got' bytes, not $_bytes" >&2; return 1; }
	awk -v c="$1" -v a="$_c0" -v b="$_c1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f %.4f\n", c, (b - a) / hz }'
}

# run_cpu : the whole part (servers KPORT/KPID and OPORT/OPID running, their
# bases taken).
run_cpu() {
	echo "CPU per byte: $CPU_MB MiB of zeros each way, $CPU_RUNS runs per cipher, direction and side; medians, interleaved."
	echo "up: piped into the client, 'wc -c' on the server; down: 'head -c' on the server, counted after the client."
	echo "CPU-seconds per GiB; client: the client's tree; server: every process of the connection (the command included)."
	for c in $CIPHERS; do
		for d in up down; do
			for s in k o; do : >"$T/cpu_${s}_${c}_$d"; done
			i=0
			while [ $i -lt "$CPU_RUNS" ]; do
				t=$(cpu_one kssh "$KPORT" "$c" "$d" "$KPID") || die "kssh -> ksshd $d with $c failed"
				echo "$t" >>"$T/cpu_k_${c}_$d"
				t=$(cpu_one ssh "$OPORT" "$c" "$d" "$OPID") || die "ssh -> sshd $d with $c failed"
				echo "$t" >>"$T/cpu_o_${c}_$d"
				i=$((i + 1))
			done
		done
	done
	printf '%-38s %8s %8s %8s %9s %9s %9s %7s\n' "test" "kagi cl" "kagi sv" "kagi" "OpenSSH cl" "sv" "OpenSSH" "ratio"
	for c in $CIPHERS; do
		for d in up down; do
			f=$T/cpu_k_${c}_$d; g=$T/cpu_o_${c}_$d
			kc=$(cut -d' ' -f1 "$f" | median); ks=$(cut -d' ' -f2 "$f" | median)
			kt=$(awk '{ print $1 + $2 }' "$f" | median)
			oc=$(cut -d' ' -f1 "$g" | median); os=$(cut -d' ' -f2 "$g" | median)
			ot=$(awk '{ print $1 + $2 }' "$g" | median)
			awk -v n="$c $d" -v mb="$CPU_MB" -v kc="$kc" -v ks="$ks" -v kt="$kt" -v oc="$oc" -v os="$os" -v ot="$ot" 'BEGIN {
				g = 1024 / mb
				if (ot < 0.001) ot = 0.001
				printf "%-38s %8.3f %8.3f %8.3f %9.3f %9.3f %9.3f %7.2f\n", n, kc * g, ks * g, kt * g, oc * g, os * g, ot * g, kt / ot }'
		done
	done
	echo
	echo "ratio: kagi/OpenSSH CPU-seconds per GiB, both sides; below 1 means kagi spends less."
}
