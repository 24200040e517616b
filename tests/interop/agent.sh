#!/bin/sh
# Agent: OpenSSH's ssh-agent serves kssh (identities tried before key
# files, no -i needed; RSA signed through the rsa-sha2 flags), IdentityAgent
# none and IdentitiesOnly honoured.
. "$(dirname "$0")/lib.sh"
have_prog agent kssh ksshd || finish
command -v ssh-agent >/dev/null 2>&1 || { skip "agent (no ssh-agent)"; finish; }
setup_keys || { fail "setup keys"; finish; }
gen_key "$T/rsa" rsa 2048 && gen_key "$T/other" ed25519 || { fail "setup keys"; finish; }
# Only the RSA key may log in: the agent's ed25519 key is refused first.
cat "$T/rsa.pub" >"$T/authorized_keys"
start_server ksshd s1 || { fail "start ksshd"; finish; }
ssh-agent -a "$T/agent.sock" -D >/dev/null 2>&1 &
echo $! >>"$T/pids"
i=0; while [ ! -S "$T/agent.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
export SSH_AUTH_SOCK="$T/agent.sock"
ssh-add "$T/user_ed25519" "$T/rsa" >/dev/null 2>&1
# The private key files are gone: only the agent can sign.
mkdir -p "$T/home"; mv "$T/rsa" "$T/rsa.moved"
ak() { # OPTS... : kssh with no -i, HOME in $T
	HOME=$T/home timeout 30 "$KSSH" -F /dev/null -p "$SRV_PORT" -o UserKnownHostsFile="$T/known_hosts" \
		-o StrictHostKeyChecking=no -o BatchMode=yes -o LogLevel=ERROR "$@"
}
out=$(ak 127.0.0.1 echo via-agent 2>"$T/e1" </dev/null)
[ "$out" = via-agent ]; res "ssh-agent serves kssh (RSA key signed by the agent, no -i)" || cat "$T/e1" >&2
out=$(HOME=$T/home timeout 30 "$KSSH" -v -F /dev/null -p "$SRV_PORT" -o UserKnownHostsFile="$T/known_hosts" \
	-o StrictHostKeyChecking=no -o BatchMode=yes 127.0.0.1 true 2>&1 </dev/null)
echo "$out" | grep -q "agent returned 2 keys"; res "kssh -v tells how many keys the agent has" || echo "$out" >&2
out=$(ak -o IdentityAgent=none -o PasswordAuthentication=no 127.0.0.1 echo x 2>&1 </dev/null)
[ "$out" != x ]; res "IdentityAgent none: the agent is not used"
out=$(SSH_AUTH_SOCK= ak -o IdentityAgent="$T/agent.sock" 127.0.0.1 echo ia 2>&1 </dev/null)
[ "$out" = ia ]; res "IdentityAgent path used without SSH_AUTH_SOCK" || echo "$out" >&2
# IdentitiesOnly with a file the agent does not hold: the agent's RSA key is not offered.
out=$(ak -o IdentitiesOnly=yes -i "$T/other" -o PasswordAuthentication=no 127.0.0.1 echo x 2>&1 </dev/null)
[ "$out" != x ]; res "IdentitiesOnly: only agent keys matching IdentityFile are offered"
# IdentitiesOnly with rsa.pub present (private file moved away): the agent signs for it.
out=$(ak -o IdentitiesOnly=yes -i "$T/rsa" 127.0.0.1 echo io 2>&1 </dev/null)
[ "$out" = io ]; res "IdentitiesOnly: the agent signs for a matching IdentityFile" || echo "$out" >&2
finish
