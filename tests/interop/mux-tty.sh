#!/bin/sh
# A shared session on a real terminal (tmux): kssh as mux client with a
# pty through a kssh master (-M -N): typing reaches the remote shell, a
# window resize reaches the remote pty (SIGWINCH relayed to the master),
# ~? is answered by the master, ~. ends the shared session with exit 255
# and "Shared connection to HOST closed.", and the master goes on.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { fail "tmux not installed"; finish; }
have_prog mux-tty kssh ksshd || finish
setup_keys || { fail "setup keys"; finish; }
start_server ksshd kd || { fail "ksshd starts"; finish; }
P=$SRV_PORT
CM=$T/cm
TM="tmux -L kagi-muxtty-$$"
tm_stop() { $TM kill-server 2>/dev/null; }
trap 'tm_stop; cleanup' EXIT

wait_screen() {
	_i=0; _max=$(( ${2:-10} * 10 ))
	while [ $_i -lt $_max ]; do
		$TM capture-pane -p -S -300 -t kt >"$T/screen" 2>/dev/null
		grep -Eq "$1" "$T/screen" && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	note "screen did not show '$1':"; sed 's/^/#   /' "$T/screen" >&2
	return 1
}

client kssh "$P" "-M -S $CM -N" </dev/null >/dev/null 2>"$T/master.err" &
_i=0; while [ $_i -lt 100 ] && [ ! -S "$CM" ]; do sleep 0.1; _i=$((_i + 1)); done
[ -S "$CM" ]; res "master up" || { cat "$T/master.err" >&2; finish; }

cat >"$T/run.sh" <<EOS
PS1='local\$ '; export PS1
exec sh -i
EOS
$TM new-session -d -s kt -x 120 -y 30 "env -i PATH=$PATH HOME=$T TERM=xterm sh $T/run.sh" || { fail "tmux start"; finish; }
wait_screen '^local\$' || { fail "local shell"; finish; }
$TM send-keys -t kt "$KSSH -t -F /dev/null -p $P -i $T/no-such-key -o BatchMode=yes -o LogLevel=INFO -S $CM 127.0.0.1 \"env PS1='rem\\$ ' sh -i\"; echo rc=\$?" Enter
wait_screen '^rem\$' 20; res "a remote shell through the master, on a pty" || finish

$TM send-keys -t kt 'echo typed-$((6*7))' Enter
wait_screen '^typed-42' 5; res "typing reaches the shared session"

$TM send-keys -t kt 'stty size' Enter
wait_screen '^30 120' 5; res "the pty has the terminal's size"
$TM resize-window -t kt -x 100 -y 25 2>/dev/null || $TM resize-pane -t kt -x 100 -y 25
sleep 0.5
$TM send-keys -t kt 'clear; stty size' Enter
wait_screen '^25 100' 5; res "a window change reaches the remote pty (SIGWINCH through the master)"

$TM send-keys -t kt Enter '~?'
wait_screen 'escapes are only recognized immediately after newline' 5; res "~? answered in a shared session"

$TM send-keys -t kt Enter '~.'
wait_screen '^rc=255' 5 && grep -q 'Shared connection to 127.0.0.1 closed.' "$T/screen"
res "~. ends the shared session: exit 255, 'Shared connection to ... closed.'"

out=$(client kssh "$P" "-S $CM" 'echo still' </dev/null 2>&1)
[ "$out" = still ]; res "the master goes on after ~."
client kssh "$P" "-S $CM -O exit" >/dev/null 2>&1
finish
