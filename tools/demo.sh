#!/bin/sh
# A short tour: throw-away keys, a private ksshd on 127.0.0.1, a kssh login
# with public-key authentication, and the host key that was trusted.
# Nothing outside a temporary directory is used or changed (no ~/.ssh, no
# /etc/ssh).  Works as root and as a normal user (then ksshd serves only
# that user).  Programs: KAGI_BIN (default build/bin) or KSSH, KSSHD,
# KSSH_KEYGEN.
cd "$(dirname "$0")/.." || exit 2
KAGI_BIN=${KAGI_BIN:-$PWD/build/bin}
KSSH=${KSSH:-$KAGI_BIN/kssh}
KSSHD=${KSSHD:-$KAGI_BIN/ksshd}
KSSH_KEYGEN=${KSSH_KEYGEN:-$KAGI_BIN/kssh-keygen}
for v in KSSH KSSHD KSSH_KEYGEN; do  # absolute paths (the server needs one)
	eval "p=\$$v"
	case $p in /*) ;; */*) p=$PWD/$p ;; *) p=$(command -v "$p" || echo "$p") ;; esac
	eval "$v=\$p"
done

running() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]; }
step() { printf '\n== %s\n' "$*"; }
show() { sed 's/^/   /'; }
die() { printf '\ndemo FAILED: %s\n' "$*" >&2; exit 1; }

D=$(mktemp -d "${TMPDIR:-/tmp}/kagi-demo.XXXXXX") || exit 1
pid=""
cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$pid" ] && running "$pid"; then
		kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
		i=0; while running "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		running "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

for p in "$KSSH" "$KSSHD" "$KSSH_KEYGEN"; do
	[ -x "$p" ] || die "$p is missing (build it first: make)"
done
user=$(id -un)

step "1. Throw-away keys, made with kssh-keygen in $D"
"$KSSH_KEYGEN" -t ed25519 -N '' -C kagi-demo-host -f "$D/host_ed25519" </dev/null >"$D/keygen.out" 2>&1 \
	|| { show <"$D/keygen.out"; die "host key generation"; }
"$KSSH_KEYGEN" -t ed25519 -N '' -C kagi-demo-user -f "$D/user_ed25519" </dev/null >>"$D/keygen.out" 2>&1 \
	|| { show <"$D/keygen.out"; die "user key generation"; }
echo "   host key: $D/host_ed25519(.pub)  - ksshd proves the server's identity with it"
echo "   user key: $D/user_ed25519(.pub)  - kssh proves $user's identity with it"
cp "$D/user_ed25519.pub" "$D/authorized_keys"
echo "   $D/authorized_keys lists the user key, so ksshd accepts it for $user"

step "2. Starting ksshd on 127.0.0.1"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])') \
	|| die "no free port"
[ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ] && mkdir -p /run/sshd
cat >"$D/ksshd_config" <<EOF
ListenAddress 127.0.0.1
HostKey $D/host_ed25519
PidFile none
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
EOF
echo "   $KSSHD -D -e -p $port -f $D/ksshd_config -o AuthorizedKeysFile=$D/authorized_keys"
setsid "$KSSHD" -D -e -p "$port" -f "$D/ksshd_config" -o AuthorizedKeysFile="$D/authorized_keys" \
	>"$D/ksshd.log" 2>&1 </dev/null &
pid=$!
hexport=$(printf '%04X' "$port")
i=0
until awk -v p="0100007F:$hexport" '$2 == p && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp; do
	running "$pid" || { show <"$D/ksshd.log"; die "ksshd exited"; }
	i=$((i + 1)); [ $i -gt 100 ] && { show <"$D/ksshd.log"; die "ksshd did not start listening"; }
	sleep 0.1
done
echo "   listening on 127.0.0.1:$port (pid $pid)"

kssh() {
	timeout -k 5 60 "$KSSH" -F /dev/null -p "$port" -i "$D/user_ed25519" -o IdentitiesOnly=yes \
		-o UserKnownHostsFile="$D/known_hosts" -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes "$@"
}

step "3. Logging in with kssh (public-key authentication), running: uname -a; id -un"
echo "   kssh -p $port -i $D/user_ed25519 -o StrictHostKeyChecking=accept-new $user@127.0.0.1 'uname -a; id -un'"
kssh -o StrictHostKeyChecking=accept-new -l "$user" 127.0.0.1 'uname -a; id -un' >"$D/out" 2>"$D/err" </dev/null
rc=$?
show <"$D/out"
[ -s "$D/err" ] && show <"$D/err"
[ $rc -eq 0 ] || { echo "   ksshd log:"; tail -n 15 "$D/ksshd.log" | show; die "kssh exited with $rc"; }
[ "$(tail -n 1 "$D/out")" = "$user" ] || die "the remote command did not run as $user"

step "4. The host key kssh trusted on first contact"
echo "   the server's key (kssh-keygen -l -f host_ed25519.pub):"
"$KSSH_KEYGEN" -l -f "$D/host_ed25519.pub" >"$D/fp_host" 2>&1 || { show <"$D/fp_host"; die "kssh-keygen -l"; }
show <"$D/fp_host"
[ -s "$D/known_hosts" ] || die "kssh did not record the host key in known_hosts"
echo "   what kssh wrote to $D/known_hosts:"
show <"$D/known_hosts"
awk '{ print $2, $3 }' "$D/known_hosts" | head -n 1 >"$D/known.pub"
"$KSSH_KEYGEN" -l -f "$D/known.pub" >"$D/fp_known" 2>&1 || { show <"$D/fp_known"; die "kssh-keygen -l on the known_hosts key"; }
echo "   its fingerprint:"
show <"$D/fp_known"
fp_host=$(awk '{ print $2 }' "$D/fp_host"); fp_known=$(awk '{ print $2 }' "$D/fp_known")
[ -n "$fp_host" ] && [ "$fp_host" = "$fp_known" ] || die "the fingerprints differ"
echo "   -> the same key: later logins are checked against it."

step "5. Logging in again, now insisting on a known host key (StrictHostKeyChecking=yes)"
out=$(kssh -o StrictHostKeyChecking=yes -l "$user" 127.0.0.1 'echo "hello from $(hostname) over kagi"' 2>"$D/err" </dev/null) \
	|| { show <"$D/err"; die "second login failed"; }
echo "$out" | show

step "6. Stopping ksshd and removing $D"
kill -TERM "-$pid" 2>/dev/null || kill -TERM "$pid"
i=0; while running "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
running "$pid" && die "ksshd did not stop"
pid=""
echo "   done."
printf '\ndemo OK\n'
