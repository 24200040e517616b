#!/bin/sh
# kssh's escape sequences on a real terminal (tmux): ~? prints the help,
# ~~ sends one ~, ~. not after a newline is text, ~R rekeys and the session
# goes on, ~^Z suspends and fg resumes, ~C shows the ssh> prompt, ~. ends
# the session with exit 255 and "Connection to HOST closed.".
# (~C needs EnableEscapeCommandline yes, as in OpenSSH; test_cli_escape
# checks the refusal without it.)
# Usage: escapes.sh [kssh-ksshd] [kssh-sshd]
. "$(dirname "$0")/lib.sh"
select_pairs "${@:-kssh-ksshd kssh-sshd}"
command -v tmux >/dev/null || { fail "tmux not installed"; finish; }

setup_keys || { fail "setup keys"; finish; }
. "$(dirname "$0")/tmux-lib.sh"
tm_init esc
TM_SCROLLBACK=300

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	if ! start_server "$s" "$s"; then fail "$l server start"; continue; fi
	port=$SRV_PORT
	bin=$(prog_of "$c")
	tm_login "$bin" "$port" "-o LogLevel=INFO -o EnableEscapeCommandline=yes"; res "$l remote shell" || continue

	$TM send-keys -t kt Enter '~?'
	wait_screen '^\(Note that escapes are only recognized immediately after newline.\)' 5 &&
		grep -q '^ ~R   - request rekey$' "$T/screen"; res "$l ~? prints the help"

	# ~~ sends one ~: the remote shell is asked to run "~zq".
	$TM send-keys -t kt Enter '~~' 'zq' Enter
	wait_screen '~zq: not found' 5 && ! grep -q '~~zq' "$T/screen"; res "$l ~~ sends a single ~"

	# ~. not after a newline is text for the remote.
	$TM send-keys -t kt 'echo a~.b' Enter
	wait_screen '^a~\.b$' 5; res "$l ~. in the middle of a line is sent as text"

	# ~R: raise the log level to see the key exchange (debug1, as ssh), rekey, go on.
	$TM send-keys -t kt Enter '~v'
	wait_screen 'LogLevel VERBOSE' 5
	$TM send-keys -t kt Enter '~v'
	wait_screen 'LogLevel DEBUG' 5
	n0=$(grep -c 'kex: algorithm:' "$T/screen")
	$TM send-keys -t kt '~R'
	sleep 1
	$TM send-keys -t kt Enter 'echo after-$((40+2))' Enter
	wait_screen '(^|\$ )after-42$' 8 && [ "$(grep -c 'kex: algorithm:' "$T/screen")" -gt "$n0" ]
	res "$l ~R rekeys and the session goes on"
	$TM send-keys -t kt Enter '~V'
	sleep 0.3
	$TM send-keys -t kt Enter '~V'
	wait_screen 'LogLevel INFO' 5; res "$l ~V lowers the log level"

	# ~^Z suspends kssh; fg brings the session back.
	$TM send-keys -t kt Enter '~' C-z
	wait_screen '\[suspend ssh\]' 5 && wait_screen '^local\$ *$' 5; res "$l ~^Z suspends"
	$TM send-keys -t kt 'fg' Enter
	sleep 1
	$TM send-keys -t kt Enter 'echo resumed-$((5*5))' Enter
	wait_screen '(^|\$ )resumed-25$' 8; res "$l fg resumes the session"

	# ~C: the prompt, help, a forward line.
	$TM send-keys -t kt Enter
	sleep 0.5
	$TM send-keys -t kt '~C'
	wait_screen '^ssh> *$' 5; res "$l ~C shows the ssh> prompt"
	$TM send-keys -t kt '?' Enter
	wait_screen '^ +-KD\[bind_address:\]port +Cancel dynamic forward$' 5; res "$l ~C ? lists the commands"
	$TM send-keys -t kt '~C'
	sleep 0.3
	$TM send-keys -t kt -- '-L 12345:127.0.0.1:22' Enter
	wait_screen '^(kssh: forwarding is not available in this connection|Forwarding port\.)$' 5
	res "$l ~C -L is answered"
	$TM send-keys -t kt '~C'
	sleep 0.3
	$TM send-keys -t kt 'bogus' Enter
	wait_screen '^Invalid command\.$' 5; res "$l ~C refuses an unknown command"

	# ~#
	$TM send-keys -t kt Enter '~#'
	wait_screen '^  #0 session' 5 && grep -q '^The following connections are open:' "$T/screen"
	res "$l ~# lists the connections"

	# ~. ends it: exit 255 and the message.
	$TM send-keys -t kt Enter '~.'
	wait_screen 'Connection to 127\.0\.0\.1 closed\.' 8 && wait_screen '^local\$ *$' 5; res "$l ~. disconnects"
	$TM send-keys -t kt 'echo rc=$?' Enter
	wait_screen '^rc=255$' 5; res "$l ~. exits 255"
	tm_stop
done
tm_stop
finish
