#!/bin/sh
# A failed authentication takes as long whether the account exists, is
# refused by AllowUsers, or does not exist at all, so timing cannot tell
# valid user names apart: password and publickey, with UsePAM yes and no.
# Medians of a few attempts (auth_timing.py times only the request);
# a case fails when they differ by more than 0.3 s and 35 %.
# Needs root (a password test account) and paramiko.
. "$(dirname "$0")/lib.sh"

if ! "$PY" -c 'import paramiko' 2>/dev/null; then skip "all (paramiko not installed)"; finish; fi
if ! setup_pwuser; then skip "all (needs root and sshpass for the test account $PWUSER)"; finish; fi
have_prog ksshd ksshd || finish
setup_keys || { fail "setup keys"; finish; }
gen_key "$T/other_ed25519" ed25519 || { fail "keys"; finish; }   # in no authorized_keys
UNKNOWN=kagi-nosuch-$$
DENIED=nobody   # exists everywhere; not in AllowUsers below
id "$DENIED" >/dev/null 2>&1 || { fail "account $DENIED missing"; finish; }

# median METHOD USER : prints the median failure time of $COUNT attempts.
median() {
	_o=$("$PY" "$(dirname "$0")/auth_timing.py" --port "$port" --method "$1" --user "$2" \
		--key "$T/other_ed25519" --count "${COUNT:-3}" 2>&1)
	_rc=$?
	note "UsePAM $pam $1 $2: $_o"
	[ $_rc -eq 0 ] || return 1
	echo "$_o" | tail -n 1 | awk '{ print $2 }'
}

# alike LABEL A B : the two medians differ by at most 0.3 s or 35 %.
alike() {
	if [ -z "$2" ] || [ -z "$3" ]; then fail "$1 (attempts did not run)"; return; fi
	awk -v a="$2" -v b="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a > b ? a : b
		exit !(d <= 0.3 || d <= 0.35 * m) }'
	res "$1 ($2 s vs $3 s)"
}

for pam in yes no; do
	SERVER_USEPAM=$pam write_server_config "$T/pam-$pam.conf" "$T/host_ed25519"
	echo "AllowUsers $PWUSER $TUSER" >>"$T/pam-$pam.conf"
	if ! start_server ksshd "pam-$pam"; then fail "UsePAM $pam server start"; continue; fi
	port=$SRV_PORT

	real=$(median password "$PWUSER")
	alike "UsePAM $pam password: unknown user as slow as a real one" "$real" "$(median password "$UNKNOWN")"
	[ $pam = yes ] && alike "UsePAM $pam password: AllowUsers-denied user as slow as a real one" \
		"$real" "$(median password "$DENIED")"

	real=$(median publickey "$PWUSER")
	alike "UsePAM $pam publickey: unknown user as slow as a real one" "$real" "$(median publickey "$UNKNOWN")"
	alike "UsePAM $pam publickey: AllowUsers-denied user as slow as a real one" \
		"$real" "$(median publickey "$DENIED")"
done
finish
