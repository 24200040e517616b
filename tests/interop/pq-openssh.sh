#!/bin/sh
# mlkem768x25519-sha256 against a current OpenSSH (10.5, built once into a cache folder by
# ../shared/peers/build-openssh.sh or found at $OPENSSH10_PREFIX): kssh to its sshd and its ssh to
# ksshd with exactly that method, and its ssh to ksshd with default settings shows no
# post-quantum warning (while a classical-only exchange does, so the check can fail).
# Skips cleanly when that OpenSSH cannot be built here.
. "$(dirname "$0")/lib.sh"

prefix=${OPENSSH10_PREFIX:-}
if [ -z "$prefix" ]; then
	builder=$KAGI_ROOT/../shared/peers/build-openssh.sh
	[ -x "$builder" ] || builder=/work/shared/peers/build-openssh.sh
	if [ -x "$builder" ]; then
		# flock: concurrent test runs share one build.
		mkdir -p /var/cache/kagi-peers 2>/dev/null
		prefix=$(flock /var/cache/kagi-peers/.build.lock sh "$builder" 2>"$T/build.err" | tail -n 1)
	fi
fi
if [ -z "$prefix" ] || [ ! -x "$prefix/bin/ssh" ] || [ ! -x "$prefix/sbin/sshd" ]; then
	skip "OpenSSH 10 not available ($(tail -n 1 "$T/build.err" 2>/dev/null))"
	exit 0
fi
SSH=$prefix/bin/ssh
SSHD=$prefix/sbin/sshd
PQ=mlkem768x25519-sha256
WARN='not using a post-quantum key exchange'
have_prog "programs" kssh ksshd || finish
case $("$SSH" -V 2>&1) in OpenSSH_10*) ;; *) skip "$SSH is not OpenSSH 10"; exit 0 ;; esac

setup_keys || { fail "setup keys"; finish; }
SERVER_LOGLEVEL=DEBUG1

# kssh -> OpenSSH 10 sshd, only the hybrid allowed on both sides.
write_server_config "$T/sshd.conf" "$T/host_ed25519"
echo "KexAlgorithms $PQ" >>"$T/sshd.conf"
if start_server sshd sshd; then
	out=$(client kssh "$SRV_PORT" "-o KexAlgorithms=$PQ" echo pq-ok </dev/null 2>"$T/kssh.err")
	[ "$out" = pq-ok ] && grep -q "kex: algorithm: $PQ" "$SRV_LOG"
	res "kssh->sshd10 $PQ" || { tail -n 5 "$T/kssh.err" "$SRV_LOG" >&2; }
	# A larger transfer after the exchange: the derived keys agree both ways.
	head -c 300000 /dev/urandom >"$T/blob"
	got=$(client kssh "$SRV_PORT" "-o KexAlgorithms=$PQ" cat <"$T/blob" 2>>"$T/kssh.err" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(sha "$T/blob")" ]; res "kssh->sshd10 $PQ data"
	# kssh's defaults pick the hybrid too.
	out=$(client kssh "$SRV_PORT" "" echo pq-default </dev/null 2>>"$T/kssh.err")
	[ "$out" = pq-default ]; res "kssh->sshd10 default kex is $PQ"
else
	fail "sshd10 start"
fi

# OpenSSH 10 ssh -> ksshd.
if start_server ksshd ksshd; then
	out=$(client ssh "$SRV_PORT" "-v -o KexAlgorithms=$PQ" echo pq-ok </dev/null 2>"$T/ssh.err")
	[ "$out" = pq-ok ] && grep -q "kex: algorithm: $PQ" "$T/ssh.err"
	res "ssh10->ksshd $PQ" || tail -n 5 "$T/ssh.err" >&2
	got=$(client ssh "$SRV_PORT" "-o KexAlgorithms=$PQ" cat <"$T/blob" 2>>"$T/ssh.err" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$(sha "$T/blob")" ]; res "ssh10->ksshd $PQ data"
	# Defaults, at ssh's default log level: no post-quantum warning.
	out=$(client ssh "$SRV_PORT" "-o LogLevel=INFO -o WarnWeakCrypto=yes" echo plain </dev/null 2>"$T/ssh-default.err")
	[ "$out" = plain ] && ! grep -q "$WARN" "$T/ssh-default.err"
	res "ssh10->ksshd defaults: no post-quantum warning" || cat "$T/ssh-default.err" >&2
else
	fail "ksshd start"
fi
# The same check does see the warning from a ksshd that offers only a
# classical method (ssh warns only when its own KexAlgorithms is unset).
write_server_config "$T/classic.conf" "$T/host_ed25519"
echo "KexAlgorithms curve25519-sha256" >>"$T/classic.conf"
if start_server ksshd classic; then
	out=$(client ssh "$SRV_PORT" "-o LogLevel=INFO -o WarnWeakCrypto=yes" echo plain </dev/null 2>"$T/ssh-classic.err")
	[ "$out" = plain ] && grep -q "$WARN" "$T/ssh-classic.err"
	res "ssh10->ksshd curve25519 only: warning shown" || cat "$T/ssh-classic.err" >&2
else
	fail "ksshd (classical) start"
fi
finish
