#!/bin/sh
# Bounded per-connection memory in ksshd: one OpenSSH connection carrying
# 40 session channels (ControlMaster), each fed from /dev/zero into a
# command that reads in bursts and then stops reading, so that the
# windows first grow and then fill up.  The server's own processes for
# the connection (every ksshd process under the listener, whatever the
# process model; the users' commands not counted) then hold at most the
# connection's window budget (64 MiB plus a 256 KiB floor per channel, see
# src/conn/conn.h) over what they held idle, instead of a grown window
# per channel; and the connection still serves a new session.  Also: a
# session's environment requests are kept up to 256 KiB in all (the
# variables past it are ignored, as ones AcceptEnv does not list).
. "$(dirname "$0")/lib.sh"

have_prog conn-memory ksshd ssh || finish
setup_keys || { fail "setup keys"; finish; }
write_server_config "$T/kd.conf" "$T/host_ed25519"
printf '%s\n' "MaxSessions 64" "AcceptEnv KAGI_BIG_*" >>"$T/kd.conf"
start_server ksshd kd || { fail "ksshd starts"; finish; }
P=$SRV_PORT

# 8 variables of 60000 bytes: 4 fit in 256 KiB.
big=$(head -c 60000 /dev/zero | tr '\0' x)
n=$(
	for i in 1 2 3 4 5 6 7 8; do export "KAGI_BIG_$i=$big"; done
	client ssh "$P" "-o SendEnv=KAGI_BIG_*" "env | grep -c ^KAGI_BIG_" </dev/null 2>"$T/env.err"
)
[ "$n" = 4 ]; res "environment requests: 256 KiB kept per session (4 of 8 variables of 60000 bytes)" ||
	{ echo "got $n" >&2; tail -3 "$T/env.err" >&2; }
N=40
CM=$T/cm

# pss_kb : the Pss (or, without smaps_rollup, the RSS) of every ksshd
# process below the listener, in kB.
pss_kb() {
	ps -e -o pid=,ppid=,comm= | awk -v root="$SRV_PID" '
		{ parent[$1] = $2; comm[$1] = $3 }
		END {
			for (p in parent) {
				if (comm[p] !~ /^ksshd/) continue
				for (q = parent[p]; q != "" && q != root && q > 1; q = parent[q]) ;
				if (q == root) print p
			}
		}' | while read -r _p; do
		_k=$(awk '/^Pss:/ { print $2 }' "/proc/$_p/smaps_rollup" 2>/dev/null)
		[ -n "$_k" ] || _k=$(awk '/^VmRSS:/ { print $2 }' "/proc/$_p/status" 2>/dev/null)
		echo "${_k:-0}"
	done | awk '{ s += $1 } END { print s + 0 }'
}

client ssh "$P" "-M -S $CM -N" </dev/null >/dev/null 2>"$T/master.err" &
echo $! >>"$T/pids"
i=0
while [ ! -S "$CM" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(client ssh "$P" "-S $CM" echo idle </dev/null 2>>"$T/c.err")" = idle ]
res "a session through the master" || { cat "$T/master.err" "$T/c.err" >&2; finish; }
idle=$(pss_kb)

# Each command takes 4 bursts of 8 MB with pauses (the windows grow), then
# reads nothing more for a minute (the windows fill).
CMD='for i in 1 2 3 4; do head -c 8000000 >/dev/null; sleep 0.3; done; sleep 60'
j=0
while [ $j -lt $N ]; do
	client ssh "$P" "-S $CM" "$CMD" </dev/zero >/dev/null 2>>"$T/c.err" &
	echo $! >>"$T/pids"
	j=$((j + 1))
done
# Sampled every half second until the figure stays within 1 MiB for
# 3 s, once every command reads no more (at most 30 s).
last=0 same=0 peak=0 i=0
while [ $i -lt 60 ] && [ $same -lt 6 ]; do
	sleep 0.5
	now=$(pss_kb)
	[ "$now" -gt "$peak" ] && peak=$now
	d=$((now - last))
	if [ ${d#-} -le 1024 ] && [ $i -ge 8 ]; then same=$((same + 1)); else same=0; fi
	last=$now
	i=$((i + 1))
done
grown=$(( (peak - idle) / 1024 ))
note "ksshd for the connection: ${idle} kB idle, ${peak} kB at most with $N filled channels (+${grown} MiB)"
# 64 MiB of windows (80 at most), plus the engine's buffers and the allocator's slack.
[ $same -ge 6 ] && [ "$last" -gt 0 ] && [ "$grown" -le 96 ] && [ "$grown" -ge 32 ]
res "$N filled channels: at most the window budget held (+${grown} MiB)"

client ssh "$P" "-S $CM -O check" </dev/null >/dev/null 2>&1 &&
	[ "$(client ssh "$P" "-S $CM -o ControlMaster=no" echo alive </dev/null 2>>"$T/c.err")" = alive ]
res "the same connection still serves a session" || tail -5 "$T/c.err" >&2
client ssh "$P" "-S $CM -O exit" </dev/null >/dev/null 2>&1
finish
