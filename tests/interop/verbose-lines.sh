#!/bin/sh
# kssh -v prints the debug1 lines ssh -v prints, with the same wording, to
# the same server (ksshd and OpenSSH's sshd): the remote version, the
# login being authenticated, the server's host key fingerprint, the key
# exchange's host key algorithm, the identities tried and accepted (type,
# fingerprint, "explicit"), the command sent and the exit status; the
# version line comes first.
. "$(dirname "$0")/lib.sh"

have_prog kssh kssh || finish
setup_keys || { fail "setup keys"; finish; }
for s in ksshd sshd; do
	have_prog "$s" "$s" || continue
	start_server "$s" "$s" || { fail "$s start"; continue; }
	port=$SRV_PORT
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1-2 "$T/host_ed25519.pub")" >"$T/known_hosts"
	client ssh "$port" "-v -o LogLevel=DEBUG1" 'exit 3' </dev/null >/dev/null 2>"$T/s.e"
	client kssh "$port" "-v -o LogLevel=DEBUG1" 'exit 3' </dev/null >/dev/null 2>"$T/k.e"
	head -n 1 "$T/k.e" | grep -q '^kagi_[0-9.]*, OpenSSL '
	res "$s: the version line comes first" || head -n 3 "$T/k.e" >&2
	for p in "identity file $T/user_ed25519 " "Remote protocol version " "Authenticating to " "Server host key: " "kex: host key algorithm: " \
		"Host '.*' is known and matches" "Found key in " "Will attempt key: " "Offering public key: " \
		"Server accepts key: " "Authentications that can continue: " "Entering interactive session." "Sending command: " "Exit status "; do
		want=$(tr -d "\r" <"$T/s.e" | grep -m1 "^debug1: $p"); got=$(grep -m1 "^debug1: $p" "$T/k.e")
		[ -n "$want" ] && [ "$want" = "$got" ]
		res "$s: -v prints '$p' as ssh does" || note "ssh:  $want" "kssh: $got"
	done
	grep -q '^Transferred: sent [0-9]*, received [0-9]* bytes, in [0-9.]* seconds$' "$T/k.e" &&
		grep -q '^Bytes per second: sent [0-9.]*, received [0-9.]*$' "$T/k.e"
	res "$s: the transfer totals at the end" || tail -n 4 "$T/k.e" >&2
done
finish
