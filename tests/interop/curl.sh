#!/bin/sh
# curl's sftp:// and scp:// (libssh2, which in Debian 12 has no -etm MAC
# and no AEAD cipher) against ksshd with its default algorithms: download
# and upload byte-exact, an scp:// download, a directory listing, and a
# wrong pinned host key refused.  The host key is pinned with
# --hostpubsha256 and HOME is a temporary directory, so curl never reads or
# writes ~/.ssh/known_hosts.  Skips while curl or its sftp support is absent.
. "$(dirname "$0")/lib.sh"
KSFTP_SERVER=$(abs_prog "$KAGI_BIN/ksftp-server")

if ! command -v curl >/dev/null 2>&1 || ! curl -V 2>/dev/null | grep -q '^Protocols:.* sftp'; then
	skip "curl with sftp:// (not installed)"
	exit 0
fi
have_prog "curl->ksshd" ksshd || finish
setup_keys || { fail "setup keys"; finish; }
write_server_config "$T/curl.conf" "$T/host_ed25519"
echo "Subsystem sftp $KSFTP_SERVER" >>"$T/curl.conf"
start_server ksshd curl || { fail "start ksshd"; finish; }

mkdir -p "$T/home" "$T/files/tree"
head -c 300000 /dev/urandom >"$T/files/big.bin"
echo one >"$T/files/tree/one.txt"
echo two >"$T/files/tree/two-file.bin"
chmod -R a+rX "$T/files"
# The pin: base64 of the SHA-256 of the host key blob, as ssh-keygen -l shows it.
PIN=$("$SSH_KEYGEN" -lf "$T/host_ed25519.pub" -E sha256 | awk '{ sub(/^SHA256:/, "", $2); print $2 }')
URL=127.0.0.1:$SRV_PORT

# kcurl PIN ARGS... : curl as $TUSER with the user key, bounded in time.
kcurl() {
	_pin=$1; shift
	HOME=$T/home timeout -k 5 "$CLIENT_TIMEOUT" curl -sS -u "$TUSER:" --hostpubsha256 "$_pin" \
		--key "$T/user_ed25519" --pubkey "$T/user_ed25519.pub" "$@"
}

kcurl "$PIN" -o "$T/got.bin" "sftp://$URL$T/files/big.bin" 2>"$T/e.get" && cmp -s "$T/files/big.bin" "$T/got.bin"
res "sftp:// download byte-exact" || cat "$T/e.get" >&2

kcurl "$PIN" -T "$T/files/big.bin" "sftp://$URL$T/files/up.bin" 2>"$T/e.put" && cmp -s "$T/files/big.bin" "$T/files/up.bin"
res "sftp:// upload (-T) byte-exact" || cat "$T/e.put" >&2

kcurl "$PIN" -o "$T/got-scp.bin" "scp://$URL$T/files/big.bin" 2>"$T/e.scp" && cmp -s "$T/files/big.bin" "$T/got-scp.bin"
res "scp:// download byte-exact" || cat "$T/e.scp" >&2

kcurl "$PIN" "sftp://$URL$T/files/tree/" >"$T/ls" 2>"$T/e.ls" &&
	grep -q ' one\.txt$' "$T/ls" && grep -q ' two-file\.bin$' "$T/ls"
res "sftp:// directory listing" || cat "$T/e.ls" "$T/ls" >&2

# A different pin must be refused: the check above is real.
BADPIN=$(printf '%s' "$PIN" | tr 'A-Za-z' 'B-ZAb-za')
kcurl "$BADPIN" -o "$T/bad.bin" "sftp://$URL$T/files/big.bin" 2>"$T/e.bad"
[ $? -ne 0 ] && [ ! -s "$T/bad.bin" ] && grep -qi 'fingerprint' "$T/e.bad"
res "wrong pinned host key refused" || cat "$T/e.bad" >&2

[ ! -e "$T/home/.ssh" ]; res "no known_hosts written"
server_alive "$SRV_PID"; res "ksshd still running"
finish
