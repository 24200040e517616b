#!/bin/sh
# kscp --explain and --explain-html against Debian's OpenSSH sshd on
# 127.0.0.1, over SFTP and with -O (legacy scp): the story names the
# protocol that carried the file, the server's host key fingerprint and the
# cipher; uploading a private key file gives the advice against it; a
# password login leaks neither the password nor any session key (dumped by
# the test-only build-keydump kscp) into stdout, stderr or the HTML; the
# page has the diagram; -S says --explain needs kagi's own connection and
# copies anyway.  Japanese: the LANG=ja_JP.UTF-8 page renders in headless
# Chromium with real Japanese glyphs (not the empty boxes of a missing font).
. "$(dirname "$0")/lib.sh"
KSCP=${KSCP:-$KAGI_BIN/kscp}
KD_BUILD=$KAGI_ROOT/build-keydump
KD_KSCP=$KD_BUILD/bin/kscp
SFTP_SERVER=${SFTP_SERVER:-/usr/lib/openssh/sftp-server}
SCP_TIMEOUT=${SCP_TIMEOUT:-60}

if [ $IS_ROOT -ne 1 ] || [ ! -x "$SSHD" ] || [ ! -x "$KSCP" ] || [ ! -x "$SFTP_SERVER" ]; then
	skip "needs root, $SSHD, $SFTP_SERVER and a built kscp"
	exit 0
fi
if [ ! -x "$KD_KSCP" ] || [ "$KD_KSCP" -ot "$KSCP" ]; then
	(cd "$KAGI_ROOT" && make -s BUILD=build-keydump CFLAGS=-DKAGI_TEST_KEYDUMP build-keydump/bin/kscp \
		build-keydump/locale/ja/LC_MESSAGES/kagi.mo) >"$T/keydump-build.log" 2>&1 ||
		{ fail "keydump kscp build"; tail "$T/keydump-build.log" >&2; }
fi

# The story is wrapped for the terminal: phrases are matched on one line.
flat() { tr '\n' ' ' <"$1" | tr -s ' '; }
has() { flat "$1" | grep -qF -- "$2"; }
hasnt() { ! flat "$1" | grep -qF -- "$2"; }

setup_keys || { fail "keys"; finish; }
write_server_config "$T/sshd.conf" "$T/host_ed25519"
echo "Subsystem sftp $SFTP_SERVER" >>"$T/sshd.conf"
SERVER_LOGLEVEL=ERROR start_server sshd sshd || { fail "sshd start"; finish; }
PORT=$SRV_PORT
HOST_FP=$("$SSH_KEYGEN" -lf "$T/host_ed25519.pub" | awk '{print $2}')
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$T/host_ed25519.pub")" >"$T/known_hosts"

# k OUT-PREFIX KSCP-ARGS... : kscp with the harness's options, output kept.
k() {
	_p=$1; shift
	timeout -k 5 "$SCP_TIMEOUT" "$KSCP" -F /dev/null -P "$PORT" -o UserKnownHostsFile="$T/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes \
		-o IdentitiesOnly=yes -i "$T/user_ed25519" "$@" >"$T/$_p.out" 2>"$T/$_p.err" </dev/null
}
# cipher OUT-PREFIX : the client-to-server cipher the story names.
cipher() { grep -m1 'Cipher client to server' "$T/$1.err" | awk '{print $5}'; }

mkdir -p "$T/R" "$T/L"
head -c 100000 /dev/urandom >"$T/data"
H=127.0.0.1
for mode in sftp legacy; do
	f=""; proto="the SFTP subsystem"; other="the legacy scp protocol"
	[ $mode = legacy ] && { f=-O; proto="the legacy scp protocol"; other="the SFTP subsystem"; }

	LANG=C LC_ALL= k up-$mode $f --explain "$T/data" "$H:$T/R/data-$mode"
	[ $? -eq 0 ] && cmp -s "$T/data" "$T/R/data-$mode"; res "$mode upload with --explain copies" ||
		tail -5 "$T/up-$mode.err" >&2
	has "$T/up-$mode.err" "Sent $T/data to $T/R/data-$mode: 100000 bytes through $proto"
	res "$mode upload names the protocol and the file"
	hasnt "$T/up-$mode.err" "$other"; res "$mode upload names no other protocol"
	grep -qF "$HOST_FP" "$T/up-$mode.err"; res "$mode upload host key fingerprint"
	c=$(cipher up-$mode)
	[ -n "$c" ] && has "$T/up-$mode.err" "The file bytes travelled inside the same encrypted connection, under $c."
	res "$mode upload file bytes under the negotiated cipher ($c)"
	grep -q "already in $T/known_hosts" "$T/up-$mode.err"; res "$mode upload known host"

	LANG=C LC_ALL= k down-$mode $f --explain "$H:$T/data" "$T/L/data-$mode"
	[ $? -eq 0 ] && cmp -s "$T/data" "$T/L/data-$mode"; res "$mode download with --explain copies" ||
		tail -5 "$T/down-$mode.err" >&2
	has "$T/down-$mode.err" "Fetched $T/data into $T/L/data-$mode: 100000 bytes through $proto"
	res "$mode download names the protocol and the file"
	grep -qF "$HOST_FP" "$T/down-$mode.err" && [ -n "$(cipher down-$mode)" ] &&
		has "$T/down-$mode.err" "under $(cipher down-$mode)."
	res "$mode download fingerprint and cipher"
	hasnt "$T/down-$mode.err" "looks like a private key"; res "$mode download gives no key advice"

	# An OpenSSH private key being uploaded.
	LANG=C LC_ALL= k key-$mode $f --explain "$T/user_ed25519" "$H:$T/R/key-$mode"
	[ $? -eq 0 ] && has "$T/key-$mode.err" "$T/user_ed25519 looks like a private key, and it was copied to the server"
	res "$mode private key upload advice" || tail -5 "$T/key-$mode.err" >&2
	has "$T/key-$mode.err" "use kssh -J (ProxyJump)"; res "$mode private key advice names -J"
	rm -f "$T/R/key-$mode"

	# -3: two connections, each told whole and in turn.
	LANG=C LC_ALL= k three-$mode $f -3 --explain --explain-html "$T/three-$mode.html" "$H:$T/data" \
		"$H:$T/R/data-3$mode"
	[ $? -eq 0 ] && cmp -s "$T/data" "$T/R/data-3$mode"; res "$mode -3 copies with --explain" ||
		tail -5 "$T/three-$mode.err" >&2
	[ "$(grep -c 'step by step' "$T/three-$mode.err")" -eq 2 ] &&
		[ "$(grep -c '^4\. The session' "$T/three-$mode.err")" -eq 2 ] &&
		flat "$T/three-$mode.err" | grep -q "Fetched $T/data into $H:$T/R/data-3$mode: [0-9]* bytes through $proto.*Sent $H:$T/data to $T/R/data-3$mode: [0-9]* bytes through $proto"
	res "$mode -3 tells both connections in turn"
	grep -q "shows the first of the 2 connections" "$T/three-$mode.err" &&
		grep -q 'id="sequence-diagram"' "$T/three-$mode.html"
	res "$mode -3 page shows the first connection and says so"
done

# ---- the page ----
LANG=C LC_ALL= k html --explain-html "$T/page.html" "$T/data" "$H:$T/R/data-html"
[ $? -eq 0 ] && cmp -s "$T/data" "$T/R/data-html"; res "html copy"
grep -q 'id="sequence-diagram"' "$T/page.html"; res "html has the diagram"
grep -qF "$HOST_FP" "$T/page.html" && grep -q "SFTP subsystem" "$T/page.html"; res "html names fingerprint and SFTP"
[ ! -s "$T/html.err" ]; res "html only: nothing told on stderr"

# ---- -S: no connection of ours to explain ----
LANG=C LC_ALL= timeout -k 5 "$SCP_TIMEOUT" "$KSCP" -S "$SSH" -F /dev/null -P "$PORT" \
	-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes \
	-o IdentitiesOnly=yes -i "$T/user_ed25519" --explain "$T/data" "$H:$T/R/data-S" >"$T/S.out" 2>"$T/S.err" </dev/null
[ $? -eq 0 ] && cmp -s "$T/data" "$T/R/data-S"; res "-S copies with --explain" || tail -5 "$T/S.err" >&2
grep -q -- "--explain needs kagi's own connection" "$T/S.err" && ! grep -q "step by step" "$T/S.err"
res "-S says --explain needs kagi's own connection"

# ---- password login: neither the password nor a session key shows ----
if [ -x "$KD_KSCP" ] && setup_pwuser; then
	mkdir -p "$T/pw" && chown "$PWUSER" "$T/pw"
	: >"$T/keys"
	for mode in sftp legacy; do
		f=""; [ $mode = legacy ] && f=-O
		LANG=C LC_ALL= KAGI_TEST_KEYDUMP_FILE="$T/keys" timeout -k 5 "$SCP_TIMEOUT" sshpass -p "$PWPASS" \
			"$KD_KSCP" -F /dev/null -P "$PORT" -o UserKnownHostsFile="$T/known_hosts" \
			-o GlobalKnownHostsFile=/dev/null -o PubkeyAuthentication=no $f --explain \
			--explain-html "$T/pw-$mode.html" "$T/data" "$PWUSER@$H:$T/pw/data-$mode" \
			>"$T/pw-$mode.out" 2>"$T/pw-$mode.err" </dev/null
		[ $? -eq 0 ] && cmp -s "$T/data" "$T/pw/data-$mode"; res "$mode password login copies" ||
			tail -5 "$T/pw-$mode.err" >&2
		has "$T/pw-$mode.err" "Sent the password inside the encrypted channel"; res "$mode password story"
		! grep -qF "$PWPASS" "$T/pw-$mode.out" "$T/pw-$mode.err" "$T/pw-$mode.html"
		res "$mode password appears nowhere"
	done
	[ "$(grep -c . "$T/keys")" -ge 4 ]; res "session keys dumped"
	# No derived key or IV, nor any 12-hex-digit piece of one, in any output.
	"$PY" - "$T/keys" "$T"/pw-*.out "$T"/pw-*.err "$T"/pw-*.html <<'PY'
import sys
keys = [l.strip().lower() for l in open(sys.argv[1]) if l.strip()]
text = ''.join(open(p, encoding='utf-8', errors='replace').read().lower() for p in sys.argv[2:])
for k in keys:
    for i in range(0, len(k) - 11):
        if k[i:i + 12] in text:
            sys.exit(1)
sys.exit(0 if keys else 1)
PY
	res "session keys appear nowhere"
else
	fail "password login setup (test user, sshpass, keydump kscp)"
fi

# ---- Japanese page in headless Chromium ----
# shot HTML-FILE PNG-FILE [WIDTH,HEIGHT]
shot() {
	rm -rf "$T/chrome"; mkdir -p "$T/chrome"
	timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$T/chrome" \
		--host-resolver-rules="MAP * ~NOTFOUND" --screenshot="$2" --window-size="${3:-1280,2000}" \
		"file://$1" >>"$T/chrome.log" 2>&1
	[ -s "$2" ]
}
LANG=ja_JP.UTF-8 LC_ALL= LANGUAGE= k ja --explain --explain-html "$T/ja.html" "$T/data" "$H:$T/R/data-ja"
[ $? -eq 0 ] && grep -q '鍵交換' "$T/ja.err" && grep -q '鍵交換' "$T/ja.html" && grep -qF "$HOST_FP" "$T/ja.html"
res "japanese story and page"
if command -v chromium >/dev/null; then
	fc-list :lang=ja 2>/dev/null | grep -q .; res "a Japanese font is installed (make deps)"
	shot "$T/ja.html" "$T/ja.png" && "$PY" "$KAGI_ROOT/tests/interop/explain-png.py" "$T/ja.png" >&2
	res "japanese page screenshot is not blank"
	# A missing font draws every character as the same empty box: Japanese
	# text must look different from private-use characters no font has.
	printf '<meta charset="utf-8"><p style="font-size:96px">%s</p>' '鍵交換ホスト鍵' >"$T/glyph-ja.html"
	printf '<meta charset="utf-8"><p style="font-size:96px">%s</p>' \
		"$(printf '\356\200\200\356\200\201\356\200\202\356\200\203\356\200\204\356\200\205\356\200\206')" >"$T/glyph-pua.html"
	shot "$T/glyph-ja.html" "$T/glyph-ja.png" 900,200 && shot "$T/glyph-pua.html" "$T/glyph-pua.png" 900,200 &&
		! cmp -s "$T/glyph-ja.png" "$T/glyph-pua.png"
	res "japanese glyphs render (not empty boxes)"
	[ -n "${KAGI_EXPLAIN_KEEP:-}" ] && cp "$T/ja.png" "$T/ja.html" "$T/glyph-ja.png" "$T/glyph-pua.png" \
		"$KAGI_EXPLAIN_KEEP"/ 2>/dev/null
else
	fail "chromium is not installed (make deps)"
fi
finish
