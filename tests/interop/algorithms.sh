#!/bin/sh
# Every key exchange, host key, cipher and MAC algorithm, user key type and
# compression, one at a time, for each client/server pair.  One server per
# kind enables all of them; the client forces one algorithm per run.  When
# one side is OpenSSH its debug log confirms what was negotiated.
# Usage: algorithms.sh [ssh-ksshd] [kssh-sshd] [kssh-ksshd]
. "$(dirname "$0")/lib.sh"
select_pairs "$@"

KEXES="curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384
ecdh-sha2-nistp521 diffie-hellman-group14-sha256 diffie-hellman-group16-sha512
diffie-hellman-group18-sha512"
HOSTKEYS="ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 rsa-sha2-256 rsa-sha2-512"
CIPHERS="chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com aes128-ctr
aes192-ctr aes256-ctr"
MACS="hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com hmac-sha2-256 hmac-sha2-512"
USERKEYS="ed25519 ecdsa rsa"
commas() { echo $1 | tr ' ' ','; }

setup_keys || { fail "setup keys"; finish; }
for k in "ecdsa 256" "ecdsa 384" "ecdsa 521" "rsa 3072"; do
	set -- $k
	gen_key "$T/host_$1$2" "$1" "$2" || { fail "host key $1 $2"; finish; }
done
gen_key "$T/user_ecdsa" ecdsa 256 && gen_key "$T/user_rsa" rsa 3072 || { fail "user keys"; finish; }
cat "$T/user_ecdsa.pub" "$T/user_rsa.pub" >>"$T/authorized_keys"
SERVER_HOSTKEYS="$T/host_ed25519 $T/host_ecdsa256 $T/host_ecdsa384 $T/host_ecdsa521 $T/host_rsa3072"
SERVER_LOGLEVEL=DEBUG1

# One algorithm case: NAME "CLIENT-OPTS" EXPECTED-LOG-PATTERN...
# The patterns are looked for in the OpenSSH side's debug output.
run_case() {
	_name=$1; _copts=$2; shift 2
	_vflag=""
	[ "$c" = ssh ] && _vflag="-v"
	_before=$(wc -c <"$SRV_LOG_CUR")
	_out=$(client "$c" "$port" "$_vflag $_copts" echo ok-alg </dev/null 2>"$T/cerr"); _rc=$?
	_ok=1
	if [ $_rc -ne 0 ] || [ "$_out" != ok-alg ]; then
		_ok=0; note "$l $_name: exit $_rc, output '$_out'"; tail -n 5 "$T/cerr" >&2
	else
		_log=""
		if [ "$c" = ssh ]; then _log=$T/cerr
		elif [ "$s" = sshd ]; then
			sleep 0.1  # let the server finish writing its log
			tail -c +$((_before + 1)) "$SRV_LOG_CUR" >"$T/slog"; _log=$T/slog
		fi
		if [ -n "$_log" ]; then
			for _pat in "$@"; do
				if ! grep -qF -- "$_pat" "$_log"; then
					_ok=0; note "$l $_name: '$_pat' not in the OpenSSH log"
				fi
			done
		fi
	fi
	if [ $_ok -eq 1 ]; then pass "$l $_name"; else fail "$l $_name"; fi
}

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	eval "port=\${PORT_$s:-}"
	if [ -z "$port" ]; then
		if ! start_server "$s" "$s" -o KexAlgorithms="$(commas "$KEXES")" \
			-o HostKeyAlgorithms="$(commas "$HOSTKEYS")" -o Ciphers="$(commas "$CIPHERS")" \
			-o MACs="$(commas "$MACS")" -o Compression=yes; then
			fail "$l server start"; continue
		fi
		port=$SRV_PORT; eval "PORT_$s=$port"
	fi
	SRV_LOG_CUR=$T/$s.log

	for a in $KEXES; do
		run_case "kex $a" "-o KexAlgorithms=$a" "kex: algorithm: $a"
	done
	for a in $HOSTKEYS; do
		run_case "hostkey $a" "-o HostKeyAlgorithms=$a" "kex: host key algorithm: $a"
	done
	for a in $CIPHERS; do
		run_case "cipher $a" "-o Ciphers=$a" "client->server cipher: $a " "server->client cipher: $a "
	done
	for a in $MACS; do
		run_case "mac $a" "-o Ciphers=aes128-ctr -o MACs=$a" \
			"client->server cipher: aes128-ctr MAC: $a " "server->client cipher: aes128-ctr MAC: $a "
	done
	for a in $USERKEYS; do
		if [ "$c" = ssh ]; then pat="Server accepts key: $T/user_$a "
		else pat="Accepted publickey for $TUSER "; fi
		run_case "userkey $a" "-i $T/user_$a" "$pat"
	done
	run_case "compression zlib@openssh.com" "-o Compression=yes" \
		"compression: zlib@openssh.com" "Enabling compression"
done
finish
