#!/bin/sh
# sntrup761x25519-sha512 against Debian's OpenSSH 9.2: kssh to sshd and ssh to
# ksshd with exactly one method (-o KexAlgorithms=...), under both names, and
# kagi to kagi with the defaults; the negotiated method is read from the
# OpenSSH side's debug log, or ksshd's, so a fallback cannot pass.
# Usage: pq-sntrup.sh [ssh-ksshd] [kssh-sshd] [kssh-ksshd]
. "$(dirname "$0")/lib.sh"
select_pairs "$@"

METHODS="sntrup761x25519-sha512@openssh.com sntrup761x25519-sha512"
setup_keys || { fail "setup keys"; finish; }
SERVER_LOGLEVEL=DEBUG1
CR=$(printf '\r')
END=",| |$CR|\$"   # what follows the name in ksshd's, sshd's and ssh's (CR LF) log lines
PQ='(mlkem768x25519-sha256|sntrup761x25519-sha512(@openssh\.com)?)'

# one_case NAME "CLIENT-OPTS" REGEX : a login runs a command, and REGEX (grep
# -E) is in the client's -v output (ssh) or in the server's log otherwise.
one_case() {
	_name=$1; _copts=$2; _pat=$3
	_v=""
	[ "$c" = ssh ] && _v="-v"
	_before=$(wc -c <"$SRV_LOG")
	_out=$(client "$c" "$port" "$_v $_copts" echo ok-pq </dev/null 2>"$T/cerr"); _rc=$?
	if [ $_rc -ne 0 ] || [ "$_out" != ok-pq ]; then
		note "$l $_name: exit $_rc, output '$_out'"; tail -n 5 "$T/cerr" >&2
		fail "$l $_name"; return
	fi
	if [ "$c" = ssh ]; then _log=$T/cerr
	else
		sleep 0.2  # let the server finish writing its log
		tail -c +$((_before + 1)) "$SRV_LOG" >"$T/slog"; _log=$T/slog
	fi
	if grep -qE -- "$_pat" "$_log"; then pass "$l $_name"
	else note "$l $_name: '$_pat' not in the log"; tail -n 20 "$_log" >&2; fail "$l $_name"; fi
}

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	# The server offers every method it has; the client forces one.
	if [ "$s" = sshd ]; then srv_kex=$("$SSH" -Q kex | tr '\n' ',' | sed 's/,$//')
	else srv_kex=$(echo "$METHODS curve25519-sha256" | tr ' ' ','); fi
	start_server "$s" "$s-$c" -o KexAlgorithms="$srv_kex" || { fail "$l server start"; continue; }
	port=$SRV_PORT
	for m in $METHODS; do
		if [ "$c" = ssh ] && ! "$SSH" -Q kex | grep -qxF "$m"; then
			skip "$l kex $m (this ssh does not know it)"; continue
		fi
		one_case "kex $m" "-o KexAlgorithms=$m" "kex: algorithm: $m($END)"
	done
	# Both sides on their defaults: a post-quantum method wins on its own
	# (sntrup761 with OpenSSH 9.2, which has no ML-KEM).
	start_server "$s" "$s-$c-defaults" || { fail "$l default server start"; continue; }
	port=$SRV_PORT
	one_case "defaults negotiate a post-quantum method" "" "kex: algorithm: $PQ($END)"
done
finish
