#!/bin/sh
# keyboard-interactive (RFC 4256) through PAM, password method off:
# kssh to sshd and ssh to ksshd, answered by sshpass; a wrong password refused.
. "$(dirname "$0")/lib.sh"

setup_keys || { fail "setup keys"; finish; }
if ! setup_pwuser; then
	skip "keyboard-interactive (needs root and sshpass for the test account $PWUSER)"
	finish
fi
kbdconf() { # FILE
	write_server_config "$1" "$T/host_ed25519"
	sed -i -e 's/^UsePAM .*/UsePAM yes/' -e 's/^PasswordAuthentication .*/PasswordAuthentication no/' \
		-e 's/^KbdInteractiveAuthentication .*/KbdInteractiveAuthentication yes/' "$1"
}
kbdconf "$T/kbd_sshd.conf"
kbdconf "$T/kbd_ksshd.conf"
opts="-o BatchMode=no -o PubkeyAuthentication=no -o PasswordAuthentication=no -o KbdInteractiveAuthentication=yes -o NumberOfPasswordPrompts=1"
for pair in "kssh sshd" "ssh ksshd"; do
	set -- $pair; c=$1; s=$2
	start_server "$s" "kbd_$s" || { fail "$s start"; continue; }
	port=$SRV_PORT
	out=$(SSHPASS=$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client "$c" "$port" "$opts" 'id -un' \
		</dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = "$PWUSER" ]; res "$c -> $s keyboard-interactive login (sshpass)" || cat "$T/e" >&2
	out=$(SSHPASS=wrong-$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client "$c" "$port" "$opts" 'id -un' \
		</dev/null 2>"$T/e"); rc=$?
	[ $rc -ne 0 ] && [ -z "$out" ]; res "$c -> $s wrong answer refused"
	out=$(CLIENT_USER=$PWUSER client "$c" "$port" "-o BatchMode=yes -o PubkeyAuthentication=no" 'id -un' \
		</dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ]; res "$c -> $s BatchMode=yes does not prompt"
done
finish
