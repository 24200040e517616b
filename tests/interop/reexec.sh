#!/bin/sh
# ksshd re-executes itself per connection ("ksshd -R"): while a session
# runs, the listener's child is ksshd again with -R on its command line,
# the socket on descriptor 3, and a fresh address layout (main executable
# and libc elsewhere than in the listener; skipped when ASLR is off); a
# login and a file copy work; -r keeps the fork-only model (same layout);
# -d serves one connection through a re-exec and ends; connections apply
# the listener's configuration text (an edit needs SIGHUP, as for the
# listener); a listener whose executable was removed says so.
. "$(dirname "$0")/lib.sh"

have_prog ksshd ksshd kssh || finish
case $(basename "$KSSHD") in ksshd) ;; *) skip "KSSHD is not ksshd"; finish ;; esac
KSCP=${KSCP:-$KAGI_BIN/kscp}
setup_keys || { fail "setup keys"; finish; }

# base PID PATTERN : the start address of the first mapping whose file matches.
base() { awk -v p="$2" '$6 ~ p { split($1, a, "-"); print a[1]; exit }' "/proc/$1/maps"; }
cmdline() { tr '\0' ' ' <"/proc/$1/cmdline"; }
# a session that stays open while the test looks at the server's processes
hold() { client kssh "$1" "" sleep 6 </dev/null >/dev/null 2>&1 & }

aslr=$(cat /proc/sys/kernel/randomize_va_space 2>/dev/null || echo 0)
exe=$(readlink -f "$KSSHD")

start_server ksshd k || { fail "ksshd start"; finish; }
port=$SRV_PORT; lpid=$SRV_PID
hold "$port"; hpid=$!
child=$(wait_child "$lpid")
[ -n "$child" ]; res "a per-connection process runs under the listener" || { cat "$SRV_LOG" >&2; finish; }
sleep 0.5  # past the exec
[ "$(readlink "/proc/$child/exe")" = "$exe" ]; res "its executable is ksshd" || readlink "/proc/$child/exe" >&2
case " $(cmdline "$child") " in *" -R "*) true ;; *) false ;; esac
res "its command line shows the re-exec flag -R" || cmdline "$child" >&2
# Privilege separation: once the user authenticated, the monitor hands the
# socket (still descriptor 3) to the user's process, its child.
uproc=$(children_of "$child" | head -n 1)
case $(readlink "/proc/$uproc/fd/3") in socket:*) true ;; *) false ;; esac
res "the connection is on descriptor 3 (of the monitor's child once authenticated)" || note "monitor $child child ${uproc:-none}"
if [ "$aslr" = 0 ]; then
	skip "fresh address layout (randomize_va_space is 0 here)"
else
	le=$(base "$lpid" "^$exe\$"); ce=$(base "$child" "^$exe\$")
	ll=$(base "$lpid" "/libc[.-]"); cl=$(base "$child" "/libc[.-]")
	[ -n "$le" ] && [ -n "$ll" ] && [ "$le" != "$ce" ] && [ "$ll" != "$cl" ]
	res "its mappings are not the listener's (ksshd at $ce vs $le, libc at $cl vs $ll)"
fi
out=$(client kssh "$port" "" echo ok </dev/null 2>"$T/err"); [ "$out" = ok ]; res "a login works" || cat "$T/err" >&2
head -c 300000 /dev/urandom >"$T/f"
cp_opts="-F /dev/null -P $port -i $T/user_ed25519 -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o IdentitiesOnly=yes"
# kcp ARGS... : kscp with the test's options (cp_opts split on purpose).
# shellcheck disable=SC2086
kcp() { timeout 20 "$KSCP" $cp_opts "$@"; }
kcp "$T/f" "$TUSER@127.0.0.1:$T/f.up" 2>"$T/err" && kcp "$TUSER@127.0.0.1:$T/f.up" "$T/f.down" 2>>"$T/err" &&
	cmp -s "$T/f" "$T/f.down"; res "kscp copies a file up and back" || cat "$T/err" >&2
wait "$hpid"

# The configuration is the listener's: an edit reaches new connections
# only with SIGHUP (the listener re-executes itself and reads it).
cp "$T/k.conf" "$T/inc.conf"
echo "kagi reexec banner" >"$T/banner"
echo "Banner $T/banner" >>"$T/k.conf"
client kssh "$port" "-o LogLevel=INFO" true </dev/null >/dev/null 2>"$T/err" && ! grep -q "kagi reexec banner" "$T/err"
res "an edited configuration file does not reach connections before SIGHUP" || cat "$T/err" >&2
kill -HUP "$lpid"
i=0; while [ $i -lt 50 ] && ! grep -q "Received SIGHUP" "$SRV_LOG"; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
i=0; while [ $i -lt 50 ] && ! listening "$port"; do sleep 0.1; i=$((i + 1)); done
client kssh "$port" "-o LogLevel=INFO" true </dev/null >/dev/null 2>"$T/err"
grep -q "kagi reexec banner" "$T/err"; res "after SIGHUP a connection gets the reloaded configuration" || cat "$T/err" >&2
# A file with Include: each connection loads it from disk.
echo "Include $T/inc.conf" >"$T/i.conf"
start_server ksshd i || { fail "ksshd with Include start"; finish; }
out=$(client kssh "$SRV_PORT" "" echo ok </dev/null 2>"$T/err"); [ "$out" = ok ]
res "a configuration with Include: a login works" || tail -n 5 "$SRV_LOG" >&2

# -r: no re-exec, the child shares the listener's layout.
start_server ksshd r -r || { fail "ksshd -r start"; finish; }
rport=$SRV_PORT; rpid=$SRV_PID
hold "$rport"; hpid=$!
child=$(wait_child "$rpid"); sleep 0.3
case " $(cmdline "$child") " in *" -R "*) false ;; *) true ;; esac && [ -n "$(base "$rpid" "/libc[.-]")" ] && [ "$(base "$child" "/libc[.-]")" = "$(base "$rpid" "/libc[.-]")" ]
res "ksshd -r serves from the fork (no -R, same libc address)" ||
	note "child $child: $(cmdline "$child") libc $(base "$child" "/libc[.-]") vs $(base "$rpid" "/libc[.-]")"
out=$(client kssh "$rport" "" echo ok </dev/null 2>"$T/err"); [ "$out" = ok ]; res "ksshd -r: a login works"
wait "$hpid"

# -d: one connection, re-executed, then the server ends.
dport=$(free_port)
"$KSSHD" -d -f "$T/k.conf" -p "$dport" -o PerSourcePenaltyExemptList=127.0.0.1 >"$T/d.log" 2>&1 &
dpid=$!; echo "$dpid" >>"$T/pids"
i=0; while [ $i -lt 100 ] && ! listening "$dport"; do sleep 0.1; i=$((i + 1)); done
client kssh "$dport" "" "sleep 2; echo ok" </dev/null >"$T/d.out" 2>"$T/err" &
dcl=$!
child=$(wait_child "$dpid"); sleep 0.3
case " $(cmdline "$child") " in *" -R -d "*) true ;; *) false ;; esac
res "ksshd -d re-executes its connection too (ksshd -R -d)" || note "child: $(cmdline "$child")"
wait "$dcl"; [ "$(cat "$T/d.out")" = ok ]; res "ksshd -d: a login works" || cat "$T/d.log" >&2
i=0; while [ $i -lt 50 ] && running "$dpid"; do sleep 0.1; i=$((i + 1)); done
! running "$dpid" && grep -q "debug1" "$T/d.log"; res "ksshd -d ends after its connection, with the connection's debug output"

# The executable removed under a running listener: the connection fails, the log says why.
cp "$KSSHD" "$T/ksshd-copy"
KSSHD_SAVE=$KSSHD; KSSHD=$T/ksshd-copy
cp "$T/k.conf" "$T/k3.conf"
start_server ksshd k3 || { fail "copied ksshd start"; finish; }
rm -f "$T/ksshd-copy"
client kssh "$SRV_PORT" "" echo ok </dev/null >/dev/null 2>&1; rc=$?
i=0; while [ $i -lt 30 ] && ! grep -q "re-exec" "$SRV_LOG"; do sleep 0.1; i=$((i + 1)); done
[ $rc -ne 0 ] && grep -q "re-exec $T/ksshd-copy failed: No such file or directory" "$SRV_LOG" && running "$SRV_PID"
res "a removed executable: the connection fails, the log says so, the listener stays" || tail -n 5 "$SRV_LOG" >&2
KSSHD=$KSSHD_SAVE
"$KSSHD" -R -f "$T/k.conf" </dev/null >"$T/R.out" 2>&1 3>&- 4>&- 5>&-; rc=$?
[ $rc -ne 0 ] && grep -q "no connection on descriptor 3" "$T/R.out"; res "ksshd -R by hand is refused clearly" || cat "$T/R.out" >&2
finish
