#!/bin/sh
# Jump hosts (-J / ProxyJump): each hop is a direct-tcpip channel through
# the previous one, and every hop authenticates from this machine with the
# local key.  One and two hops, through ksshd and through OpenSSH's sshd,
# with kssh and with OpenSSH's ssh as the client; -W on its own; and a
# refused forwarding (AllowTcpForwarding no).
. "$(dirname "$0")/lib.sh"

setup_keys || { fail "setup keys"; finish; }
start_server ksshd ksshd || { fail "ksshd start"; finish; }
KPORT=$SRV_PORT
start_server sshd sshd || { fail "sshd start"; finish; }
SPORT=$SRV_PORT
cp "$T/ksshd.conf" "$T/nofwd.conf" && echo "AllowTcpForwarding no" >>"$T/nofwd.conf"
start_server ksshd nofwd || { fail "ksshd (no forwarding) start"; finish; }
NPORT=$SRV_PORT

# Hops read their options from the config file (as with OpenSSH, -i and -o
# are not passed on to them).
cat >"$T/jump.conf" <<CONF
Host *
  User $TUSER
  IdentityFile $T/user_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $T/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking no
  BatchMode yes
  LogLevel ERROR
CONF

jump() { # PROG JUMPSPEC PORT COMMAND
	timeout -k 5 "$CLIENT_TIMEOUT" "$(prog_of "$1")" -F "$T/jump.conf" -J "$2" -p "$3" 127.0.0.1 "$4" </dev/null 2>>"$T/err"
}

out=$(jump kssh "127.0.0.1:$KPORT" "$SPORT" 'echo $SSH_CONNECTION')
case $out in "127.0.0.1 "*" 127.0.0.1 $SPORT") true ;; *) false ;; esac; res "kssh through ksshd to sshd"
[ "$(jump kssh "127.0.0.1:$SPORT" "$KPORT" 'echo hop')" = hop ]; res "kssh through sshd to ksshd"
[ "$(jump ssh "127.0.0.1:$KPORT" "$SPORT" 'echo hop')" = hop ]; res "ssh through ksshd to sshd"
[ "$(jump kssh "127.0.0.1:$KPORT,127.0.0.1:$SPORT" "$KPORT" 'echo two')" = two ]; res "kssh two hops"
[ "$(jump ssh "127.0.0.1:$SPORT,127.0.0.1:$KPORT" "$SPORT" 'echo two')" = two ]; res "ssh two hops via ksshd"

# -W alone: the target's banner comes back over the forwarded channel.
out=$(timeout 20 "$KSSH" -F "$T/jump.conf" -p "$KPORT" -W "127.0.0.1:$SPORT" 127.0.0.1 </dev/null 2>>"$T/err" | head -c 8)
[ "$out" = "SSH-2.0-" ]; res "kssh -W reaches the target"

out=$(jump kssh "127.0.0.1:$NPORT" "$SPORT" 'echo must-not-run')
[ -z "$out" ]; res "AllowTcpForwarding no refuses the hop"

# A hop name starting with '-' is refused, not taken as an option of the hop process.
: >"$T/err.dash"
out=$(timeout -k 5 "$CLIENT_TIMEOUT" "$KSSH" -F "$T/jump.conf" -J "-oUser=nobody" -p "$SPORT" 127.0.0.1 'echo must-not-run' \
	</dev/null 2>"$T/err.dash")
[ -z "$out" ] && grep -q "bad jump host specification" "$T/err.dash"; res "kssh refuses a jump host starting with '-'"

# No hop process is left behind.
sleep 0.3
! pgrep -f -- "$T/jump.conf" >/dev/null; res "no hop process left"
finish
