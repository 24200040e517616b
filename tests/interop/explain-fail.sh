#!/bin/sh
# kssh --explain after a refused login, against ksshd: (a) a key not in
# authorized_keys, (b) the wrong user name, (c) PasswordAuthentication no
# with only a password (sshpass), (d) a key file of mode 0644, (e) an
# agent (OpenSSH's ssh-agent) with no keys.  Each story names the cause
# that fits and none that does not, its sections are numbered 1..N without
# gaps, and LANG=ja_JP.UTF-8 tells it in Japanese.
. "$(dirname "$0")/lib.sh"

have_prog "explain-fail" kssh ksshd || finish
setup_keys || { fail "setup keys"; finish; }
gen_key "$T/other_ed25519" ed25519 || { fail "keys"; finish; }   # not authorized
gen_key "$T/open_ed25519" ed25519 || { fail "keys"; finish; }    # authorized, mode 0644
chmod 644 "$T/open_ed25519"
# The account logged in to: as root a test account (so that root, and the
# local user, are the "wrong user"); else the local user.  Keys are
# authorized per account ($T/ak/<user>).
ACCT=$TUSER
if [ $IS_ROOT -eq 1 ] && setup_pwuser; then ACCT=$PWUSER; fi
mkdir -p "$T/ak"
cat "$T/user_ed25519.pub" "$T/open_ed25519.pub" >"$T/ak/$ACCT"
chmod 644 "$T/ak/$ACCT"
LOCAL=$(id -un)
write_server_config "$T/d.conf" "$T/host_ed25519"
sed -i "s|^PasswordAuthentication yes|PasswordAuthentication no|; s|^AuthorizedKeysFile .*|AuthorizedKeysFile $T/ak/%u|" "$T/d.conf"
start_server ksshd d || { fail "ksshd start"; finish; }
PORT=$SRV_PORT
# The user-name hint fits when the name is root or the local user's.
HINT=""
case $ACCT in root|"$LOCAL") HINT=1 ;; esac

# An empty HOME: no default key files, no ~/.ssh/config; no agent unless asked.
mkdir -p "$T/home"
unset SSH_AUTH_SOCK SSH_AGENT_PID

# story NAME USER OPTS [WRAP] : runs kssh --explain (BatchMode unless WRAP),
# the story in $T/NAME.err (stderr), also flattened to one line in $T/NAME.flat.
story() {
	_n=$1; _u=$2; _o=$3; _w=${4:-}
	HOME=$T/home timeout -k 5 30 $_w "$KSSH" $_o -F /dev/null -p "$PORT" -l "$_u" \
		-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=no -o ConnectTimeout=10 --explain 127.0.0.1 echo in \
		>"$T/$_n.out" 2>"$T/$_n.err" </dev/null
	echo $? >"$T/$_n.rc"
	tr '\n' ' ' <"$T/$_n.err" | tr -s ' ' >"$T/$_n.flat"
}
has() { grep -qF -- "$2" "$T/$1.flat"; }
hasnt() { ! grep -qF -- "$2" "$T/$1.flat"; }
refused() { [ "$(cat "$T/$1.rc")" = 255 ] && ! grep -q in "$T/$1.out"; }
# Section titles are "N. Title" at the start of a line: 1..N, no gap, no repeat.
numbered() {
	grep -E '^[0-9]+\. ' "$T/$1.err" | sed 's/\..*//' | awk '$1 != NR { bad = 1 } END { exit bad || NR < 5 }'
}
# The causes a story must not name (all but the ones given).
C_PERMS="can be read by other users"
C_NOTAUTH="does not know your public key"
C_USER="Perhaps the user name is wrong"
C_NOPW="The server does not accept passwords"
C_AGENT="holds no keys"
C_NOKEY="No key was offered"
C_PWBAD="The password was refused"
only() { # name cause... : those causes and no other
	_n=$1; shift
	for _c in "$C_PERMS" "$C_NOTAUTH" "$C_USER" "$C_NOPW" "$C_AGENT" "$C_NOKEY" "$C_PWBAD"; do
		_want=0
		for _w in "$@"; do [ "$_w" = "$_c" ] && _want=1; done
		if [ $_want -eq 1 ]; then has "$_n" "$_c" || { note "$_n: missing cause: $_c"; return 1; }
		else hasnt "$_n" "$_c" || { note "$_n: unfitting cause: $_c"; return 1; }; fi
	done
	hasnt "$_n" "None of the usual causes fits"
}
ctl() { # the story is shown to a terminal: no control characters but newlines
	! LC_ALL=C grep -q "$(printf '[\001-\011\013-\037]')" "$T/$1.err"
}

OTHER_FP=$("$SSH_KEYGEN" -lf "$T/other_ed25519.pub" | awk '{print $2}')
OPEN_FP=$("$SSH_KEYGEN" -lf "$T/open_ed25519.pub" | awk '{print $2}')
BATCH="-o BatchMode=yes -o IdentitiesOnly=yes"

# (a) a key the account does not have in authorized_keys
story a "$ACCT" "$BATCH -i $T/other_ed25519"
refused a && numbered a; res "a: refused, sections numbered without gaps"
has a "Key file $T/other_ed25519 (ED25519, 256 bits, $OTHER_FP): the server does not accept this key"; res "a: the key tried, its fingerprint and the answer"
has a "Its last list: publickey." && has a "Passwords are not in the list"; res "a: what the server allows"
if [ -n "$HINT" ]; then only a "$C_NOTAUTH" "$C_USER"; else only a "$C_NOTAUTH"; fi
res "a: not in authorized_keys, and no unfitting cause"
has a "What failed is the second job: proving who you are"; res "a: which use of public-key cryptography failed"
ctl a; res "a: no control characters"

# (b) the right key, the wrong user: root, or the local user's name
for WRONG in root "$LOCAL"; do
	[ "$WRONG" = "$ACCT" ] && continue
	[ "$WRONG" = "$LOCAL" ] && [ "$LOCAL" = root ] && [ -n "${did_root:-}" ] && continue
	did_root=1
	story b "$WRONG" "$BATCH -i $T/user_ed25519"
	refused b && numbered b && only b "$C_NOTAUTH" "$C_USER" && has b "ec2-user for Amazon Linux, ubuntu for Ubuntu, admin for Debian"
	res "b: the right key as $WRONG: not authorized, and the user-name hint (ec2-user, ubuntu)"
done
story b3 ec2-user "$BATCH -i $T/other_ed25519"
refused b3 && only b3 "$C_NOTAUTH"; res "b: user ec2-user: no user-name hint"

# (c) only a password, and the server takes none
if command -v sshpass >/dev/null 2>&1; then
	SSHPASS=not-a-real-password story c "$ACCT" "-o IdentitiesOnly=yes -o PubkeyAuthentication=no -o BatchMode=no" "sshpass -e"
	refused c && numbered c; res "c: refused, sections numbered without gaps"
	only c "$C_NOPW" "$C_NOKEY"; res "c: password login disabled on the server, and no unfitting cause"
	hasnt c "Password: sent"; res "c: no password was sent"
	has c "A password is not public-key cryptography" || has c "proving who you are"; res "c: the lesson"
else
	skip "c: sshpass is not installed"
fi

# (d) an authorized key whose file others can read
story d "$ACCT" "$BATCH -i $T/open_ed25519"
refused d && numbered d; res "d: refused, sections numbered without gaps"
has d "Key file $T/open_ed25519 (ED25519, 256 bits, $OPEN_FP): the server would accept it, but it could not be used: other users can read the file"
res "d: the server would take the key, kssh would not use the file"
only d "$C_PERMS" && has d "Fix: chmod 600 $T/open_ed25519"; res "d: open permissions, chmod 600, no unfitting cause"
[ "$(grep -c "chmod 600 $T/open_ed25519" "$T/d.err")" -eq 1 ]; res "d: the fix is given once"
# the same without the .pub file: the file is not even offered
cp "$T/open_ed25519" "$T/nopub_ed25519"; chmod 644 "$T/nopub_ed25519"
story d2 "$ACCT" "$BATCH -i $T/nopub_ed25519"
refused d2 && numbered d2 && has d2 "Key file $T/nopub_ed25519: not offered, because other users can read the file" \
	&& only d2 "$C_PERMS"; res "d: without a .pub file: not offered, open permissions"

# (e) an agent with no keys (and no key files)
if command -v ssh-agent >/dev/null 2>&1; then
	eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null
	echo "$SSH_AGENT_PID" >>"$T/pids"
	story e "$ACCT" "-o BatchMode=yes"
	refused e && numbered e; res "e: refused, sections numbered without gaps"
	has e "The agent at $T/agent.sock (SSH_AUTH_SOCK) holds 0 key(s)"; res "e: the agent and its 0 keys"
	only e "$C_AGENT" && has e "ssh-add"; res "e: agent with no keys, ssh-add, no unfitting cause"
	# a socket no agent listens on
	SSH_AUTH_SOCK=$T/no-agent.sock story e2 "$ACCT" "-o BatchMode=yes"
	refused e2 && has e2 "no agent answered there"; res "e: SSH_AUTH_SOCK with no agent behind it"
	kill "$SSH_AGENT_PID" 2>/dev/null
	unset SSH_AUTH_SOCK SSH_AGENT_PID
else
	skip "e: ssh-agent is not installed"
fi

# a key file that is not there; a passphrase BatchMode cannot ask for
story f "$ACCT" "$BATCH -i $T/no-such-key"
refused f && numbered f && has f "The key file $T/no-such-key does not exist" && only f
res "f: a missing key file, and no unfitting cause"
"$SSH_KEYGEN" -q -t ed25519 -N "secret-$$" -C enc -f "$T/enc_ed25519" </dev/null && cat "$T/enc_ed25519.pub" >>"$T/ak/$ACCT"
story g "$ACCT" "$BATCH -i $T/enc_ed25519"
refused g && numbered g && has g "is protected by a passphrase, and it could not be unlocked" && only g
res "g: a passphrase BatchMode could not ask for, and no unfitting cause"

# a wrong password (once: sshpass stops at a second prompt) to a server that takes passwords
if [ "$ACCT" = "${PWUSER:-}" ] && [ -n "${PWPASS:-}" ] && command -v sshpass >/dev/null 2>&1; then
	sed 's/^PasswordAuthentication no/PasswordAuthentication yes/' "$T/d.conf" >"$T/p.conf"
	if start_server ksshd p; then
		SAVE=$PORT; PORT=$SRV_PORT
		SSHPASS=wrong-$PWPASS story p "$ACCT" "-o PubkeyAuthentication=no -o BatchMode=no -o NumberOfPasswordPrompts=1" "sshpass -e"
		refused p && numbered p && has p "Password: sent 1 time(s) inside the encrypted channel; refused 1 time(s)." \
			&& only p "$C_PWBAD" "$C_NOKEY" && ! grep -qF -- "$PWPASS" "$T/p.err"
		res "p: a wrong password, and the password never shown"
		PORT=$SAVE
	else
		fail "ksshd (passwords) start"
	fi
fi

# OpenSSH's sshd refuses the same way, and the story is the same
if [ $IS_ROOT -eq 1 ] && [ -x "$SSHD" ]; then
	cp "$T/d.conf" "$T/o.conf"
	if start_server sshd o; then
		SAVE=$PORT; PORT=$SRV_PORT
		story o "$ACCT" "$BATCH -i $T/other_ed25519"
		refused o && numbered o && has o "Server software SSH-2.0-OpenSSH" && has o "the server does not accept this key" \
			&& only o "$C_NOTAUTH"
		res "sshd: a key not in authorized_keys"
		story o2 "$ACCT" "$BATCH -i $T/open_ed25519"
		refused o2 && numbered o2 && only o2 "$C_PERMS"; res "sshd: an open key file"
		PORT=$SAVE
	else
		fail "sshd start"
	fi
fi

# kscp tells the same story
KSCP=$KAGI_BIN/kscp
if [ -x "$KSCP" ]; then
	echo data >"$T/file"
	HOME=$T/home timeout -k 5 30 "$KSCP" -F /dev/null -P "$PORT" -i "$T/other_ed25519" -o BatchMode=yes \
		-o IdentitiesOnly=yes -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=no --explain "$T/file" "$ACCT@127.0.0.1:/tmp/" >"$T/scp.out" 2>"$T/scp.err" </dev/null
	echo $? >"$T/scp.rc"
	tr '\n' ' ' <"$T/scp.err" | tr -s ' ' >"$T/scp.flat"
	[ "$(cat "$T/scp.rc")" -ne 0 ] && numbered scp && has scp "$C_NOTAUTH" && has scp "Then kscp had nothing left to try"
	res "kscp: the story of a refused key"
fi

# Japanese: the same story as (a) and (d)
LANG=ja_JP.UTF-8 LC_ALL= LANGUAGE= story ja "$ACCT" "$BATCH -i $T/other_ed25519"
refused ja && numbered ja && has ja "authorized_keys" && grep -q '公開鍵' "$T/ja.err" \
	&& ! grep -q "does not know your public key" "$T/ja.err" && ! grep -q "What the server allows" "$T/ja.err"
res "ja: the story of (a) in Japanese, numbered"
LANG=ja_JP.UTF-8 LC_ALL= LANGUAGE= story ja_d "$ACCT" "$BATCH -i $T/open_ed25519"
refused ja_d && numbered ja_d && has ja_d "chmod 600 $T/open_ed25519" && ! grep -q "can be read by other users" "$T/ja_d.err" \
	&& ! grep -qE '^ *[*!] [A-Z][a-z]+ [a-z]+ [a-z]+' "$T/ja_d.err"
res "ja: the story of (d) in Japanese, no English sentence left"
finish
