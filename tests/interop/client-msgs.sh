#!/bin/sh
# kssh's messages as OpenSSH users expect them, against ksshd and sshd:
# UserKnownHostsFile=/dev/null is quiet at LogLevel ERROR (as ssh is),
# "Permission denied (...)" names the server's methods, errors start with
# "kssh:", flags kssh does not do are refused (exit 255) and config
# keywords it does not do are warned about once while the command runs.
. "$(dirname "$0")/lib.sh"

setup_keys || { fail "setup keys"; finish; }
gen_key "$T/other_ed25519" ed25519 || { fail "keys"; finish; }  # not authorized
have_prog "kssh, ksshd and sshd" kssh ksshd ssh sshd || finish

# Servers that take public keys only.
for s in ksshd sshd; do
	write_server_config "$T/$s.conf" "$T/host_ed25519"
	sed -i 's/^PasswordAuthentication yes/PasswordAuthentication no/' "$T/$s.conf"
	start_server "$s" "$s" || { fail "$s server start"; finish; }
	eval "PORT_$s=\$SRV_PORT"
done

# raw KIND PORT ARGS... : the client with nothing but the given options.
raw() {
	_bin=$(prog_of "$1"); _port=$2; shift 2
	timeout -k 5 "$CLIENT_TIMEOUT" "$_bin" -p "$_port" -l "$TUSER" -i "$T/user_ed25519" \
		-o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o BatchMode=yes \
		-o ConnectTimeout=10 "$@"
}

for s in ksshd sshd; do
	eval "port=\$PORT_$s"

	# --- UserKnownHostsFile=/dev/null
	for c in ssh kssh; do
		out=$(raw "$c" "$port" -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
			-o LogLevel=ERROR 127.0.0.1 echo kh-ok </dev/null 2>"$T/e.$c"); rc=$?
		[ $rc -eq 0 ] && [ "$out" = kh-ok ] && [ ! -s "$T/e.$c" ]
		res "$c->$s UserKnownHostsFile=/dev/null at LogLevel ERROR: nothing on stderr" || cat "$T/e.$c" >&2
		# (OpenSSH ends its lines with \r\n.)
		raw "$c" "$port" -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=accept-new \
			127.0.0.1 echo kh-ok </dev/null >"$T/o" 2>"$T/i0.$c"; rc=$?
		out=$(cat "$T/o"); tr -d '\r' <"$T/i0.$c" >"$T/i.$c"
		[ $rc -eq 0 ] && [ "$out" = kh-ok ]; res "$c->$s UserKnownHostsFile=/dev/null accept-new at INFO"
	done
	want="Warning: Permanently added '[127.0.0.1]:$port' (ED25519) to the list of known hosts."
	[ "$(cat "$T/i.kssh")" = "$want" ] && [ "$(cat "$T/i.ssh")" = "$want" ]
	res "kssh->$s at INFO says what ssh says: Permanently added" || cat "$T/i.kssh" "$T/i.ssh" >&2

	# --- Permission denied names the server's methods (publickey only here)
	for c in ssh kssh; do
		client "$c" "$port" "-i $T/other_ed25519" echo no </dev/null >"$T/o" 2>"$T/p0.$c"; rc=$?
		out=$(cat "$T/o"); tr -d '\r' <"$T/p0.$c" >"$T/p.$c"
		[ $rc -eq 255 ] && [ -z "$out" ] && grep -qx "$TUSER@127.0.0.1: Permission denied (publickey)." "$T/p.$c"
		res "$c->$s Permission denied (publickey)." || cat "$T/p.$c" >&2
	done
done

port=$PORT_ksshd

# --- error messages name the program
dead=$(free_port)
raw kssh "$dead" -F /dev/null 127.0.0.1 true </dev/null 2>"$T/e"; rc=$?
[ $rc -eq 255 ] && grep -qx "kssh: connect to host 127.0.0.1 port $dead: Connection refused" "$T/e"
res "connect error starts with kssh:" || cat "$T/e" >&2
raw kssh "$dead" -F /dev/null -J '-bad' 127.0.0.1 true </dev/null 2>"$T/e"; rc=$?
[ $rc -eq 255 ] && grep -q "^kssh: bad jump host specification '-bad'" "$T/e" && ! grep -q "^ssh:" "$T/e"
res "bad jump host error starts with kssh:" || cat "$T/e" >&2

# --- flags kssh does not do: refused before connecting
while IFS='|' read -r flags msg; do
	# shellcheck disable=SC2086  # flags is word-split on purpose
	out=$(raw kssh "$port" -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
		-o LogLevel=ERROR $flags 127.0.0.1 echo ran </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ] && [ "$(cat "$T/e")" = "kssh: $msg is not supported yet" ]
	res "kssh $flags refused" || { echo "rc=$rc out=$out" >&2; cat "$T/e" >&2; }
done <<'EOF'
-X|-X (X11 forwarding)
-Y|-Y (X11 forwarding)
-w 0|-w (tunnel forwarding)
EOF

# ...and the "off" flags, which ask for what kssh does anyway, still work.
for flags in -a -x -k -T "-e none" "-e ~" "-e ^]" -2; do
	# shellcheck disable=SC2086
	out=$(raw kssh "$port" -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
		-o LogLevel=ERROR $flags 127.0.0.1 echo ran </dev/null 2>"$T/e"); rc=$?
	[ $rc -eq 0 ] && [ "$out" = ran ] && [ ! -s "$T/e" ]; res "kssh $flags accepted"
done

# --- config keywords kssh does not do: one warning each, the command runs
cat >"$T/client.conf" <<EOF
Host 127.0.0.1
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  LogLevel ERROR
  ForwardAgent yes
  ForwardX11 yes
EOF
out=$(raw kssh "$port" -F "$T/client.conf" 127.0.0.1 echo ran </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = ran ]; res "kssh with unsupported keywords still runs the command"
for kw in ForwardX11; do
	line=$(grep -n "^ *$kw " "$T/client.conf" | head -n1 | cut -d: -f1)
	[ "$(grep -c " $kw is not supported yet, ignored\$" "$T/e")" -eq 1 ] &&
		grep -qx "kssh: $T/client.conf line $line: $kw is not supported yet, ignored" "$T/e"
	res "kssh warns once: $kw" || cat "$T/e" >&2
done
[ "$(wc -l <"$T/e")" -eq 1 ]; res "kssh prints exactly one line per unsupported keyword" || cat "$T/e" >&2

# On the command line: the same, once; "off" values are quiet; -q silences.
out=$(raw kssh "$port" -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
	-o LogLevel=ERROR -o ForwardX11=yes -o ForwardX11=yes -o ControlMaster=no \
	127.0.0.1 echo ran </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = ran ] &&
	[ "$(cat "$T/e")" = "kssh: command line: ForwardX11 is not supported yet, ignored" ]
res "kssh -o ForwardX11=yes warns once, ControlMaster=no is quiet" || cat "$T/e" >&2
out=$(raw kssh "$port" -q -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no \
	-o ForwardX11=yes 127.0.0.1 echo ran </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 0 ] && [ "$out" = ran ] && [ ! -s "$T/e" ]; res "kssh -q hides the warning"

# ksftp shares the client configuration and its messages, with its own name.
KSFTP=${KSFTP:-$(dirname "$KSSH")/ksftp}
echo pwd >"$T/batch"
timeout -k 5 "$CLIENT_TIMEOUT" "$KSFTP" -F /dev/null -P "$port" -i "$T/user_ed25519" -o UserKnownHostsFile=/dev/null \
	-o StrictHostKeyChecking=no -o LogLevel=ERROR -o ForwardX11=yes -b "$T/batch" "$TUSER@127.0.0.1" \
	</dev/null >"$T/o" 2>"$T/e"; rc=$?
[ $rc -eq 0 ] && grep -q "^Remote working directory" "$T/o" &&
	[ "$(cat "$T/e")" = "ksftp: command line: ForwardX11 is not supported yet, ignored" ]
res "ksftp -o ForwardX11=yes warns once as ksftp:" || cat "$T/o" "$T/e" >&2
timeout -k 5 "$CLIENT_TIMEOUT" "$KSFTP" -F /dev/null -P "$dead" -o BatchMode=yes -b "$T/batch" 127.0.0.1 \
	</dev/null >/dev/null 2>"$T/e"
grep -qx "ksftp: connect to host 127.0.0.1 port $dead: Connection refused" "$T/e"
res "ksftp connect error starts with ksftp:" || cat "$T/e" >&2

# ProxyCommand would connect some other way than asked: refused.
out=$(raw kssh "$port" -F /dev/null -o "ProxyCommand=nc %h %p" 127.0.0.1 echo ran </dev/null 2>"$T/e"); rc=$?
[ $rc -eq 255 ] && [ -z "$out" ] && [ "$(cat "$T/e")" = "kssh: command line: ProxyCommand is not supported yet" ]
res "kssh -o ProxyCommand refused" || cat "$T/e" >&2

finish
