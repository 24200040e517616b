#!/bin/sh
# Forwarding from the ~C command line on a live connection, on a real
# terminal (tmux): -L and -D added ("Forwarding port.") and working (curl
# from outside), -KL/-KD cancelling them ("Canceled forwarding.", the port
# closed), an unknown one ("Unknown port forwarding."), a malformed one
# ("Bad local forwarding specification."), a port already taken (the bind error
# and "Port forwarding failed."), -R forwarding back and -KR cancelling it.  OpenSSH's ssh is driven the
# same way, so the answers are checked to be ssh's.
# Usage: forward-escape.sh [kssh-ksshd] [ssh-ksshd]
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tmux-lib.sh"
select_pairs "${@:-kssh-ksshd ssh-ksshd}"
command -v tmux >/dev/null || { fail "tmux not installed"; finish; }
command -v curl >/dev/null 2>&1 || { skip "curl not installed"; finish; }

setup_keys || { fail "setup keys"; finish; }
tm_init fwdesc
# shellcheck disable=SC2034  # read by tmux-lib.sh's wait_screen
TM_SCROLLBACK=300

mkdir -p "$T/www" && echo "page-$$-$(date +%s)" >"$T/www/f.txt"
hport=$(free_port)
(cd "$T/www" && exec setsid "$PY" -m http.server --bind 127.0.0.1 "$hport") </dev/null >/dev/null 2>&1 &
echo $! >>"$T/pids"
want=$(cat "$T/www/f.txt")

# count PATTERN : lines of the screen matching.
count() { $TM capture-pane -p -S -300 -t kt | grep -Ec "$1"; }
wait_for() {
	_i=0
	while [ $_i -lt 100 ]; do "$@" && return 0; sleep 0.1; _i=$((_i + 1)); done
	return 1
}
not_listening() { ! listening "$1"; }
fetch() { [ "$(timeout 10 curl -sf "$@")" = "$want" ]; }
# cmd LINE PATTERN : type ~C LINE and wait for one more line matching PATTERN.
cmd() {
	_n=$(count "$2")
	$TM send-keys -t kt Enter
	sleep 0.3
	$TM send-keys -t kt '~C'
	wait_screen '^ssh> *$' 5 || return 1
	$TM send-keys -t kt -- "$1" Enter
	_i=0
	while [ $_i -lt 50 ]; do
		[ "$(count "$2")" -gt "$_n" ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	note "no new '$2' after ~C $1:"; $TM capture-pane -p -S -300 -t kt | grep -v "^ *$" | tail -n 8 | sed 's/^/#   /' >&2
	return 1
}

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	if ! start_server "$s" "$s-$c"; then fail "$l server start"; continue; fi
	port=$SRV_PORT
	bin=$(prog_of "$c")
	tm_login "$bin" "$port" "-o LogLevel=INFO -o EnableEscapeCommandline=yes"; res "$l remote shell" || continue

	lp=$(free_port); dp=$(free_port)
	cmd "-L $lp:127.0.0.1:$hport" '^Forwarding port\.' && wait_for listening "$lp" &&
		fetch "http://127.0.0.1:$lp/f.txt"
	res "$l ~C -L: Forwarding port., and it forwards"
	cmd "-D 127.0.0.1:$dp" '^Forwarding port\.' && wait_for listening "$dp" &&
		fetch --socks5-hostname "127.0.0.1:$dp" "http://localhost:$hport/f.txt"
	res "$l ~C -D: a SOCKS proxy"
	cmd "-KL $lp" '^Canceled forwarding\.' && wait_for not_listening "$lp"
	res "$l ~C -KL cancels the local forwarding"
	cmd "-KL $lp" '^Unknown port forwarding\.'
	res "$l ~C -KL of a port not forwarded: Unknown port forwarding."
	cmd "-KD 127.0.0.1:$dp" '^Canceled forwarding\.' && wait_for not_listening "$dp"
	res "$l ~C -KD cancels the dynamic forwarding"
	cmd "-L nonsense" '^Bad local forwarding specification\.'
	res "$l ~C -L with a bad specification"
	cmd "-L 127.0.0.1:$hport:127.0.0.1:22" '^Port forwarding failed\.' &&
		$TM capture-pane -p -S -300 -t kt | grep -q "^bind \[127.0.0.1\]:$hport: Address already in use"
	res "$l ~C -L on a port taken: the bind error, Port forwarding failed."
	rp=$(free_port)
	cmd "-R $rp:127.0.0.1:$hport" '^Forwarding port\.' && wait_for listening "$rp" &&
		fetch "http://127.0.0.1:$rp/f.txt"
	res "$l ~C -R: the server listens and forwards back"
	cmd "-KR $rp" '^Canceled forwarding\.' && wait_for not_listening "$rp"
	res "$l ~C -KR cancels the remote forwarding"
	# The session is still there.
	# shellcheck disable=SC2016  # expanded by the remote shell
	$TM send-keys -t kt Enter 'echo still-$((6*7))' Enter
	wait_screen '(^|\$ )still-42$' 8; res "$l the session goes on after ~C"
	$TM send-keys -t kt Enter '~.'
	wait_screen '^local\$ *$' 8
	tm_stop
done
tm_stop
finish
