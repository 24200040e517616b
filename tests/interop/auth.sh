#!/bin/sh
# User and host authentication for each client/server pair: public keys
# (accepted, refused, PEM, encrypted, unprotected, forced command),
# passwords (as root: a system account $PWUSER with a random password),
# known_hosts handling and BatchMode.
# Usage: auth.sh [ssh-ksshd] [kssh-sshd] [kssh-ksshd]
. "$(dirname "$0")/lib.sh"
select_pairs "$@"

setup_keys || { fail "setup keys"; finish; }
gen_key "$T/other_ed25519" ed25519 || { fail "keys"; finish; }      # not authorized
gen_key "$T/forced_ed25519" ed25519 || { fail "keys"; finish; }     # forced command
gen_key "$T/changed_ed25519" ed25519 || { fail "keys"; finish; }    # "changed" host key
echo "command=\"echo forced-command\" $(cat "$T/forced_ed25519.pub")" >>"$T/authorized_keys"
# Traditional PEM ("BEGIN RSA PRIVATE KEY") RSA key.
openssl genrsa -traditional -out "$T/user_pem.pem" 2048 2>/dev/null && chmod 600 "$T/user_pem.pem" \
	&& "$SSH_KEYGEN" -y -f "$T/user_pem.pem" >"$T/user_pem.pem.pub" \
	&& cat "$T/user_pem.pem.pub" >>"$T/authorized_keys" || { fail "PEM key"; finish; }
# Passphrase-protected OpenSSH-format key.
KEYPASS=kagi-pass-$$
"$SSH_KEYGEN" -q -t ed25519 -N "$KEYPASS" -C enc -f "$T/user_enc" </dev/null \
	&& cat "$T/user_enc.pub" >>"$T/authorized_keys" || { fail "encrypted key"; finish; }
# A key whose file others can read: clients must refuse to use it.
gen_key "$T/user_open" ed25519 && chmod 644 "$T/user_open" \
	&& cat "$T/user_open.pub" >>"$T/authorized_keys" || { fail "keys"; finish; }

have_pw=0
if setup_pwuser; then have_pw=1
else pw_why="needs root and sshpass to create the test account $PWUSER"; fi
have_sshpass=0; command -v sshpass >/dev/null 2>&1 && have_sshpass=1

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	eval "port=\${PORT_$s:-}"
	if [ -z "$port" ]; then
		if ! start_server "$s" "$s"; then fail "$l server start"; continue; fi
		port=$SRV_PORT; eval "PORT_$s=$port"
	fi
	hostpat="[127.0.0.1]:$port"

	# --- public keys
	out=$(client "$c" "$port" "" 'echo pk-ok' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = pk-ok ]; res "$l pubkey accepted"

	out=$(client "$c" "$port" "-i $T/other_ed25519" 'echo bad' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ] && grep -q "Permission denied" "$T/e"; res "$l pubkey not authorized refused"

	out=$(client "$c" "$port" "-i $T/user_pem.pem" 'echo pem-ok' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = pem-ok ]; res "$l PEM RSA key"

	if [ $have_sshpass -eq 1 ]; then
		out=$(SSHPASS=$KEYPASS CLIENT_WRAP="sshpass -e -P passphrase" client "$c" "$port" \
			"-i $T/user_enc -o BatchMode=no -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no" \
			'echo enc-ok' </dev/null 2>"$T/e"); rc=$?
		[ $rc -eq 0 ] && [ "$out" = enc-ok ]; res "$l encrypted key with passphrase"
		out=$(SSHPASS=wrong-$KEYPASS CLIENT_WRAP="sshpass -e -P passphrase" client "$c" "$port" \
			"-i $T/user_enc -o BatchMode=no -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no" \
			'echo enc-bad' </dev/null 2>"$T/e"); rc=$?
		[ $rc -ne 0 ] && [ -z "$out" ]; res "$l encrypted key wrong passphrase"
	else
		skip "$l encrypted key (sshpass not installed)"
	fi

	out=$(client "$c" "$port" "-i $T/user_open" 'echo open-bad' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ] && grep -q "UNPROTECTED PRIVATE KEY FILE" "$T/e"
	res "$l key readable by others refused"

	out=$(client "$c" "$port" "-i $T/forced_ed25519" 'echo not-forced' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = forced-command ]; res "$l authorized_keys command="

	# --- passwords
	if [ $have_pw -eq 1 ]; then
		pwopts="-o BatchMode=no -o PubkeyAuthentication=no -o PasswordAuthentication=yes -o KbdInteractiveAuthentication=no -o NumberOfPasswordPrompts=1"
		out=$(SSHPASS=$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client "$c" "$port" \
			"$pwopts" 'id -un' </dev/null 2>"$T/e"); rc=$?
		[ $rc -eq 0 ] && [ "$out" = "$PWUSER" ]; res "$l password login"
		out=$(SSHPASS=wrong-$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client "$c" "$port" \
			"$pwopts" 'id -un' </dev/null 2>"$T/e"); rc=$?
		[ $rc -ne 0 ] && [ -z "$out" ]; res "$l wrong password refused"
		# BatchMode=yes must not ask for the password even though one is on offer.
		out=$(SSHPASS=$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client "$c" "$port" \
			"-o BatchMode=yes -o PubkeyAuthentication=no -o PasswordAuthentication=yes" 'id -un' \
			</dev/null 2>"$T/e"); rc=$?
		[ $rc -eq 255 ] && [ -z "$out" ]; res "$l BatchMode=yes does not prompt for a password"
	else
		skip "$l password login ($pw_why)"
	fi

	# --- known_hosts
	rm -f "$T/kh_new"
	out=$(client "$c" "$port" "-o UserKnownHostsFile=$T/kh_new -o StrictHostKeyChecking=accept-new -o HostKeyAlgorithms=ssh-ed25519" \
		'echo kh-ok' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = kh-ok ] \
		&& "$SSH_KEYGEN" -F "$hostpat" -f "$T/kh_new" 2>/dev/null | grep -qF "$(cut -d' ' -f1,2 "$T/host_ed25519.pub")"
	res "$l accept-new adds the host key"

	out=$(client "$c" "$port" "-o UserKnownHostsFile=$T/kh_new -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519" \
		'echo kh-known' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = kh-known ]; res "$l known host key accepted"

	echo "$hostpat $(cut -d' ' -f1,2 "$T/changed_ed25519.pub")" >"$T/kh_changed"
	out=$(client "$c" "$port" "-o UserKnownHostsFile=$T/kh_changed -o StrictHostKeyChecking=accept-new -o HostKeyAlgorithms=ssh-ed25519" \
		'echo changed-bad' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ] && grep -q "REMOTE HOST IDENTIFICATION HAS CHANGED" "$T/e"
	res "$l changed host key refused"
	grep -q '^SHA256:[A-Za-z0-9+/]*\.' "$T/e"
	res "$l changed host key warning shows the fingerprint on its own line"
	# Both clients name the line and the keygen command that removes it
	# (OpenSSH 9.2 quotes with ", later ones and kssh with ').
	grep -qF "$T/kh_changed:1" "$T/e" && grep -q '^  remove with:' "$T/e" \
		&& grep 'ssh-keygen -f ' "$T/e" | tr "\"'" '??' | grep -qF -- "-f ?$T/kh_changed? -R ?$hostpat?"
	res "$l changed host key warning says how to remove the old key"

	rm -f "$T/kh_unknown"; : >"$T/kh_unknown"
	out=$(client "$c" "$port" "-o UserKnownHostsFile=$T/kh_unknown -o StrictHostKeyChecking=yes" \
		'echo unknown-bad' </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ] && [ ! -s "$T/kh_unknown" ]
	res "$l StrictHostKeyChecking=yes refuses unknown host"

	if [ $have_sshpass -eq 1 ]; then
		# sshpass exits 6 if it sees a host key question: BatchMode must fail instead.
		out=$(SSHPASS=x CLIENT_WRAP="sshpass -e" client "$c" "$port" \
			"-o UserKnownHostsFile=$T/kh_unknown -o StrictHostKeyChecking=ask -o BatchMode=yes" \
			'echo batch-bad' </dev/null 2>"$T/e"); rc=$?
		[ $rc -eq 255 ] && [ -z "$out" ]; res "$l BatchMode=yes does not ask about an unknown host"
	fi
done
finish
