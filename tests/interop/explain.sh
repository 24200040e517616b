#!/bin/sh
# kssh --explain and --explain-html against Debian's OpenSSH sshd on
# 127.0.0.1: the story names this connection's real host key, user key and
# algorithms; first contact / known / changed host keys say the right thing;
# a password login leaks neither the password nor any session key (dumped by
# the test-only build-keydump kssh) into stdout, stderr or the HTML; LANG
# picks Japanese or English; the HTML renders in headless Chromium, is not
# blank, has the diagram and loads nothing from the network.
cd "$(dirname "$0")/../.." || exit 2
top=$(pwd)
KSSH=$top/build/bin/kssh
KD_KSSH=$top/build-keydump/bin/kssh
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; [ -n "${2:-}" ] && echo "  $2" >&2; }
# The story is wrapped for the terminal: phrases are matched on one line.
flat() { tr '\n' ' ' < "$1" | tr -s ' '; }
has() { # file phrase
	flat "$1" | grep -qF -- "$2"
}
check() { # name condition-command...
	n=$1; shift
	if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "$*"; fi
}

if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/sbin/sshd ] || [ ! -x "$KSSH" ]; then
	echo "explain: needs root, /usr/sbin/sshd and a built kssh; skipped" >&2
	exit 0
fi
if [ ! -x "$KD_KSSH" ]; then
	make -s keydump >/dev/null 2>&1 || { fail "explain_keydump_build"; exit 1; }
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/kagi-explain.XXXXXX")
SSHD_PID=""
cleanup() {
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ssh-keygen -q -t ed25519 -N '' -C hostkey -f "$T/hostkey"
ssh-keygen -q -t ed25519 -N '' -C userkey -f "$T/userkey"
cp "$T/userkey.pub" "$T/authorized_keys"
chmod 644 "$T/authorized_keys"
mkdir -p /run/sshd
cat > "$T/sshd_config" <<CFG
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
LogLevel ERROR
CFG
/usr/sbin/sshd -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
SSHD_PID=$!
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 50 ] && { fail "explain_sshd_start" "$(cat "$T/sshd.log")"; exit 1; }
	sleep 0.1
done

HOST_FP=$(ssh-keygen -lf "$T/hostkey.pub" | awk '{print $2}')
USER_FP=$(ssh-keygen -lf "$T/userkey.pub" | awk '{print $2}')
common="-F /dev/null -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -p $PORT"
run() { # out-prefix kssh-args...
	pfx=$1; shift
	timeout 30 "$@" >"$T/$pfx.out" 2>"$T/$pfx.err" </dev/null
}

# ---- first contact, with a public key ----
LANG=C LC_ALL= run first "$KSSH" $common -o StrictHostKeyChecking=accept-new -o BatchMode=yes \
	-i "$T/userkey" --explain --explain-html "$T/first.html" root@127.0.0.1 echo explained
check explain_first_runs grep -qx explained "$T/first.out"
check explain_host_fingerprint grep -qF "$HOST_FP" "$T/first.err"
check explain_user_fingerprint grep -qF "$USER_FP" "$T/first.err"
KEX=$(grep -m1 'Key exchange ' "$T/first.err" | awk '{print $NF}')
CIPHER=$(grep -m1 'Cipher client to server' "$T/first.err" | awk '{print $NF}')
check explain_algorithms sh -c "[ -n '$KEX' ] && [ -n '$CIPHER' ]"
check explain_algorithms_story has "$T/first.err" "Key exchange ($KEX)"
check explain_first_contact grep -q "First contact" "$T/first.err"
check explain_pk_ok grep -q "USERAUTH_PK_OK" "$T/first.err"
check explain_signed_session_id has "$T/first.err" "signed the session ID"
check explain_myth_corrected has "$T/first.err" "encrypted with the server's public key"

# ---- known host ----
LANG=C run known "$KSSH" $common -o StrictHostKeyChecking=yes -o BatchMode=yes -i "$T/userkey" --explain \
	root@127.0.0.1 true
check explain_known_host has "$T/known.err" "already in $T/known_hosts (line 1)"
check explain_known_not_first sh -c "! grep -q 'First contact' '$T/known.err'"

# ---- changed host key ----
ssh-keygen -q -t ed25519 -N '' -f "$T/otherkey"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$T/otherkey.pub")" > "$T/known_hosts"
LANG=C run changed "$KSSH" $common -o StrictHostKeyChecking=yes -o BatchMode=yes -i "$T/userkey" --explain \
	root@127.0.0.1 true
check explain_changed_fails sh -c "! grep -q . '$T/changed.out'"
check explain_changed_stop has "$T/changed.err" "STOP: $T/known_hosts (line 1) holds a different host key"
check explain_changed_no_auth has "$T/changed.err" "No authentication was attempted"
check explain_changed_fingerprint grep -qF "$HOST_FP" "$T/changed.err"
rm -f "$T/known_hosts"

# ---- password login (test user), with the session keys dumped ----
PW=""
PWUSER=kagi-explain
if ! id "$PWUSER" >/dev/null 2>&1; then
	useradd -m "$PWUSER" >/dev/null 2>&1
fi
if id "$PWUSER" >/dev/null 2>&1; then
	PW="Kg$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')pw"
	echo "$PWUSER:$PW" | chpasswd
fi
if [ -z "$PW" ] || ! command -v sshpass >/dev/null; then
	fail explain_password_setup "no test user or no sshpass"
else
	: > "$T/keys"
	LANG=C KAGI_TEST_KEYDUMP_FILE="$T/keys" timeout 30 sshpass -p "$PW" "$KD_KSSH" $common \
		-o StrictHostKeyChecking=accept-new -o PubkeyAuthentication=no --explain \
		--explain-html "$T/pw.html" "$PWUSER@127.0.0.1" echo pwok >"$T/pw.out" 2>"$T/pw.err" </dev/null
	check explain_password_login grep -qx pwok "$T/pw.out"
	check explain_password_story has "$T/pw.err" "Sent the password inside the encrypted channel"
	check explain_password_advice has "$T/pw.err" "You logged in with a password"
	check explain_password_hidden sh -c "! grep -qF '$PW' '$T/pw.out' '$T/pw.err' '$T/pw.html'"
	check explain_keys_dumped sh -c "[ \$(grep -c . '$T/keys') -ge 2 ]"
	# No derived key or IV, nor any 12-hex-digit piece of one, in any output.
	check explain_session_keys_hidden python3 - "$T/keys" "$T/pw.out" "$T/pw.err" "$T/pw.html" <<'PY'
import sys
keys = [l.strip().lower() for l in open(sys.argv[1]) if l.strip()]
text = ''.join(open(p, encoding='utf-8', errors='replace').read().lower() for p in sys.argv[2:])
for k in keys:
    if k in text or k[:16] in text:
        sys.exit(1)
    for i in range(0, len(k) - 11):
        if k[i:i + 12] in text:
            sys.exit(1)
sys.exit(0 if keys else 1)
PY
fi

# ---- languages ----
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$T/hostkey.pub")" > "$T/known_hosts"
LANG=ja_JP.UTF-8 LC_ALL= LANGUAGE= run ja "$KSSH" $common -o BatchMode=yes -i "$T/userkey" --explain \
	root@127.0.0.1 true
check explain_japanese sh -c "grep -q '鍵交換' '$T/ja.err' && grep -q 'ホスト鍵' '$T/ja.err' && grep -q 'フィンガープリント' '$T/ja.err'"
check explain_japanese_values grep -qF "$HOST_FP" "$T/ja.err"
LANG=C LC_ALL= LANGUAGE= run en "$KSSH" $common -o BatchMode=yes -i "$T/userkey" --explain root@127.0.0.1 true
check explain_english sh -c "grep -q 'Key exchange' '$T/en.err' && ! grep -q '鍵交換' '$T/en.err'"

# ---- the HTML page ----
H=$T/first.html
check explain_html_diagram sh -c "grep -q 'id=\"sequence-diagram\"' '$H' && [ \$(grep -c '<g class=\"msg\"' '$H') -ge 15 ]"
check explain_html_messages sh -c "grep -q '>KEXINIT<' '$H' && grep -q '>KEX_ECDH_REPLY<' '$H' && grep -q '>NEWKEYS<' '$H' && grep -q '>USERAUTH_REQUEST<' '$H' && grep -q '>CHANNEL_OPEN<' '$H'"
check explain_html_values sh -c "grep -qF '$HOST_FP' '$H' && grep -qF '$USER_FP' '$H'"
check explain_html_csp grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$H"
check explain_html_no_network sh -c "! grep -Eqi '(https?:|ftp:|wss?:)?//[a-z0-9]|src=|url\([^#]|@import|<link' '$H'"
if command -v chromium >/dev/null; then
	mkdir -p "$T/chrome"
	timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$T/chrome" \
		--host-resolver-rules="MAP * ~NOTFOUND" --enable-logging --v=0 \
		--screenshot="$T/shot.png" --window-size=1280,2000 "file://$H" >"$T/chrome.log" 2>&1
	check explain_html_screenshot test -s "$T/shot.png"
	check explain_html_not_blank python3 tests/interop/explain-png.py "$T/shot.png"
	check explain_html_no_fetch sh -c "! grep -Eqi 'ERR_NAME_NOT_RESOLVED|Refused to load|net::ERR' '$T/chrome.log'"
	[ -n "${KAGI_EXPLAIN_KEEP:-}" ] && cp "$T/shot.png" "$H" "$KAGI_EXPLAIN_KEEP"/ 2>/dev/null
else
	fail explain_html_chromium "chromium is not installed (make deps)"
fi
exit 0
