# Driving kssh on a real terminal: a private tmux server per test script,
# a pane named kt of 120x30, and waiting until the screen shows a line.
# Source after lib.sh:  tm_init NAME   (sets TM; run tm_stop before finish).
#   TM_SCROLLBACK=N  wait_screen also searches the last N lines of history.

tm_init() {
	TM="tmux -L kagi-$1-$$"
}

tm_stop() { $TM kill-server 2>/dev/null; }

# tm_start SCRIPT : a new session running "sh SCRIPT" in pane kt, in a
# clean environment (PATH, HOME=$T, TERM=xterm).
tm_start() {
	$TM new-session -d -s kt -x 120 -y 30 "env -i PATH=$PATH HOME=$T TERM=xterm sh $1"
}

# wait_screen PATTERN [SECONDS] : the pane shows a line matching PATTERN
# (grep -E); the screen is left in $T/screen.
wait_screen() {
	_i=0; _max=$(( ${2:-10} * 10 ))
	while [ $_i -lt $_max ]; do
		$TM capture-pane -p ${TM_SCROLLBACK:+-S -$TM_SCROLLBACK} -t kt >"$T/screen" 2>/dev/null
		grep -Eq "$1" "$T/screen" && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	note "screen did not show '$1':"; sed 's/^/#   /' "$T/screen" >&2
	return 1
}

# tm_login BIN PORT "OPTS" : a local sh on the terminal (prompt "local$ "),
# and in it BIN -t logged in to 127.0.0.1:PORT as $TUSER with the test key
# and OPTS, running an interactive remote sh (prompt "rem$ ").  Returns 1
# (the server stopped) when either prompt does not show.
tm_login() {
	cat >"$T/run.sh" <<EOS
PS1='local\$ '; export PS1
exec sh -i
EOS
	tm_stop
	tm_start "$T/run.sh" || { note "tmux did not start"; return 1; }
	wait_screen '^local\$' || { tm_stop; return 1; }
	$TM send-keys -t kt "$1 -t -F /dev/null -p $2 -l $TUSER -i $T/user_ed25519 -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes $3 127.0.0.1 \"env PS1='rem\\$ ' sh -i\"" Enter
	wait_screen '^rem\$' 20 || { tm_stop; return 1; }
}
