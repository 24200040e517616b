#!/bin/sh
# sshd_config Banner and ClientAliveInterval/ClientAliveCountMax in ksshd:
# the banner reaches ssh and kssh (and kssh shows sshd's banner line by
# line); a client that stops answering is disconnected after about
# interval x (count + 1) seconds, a live one is not.
. "$(dirname "$0")/lib.sh"

have_prog ksshd ksshd kssh ssh sshd || finish
setup_keys || { fail "setup keys"; finish; }
printf 'kagi banner line one\nkagi banner line two\n' >"$T/banner"

write_server_config "$T/k.conf" "$T/host_ed25519"
{ echo "Banner $T/banner"; echo "ClientAliveInterval 1"; echo "ClientAliveCountMax 2"; } >>"$T/k.conf"
start_server ksshd k || { fail "ksshd start"; finish; }
kport=$SRV_PORT; klog=$SRV_LOG
write_server_config "$T/o.conf" "$T/host_ed25519"
echo "Banner $T/banner" >>"$T/o.conf"
start_server sshd o || { fail "sshd start"; finish; }
oport=$SRV_PORT

# shows_banner FILE : both lines, each on a line of its own.
shows_banner() { grep -qx 'kagi banner line one' "$1" && grep -qx 'kagi banner line two' "$1"; }

out=$(client ssh "$kport" "-o LogLevel=INFO" 'echo ok' </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = ok ] && shows_banner "$T/e"; res "ssh->ksshd shows the Banner" || cat "$T/e" >&2
out=$(client kssh "$kport" "-o LogLevel=INFO" 'echo ok' </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = ok ] && shows_banner "$T/e"; res "kssh->ksshd shows the Banner" || cat "$T/e" >&2
out=$(client kssh "$oport" "-o LogLevel=INFO" 'echo ok' </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = ok ] && shows_banner "$T/e"; res "kssh->sshd shows the Banner" || cat "$T/e" >&2
out=$(client kssh "$kport" "" 'echo ok' </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = ok ] && ! grep -q 'kagi banner' "$T/e"; res "kssh LogLevel=ERROR hides the Banner"

# Live clients answer the keepalives: a 5 s command outlasts 1 s x 2.
for c in ssh kssh; do
	out=$(client "$c" "$kport" "" 'sleep 5; echo alive' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = alive ]; res "$c->ksshd live client kept past ClientAliveInterval x CountMax"
done

# A stopped client answers nothing: the server gives up after ~3 s.
client kssh "$kport" "" 'sleep 30' </dev/null >/dev/null 2>"$T/e" &
cpid=$!
sleep 1.5
kssh_pid=$(pgrep -P "$(pgrep -P $cpid | head -n 1)" -x kssh 2>/dev/null || pgrep -P $cpid -x kssh)
[ -n "$kssh_pid" ] && kill -STOP "$kssh_pid"
t0=$(date +%s.%N)
i=0
while [ $i -lt 150 ] && ! grep -q "Timeout, client not responding" "$klog"; do sleep 0.1; i=$((i + 1)); done
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" "BEGIN { printf \"%.1f\", b - a }")
[ -n "$kssh_pid" ] && kill -CONT "$kssh_pid"
wait $cpid; rc=$?
grep -q "Timeout, client not responding" "$klog" && awk -v t="$took" "BEGIN { exit !(t >= 1 && t <= 8) }" && [ $rc -ne 0 ]
res "silent client disconnected after ClientAliveInterval x CountMax (${took}s)" || tail -n 5 "$klog" >&2
still_serving kssh "$kport"; res "ksshd still serving"
finish
