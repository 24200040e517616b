#!/bin/sh
# Host keys on the client: HostKeyAlias (known_hosts stores and finds the
# host under the alias, with no port), VisualHostKey (the fingerprint and
# its randomart box at login), known key types first in the host key
# algorithm order (only an ecdsa/rsa key known: no mismatch), and CheckHostIP taken without a warning
# (update-hostkeys.sh tests it and UpdateHostKeys).  Against ksshd and OpenSSH's sshd.
. "$(dirname "$0")/lib.sh"

have_prog kssh kssh || finish
setup_keys || { fail "setup keys"; finish; }
gen_key "$T/host_ecdsa" ecdsa || { fail "ecdsa host key"; finish; }
gen_key "$T/host_rsa" rsa 3072 || { fail "rsa host key"; finish; }
for s in ksshd sshd; do
	have_prog "$s" "$s" || continue
	# ksshd's default HostKeyAlgorithms have no ecdsa: its second key is rsa.
	if [ "$s" = ksshd ]; then second=rsa; alg=rsa-sha2-512; else second=ecdsa; alg=ecdsa-sha2-nistp256; fi
	SERVER_HOSTKEYS="$T/host_ed25519 $T/host_$second" start_server "$s" "$s" || { fail "$s start"; continue; }
	port=$SRV_PORT
	rm -f "$T/known_hosts"
	out=$(client kssh "$port" "-o HostKeyAlias=myalias -o StrictHostKeyChecking=accept-new" echo ok \
		</dev/null 2>"$T/e")
	[ "$out" = ok ] && grep -q '^myalias ssh-' "$T/known_hosts" && ! grep -q '127.0.0.1' "$T/known_hosts"
	res "$s: HostKeyAlias stores the key under the alias" || { cat "$T/known_hosts" "$T/e" >&2; }
	out=$(client kssh "$port" "-o HostKeyAlias=myalias -o StrictHostKeyChecking=yes" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && [ "$(wc -l <"$T/known_hosts")" -eq 1 ]
	res "$s: a second login with the alias finds it (StrictHostKeyChecking=yes)" || cat "$T/e" >&2
	out=$(client kssh "$port" "-o StrictHostKeyChecking=yes" echo ok </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ] && grep -q "No .* host key is known for \[127.0.0.1\]:$port" "$T/e"
	res "$s: without the alias the host is unknown" || cat "$T/e" >&2
	out=$(client kssh "$port" "-o HostKeyAlias=myalias -o VisualHostKey=yes -o LogLevel=INFO" echo ok \
		</dev/null 2>"$T/e")
	fp=$(ssh-keygen -lf "$T/known_hosts" | cut -d' ' -f2)
	[ "$out" = ok ] && grep -qx "Host key fingerprint is $fp" "$T/e" && grep -q '^+---\[ED25519 256\]--+$\|^+--\[[A-Z0-9]* [0-9]*\]-*+$' "$T/e" &&
		grep -q '^+----\[SHA256\]-----+$' "$T/e" && [ "$(grep -c '^|.*|$' "$T/e")" -eq 9 ]
	res "$s: VisualHostKey prints the fingerprint and the randomart box" || cat "$T/e" >&2
	out=$(client kssh "$port" "-o HostKeyAlias=myalias -o CheckHostIP=yes -o LogLevel=INFO" echo ok \
		</dev/null 2>"$T/e")
	[ "$out" = ok ] && ! grep -q "not supported" "$T/e"
	res "$s: CheckHostIP=yes is taken (no warning)" || cat "$T/e" >&2
	# Only an ecdsa (rsa) key known: that type is asked for first, no mismatch.
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1-2 "$T/host_$second.pub")" >"$T/known_hosts"
	out=$(client kssh "$port" "-o StrictHostKeyChecking=yes -o LogLevel=DEBUG" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && grep -q "host key algorithm: $alg" "$T/e" && [ "$(wc -l <"$T/known_hosts")" -eq 1 ]
	res "$s: a known $second key makes $alg the host key algorithm (strict checking passes)" || cat "$T/e" >&2
	: >"$T/known_hosts"
	out=$(client kssh "$port" "-o StrictHostKeyChecking=accept-new -o LogLevel=DEBUG" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && grep -q "host key algorithm: ssh-ed25519" "$T/e"
	res "$s: with nothing known the default order holds (ed25519)" || cat "$T/e" >&2
done
finish
