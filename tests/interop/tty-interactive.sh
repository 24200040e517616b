#!/bin/sh
# kssh on a real terminal (tmux): the remote pty gets the user's terminal
# modes (isig icanon echo opost), Ctrl-C interrupts a remote command, lines
# do not stair-step, and the local terminal is restored when kssh exits.
# Usage: tty-interactive.sh [kssh-ksshd] [kssh-sshd] [ssh-ksshd]
. "$(dirname "$0")/lib.sh"
select_pairs "${@:-kssh-ksshd kssh-sshd ssh-ksshd}"
command -v tmux >/dev/null || { fail "tmux not installed"; finish; }

setup_keys || { fail "setup keys"; finish; }
. "$(dirname "$0")/tmux-lib.sh"
tm_init tty

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	eval "port=\${PORT_$s:-}"
	if [ -z "$port" ]; then
		if ! start_server "$s" "$s"; then fail "$l server start"; continue; fi
		port=$SRV_PORT; eval "PORT_$s=$port"
	fi
	bin=$(prog_of "$c")
	# The client runs in a plain sh on the tmux terminal, so the local
	# terminal can be checked once the client has exited.
	tm_login "$bin" "$port" "-o LogLevel=ERROR"; res "$l remote shell on a terminal" || continue

	# The marker is typed as :mo''des, so only the output line ends in :modes.
	$TM send-keys -t kt "stty -a | tr ' ;' '\\n\\n' | grep -Ex -- '-?(isig|icanon|echo|opost|onlcr)' | tr '\\n' ' '; echo :mo''des" Enter
	wait_screen ':modes$'
	line=$(grep ':modes$' "$T/screen" | tail -n 1)
	# stty's order of the flags varies; each must be there, none negated.
	ok=1
	for m in isig icanon echo opost onlcr; do
		case " $line " in *" $m "*) ;; *) ok=0 ;; esac
	done
	case " $line " in *" -"*) ok=0 ;; esac
	[ $ok = 1 ]; res "$l remote pty has isig icanon echo opost onlcr" || note "got '$line'"

	$TM send-keys -t kt 'sleep 100' Enter
	sleep 1
	$TM send-keys -t kt C-c
	# The shell's fresh, empty prompt shows sleep died; typing before it
	# appears would let the tty echo the next line ahead of the prompt.
	if wait_screen '^rem\$ *$' 8; then
		$TM send-keys -t kt 'echo back-$((6*7))' Enter
		wait_screen '^back-42$' 8
	else
		false
	fi; res "$l Ctrl-C interrupts sleep 100"

	# Stair-stepping: with onlcr lost, the second line would not start at column 0.
	$TM send-keys -t kt "printf 'one\\ntwo\\n'" Enter
	wait_screen '^two$' 5; res "$l lines start at column 0"

	$TM send-keys -t kt 'exit' Enter
	wait_screen '^local\$ *$' 10; res "$l exit returns to the local shell"
	$TM send-keys -t kt "stty -a | tr ' ;' '\\n\\n' | grep -Ex -- '-?(isig|icanon|echo)' | tr '\\n' ' '; echo :lo''cal" Enter
	wait_screen ':local$'
	line=$(grep ':local$' "$T/screen" | tail -n 1)
	ok=1
	for m in isig icanon echo; do
		case " $line " in *" $m "*) ;; *) ok=0 ;; esac
	done
	case " $line " in *" -"*) ok=0 ;; esac
	[ $ok = 1 ]; res "$l local terminal restored after exit" || note "got '$line'"
	tm_stop
done
tm_stop
finish
