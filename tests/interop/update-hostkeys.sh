#!/bin/sh
# UpdateHostKeys and CheckHostIP on kssh, against OpenSSH's sshd (host keys
# ed25519 + ecdsa) and ksshd (ed25519 + rsa; both send hostkeys-00):
# with only the ed25519 key known, UpdateHostKeys=yes proves and learns the
# other key (the file then equals what OpenSSH's ssh makes of it, and a
# kssh asking for the other algorithm connects with strict checking); a
# key the server no longer has is removed; UpdateHostKeys=no, the default
# with UserKnownHostsFile given, accept-new on first contact and a
# wildcard line leave the file alone; UpdateHostKeys=ask with a command is
# off and, in an interactive session on a terminal (tmux), asks first (the
# answer echoed although the session's terminal is in raw mode); the
# new-host question equals ssh's;
# CheckHostIP=yes to a loopback address adds no address line (as ssh).
. "$(dirname "$0")/lib.sh"

have_prog kssh kssh || finish
setup_keys || { fail "setup keys"; finish; }
gen_key "$T/host_ecdsa" ecdsa || { fail "ecdsa host key"; finish; }
gen_key "$T/host_rsa" rsa 3072 || { fail "rsa host key"; finish; }
gen_key "$T/gone" ed25519 || { fail "stale key"; finish; }

line() { printf '[127.0.0.1]:%s %s\n' "$1" "$(cut -d' ' -f1-2 "$2")"; }

for s in sshd ksshd; do
	have_prog "$s" "$s" || continue
	if [ "$s" = ksshd ]; then second=rsa; alg=rsa-sha2-512; kind=RSA
	else second=ecdsa; alg=ecdsa-sha2-nistp256; kind=ECDSA; fi
	SERVER_HOSTKEYS="$T/host_ed25519 $T/host_$second" start_server "$s" "$s" || { fail "$s start"; continue; }
	port=$SRV_PORT
	ed=$(cut -d' ' -f2 "$T/host_ed25519.pub"); other=$(cut -d' ' -f2 "$T/host_$second.pub")
	fp=$(ssh-keygen -lf "$T/host_$second.pub" | cut -d' ' -f2)

	line "$port" "$T/host_ed25519.pub" >"$T/known_hosts"
	out=$(client kssh "$port" "-o UpdateHostKeys=yes -o LogLevel=VERBOSE" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && [ "$(wc -l <"$T/known_hosts")" -eq 2 ] && grep -q "$ed" "$T/known_hosts" &&
		grep -q "^\[127.0.0.1\]:$port $(cut -d' ' -f1 "$T/host_$second.pub") $other\$" "$T/known_hosts" &&
		grep -qx "Learned new hostkey: $kind $fp" "$T/e" &&
		grep -qx "Adding new key for \[127.0.0.1\]:$port to $T/known_hosts: $(cut -d' ' -f1 "$T/host_$second.pub") $fp" "$T/e"
	res "$s: UpdateHostKeys=yes proves and learns the $second key" || cat "$T/known_hosts" "$T/e" >&2
	cp "$T/known_hosts" "$T/kssh_kh"

	out=$(client kssh "$port" "-o HostKeyAlgorithms=$alg -o StrictHostKeyChecking=yes -o LogLevel=DEBUG" echo ok \
		</dev/null 2>"$T/e")
	[ "$out" = ok ] && grep -q "host key algorithm: $alg" "$T/e"
	res "$s: then HostKeyAlgorithms=$alg connects with strict checking" || cat "$T/e" >&2

	# OpenSSH's ssh on the same start makes the same file.
	line "$port" "$T/host_ed25519.pub" >"$T/known_hosts"
	client ssh "$port" "-o UpdateHostKeys=yes" echo ok </dev/null >/dev/null 2>"$T/e"
	sort "$T/known_hosts" >"$T/a"; sort "$T/kssh_kh" >"$T/b"
	cmp -s "$T/a" "$T/b"; res "$s: the file equals what ssh UpdateHostKeys=yes makes" || diff "$T/a" "$T/b" >&2

	# A key the server no longer has goes (the line names the host alone).
	{ line "$port" "$T/host_ed25519.pub"; line "$port" "$T/gone.pub"; } >"$T/known_hosts"
	out=$(client kssh "$port" "-o UpdateHostKeys=yes -o LogLevel=VERBOSE" echo ok </dev/null 2>"$T/e")
	gfp=$(ssh-keygen -lf "$T/gone.pub" | cut -d' ' -f2)
	[ "$out" = ok ] && ! grep -q "$(cut -d' ' -f2 "$T/gone.pub")" "$T/known_hosts" &&
		[ "$(wc -l <"$T/known_hosts")" -eq 2 ] && grep -qx "Deprecating obsolete hostkey: ED25519 $gfp" "$T/e" &&
		grep -qx "$T/known_hosts:2: Removed ED25519 key for host \[127.0.0.1\]:$port" "$T/e" &&
		[ "$(cat "$T/known_hosts.old" | wc -l)" -eq 2 ] && grep -q "$(cut -d' ' -f2 "$T/gone.pub")" "$T/known_hosts.old"
	res "$s: a key no longer offered is removed (the old file kept as known_hosts.old)" || cat "$T/known_hosts" "$T/e" >&2

	# Cases that leave the file alone.
	line "$port" "$T/host_ed25519.pub" >"$T/known_hosts"; cp "$T/known_hosts" "$T/before"
	out=$(client kssh "$port" "-o UpdateHostKeys=no" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && cmp -s "$T/known_hosts" "$T/before"; res "$s: UpdateHostKeys=no leaves known_hosts unchanged"
	out=$(client kssh "$port" "-o LogLevel=DEBUG" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && cmp -s "$T/known_hosts" "$T/before" && ! grep -q client_input_hostkeys "$T/e"
	res "$s: with UserKnownHostsFile given, the default is no" || cat "$T/e" >&2
	out=$(client kssh "$port" "-o UpdateHostKeys=ask -o LogLevel=DEBUG" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && cmp -s "$T/known_hosts" "$T/before" &&
		grep -qx "debug1: UpdateHostKeys=ask is incompatible with remote command execution; disabling" "$T/e"
	res "$s: UpdateHostKeys=ask with a remote command is off, as ssh" || cat "$T/e" >&2
	: >"$T/known_hosts"
	out=$(client kssh "$port" "-o UpdateHostKeys=yes -o StrictHostKeyChecking=accept-new -o LogLevel=DEBUG" echo ok \
		</dev/null 2>"$T/e")
	[ "$out" = ok ] && [ "$(wc -l <"$T/known_hosts")" -eq 1 ] &&
		grep -q "hostkey not known or explicitly trusted: disabling UpdateHostkeys" "$T/e"
	res "$s: a key accepted on first contact (accept-new) learns nothing more" || cat "$T/known_hosts" "$T/e" >&2
	printf '[127.0.0.*]:%s %s\n' "$port" "$(cut -d' ' -f1-2 "$T/host_ed25519.pub")" >"$T/known_hosts"
	cp "$T/known_hosts" "$T/before"
	out=$(client kssh "$port" "-o UpdateHostKeys=yes -o LogLevel=DEBUG" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && cmp -s "$T/known_hosts" "$T/before" && grep -q "wildcard host pattern found, skipping" "$T/e"
	res "$s: a wildcard line for the host leaves the file alone" || cat "$T/e" >&2

	# Only a port-less entry for the host: accepted as ssh accepts it, not
	# added, and not trusted for UpdateHostKeys.
	printf '127.0.0.1 %s\n' "$(cut -d' ' -f1-2 "$T/host_ed25519.pub")" >"$T/known_hosts"; cp "$T/known_hosts" "$T/before"
	out=$(client kssh "$port" "-o StrictHostKeyChecking=yes -o UpdateHostKeys=yes -o LogLevel=DEBUG" echo ok \
		</dev/null 2>"$T/e")
	[ "$out" = ok ] && cmp -s "$T/known_hosts" "$T/before" && grep -qx "debug1: found matching key w/out port" "$T/e" &&
		grep -q "hostkey not known or explicitly trusted: disabling UpdateHostkeys" "$T/e"
	res "$s: a key listed for the host without the port is accepted, as ssh" || cat "$T/e" >&2

	# CheckHostIP to a loopback address: no address entry, as ssh (it
	# checks addresses only for remote hosts); the keyword is not refused.
	line "$port" "$T/host_ed25519.pub" >"$T/known_hosts"; cp "$T/known_hosts" "$T/before"
	out=$(client kssh "$port" "-o CheckHostIP=yes -o LogLevel=INFO" echo ok </dev/null 2>"$T/e")
	[ "$out" = ok ] && cmp -s "$T/known_hosts" "$T/before" && [ ! -s "$T/e" ]
	res "$s: CheckHostIP=yes to 127.0.0.1 adds no address line and says nothing" || cat "$T/e" "$T/known_hosts" >&2

	# The new-host question reads as ssh's: the address with its port, and
	# the other names the key is known by.
	if [ "$s" = sshd ] && command -v tmux >/dev/null; then
		: >"$T/known_hosts"
		printf 'otherhost %s\n' "$(cut -d' ' -f1-2 "$T/host_ed25519.pub")" >"$T/known_hosts2"
		TM="tmux -L kagi-uhq-$$"
		for prog in "$SSH" "$KSSH"; do
			$TM kill-server 2>/dev/null
			$TM new-session -d -s kt -x 150 -y 20 "env -i PATH=$PATH HOME=$T TERM=xterm $prog -F /dev/null \
				-p $port -l $TUSER -i $T/user_ed25519 -o 'UserKnownHostsFile=$T/known_hosts $T/known_hosts2' \
				-o GlobalKnownHostsFile=/dev/null -o LogLevel=INFO 127.0.0.1 true; sleep 2" || break
			i=0
			while [ $i -lt 50 ]; do
				$TM capture-pane -p -t kt | grep -v '^$' >"$T/q.$(basename "$prog")"
				grep -q 'continue connecting' "$T/q.$(basename "$prog")" && break
				sleep 0.1; i=$((i + 1))
			done
			$TM send-keys -t kt no Enter
			sleep 0.3
			$TM kill-server 2>/dev/null
		done
		grep -q '~/known_hosts2:1: otherhost' "$T/q.ssh" && cmp -s "$T/q.ssh" "$T/q.kssh"
		res "$s: the new-host question equals ssh's (other names listed)" || diff "$T/q.ssh" "$T/q.kssh" >&2
	fi

	# UpdateHostKeys=ask in an interactive session on a terminal: the keys
	# are shown and the file changes only after "yes".
	command -v tmux >/dev/null || { skip "$s: UpdateHostKeys=ask (no tmux)"; continue; }
	for answer in no yes; do
		line "$port" "$T/host_ed25519.pub" >"$T/known_hosts"
		TM="tmux -L kagi-uhk-$$"
		$TM kill-server 2>/dev/null
		$TM new-session -d -s kt -x 150 -y 40 "env -i PATH=$PATH HOME=$T TERM=xterm $KSSH -F /dev/null -p $port \
			-l $TUSER -i $T/user_ed25519 -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null \
			-o UpdateHostKeys=ask -o LogLevel=INFO 127.0.0.1; sleep 3" || { fail "$s tmux"; continue; }
		i=0; shown=0
		while [ $i -lt 100 ]; do
			$TM capture-pane -p -t kt >"$T/screen" 2>/dev/null
			grep -q 'Accept updated hostkeys? (yes/no):' "$T/screen" && { shown=1; break; }
			sleep 0.1; i=$((i + 1))
		done
		$TM send-keys -t kt "$answer" Enter
		sleep 1
		$TM capture-pane -p -t kt >"$T/screen2" 2>/dev/null
		$TM send-keys -t kt "exit" Enter
		sleep 1
		$TM kill-server 2>/dev/null
		if [ "$answer" = yes ]; then want=2; else want=1; fi
		[ $shown -eq 1 ] && grep -qx "Learned new hostkey: $kind $fp" "$T/screen" &&
			grep -qx "The server has updated its host keys." "$T/screen" &&
			[ "$(wc -l <"$T/known_hosts")" -eq $want ] && grep -q "^Accept updated hostkeys? (yes/no): $answer\$" "$T/screen2"
		res "$s: UpdateHostKeys=ask on a terminal, answered $answer (echoed)" || { cat "$T/screen" "$T/known_hosts" >&2; }
	done
done
finish
