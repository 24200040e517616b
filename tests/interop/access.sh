#!/bin/sh
# Who gets in and what a session inherits, for ksshd (and, as a check of
# the harness, Debian's sshd with the same settings): AllowUsers /
# DenyUsers with user@host entries (addresses, CIDR blocks, patterns,
# negation), AllowGroups / DenyGroups, a refused user looking like an
# invalid one, a malformed entry refused at load, the umask of a session
# when the server was started under umask 000, and ksftp-server's -P / -p
# request lists behind a Subsystem line.  192.0.2.x is a documentation
# address: it only appears in patterns, nothing connects to it.
# Usage: access.sh [ssh-ksshd] [ssh-sshd]
. "$(dirname "$0")/lib.sh"
PAIRS=${PAIRS:-ssh-ksshd ssh-sshd}
select_pairs "$@"

setup_keys || { fail "setup keys"; finish; }
TGROUP=$(id -gn)
NOSUCH=kagi-access-nosuch
KSFTP_SERVER=$(abs_prog "$KAGI_BIN/ksftp-server")

# login KIND NAME [CONFIG-LINE...] : start a server with the extra lines and
# try a key login as $TUSER; "in" or "out" in $got, client stderr in $T/e.
login() {
	_k=$1; _n=$2; shift 2
	write_server_config "$T/$_n.conf" "$T/host_ed25519"
	for _line in "$@"; do echo "$_line" >>"$T/$_n.conf"; done
	got=nostart
	start_server "$_k" "$_n" || return 1
	out=$(client ssh "$SRV_PORT" "" 'echo in' </dev/null 2>"$T/e")
	if [ "$out" = in ]; then got=in; else got=out; fi
	return 0
}

for pair in $PAIRS; do
	s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" ssh "$s" || continue
	n=0
	# --- refused
	for line in "AllowGroups kagi-nosuchgroup" "DenyGroups $TGROUP" "DenyGroups kagi-x $TGROUP" \
		"DenyUsers $TUSER@127.0.0.1" "DenyUsers $TUSER@127.0.0.0/8" "DenyUsers *@127.0.0.*" \
		"AllowUsers $TUSER@192.0.2.1" "AllowUsers $TUSER@!127.0.0.1,127.0.0.0/8" \
		"AllowUsers kagi-other $TUSER@192.0.2.0/24"; do
		n=$((n + 1))
		login "$s" "deny$n" "$line"
		[ "$got" = out ]; res "$l '$line' refuses" || { note "got $got"; tail -5 "$SRV_LOG" >&2; }
		if [ "$s" = ksshd ] && [ "$got" = out ]; then
			grep -q "User $TUSER from 127.0.0.1 not allowed because" "$SRV_LOG"; res "$l '$line' logged"
			# The client cannot tell a refused user from one that does not exist.
			sed "s/^$TUSER@/U@/" "$T/e" >"$T/e.denied"
			CLIENT_USER=$NOSUCH client ssh "$SRV_PORT" "" 'echo in' </dev/null 2>"$T/e" >/dev/null
			sed "s/^$NOSUCH@/U@/" "$T/e" >"$T/e.invalid"
			cmp -s "$T/e.denied" "$T/e.invalid" && grep -q "Permission denied" "$T/e.denied"
			res "$l '$line' looks like an invalid user" || diff "$T/e.denied" "$T/e.invalid" >&2
		fi
		kill -TERM "$SRV_PID" 2>/dev/null
	done
	# --- allowed
	for line in "AllowUsers $TUSER@127.0.0.1" "AllowUsers $TUSER@127.0.0.0/8" "AllowGroups $TGROUP" \
		"AllowGroups kagi-x $TGROUP" "DenyUsers $TUSER@127.0.0.0/8,!127.0.0.1" "DenyUsers $TUSER@192.0.2.0/24" \
		"DenyGroups kagi-nosuchgroup" "AllowUsers kagi-other@127.0.0.1 $TUSER@127.0.0.?"; do
		n=$((n + 1))
		login "$s" "allow$n" "$line"
		[ "$got" = in ]; res "$l '$line' lets in" || { note "got $got"; cat "$T/e" >&2; tail -5 "$SRV_LOG" >&2; }
		kill -TERM "$SRV_PID" 2>/dev/null
	done

	# --- a malformed entry stops the server at load
	if [ "$s" = ksshd ]; then
		for line in "DenyUsers $TUSER@127.0.0.1/33" "DenyUsers $TUSER@" "AllowUsers @127.0.0.1"; do
			write_server_config "$T/bad.conf" "$T/host_ed25519"
			echo "$line" >>"$T/bad.conf"
			"$KSSHD" -t -f "$T/bad.conf" >"$T/bad.out" 2>&1; rc=$?
			[ $rc -ne 0 ] && grep -q "invalid pattern" "$T/bad.out"; res "$l '$line' refused at load" \
				|| cat "$T/bad.out" >&2
		done
	fi

	# --- umask: the server's own (000 here) does not reach sessions
	if [ "$s" = ksshd ]; then
		write_server_config "$T/umask.conf" "$T/host_ed25519"
		old=$(umask); umask 000
		start_server "$s" umask; st=$?
		umask "$old"
		if [ $st -eq 0 ]; then
			out=$(client ssh "$SRV_PORT" "" umask </dev/null 2>"$T/e")
			[ "$out" = 0022 ]; res "$l umask 022 in a session of a server started under umask 000" \
				|| note "umask: '$out'"
			kill -TERM "$SRV_PID" 2>/dev/null
		else
			fail "$l umask server start"
		fi
	fi

	# --- ksftp-server -P / -p behind a Subsystem line
	if [ -x "$KSFTP_SERVER" ]; then
		mkdir -p "$T/files"
		for spec in "-P remove:deny" "-p open,close,read,write,stat,lstat,fstat,realpath,opendir,readdir,setstat,fsetstat:allow"; do
			flags=${spec%:*}; what=${spec##*:}
			write_server_config "$T/sftp-$what.conf" "$T/host_ed25519"
			echo "Subsystem sftp $KSFTP_SERVER $flags" >>"$T/sftp-$what.conf"
			start_server "$s" "sftp-$what" || { fail "$l sftp $what server start"; continue; }
			echo data >"$T/files/keep-$what"
			rm -f "$T/files/new-$what"
			printf 'put %s %s\n' "$T/files/keep-$what" "$T/files/new-$what" >"$T/put.batch"
			printf 'rm %s\n' "$T/files/keep-$what" >"$T/rm.batch"
			sopts="-F /dev/null -P $SRV_PORT -i $T/user_ed25519 -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR"
			# shellcheck disable=SC2086
			timeout -k 5 "$CLIENT_TIMEOUT" sftp $sopts -b "$T/put.batch" "$TUSER@127.0.0.1" >"$T/sftp.out" 2>&1
			[ $? -eq 0 ] && [ -f "$T/files/new-$what" ]; res "$l ksftp-server $flags: put works" || cat "$T/sftp.out" >&2
			# shellcheck disable=SC2086
			timeout -k 5 "$CLIENT_TIMEOUT" sftp $sopts -b "$T/rm.batch" "$TUSER@127.0.0.1" >"$T/sftp.out" 2>&1; rc=$?
			[ $rc -ne 0 ] && [ -f "$T/files/keep-$what" ] && grep -qi "permission denied" "$T/sftp.out"
			res "$l ksftp-server $flags: rm refused" || cat "$T/sftp.out" >&2
			kill -TERM "$SRV_PID" 2>/dev/null
		done
	fi
done
finish
