#!/bin/sh
# Bulk data, byte-exact, with re-keying forced every 16 MiB by both sides:
# 64 MiB uploaded through stdin and downloaded through stdout, for each
# client/server pair.  Where one side is OpenSSH its debug log shows that
# re-keying happened.
# Usage: bulk.sh [ssh-ksshd] [kssh-sshd] [kssh-ksshd]
. "$(dirname "$0")/lib.sh"
select_pairs "$@"
BULK_MB=${BULK_MB:-64}

setup_keys || { fail "setup keys"; finish; }
head -c $((BULK_MB * 1048576)) /dev/urandom >"$T/big" || { fail "random data"; finish; }
want=$(sha "$T/big")
SERVER_LOGLEVEL=DEBUG1

# transfer NAME DIRECTION(up|down) "CLIENT-OPTS"
transfer() {
	_name=$1; _dir=$2; _copts=$3
	_v=""; [ "$c" = ssh ] && _v="-v"
	_before=$(wc -c <"$T/$s.log")
	rm -f "$T/got"
	if [ "$_dir" = up ]; then
		client "$c" "$port" "$_v -o RekeyLimit=16M $_copts" "cat > $T/got" <"$T/big" 2>"$T/cerr"; _rc=$?
	else
		client "$c" "$port" "$_v -o RekeyLimit=16M $_copts" "cat $T/big" </dev/null >"$T/got" 2>"$T/cerr"; _rc=$?
	fi
	[ $_rc -eq 0 ] && [ -f "$T/got" ] && [ "$(sha "$T/got")" = "$want" ]
	res "$l $_name ${BULK_MB}MiB sha256" || { note "exit $_rc"; tail -n 5 "$T/cerr" >&2; }
	# Each side starts at least one re-key (16 MiB limit); the initial key
	# exchange accounts for one KEXINIT.
	_log=""
	if [ "$c" = ssh ]; then _log=$T/cerr
	elif [ "$s" = sshd ]; then sleep 0.2; tail -c +$((_before + 1)) "$T/$s.log" >"$T/slog"; _log=$T/slog; fi
	if [ -n "$_log" ] && [ $_rc -eq 0 ]; then
		_n=$(grep -c "SSH2_MSG_KEXINIT sent" "$_log")
		[ "$_n" -ge 2 ]; res "$l $_name re-keyed ($_n key exchanges)"
	fi
}

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	eval "port=\${PORT_$s:-}"
	if [ -z "$port" ]; then
		if start_server "$s" "$s" -o RekeyLimit=16M; then pass "$l server accepts RekeyLimit"
		else
			# Still test the client's re-keying and the server's answers to it.
			fail "$l server accepts RekeyLimit"
			rm -f "$T/$s.conf"
			start_server "$s" "$s" || { fail "$l server start"; continue; }
		fi
		port=$SRV_PORT; eval "PORT_$s=$port"
	fi
	transfer upload up ""
	transfer download down ""
	transfer "upload aes128-ctr+hmac-sha2-256-etm" up "-o Ciphers=aes128-ctr -o MACs=hmac-sha2-256-etm@openssh.com"
	transfer "download aes256-gcm" down "-o Ciphers=aes256-gcm@openssh.com"
done
finish
