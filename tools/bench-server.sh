# The server's cost per login and per idle connection, ksshd against sshd (sourced by tools/bench.sh).
#
# Both parts use OpenSSH's ssh as the client against both servers (publickey,
# BatchMode, the same ed25519 host and user keys, each side's defaults), so
# only the server differs.  They run once per account in BENCH_ACCOUNTS.
#
# logins: BENCH_LOGIN_LOOPS (default 4) loops run `ssh ... true` side by side
#   for BENCH_LOGIN_SECS (default 8) seconds; a loop's rate is the logins it
#   completed divided by the time from its start to the end of its last login
#   (every login it started before the deadline), the run's rate the sum of
#   its loops'.  BENCH_LOGIN_RUNS (default 5) runs per server, interleaved
#   (which server goes first alternates); medians, and the median of the
#   run-by-run ratios.  Any failed login is reported.  Also the server's CPU
#   time per login in those runs: the listener's utime + stime + cutime +
#   cstime (/proc/PID/stat) before and after, the run's processes all reaped.
# memory: BENCH_MEM_CONNS (default 20) connections held open by `ssh -N`,
#   each started after the one before it has authenticated; once the server's
#   processes have settled, the Pss of /proc/PID/smaps_rollup is summed over
#   every descendant of the listener (the listener itself left out; whatever
#   the process model, each per-connection process descends from it; any
#   lasting child it had before the first client is left out too) and
#   divided by the number of connections.  BENCH_MEM_RUNS (default 3) runs
#   per server, interleaved; medians.  Nothing else is connected meanwhile.
# BENCH_ACCOUNTS (default: the current user, and when run as root also a
#   non-root account, kagi-bench, created as the interop tests create theirs):
#   words "self" and/or "user".  Servers that keep a root login in one
#   process but split a user's (as sshd does) differ most between the two.
#   A login runs `true` in the account's shell: bash started by a server
#   reads ~/.bashrc, whose cost (the same for both servers) narrows the ratio.

LOGIN_LOOPS=${BENCH_LOGIN_LOOPS:-4}
LOGIN_SECS=${BENCH_LOGIN_SECS:-8}
LOGIN_RUNS=${BENCH_LOGIN_RUNS:-5}
MEM_CONNS=${BENCH_MEM_CONNS:-20}
MEM_RUNS=${BENCH_MEM_RUNS:-3}

# descendants PID : every process below PID (not PID itself), one per line.
descendants() {
	ps -A -o pid= -o ppid= | awk -v root="$1" '
		{ par[$1] = $2 }
		END {
			for (p in par) {
				q = p; n = 0
				while ((q in par) && q != root && q > 1 && n++ < 64) q = par[q]
				if (q == root && p != root) print p
			}
		}'
}
# server_base PID : the listener's lasting children (a helper process, if a
# process model has one), taken right after it started, before any client,
# into $T/base.PID; they are not counted as the connections'.
server_base() {
	: >"$T/base.$1"
	settle_children "$1" 0 >/dev/null
	descendants "$1" | sort >"$T/base.$1"
}
# conn_procs PID : the listener's descendants that are not in its base.
conn_procs() {
	descendants "$1" | sort | comm -23 - "$T/base.$1"
}
# pss_kib PID... : the sum of their Pss in KiB (processes gone meanwhile count 0).
pss_kib() {
	for _p in "$@"; do cat "/proc/$_p/smaps_rollup" 2>/dev/null; done |
		awk '$1 == "Pss:" { s += $2 } END { print s + 0 }'
}
# settle_children PID MIN : wait (up to 15 s) until PID has at least MIN
# connection processes and their number has not changed for a second;
# prints it.
settle_children() {
	_last=-1; _same=0; _i=0
	while [ $_i -lt 150 ]; do
		_n=$(conn_procs "$1" | wc -l)
		if [ "$_n" -eq "$_last" ] && [ "$_n" -ge "$2" ]; then
			_same=$((_same + 1)); [ $_same -ge 10 ] && { echo "$_n"; return 0; }
		else _same=0; fi
		_last=$_n; sleep 0.1; _i=$((_i + 1))
	done
	echo "$_last"; return 1
}
# no_children PID : wait (up to 15 s) until PID has no connection processes.
no_children() {
	_i=0
	while [ $_i -lt 150 ]; do
		[ -z "$(conn_procs "$1")" ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# bench_account WORD : sets ACCT (the login name) for "self" or "user".
bench_account() {
	case $1 in
	self) ACCT=$TUSER ;;
	user)
		[ "$IS_ROOT" -eq 1 ] || { echo "bench: the account 'user' needs root" >&2; return 1; }
		if [ -z "${BENCH_USER_READY:-}" ]; then
			setup_pwuser || { echo "bench: could not create the account $PWUSER" >&2; return 1; }
			BENCH_USER_READY=1
		fi
		ACCT=$PWUSER ;;
	*) echo "bench: unknown account word '$1' (self or user)" >&2; return 1 ;;
	esac
}

# login_loop PORT USER DEADLINE OUT : logins until DEADLINE (date +%s.%N);
# writes "logins seconds failures" to OUT.
login_loop() {
	_ln=0; _lf=0; _l0=$(now); _le=$_l0
	# shellcheck disable=SC2034  # read by client() (tests/interop/lib.sh)
	CLIENT_USER=$2  # this loop runs in its own subshell
	while awk -v t="$_le" -v d="$3" 'BEGIN { exit !(t < d) }'; do
		if client ssh "$1" "-o Compression=no" true </dev/null 2>>"$T/login.err"; then
			_ln=$((_ln + 1))
		else _lf=$((_lf + 1)); fi
		_le=$(now)
	done
	echo "$_ln $(elapsed "$_l0" "$_le") $_lf" >"$4"
}
# cpu_ticks PID : the CPU time of PID, of its base processes and of the
# children they have reaped (utime + stime + cutime + cstime), in clock ticks.
cpu_ticks() {
	for _p in "$1" $(cat "$T/base.$1"); do sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null; done |
		awk '{ s += $12 + $13 + $14 + $15 } END { print s + 0 }'
}
# login_run LISTENER PORT USER : one run of LOGIN_LOOPS loops; prints "rate
# logins failures server-CPU-ticks" (the listener's and every process of
# the run's connections, counted once they have all ended and been reaped).
login_run() {
	no_children "$1" || { echo "bench: the listener $1 still has children before the run" >&2; return 1; }
	_c0=$(cpu_ticks "$1")
	_d=$(awk -v t="$(now)" -v s="$LOGIN_SECS" 'BEGIN { printf "%.4f", t + s }')
	_j=0
	while [ $_j -lt "$LOGIN_LOOPS" ]; do
		login_loop "$2" "$3" "$_d" "$T/loop.$_j" &
		_j=$((_j + 1))
	done
	wait
	no_children "$1" || { echo "bench: the listener $1 kept children after the run" >&2; return 1; }
	_c1=$(cpu_ticks "$1")
	_j=0
	while [ $_j -lt "$LOGIN_LOOPS" ]; do cat "$T/loop.$_j"; rm -f "$T/loop.$_j"; _j=$((_j + 1)); done |
		awk -v c=$((_c1 - _c0)) '{ if ($2 > 0) r += $1 / $2; n += $1; f += $3 } END { printf "%.3f %d %d %d\n", r, n, f, c }'
}

# hold_conns PORT USER N : N connections by `ssh -N`, each waited for until
# it has authenticated; their pids in $T/holders.
hold_conns() {
	: >"$T/holders"
	_h=0
	while [ $_h -lt "$3" ]; do
		: >"$T/hold.$_h"
		"$SSH" -N -o LogLevel=VERBOSE -o Compression=no -i "$T/user_ed25519" -F /dev/null -p "$1" -l "$2" \
			-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
			-o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o BatchMode=yes \
			-o ConnectTimeout=10 127.0.0.1 </dev/null >/dev/null 2>"$T/hold.$_h" &
		echo $! >>"$T/holders"
		_i=0
		until grep -q '^Authenticated to' "$T/hold.$_h"; do
			if ! running $! || [ $_i -ge 150 ]; then
				echo "bench: idle connection $_h did not authenticate:" >&2; cat "$T/hold.$_h" >&2
				return 1
			fi
			sleep 0.02; _i=$((_i + 1))
		done
		_h=$((_h + 1))
	done
}
drop_conns() {
	while read -r _p; do kill -TERM "$_p" 2>/dev/null; done <"$T/holders"
	while read -r _p; do wait "$_p" 2>/dev/null; done <"$T/holders"
	: >"$T/holders"
}
# mem_run LISTENER PORT USER BREAKDOWN : one run; prints "KiB-per-connection
# processes-per-connection"; BREAKDOWN gets "name user KiB" per process.
mem_run() {
	no_children "$1" || { echo "bench: the listener $1 still has children before the run" >&2; return 1; }
	hold_conns "$2" "$3" "$MEM_CONNS" || { drop_conns; return 1; }
	_np=$(settle_children "$1" "$MEM_CONNS") || { echo "bench: the server's processes did not settle ($_np)" >&2; drop_conns; return 1; }
	: >"$4"
	for _p in $(conn_procs "$1"); do
		_who=$(ps -o comm= -o user= -p "$_p") && echo "$_who $(pss_kib "$_p")" >>"$4"
	done
	_kib=$(awk '{ s += $3 } END { print s + 0 }' "$4")
	drop_conns
	no_children "$1" || { echo "bench: the listener $1 kept children after the connections ended" >&2; return 1; }
	awk -v k="$_kib" -v p="$_np" -v n="$MEM_CONNS" 'BEGIN { printf "%.1f %.2f\n", k / n, p / n }'
}

# breakdown FILE : "name (user) KiB x count" per kind of process, per connection.
breakdown() {
	awk -v n="$MEM_CONNS" '{ k = $1 " (" $2 ")"; s[k] += $3; c[k]++ }
		END { for (k in s) printf "%s%s %.0f KiB x %.2f", (d++ ? ", " : ""), k, s[k] / c[k], c[k] / n; print "" }' "$1"
}
# ratios A B : the median of the run-by-run ratios A[i]/B[i] (first fields).
ratios() {
	paste -d' ' "$1" "$2" | awk '$(NF/2+1) > 0 { printf "%.4f\n", $1 / $(NF/2+1) }' | median
}

run_logins() {
	la=$(cut -d' ' -f1-3 /proc/loadavg)
	for a in $ACCOUNTS; do
		bench_account "$a" || die "no account for '$a'"
		: >"$T/lk_$a"; : >"$T/lo_$a"
		i=0
		while [ $i -lt "$LOGIN_RUNS" ]; do
			# ksshd first in even runs, sshd first in odd ones, so a drift in
			# the machine's load favours neither.
			for s in $(if [ $((i % 2)) -eq 0 ]; then echo k o; else echo o k; fi); do
				if [ "$s" = k ]; then
					r=$(login_run "$KPID" "$KPORT" "$ACCT") || die "logins to ksshd failed"; echo "$r" >>"$T/lk_$a"
				else
					r=$(login_run "$OPID" "$OPORT" "$ACCT") || die "logins to sshd failed"; echo "$r" >>"$T/lo_$a"
				fi
			done
			i=$((i + 1))
		done
	done
	echo "logins per second: OpenSSH's ssh (publickey, BatchMode, 'true') against each server,"
	echo "$LOGIN_LOOPS loops side by side for $LOGIN_SECS s, $LOGIN_RUNS runs each, interleaved; medians."
	echo "load average before the runs: $la ($(nproc) CPUs)"
	printf '%-14s %12s %12s %7s %7s   %s\n' "account" "ksshd log/s" "sshd log/s" "ratio" "paired" "shell"
	for a in $ACCOUNTS; do
		bench_account "$a" || die "no account for '$a'"
		k=$(cut -d' ' -f1 <"$T/lk_$a" | median); o=$(cut -d' ' -f1 <"$T/lo_$a" | median)
		kr=$(awk '{ printf "%s/s (%d) ", $1, $2 }' "$T/lk_$a"); or=$(awk '{ printf "%s/s (%d) ", $1, $2 }' "$T/lo_$a")
		pr=$(ratios "$T/lk_$a" "$T/lo_$a")
		sh_=$(getent passwd "$ACCT" | cut -d: -f7)
		awk -v n="$ACCT" -v k="$k" -v o="$o" -v pr="$pr" -v sh="$sh_" 'BEGIN {
			printf "%-14s %12.2f %12.2f %7.2f %7.2f   %s\n", n, k, o, (o > 0 ? k / o : 0), pr, sh }'
		echo "  runs (logins completed): ksshd $kr/ sshd $or"
		kf=$(awk '{ f += $3 } END { print f + 0 }' "$T/lk_$a"); of=$(awk '{ f += $3 } END { print f + 0 }' "$T/lo_$a")
		if [ "$kf" -ne 0 ] || [ "$of" -ne 0 ]; then
			echo "  failed logins: ksshd $kf, sshd $of (last errors: $(tail -n 2 "$T/login.err" | tr '\n' ' '))"
		fi
	done
	echo "ratio: ksshd/sshd logins per second (of the medians; paired: the median of each run's"
	echo "ratio to the other server's run beside it); above 1 means ksshd serves more.  The"
	echo "account's shell runs 'true' (bash started by a server reads ~/.bashrc), the same for both."
	echo
	echo "server CPU per login in the same runs (the listener and every process it reaped: user +"
	echo "system time, the shell's 'true' included), less affected by the machine's other load:"
	printf '%-14s %12s %12s %7s\n' "account" "ksshd ms" "sshd ms" "ratio"
	hz=$(getconf CLK_TCK)
	for a in $ACCOUNTS; do
		bench_account "$a" || die "no account for '$a'"
		awk -v hz="$hz" '$2 > 0 { printf "%.3f\n", $4 * 1000 / hz / $2 }' "$T/lk_$a" >"$T/ck_$a"
		awk -v hz="$hz" '$2 > 0 { printf "%.3f\n", $4 * 1000 / hz / $2 }' "$T/lo_$a" >"$T/co_$a"
		k=$(median <"$T/ck_$a"); o=$(median <"$T/co_$a")
		awk -v n="$ACCT" -v k="$k" -v o="$o" 'BEGIN {
			printf "%-14s %12.1f %12.1f %7.2f\n", n, k, o, (o > 0 ? k / o : 0) }'
		echo "  runs (ms): ksshd $(tr '\n' ' ' <"$T/ck_$a")/ sshd $(tr '\n' ' ' <"$T/co_$a")"
	done
	echo "ratio: ksshd/sshd CPU per login; below 1 means ksshd spends less."
}

run_memory() {
	la=$(cut -d' ' -f1-3 /proc/loadavg)
	for a in $ACCOUNTS; do
		bench_account "$a" || die "no account for '$a'"
		: >"$T/mk_$a"; : >"$T/mo_$a"
		i=0
		while [ $i -lt "$MEM_RUNS" ]; do
			r=$(mem_run "$KPID" "$KPORT" "$ACCT" "$T/mbk_$a") || die "idle connections to ksshd failed"; echo "$r" >>"$T/mk_$a"
			r=$(mem_run "$OPID" "$OPORT" "$ACCT" "$T/mbo_$a") || die "idle connections to sshd failed"; echo "$r" >>"$T/mo_$a"
			i=$((i + 1))
		done
	done
	echo "memory per idle authenticated connection: $MEM_CONNS connections held by 'ssh -N', Pss"
	echo "(smaps_rollup) summed over the listener's descendants / $MEM_CONNS; $MEM_RUNS runs each, interleaved; medians."
	echo "load average before the runs: $la ($(nproc) CPUs)"
	printf '%-14s %10s %10s %10s %10s %7s\n' "account" "ksshd KiB" "procs/conn" "sshd KiB" "procs/conn" "ratio"
	for a in $ACCOUNTS; do
		bench_account "$a" || die "no account for '$a'"
		k=$(cut -d' ' -f1 <"$T/mk_$a" | median); o=$(cut -d' ' -f1 <"$T/mo_$a" | median)
		kp=$(cut -d' ' -f2 <"$T/mk_$a" | median); op=$(cut -d' ' -f2 <"$T/mo_$a" | median)
		awk -v n="$ACCT" -v k="$k" -v o="$o" -v kp="$kp" -v op="$op" 'BEGIN {
			printf "%-14s %10.0f %10.2f %10.0f %10.2f %7.2f\n", n, k, kp, o, op, (o > 0 ? k / o : 0) }'
		echo "  runs (KiB): ksshd $(cut -d' ' -f1 <"$T/mk_$a" | tr '\n' ' ')/ sshd $(cut -d' ' -f1 <"$T/mo_$a" | tr '\n' ' ')"
		echo "  ksshd's processes (last run): $(breakdown "$T/mbk_$a")"
		echo "  sshd's processes (last run): $(breakdown "$T/mbo_$a")"
	done
	echo "listeners' own Pss (left out above): ksshd $(pss_kib "$KPID") KiB, sshd $(pss_kib "$OPID") KiB"
	echo "ratio: ksshd/sshd memory; below 1 means ksshd holds less."
}
