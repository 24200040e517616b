#!/bin/sh
# Agent forwarding with OpenSSH's ssh-agent: kssh -A to ksshd lists the key
# on the far side (socket in a private 0700 directory of the user, gone
# after logout) and a further hop with it works (ksshd -> sshd); OpenSSH's
# ssh -A to ksshd, then kssh from there to another ksshd; AllowAgentForwarding
# no; ~/.ssh/rc (and PermitUserRC no); kssh's warning; session-bind
# (destination-constrained keys, ssh-add -h) for auth and for forwarding.
. "$(dirname "$0")/lib.sh"
have_prog agent-forward kssh ksshd || finish
command -v ssh-agent >/dev/null 2>&1 || { skip "agent-forward (no ssh-agent)"; finish; }
setup_keys || { fail "setup keys"; finish; }
if setup_pwuser; then U=$PWUSER; UHOME=$(getent passwd "$U" | cut -d: -f6); else U=$TUSER; UHOME=; fi
mkdir -m 1777 "$T/w"  # written by the far side's commands
ssh-agent -a "$T/agent.sock" -D >/dev/null 2>&1 &
echo $! >>"$T/pids"
i=0; while [ ! -S "$T/agent.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
export SSH_AUTH_SOCK="$T/agent.sock"
ssh-add "$T/user_ed25519" >/dev/null 2>&1 || { fail "ssh-add"; finish; }
fp=$(ssh-keygen -lf "$T/user_ed25519.pub" | cut -d' ' -f2)

start_server ksshd k1 || { fail "start ksshd"; finish; }; P1=$SRV_PORT
start_server ksshd k2 || { fail "start ksshd"; finish; }; P2=$SRV_PORT
write_server_config "$T/k3.conf" "$T/host_ed25519"
printf 'AllowAgentForwarding no\nPermitUserRC no\n' >>"$T/k3.conf"
start_server ksshd k3 || { fail "start ksshd"; finish; }; P3=$SRV_PORT; LOG3=$SRV_LOG
SP=
# sshd has a host key of its own, so destination constraints tell the hops apart.
gen_key "$T/host2_ed25519" ed25519 || { fail "setup keys"; finish; }
if [ -x "$SSHD" ]; then SERVER_HOSTKEYS=$T/host2_ed25519 start_server sshd o1 && SP=$SRV_PORT; fi
# The far side's clients: no key files, no config, the agent only.
far="-F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes -o LogLevel=ERROR"

# --- kssh -A to ksshd: the key is listed there; the socket's directory
out=$(CLIENT_USER=$U client kssh "$P1" "-A -o LogLevel=INFO" \
	'echo "$SSH_AUTH_SOCK" >'"$T/w/sock"'; ssh-add -l; d=$(dirname "$SSH_AUTH_SOCK"); stat -c "%a %U %F" "$d" "$SSH_AUTH_SOCK"' \
	</dev/null 2>"$T/e1"); rc=$?
echo "$out" | grep -q "$fp"; res "kssh -A -> ksshd: ssh-add -l on the far side lists the key" || { echo "rc=$rc $out" >&2; cat "$T/e1" >&2; }
sock=$(cat "$T/w/sock" 2>/dev/null)
echo "$out" | grep -qx "700 $U directory" && echo "$out" | grep -qx "600 $U socket" &&
	case $sock in /tmp/ssh-*/agent.[0-9]*) true ;; *) false ;; esac
res "socket /tmp/ssh-*/agent.PID in a 0700 directory owned by $U" || echo "sock=$sock $out" >&2
i=0; while [ -n "$sock" ] && [ -e "$sock" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$sock" ] && [ ! -e "$sock" ] && [ ! -e "$(dirname "$sock")" ]; res "socket and directory removed after logout"
grep -q "^Warning: agent forwarded to 127.0.0.1: .*its 1 key " "$T/e1" && [ "$(grep -c "agent forwarded" "$T/e1")" -eq 1 ]
res "kssh -A warns once what the forwarded agent exposes" || cat "$T/e1" >&2
# The connection ended by SIGTERM (ksshd stopping): the socket goes too.
rm -f "$T/w/sock2"
CLIENT_USER=$U client kssh "$P1" "-A" 'echo "$SSH_AUTH_SOCK" >'"$T/w/sock2"'; sleep 20' </dev/null >/dev/null 2>&1 &
kpid=$!
i=0; while [ ! -s "$T/w/sock2" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sock2=$(cat "$T/w/sock2" 2>/dev/null); cpid=${sock2##*/agent.}
[ -n "$cpid" ] && [ -S "$sock2" ] && kill -TERM "$cpid" 2>/dev/null
i=0; while [ -n "$sock2" ] && [ -e "$sock2" ] && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$sock2" ] && [ ! -e "$sock2" ] && [ ! -e "$(dirname "$sock2")" ]
res "socket and directory removed when the connection is ended by SIGTERM" || echo "sock2=$sock2" >&2
kill "$kpid" 2>/dev/null; wait "$kpid" 2>/dev/null
# --explain tells what the far host can do with a forwarded agent, and -J.
CLIENT_USER=$U client kssh "$P1" "-A --explain" true </dev/null 2>"$T/ex1"
grep -q "Your agent was forwarded to 127.0.0.1 (-A)" "$T/ex1" && grep -q "ProxyJump" "$T/ex1"
res "kssh -A --explain: what the forwarded agent exposes, and why -J is safer" || cat "$T/ex1" >&2
CLIENT_USER=$U client kssh "$P1" "--explain" true </dev/null 2>"$T/ex2"
grep -q "The session" "$T/ex2" && ! grep -q "Your agent was forwarded" "$T/ex2"; res "kssh --explain without -A: no agent note"
CLIENT_USER=$U client kssh "$P1" "-A -q" true </dev/null 2>"$T/e2"
! grep -q "agent forwarded" "$T/e2"; res "kssh -A -q: no warning"
out=$(CLIENT_USER=$U client kssh "$P1" "" 'echo "[$SSH_AUTH_SOCK]"' </dev/null 2>&1)
[ "$out" = "[]" ]; res "without -A no agent on the far side" || echo "$out" >&2
out=$(CLIENT_USER=$U client kssh "$P1" "-a -o ForwardAgent=yes" 'echo "[$SSH_AUTH_SOCK]"' </dev/null 2>&1)
[ "$out" = "[]" ]; res "kssh -a wins over ForwardAgent yes" || echo "$out" >&2
out=$(SSH_AUTH_SOCK="" CLIENT_USER=$U client kssh "$P1" "-o ForwardAgent=$T/agent.sock -o IdentityAgent=$T/agent.sock" \
	'ssh-add -l' </dev/null 2>&1)
echo "$out" | grep -q "$fp"; res "ForwardAgent with a socket path forwards that agent" || echo "$out" >&2
out=$(CLIENT_USER=$U client kssh "$P1" "-o ForwardAgent=$T/no-such.sock" 'echo "[$SSH_AUTH_SOCK]"' </dev/null 2>&1)
echo "$out" | grep -qx '\[\]' && echo "$out" | grep -q "Cannot forward agent socket path \"$T/no-such.sock\": No such file"
res "ForwardAgent naming a missing socket: OpenSSH's error, no forwarding" || echo "$out" >&2

# --- a further hop with the forwarded agent: ksshd -> OpenSSH's sshd
if [ -n "$SP" ]; then
	out=$(CLIENT_USER=$U client kssh "$P1" "-A" "$SSH $far -p $SP -l $U 127.0.0.1 echo second-hop" </dev/null 2>"$T/e3")
	[ "$out" = second-hop ]; res "kssh -A -> ksshd -> sshd: the hop signs with the forwarded agent" || cat "$T/e3" >&2
	# and the other order: kssh -A -> OpenSSH's sshd, then kssh from there -> ksshd
	out=$(CLIENT_USER=$U client kssh "$SP" "-A" "$KSSH $far -p $P2 -l $U 127.0.0.1 echo via-sshd" </dev/null 2>"$T/e3b")
	[ "$out" = via-sshd ]; res "kssh -A -> sshd -> kssh -> ksshd: the hop signs with the forwarded agent" || cat "$T/e3b" >&2
else
	skip "ksshd -> sshd hop (no sshd)"
fi
# --- OpenSSH's ssh -A -> ksshd, then kssh from there -> another ksshd
out=$(CLIENT_USER=$U client ssh "$P1" "-A" "$KSSH $far -p $P2 -l $U 127.0.0.1 'echo third; ssh-add -l'" </dev/null 2>"$T/e4")
echo "$out" | grep -qx third && ! echo "$out" | grep -q "$fp"
res "ssh -A -> ksshd -> kssh -> ksshd (forwarded agent signs; not forwarded further)" || { echo "$out" >&2; cat "$T/e4" >&2; }
out=$(CLIENT_USER=$U client ssh "$P1" "-A" "$KSSH $far -A -p $P2 -l $U 127.0.0.1 'ssh-add -l'" </dev/null 2>"$T/e4")
echo "$out" | grep -q "$fp"; res "ssh -A -> ksshd -> kssh -A -> ksshd: ssh-add -l two hops away" || cat "$T/e4" >&2

# --- AllowAgentForwarding no: nothing on the far side, the refusal logged
out=$(CLIENT_USER=$U client kssh "$P3" "-A" 'echo "[$SSH_AUTH_SOCK]"' </dev/null 2>"$T/e5")
[ "$out" = "[]" ] && grep -q "agent forwarding request refused" "$LOG3"
res "AllowAgentForwarding no: no SSH_AUTH_SOCK" || { echo "$out" >&2; cat "$T/e5" >&2; }

# --- the key's options: no-agent-forwarding and restrict refuse, restrict,agent-forwarding allows
for opts in no-agent-forwarding restrict restrict,agent-forwarding; do
	printf '%s ' "$opts" >"$T/ak_$opts"; cat "$T/user_ed25519.pub" >>"$T/ak_$opts"; chmod 644 "$T/ak_$opts"
	write_server_config "$T/ak_$opts.conf" "$T/host_ed25519"
	sed -i "s|^AuthorizedKeysFile .*|AuthorizedKeysFile $T/ak_$opts|" "$T/ak_$opts.conf"
	start_server ksshd "ak_$opts" || { fail "start ksshd ($opts)"; continue; }
	out=$(CLIENT_USER=$U client kssh "$SRV_PORT" "-A" 'echo "[$SSH_AUTH_SOCK]"' </dev/null 2>&1)
	case $opts in *,agent-forwarding) case $out in "[/tmp/ssh-"*) true ;; *) false ;; esac ;; *) [ "$out" = "[]" ] ;; esac
	res "authorized_keys $opts" || echo "$out" >&2
done

# --- ~/.ssh/rc as sshd runs it (a test account's home only)
if [ -n "$UHOME" ] && [ "$U" != "$TUSER" ]; then
	mkdir -p "$UHOME/.ssh"
	printf 'echo "rc ran $SSH_AUTH_SOCK $(pwd)" >%s/rc-marker\n' "$T/w" >"$UHOME/.ssh/rc"
	out=$(CLIENT_USER=$U client kssh "$P1" "-A" 'echo cmd; cat '"$T/w/rc-marker" </dev/null 2>&1)
	echo "$out" | grep -q "^rc ran /tmp/ssh-.*/agent\.[0-9]* $UHOME\$" && echo "$out" | grep -qx cmd
	res "the user's .ssh/rc runs before the command, in the home directory, with SSH_AUTH_SOCK" || echo "$out" >&2
	rm -f "$T/w/rc-marker"
	CLIENT_USER=$U client kssh "$P3" "" true </dev/null >/dev/null 2>&1
	[ ! -e "$T/w/rc-marker" ]; res "PermitUserRC no: ~/.ssh/rc not run"
	rm -f "$UHOME/.ssh/rc"
else
	skip ".ssh/rc (needs the test account)"
fi

# --- session-bind: keys bound to a destination (ssh-add -h) sign only for
# connections kssh bound to that host key
{ printf 'kagi-dest '; cut -d' ' -f1,2 "$T/host_ed25519.pub"; printf 'kagi-next '; cut -d' ' -f1,2 "$T/host2_ed25519.pub"; } >"$T/dest_kh"
ssh-agent -a "$T/agent2.sock" -D >/dev/null 2>&1 &
echo $! >>"$T/pids"
i=0; while [ ! -S "$T/agent2.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if SSH_AUTH_SOCK=$T/agent2.sock ssh-add -H "$T/dest_kh" -h kagi-dest -h "kagi-dest>kagi-next" "$T/user_ed25519" >/dev/null 2>&1; then
	# The agent refuses this key on a connection nobody bound (ssh-add -T):
	# kssh logging in with it shows the binding.
	! SSH_AUTH_SOCK=$T/agent2.sock ssh-add -T "$T/user_ed25519.pub" >/dev/null 2>&1
	res "session-bind: the agent refuses the constrained key on an unbound connection"
	mv "$T/user_ed25519" "$T/user_key.hidden"  # only the agent can sign (user_ed25519.pub names the key)
	out=$(SSH_AUTH_SOCK=$T/agent2.sock CLIENT_USER=$U client kssh "$P1" "-i $T/user_ed25519.pub" 'echo bound' </dev/null 2>"$T/e6")
	[ "$out" = bound ]; res "session-bind: a destination-constrained key logs in with kssh (-i naming the .pub)" || cat "$T/e6" >&2
	if [ -n "$SP" ]; then
		out=$(SSH_AUTH_SOCK=$T/agent2.sock CLIENT_USER=$U client kssh "$P1" "-A" \
			"$SSH $far -p $SP -l $U 127.0.0.1 echo bound-hop" </dev/null 2>"$T/e7")
		[ "$out" = bound-hop ]; res "session-bind for forwarding: the constrained key signs for the allowed hop" || cat "$T/e7" >&2
		# Allowed to kagi-dest only: the hop from there is refused.
		SSH_AUTH_SOCK=$T/agent2.sock ssh-add -D >/dev/null 2>&1
		mv "$T/user_key.hidden" "$T/user_ed25519"
		SSH_AUTH_SOCK=$T/agent2.sock ssh-add -H "$T/dest_kh" -h kagi-dest "$T/user_ed25519" >/dev/null 2>&1
		mv "$T/user_ed25519" "$T/user_key.hidden"
		out=$(SSH_AUTH_SOCK=$T/agent2.sock CLIENT_USER=$U client kssh "$P1" "-A" \
			"$SSH $far -p $SP -l $U 127.0.0.1 echo bound-hop; echo first-hop" </dev/null 2>"$T/e7")
		[ "$out" = first-hop ]; res "session-bind for forwarding: a hop the constraint does not allow is refused" || cat "$T/e7" >&2
	fi
	mv "$T/user_key.hidden" "$T/user_ed25519"
else
	skip "session-bind (ssh-add -h not supported here)"
fi
# --- AddKeysToAgent: a passphrase key, decrypted once, is left in the agent
if command -v sshpass >/dev/null 2>&1; then
	"$SSH_KEYGEN" -q -t ed25519 -N kagi-pass -C kagi-pp -f "$T/pp_key" </dev/null && cat "$T/pp_key.pub" >>"$T/authorized_keys"
	ssh-agent -a "$T/agent3.sock" -D >/dev/null 2>&1 &
	echo $! >>"$T/pids"
	i=0; while [ ! -S "$T/agent3.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	SSH_AUTH_SOCK=$T/agent3.sock ssh-add -l >"$T/l0" 2>&1
	out=$(SSH_AUTH_SOCK=$T/agent3.sock CLIENT_WRAP="sshpass -P passphrase -p kagi-pass" CLIENT_USER=$U \
		client kssh "$P1" "-o BatchMode=no -o AddKeysToAgent=yes -i $T/pp_key" 'echo in' </dev/null 2>"$T/e8")
	[ "$out" = in ] && SSH_AUTH_SOCK=$T/agent3.sock ssh-add -l | grep -q "kagi-pp (ED25519)" && ! grep -q kagi-pp "$T/l0"
	res "AddKeysToAgent yes: the passphrase key is in the agent after login" || { echo "$out" >&2; cat "$T/e8" >&2; }
	# From now on the agent signs: no passphrase is asked (batch mode).
	out=$(SSH_AUTH_SOCK=$T/agent3.sock CLIENT_USER=$U client kssh "$P1" "-i $T/pp_key" 'echo again' </dev/null 2>&1)
	[ "$out" = again ]; res "AddKeysToAgent: the next login needs no passphrase" || echo "$out" >&2
	# confirm: the agent asks (its SSH_ASKPASS) before each use.
	printf '#!/bin/sh\necho "$*" >>%s/askpass-ran\nexit 0\n' "$T" >"$T/askpass"; chmod 755 "$T/askpass"
	SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:9 ssh-agent -a "$T/agent5.sock" -D >/dev/null 2>&1 &
	echo $! >>"$T/pids"
	i=0; while [ ! -S "$T/agent5.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	SSH_AUTH_SOCK=$T/agent5.sock CLIENT_WRAP="sshpass -P passphrase -p kagi-pass" CLIENT_USER=$U \
		client kssh "$P1" "-o BatchMode=no -o AddKeysToAgent=confirm -i $T/pp_key" true </dev/null >/dev/null 2>&1
	[ ! -e "$T/askpass-ran" ] && out=$(SSH_AUTH_SOCK=$T/agent5.sock CLIENT_USER=$U client kssh "$P1" "-i $T/pp_key" 'echo ok' </dev/null 2>&1) &&
		[ "$out" = ok ] && grep -q "Allow use of key" "$T/askpass-ran"
	res "AddKeysToAgent confirm: the agent asks before the key is used" || { echo "$out" >&2; cat "$T/askpass-ran" >&2; }
	# ask: kssh asks on the terminal before adding.
	if command -v tmux >/dev/null 2>&1; then
		ssh-agent -a "$T/agent4.sock" -D >/dev/null 2>&1 &
		echo $! >>"$T/pids"
		i=0; while [ ! -S "$T/agent4.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		TM="tmux -L kagi-af-$$"
		printf '%s\n' "SSH_AUTH_SOCK=$T/agent4.sock $KSSH -F /dev/null -p $P1 -l $U -i $T/pp_key -o AddKeysToAgent=ask \
-o UserKnownHostsFile=$T/known_hosts -o StrictHostKeyChecking=no -o IdentitiesOnly=yes 127.0.0.1 echo done-\$((6*7)); sleep 5" >"$T/ask.sh"
		$TM new-session -d -s ka -x 150 -y 30 "env -i PATH=$PATH HOME=$T TERM=xterm sh $T/ask.sh"
		scr() { _i=0; while [ $_i -lt 100 ]; do $TM capture-pane -p -t ka >"$T/screen" 2>/dev/null
			grep -q "$1" "$T/screen" && return 0; sleep 0.1; _i=$((_i + 1)); done; cat "$T/screen" >&2; return 1; }
		scr "Enter passphrase for key" && $TM send-keys -t ka kagi-pass Enter &&
			scr "Add key $T/pp_key (kagi-pp) to agent?" && $TM send-keys -t ka yes Enter && scr "done-42" &&
			SSH_AUTH_SOCK=$T/agent4.sock ssh-add -l | grep -q kagi-pp
		res "AddKeysToAgent ask: asked on the terminal, added after yes"
		$TM kill-server 2>/dev/null
	fi
	out=$(CLIENT_USER=$U client kssh "$P1" "-o AddKeysToAgent=sometimes" true </dev/null 2>&1); rc=$?
	[ $rc -eq 255 ] && echo "$out" | grep -q 'AddKeysToAgent: unsupported option "sometimes"'
	res "AddKeysToAgent with a bad value: an error" || echo "$out" >&2
else
	skip "AddKeysToAgent (no sshpass)"
fi
finish
