#!/bin/sh
# kssh-agent and kssh-add as drop-ins for ssh-agent and ssh-add: kssh-agent
# serves OpenSSH's ssh (to sshd and ksshd) and kssh; kssh-add -l/-L/-E md5
# print what ssh-add prints, against kssh-agent and OpenSSH's ssh-agent;
# each adds keys to the other's agent; -t expiry, -x/-X lock, -d, -D, -c
# confirmation through SSH_ASKPASS, peers of another uid refused, -k,
# sh/csh lines, a command run with the agent, unsupported flags.
. "$(dirname "$0")/lib.sh"
KAGENT=$KAGI_BIN/kssh-agent
KADD=$KAGI_BIN/kssh-add
have_prog agent-programs kssh ksshd ssh sshd || finish
[ -x "$KAGENT" ] && [ -x "$KADD" ] || { fail "kssh-agent/kssh-add not built"; finish; }
command -v ssh-agent >/dev/null 2>&1 && command -v ssh-add >/dev/null 2>&1 || { skip "no ssh-agent/ssh-add"; finish; }
setup_keys || { fail "setup keys"; finish; }
gen_key "$T/rsa" rsa 2048 && gen_key "$T/ecdsa" ecdsa && gen_key "$T/ck" ed25519 || { fail "setup keys"; finish; }
cat "$T/rsa.pub" "$T/ck.pub" >>"$T/authorized_keys"
mkdir -p "$T/home/.ssh"
export HOME="$T/home"
unset SSH_AUTH_SOCK SSH_AGENT_PID DISPLAY WAYLAND_DISPLAY
# An askpass for passphrases and lock passwords, and one for confirmations
# that answers what $T/answer says.
printf '#!/bin/sh\necho "$1" >>%s/askpass.log\necho lockpw\n' "$T" >"$T/pass.sh"
printf '#!/bin/sh\necho "$SSH_ASKPASS_PROMPT:$1" >>%s/confirm.log\n[ "$(cat %s/answer)" = yes ]\n' "$T" "$T" >"$T/confirm.sh"
chmod 700 "$T/pass.sh" "$T/confirm.sh"
echo no >"$T/answer"

start_server ksshd s1 || { fail "start ksshd"; finish; }
KPORT=$SRV_PORT
start_server sshd s2 || { fail "start sshd"; finish; }
OPORT=$SRV_PORT

# login KIND PORT SOCK : "echo ok" with only the agent's keys.
login() {
	SSH_AUTH_SOCK=$3 timeout 30 "$(prog_of "$1")" -F /dev/null -p "$2" -l "$TUSER" -o IdentityFile="$T/none" \
		-o IdentitiesOnly=no -o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=no -o BatchMode=yes -o PasswordAuthentication=no -o LogLevel=ERROR \
		127.0.0.1 echo ok </dev/null 2>>"$T/login.err"
}
# start_agent SOCK CMD... : an agent in the foreground on SOCK.
start_agent() {
	_s=$1; shift
	SSH_ASKPASS="$T/confirm.sh" "$@" -D -a "$_s" >"$_s.out" 2>&1 </dev/null &
	echo $! >>"$T/pids"
	# The lines are printed once the socket listens.
	_i=0; while ! grep -q "^echo Agent pid" "$_s.out" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -S "$_s" ]
}
KS=$T/kagent.sock
OS=$T/oagent.sock
start_agent "$KS" "$KAGENT" || { fail "kssh-agent -D starts"; finish; }
start_agent "$OS" ssh-agent || { fail "ssh-agent starts"; finish; }
grep -q "^SSH_AUTH_SOCK=$KS; export SSH_AUTH_SOCK;\$" "$KS.out" && grep -q '^echo Agent pid [0-9]*;$' "$KS.out"
res "kssh-agent -D prints the SSH_AUTH_SOCK line" || cat "$KS.out" >&2
[ "$(stat -c %a "$KS")" = 600 ]; res "the agent socket is mode 0600"

# ---- adding, and serving OpenSSH's ssh and kssh ----
SSH_AUTH_SOCK=$KS "$KADD" "$T/user_ed25519" "$T/rsa" 2>"$T/add.err"
[ $? -eq 0 ] && grep -q "^Identity added: $T/user_ed25519 (kagi-test-ed25519)\$" "$T/add.err"
res "kssh-add adds keys to kssh-agent (ssh-add's message)" || cat "$T/add.err" >&2
[ "$(login ssh "$OPORT" "$KS")" = ok ]; res "kssh-agent serves OpenSSH's ssh (to sshd)" || tail -3 "$T/login.err" >&2
[ "$(login ssh "$KPORT" "$KS")" = ok ]; res "kssh-agent serves OpenSSH's ssh (to ksshd)" || tail -3 "$T/login.err" >&2
[ "$(login kssh "$KPORT" "$KS")" = ok ]; res "kssh-agent serves kssh (to ksshd)" || tail -3 "$T/login.err" >&2
# Only the RSA key may log in now: the signature needs the rsa-sha2 flags.
cp "$T/authorized_keys" "$T/ak.all"; cat "$T/rsa.pub" >"$T/authorized_keys"
[ "$(login ssh "$OPORT" "$KS")" = ok ]; res "kssh-agent signs RSA with rsa-sha2 for OpenSSH's ssh" || tail -3 "$T/login.err" >&2
[ "$(login kssh "$KPORT" "$KS")" = ok ]; res "kssh-agent signs RSA with rsa-sha2 for kssh" || tail -3 "$T/login.err" >&2
cp "$T/ak.all" "$T/authorized_keys"

# ---- listings equal to ssh-add's, with both agents ----
SSH_AUTH_SOCK=$KS ssh-add "$T/ecdsa" 2>/dev/null; res "ssh-add adds a key to kssh-agent"
SSH_AUTH_SOCK=$OS "$KADD" "$T/user_ed25519" "$T/rsa" 2>/dev/null; res "kssh-add adds keys to ssh-agent"
SSH_AUTH_SOCK=$OS ssh-add "$T/ecdsa" 2>/dev/null
for s in "$KS:kssh-agent" "$OS:ssh-agent"; do
	sock=${s%%:*}; name=${s#*:}
	for f in -l -L "-E md5 -l"; do
		# shellcheck disable=SC2086
		a=$(SSH_AUTH_SOCK=$sock "$KADD" $f 2>&1); ra=$?
		# shellcheck disable=SC2086
		b=$(SSH_AUTH_SOCK=$sock ssh-add $f 2>&1); rb=$?
		[ "$a" = "$b" ] && [ $ra = $rb ] && [ "$(echo "$a" | wc -l)" = 3 ]
		res "kssh-add $f equals ssh-add $f ($name)" || { echo "kssh-add: $a" >&2; echo "ssh-add: $b" >&2; }
	done
done
echo "$(SSH_AUTH_SOCK=$KS "$KADD" -l)" | grep -q "^256 SHA256:[A-Za-z0-9+/]* kagi-test-ed25519 (ED25519)\$"
res "kssh-add -l line format"
[ "$(SSH_AUTH_SOCK=$OS login ssh "$OPORT" "$OS")" = ok ]; res "a key kssh-add put in ssh-agent logs in"

SSH_AUTH_SOCK=$KS "$KADD" -T "$T/rsa.pub" "$T/user_ed25519.pub" && ! SSH_AUTH_SOCK=$KS "$KADD" -T "$T/ck.pub" 2>/dev/null
res "kssh-add -T: the agent signs for the keys it holds, not for others"
# ---- -d and -D ----
SSH_AUTH_SOCK=$KS "$KADD" -d "$T/ecdsa" 2>"$T/d.err" && grep -q "^Identity removed: $T/ecdsa ECDSA (kagi-test-ecdsa)\$" "$T/d.err" &&
	[ "$(SSH_AUTH_SOCK=$KS ssh-add -l | wc -l)" = 2 ]
res "kssh-add -d removes one key" || cat "$T/d.err" >&2
SSH_AUTH_SOCK=$KS "$KADD" -d "$T/ecdsa" 2>"$T/d.err"; [ $? = 1 ]; res "kssh-add -d of a key not held fails (exit 1)"
out=$(SSH_AUTH_SOCK=$OS "$KADD" -D 2>&1) && [ "$out" = "All identities removed." ]
res "kssh-add -D empties ssh-agent" || echo "$out" >&2
out=$(SSH_AUTH_SOCK=$OS "$KADD" -l); [ $? = 1 ] && [ "$out" = "The agent has no identities." ]
res "kssh-add -l on an empty agent (exit 1)"

# ---- lock and unlock (passwords through SSH_ASKPASS) ----
SSH_ASKPASS=$T/pass.sh SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$KS "$KADD" -x </dev/null 2>"$T/x.err" &&
	grep -q "^Agent locked.\$" "$T/x.err"
res "kssh-add -x locks kssh-agent" || cat "$T/x.err" >&2
[ "$(login ssh "$OPORT" "$KS")" != ok ] && [ "$(SSH_AUTH_SOCK=$KS ssh-add -l)" = "The agent has no identities." ]
res "a locked kssh-agent lists and signs nothing"
printf '#!/bin/sh\necho wrong\n' >"$T/wrong.sh"; chmod 700 "$T/wrong.sh"
SSH_ASKPASS=$T/wrong.sh SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$KS "$KADD" -X </dev/null 2>"$T/x.err"
[ $? = 1 ] && grep -q "^Failed to unlock agent: agent refused operation\$" "$T/x.err"; res "kssh-add -X with a wrong password fails"
SSH_ASKPASS=$T/pass.sh SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$KS "$KADD" -X </dev/null 2>"$T/x.err" &&
	grep -q "^Agent unlocked.\$" "$T/x.err" && [ "$(login ssh "$OPORT" "$KS")" = ok ]
res "kssh-add -X unlocks: signatures again" || cat "$T/x.err" >&2
SSH_AUTH_SOCK=$OS ssh-add -q "$T/rsa" 2>/dev/null
SSH_ASKPASS=$T/pass.sh SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$OS "$KADD" -x </dev/null 2>/dev/null &&
	[ "$(SSH_AUTH_SOCK=$OS ssh-add -l)" = "The agent has no identities." ] &&
	SSH_ASKPASS=$T/pass.sh SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$OS "$KADD" -X </dev/null 2>/dev/null &&
	[ "$(SSH_AUTH_SOCK=$OS ssh-add -l | wc -l)" = 1 ]
res "kssh-add -x/-X lock and unlock ssh-agent"
SSH_ASKPASS=$T/pass.sh SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$KS ssh-add -x </dev/null 2>/dev/null &&
	[ "$(SSH_AUTH_SOCK=$KS "$KADD" -l)" = "The agent has no identities." ] &&
	SSH_ASKPASS=$T/pass.sh SSH_ASKPASS_REQUIRE=force SSH_AUTH_SOCK=$KS ssh-add -X </dev/null 2>/dev/null &&
	[ "$(SSH_AUTH_SOCK=$KS "$KADD" -l | wc -l)" = 2 ]
res "ssh-add -x/-X lock and unlock kssh-agent"

# ---- -t lifetime ----
SSH_AUTH_SOCK=$KS "$KADD" -t 2 "$T/ecdsa" 2>"$T/t.err" && grep -q "^Lifetime set to 2 seconds\$" "$T/t.err" &&
	[ "$(SSH_AUTH_SOCK=$KS ssh-add -l | wc -l)" = 3 ]
res "kssh-add -t 2 adds with a lifetime" || cat "$T/t.err" >&2
SSH_AUTH_SOCK=$OS "$KADD" -q -t 2 "$T/ecdsa" 2>/dev/null
LS=$T/lagent.sock
start_agent "$LS" "$KAGENT" -t 2 && SSH_AUTH_SOCK=$LS ssh-add -q "$T/ecdsa" 2>/dev/null &&
	[ "$(SSH_AUTH_SOCK=$LS ssh-add -l | grep -c ECDSA)" = 1 ]; res "kssh-agent -t 2 holds a key added without a lifetime"
sleep 3
[ "$(SSH_AUTH_SOCK=$LS ssh-add -l)" = "The agent has no identities." ]; res "kssh-agent -t 2: the default lifetime ends"
[ "$(SSH_AUTH_SOCK=$KS ssh-add -l | grep -c ECDSA)" = 0 ] && [ "$(SSH_AUTH_SOCK=$KS ssh-add -l | wc -l)" = 2 ]
res "kssh-agent drops the key after its lifetime"
[ "$(SSH_AUTH_SOCK=$OS ssh-add -l | grep -c ECDSA)" = 0 ]; res "ssh-agent drops a key kssh-add -t 2 added"

# ---- -c: confirmation through the agent's SSH_ASKPASS ----
CS=$T/cagent.sock
start_agent "$CS" "$KAGENT" || fail "second kssh-agent starts"
SSH_AUTH_SOCK=$CS "$KADD" -c "$T/ck" 2>"$T/c.err" && grep -q "^The user must confirm each use of the key\$" "$T/c.err"
res "kssh-add -c adds a key that needs confirmation" || cat "$T/c.err" >&2
echo no >"$T/answer"
[ "$(login ssh "$OPORT" "$CS")" != ok ] && grep -q "^confirm:Allow use of key kagi-test-ed25519?" "$T/confirm.log"
res "-c: the askpass says no, the login with that key fails"
echo yes >"$T/answer"
[ "$(login ssh "$OPORT" "$CS")" = ok ]; res "-c: the askpass says yes, the login works"
: >"$T/confirm.log"
echo no >"$T/answer"
[ "$(login kssh "$KPORT" "$CS")" != ok ] && [ -s "$T/confirm.log" ]; res "-c: kssh refused too when the askpass says no"

# ---- destination restrictions (ssh-add -h) ----
gen_key "$T/host2" ed25519
SERVER_HOSTKEYS=$T/host2 start_server ksshd s3 && XPORT=$SRV_PORT || fail "start a ksshd with another host key"
echo "dest-ok $(cut -d' ' -f1,2 "$T/host_ed25519.pub")" >"$T/kh_dest"
RS=$T/ragent.sock
start_agent "$RS" "$KAGENT" || fail "kssh-agent for restricted keys starts"
SSH_AUTH_SOCK=$RS ssh-add -H "$T/kh_dest" -h dest-ok "$T/ck" 2>"$T/h.err" && [ "$(SSH_AUTH_SOCK=$RS ssh-add -l | wc -l)" = 1 ]
res "ssh-add -h adds a destination-restricted key to kssh-agent" || cat "$T/h.err" >&2
[ "$(login ssh "$OPORT" "$RS")" = ok ]; res "a restricted key logs in to the permitted host (OpenSSH's ssh)" || tail -3 "$T/login.err" >&2
[ "$(login ssh "$XPORT" "$RS")" != ok ] && [ "$(login ssh "$XPORT" "$KS")" = ok ]
res "a restricted key is not offered to another host" || tail -3 "$RS.out" >&2

RO=$T/roagent.sock
start_agent "$RO" ssh-agent || fail "ssh-agent for restricted keys starts"
SSH_AUTH_SOCK=$RO "$KADD" -H "$T/kh_dest" -h dest-ok "$T/ck" 2>"$T/h.err" &&
	[ "$(login ssh "$OPORT" "$RO")" = ok ] && [ "$(login ssh "$XPORT" "$RO")" != ok ]
res "kssh-add -h: ssh-agent holds the key for the permitted host only" || cat "$T/h.err" >&2
SSH_AUTH_SOCK=$KS "$KADD" -D >/dev/null 2>&1
SSH_AUTH_SOCK=$KS "$KADD" -H "$T/kh_dest" -h "$TUSER@dest-ok" "$T/ck" 2>"$T/h.err" &&
	[ "$(login ssh "$OPORT" "$KS")" = ok ] && [ "$(login ssh "$XPORT" "$KS")" != ok ]
res "kssh-add -h user@host to kssh-agent" || cat "$T/h.err" >&2
out=$(SSH_AUTH_SOCK=$KS "$KADD" -H "$T/kh_dest" -h nowhere "$T/ck" 2>&1); rc=$?
[ $rc = 1 ] && [ "$out" = 'No host keys found for destination "nowhere"' ]; res "kssh-add -h for a host with no known key" || echo "$out" >&2
SSH_AUTH_SOCK=$KS "$KADD" -D >/dev/null 2>&1
SSH_AUTH_SOCK=$KS "$KADD" -q "$T/user_ed25519" "$T/rsa" 2>/dev/null
# ---- a peer of another uid ----
if [ $IS_ROOT -eq 1 ] && command -v setpriv >/dev/null 2>&1; then
	# Open the directory and socket to everyone: only the uid check is left.
	chmod 755 "$T"; chmod 666 "$CS"
	out=$(SSH_AUTH_SOCK=$CS setpriv --reuid=65534 --regid=65534 --clear-groups ssh-add -l 2>&1); rc=$?
	chmod 600 "$CS"
	[ $rc -ne 0 ] && ! echo "$out" | grep -q "ED25519" && grep -q "uid mismatch" "$CS.out"
	res "kssh-agent refuses a peer of another uid (SO_PEERCRED)" || echo "$rc $out" >&2
else
	skip "peer uid (needs root and setpriv; the check is unit-tested)"
fi

# ---- -d debug output, the daemon, -k, csh lines, a command ----
DS=$T/dagent.sock
"$KAGENT" -d -E md5 -a "$DS" >"$DS.out" 2>&1 </dev/null &
DPID=$!; echo $DPID >>"$T/pids"
i=0; while ! grep -q "^echo Agent pid" "$DS.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
SSH_AUTH_SOCK=$DS ssh-add -q "$T/rsa" 2>/dev/null
echo data >"$T/msg"
SSH_AUTH_SOCK=$DS "$SSH_KEYGEN" -Y sign -n file -f "$T/rsa.pub" "$T/msg" >/dev/null 2>&1 &&
	"$SSH_KEYGEN" -Y check-novalidate -n file -s "$T/msg.sig" <"$T/msg" >/dev/null 2>&1; res "kssh-agent signs for ssh-keygen -Y sign"
sleep 0.2
grep -q "^debug1: agent client connected" "$DS.out" && grep -q "^debug1: signed with RSA key MD5:[0-9a-f:]* kagi-test-rsa (rsa-sha2-512)" "$DS.out"
res "kssh-agent -d writes debug lines (-E md5 fingerprints)" || cat "$DS.out" >&2
[ "$(login ssh "$OPORT" "$DS")" = ok ] && grep -q "^debug1: session bound (authentication)" "$DS.out"
res "OpenSSH's ssh binds its session to kssh-agent (session-bind@openssh.com verified)" || tail -5 "$DS.out" >&2
kill "$DPID"; sleep 0.3
[ ! -e "$DS" ]; res "kssh-agent removes its socket when it ends"
out=$("$KAGENT" -s 2>&1)
eval "$out" >/dev/null
echo "$out" | grep -q '^SSH_AUTH_SOCK=.*/agent\.[0-9]*; export SSH_AUTH_SOCK;$' && echo "$out" | grep -q "^SSH_AGENT_PID=$SSH_AGENT_PID; export SSH_AGENT_PID;\$" &&
	running "$SSH_AGENT_PID" && [ "$(stat -c %a "$(dirname "$SSH_AUTH_SOCK")")" = 700 ] && ssh-add -l >/dev/null 2>&1; [ $? -le 1 ]
res "kssh-agent -s: daemon, sh lines, private 0700 directory" || echo "$out" >&2
dsock=$SSH_AUTH_SOCK; dpid=$SSH_AGENT_PID
echo "$dpid" >>"$T/pids"
out=$("$KAGENT" -k 2>&1)
[ "$out" = "unset SSH_AUTH_SOCK;
unset SSH_AGENT_PID;
echo Agent pid $dpid killed;" ]; res "kssh-agent -k prints ssh-agent's lines" || echo "$out" >&2
i=0; while running "$dpid" && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
! running "$dpid" && [ ! -e "$dsock" ] && [ ! -d "$(dirname "$dsock")" ]; res "kssh-agent -k ends the agent, socket and directory gone"
unset SSH_AUTH_SOCK SSH_AGENT_PID
out=$("$KAGENT" -c -a "$T/csh.sock" 2>&1)
pid=$(echo "$out" | sed -n 's/^setenv SSH_AGENT_PID \([0-9]*\);$/\1/p')
[ -n "$pid" ] && echo "$pid" >>"$T/pids"
echo "$out" | grep -q "^setenv SSH_AUTH_SOCK $T/csh.sock;\$" && [ -n "$pid" ]; res "kssh-agent -c prints csh lines" || echo "$out" >&2
[ -n "$pid" ] && kill "$pid"
out=$("$KAGENT" sh -c 'echo "$SSH_AGENT_PID" >'"$T/cmd.pid"'; '"$KADD"' -l; exit 3' 2>&1); rc=$?
[ $rc = 3 ] && [ "$out" = "The agent has no identities." ]; res "kssh-agent command: runs it with the agent, exits with its status" || echo "$rc $out" >&2
cpid=$(cat "$T/cmd.pid" 2>/dev/null); i=0
while [ -n "$cpid" ] && running "$cpid" && [ $i -lt 40 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$cpid" ] && ! running "$cpid"; res "kssh-agent command: the agent ends with the command"

# ---- errors ----
out=$(SSH_AUTH_SOCK= "$KADD" -l 2>&1); rc=$?
[ $rc = 2 ] && [ "$out" = "Could not open a connection to your authentication agent." ]; res "kssh-add without an agent (exit 2)"
out=$(SSH_AUTH_SOCK=$KS "$KADD" -e foo 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "not supported"; res "kssh-add -e says not supported"
out=$(SSH_AUTH_SOCK=$KS "$KADD" -s foo 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "not supported"; res "kssh-add -s says not supported"
out=$(SSH_AUTH_SOCK=$KS "$KADD" -t 1x "$T/rsa" 2>&1); rc=$?
[ $rc = 1 ] && [ "$out" = "Invalid lifetime" ]; res "kssh-add -t with a bad time"
out=$(SSH_AUTH_SOCK=$KS "$KADD" "$T/nonexistent" 2>&1); rc=$?
[ $rc = 1 ] && [ "$out" = "$T/nonexistent: No such file or directory" ]; res "kssh-add of a missing file"
# The defaults: ~/.ssh/id_ed25519 (HOME in $T), with a passphrase from SSH_ASKPASS.
"$SSH_KEYGEN" -q -t ed25519 -N lockpw -C home-key -f "$HOME/.ssh/id_ed25519"
SSH_ASKPASS=$T/pass.sh DISPLAY=:0 SSH_AUTH_SOCK=$KS "$KADD" </dev/null 2>"$T/def.err" &&
	grep -q "^Identity added: $HOME/.ssh/id_ed25519 (home-key)\$" "$T/def.err" &&
	grep -q "^Enter passphrase for $HOME/.ssh/id_ed25519: \$" "$T/askpass.log"
res "kssh-add with no file adds ~/.ssh/id_ed25519 (passphrase by SSH_ASKPASS)" || cat "$T/def.err" >&2
chmod 644 "$HOME/.ssh/id_ed25519"
SSH_AUTH_SOCK=$KS "$KADD" "$HOME/.ssh/id_ed25519" </dev/null 2>"$T/perm.err"; rc=$?
[ $rc = 1 ] && grep -q "UNPROTECTED PRIVATE KEY FILE" "$T/perm.err"; res "kssh-add refuses a key file others can read"
# ---- bad clients: the agent drops them and goes on serving ----
"$PY" "$(dirname "$0")/agent_abuse.py" "$KS" >"$T/abuse.out" 2>&1
! grep -q "^bad" "$T/abuse.out" && [ "$(grep -c "^ok" "$T/abuse.out")" = 5 ] && running "$(sed -n 's/^echo Agent pid \([0-9]*\);$/\1/p' "$KS.out")" &&
	[ "$(SSH_AUTH_SOCK=$KS ssh-add -l | wc -l)" -ge 2 ]
res "kssh-agent survives bad clients (lengths, garbage, floods, 300 connections)" || cat "$T/abuse.out" >&2

# ---- passphrases and lock passwords on a real terminal (tmux) ----
if command -v tmux >/dev/null 2>&1; then
	TM="tmux -L kagi-agentp-$$"
	wait_screen() {
		_i=0; _max=$(( ${2:-10} * 10 ))
		while [ $_i -lt $_max ]; do
			$TM capture-pane -p -S -100 -t ka >"$T/screen" 2>/dev/null
			grep -Eq "$1" "$T/screen" && return 0
			sleep 0.1; _i=$((_i + 1))
		done
		note "screen did not show '$1':"; sed 's/^/#   /' "$T/screen" >&2
		return 1
	}
	"$SSH_KEYGEN" -q -t ed25519 -N tty-pass -C tty-key -f "$T/enc"
	printf "PS1='local\$ '; export PS1\nexec sh -i\n" >"$T/run.sh"
	$TM new-session -d -s ka -x 120 -y 30 "env -i PATH=$PATH HOME=$HOME TERM=xterm SSH_AUTH_SOCK=$KS sh $T/run.sh"
	wait_screen '^local\$'
	$TM send-keys -t ka "$KADD $T/enc" Enter
	wait_screen "Enter passphrase for $T/enc:" && $TM send-keys -t ka "nope" Enter &&
		wait_screen "Bad passphrase, try again for $T/enc:" && $TM send-keys -t ka "tty-pass" Enter &&
		wait_screen "^Identity added: $T/enc \(tty-key\)" && ! grep -q "tty-pass" "$T/screen"
	res "kssh-add asks for the passphrase on the terminal (no echo), again when wrong"
	$TM send-keys -t ka "clear; $KADD -x" Enter
	wait_screen "Enter lock password:" && $TM send-keys -t ka "pw-tty" Enter && wait_screen "Again:" &&
		$TM send-keys -t ka "pw-tty" Enter && wait_screen "^Agent locked\.$" &&
		$TM send-keys -t ka "clear; $KADD -X" Enter && wait_screen "Enter lock password:" &&
		$TM send-keys -t ka "pw-tty" Enter && wait_screen "^Agent unlocked\.$" && ! grep -q "pw-tty" "$T/screen"
	res "kssh-add -x/-X read the lock password on the terminal"
	$TM kill-server 2>/dev/null
else
	skip "terminal prompts (no tmux)"
fi
finish
