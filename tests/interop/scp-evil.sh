#!/bin/sh
# kscp -O against a malicious legacy scp server (tests/interop/scp_evil_server.py
# run by a fake transport program through -S, no SSH server needed): names
# that leave the target ('..', absolute paths, paths inside directories),
# names that were not asked for, a directory called '.', control characters
# in messages, a short file, endless nesting.  Nothing may be written
# outside the target, and an existing file stays intact.  A server's stderr
# and warnings with terminal escapes and C1 controls (CVE-2019-6110) are
# shown escaped when kscp's stderr is a terminal (script(1) gives it one),
# and the remote stderr passes byte for byte when it is a file.
. "$(dirname "$0")/scp-lib.sh"
EVIL=$KAGI_ROOT/tests/interop/scp_evil_server.py

cat >"$T/evilssh" <<EOS
#!/bin/sh
exec $PY "$EVIL"
EOS
chmod 755 "$T/evilssh"
VICTIM=$T/victim
export EVIL_VICTIM="$VICTIM"

# evil MODE [KSCP-FLAGS...] : download evilhost:wanted into a fresh $T/dl/in.
evil() {
	_mode=$1; shift
	rm -rf "$T/dl" "$VICTIM"; mkdir -p "$T/dl/in"; chmod 755 "$T/dl/in"
	EVIL_MODE=$_mode kscp_t -O -S "$T/evilssh" "$@" evilhost:wanted "$T/dl/in/" >"$T/out" 2>"$T/err"
	rc=$?
}
outside_clean() { [ ! -e "$VICTIM" ] && [ "$(ls -A "$T/dl")" = in ] && [ ! -e "$T/escaped" ]; }

evil good
[ $rc -eq 0 ] && [ "$(cat "$T/dl/in/wanted")" = evil ]; res "control: a well-behaved server's file arrives"

evil dotdot
[ $rc -ne 0 ] && outside_clean && [ -z "$(ls -A "$T/dl/in")" ] && grep -q refusing "$T/err"; res "name '..' refused"

evil dotdot_file
[ $rc -ne 0 ] && outside_clean && [ -z "$(ls -A "$T/dl/in")" ]; res "name '../escaped' refused"

evil abs
[ $rc -ne 0 ] && outside_clean && [ -z "$(ls -A "$T/dl/in")" ]; res "absolute name $VICTIM refused (CVE-2019-6111)"

evil unrequested
[ $rc -ne 0 ] && outside_clean && [ -z "$(ls -A "$T/dl/in")" ] && grep -q "not asked for" "$T/err"; res "a name that was not asked for is refused"

evil extra
[ $rc -ne 0 ] && outside_clean && grep -q "more than the one file" "$T/err"; res "a second file for a single-file request is refused"

evil dot_dir -r
[ $rc -ne 0 ] && outside_clean && [ "$(stat -c %a "$T/dl/in")" = 755 ] && [ ! -e "$T/dl/in/inside" ]
res "directory named '.' refused, target mode unchanged (CVE-2018-20685)"

evil nested -r
[ $rc -ne 0 ] && outside_clean && [ ! -e "$T/dl/in/escaped" ] && [ ! -e "$T/dl/escaped" ]; res "'../../escaped' inside a directory refused"

evil ctrl
esc=$(printf '\033')
[ $rc -ne 0 ] && ! grep -q "$esc" "$T/err" && grep -q 'fake' "$T/err" && [ -f "$T/dl/in/wanted" ]
res "control characters in server messages are shown escaped"

# bytes FILE PYTHON-EXPR : the expression holds for d, FILE's bytes.
bytes() { "$PY" -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"; }
# on_tty LOCALE CMD : runs CMD (a shell command line) with stderr on a
# terminal and stdout to /dev/null; the terminal's bytes go to $T/raw.
on_tty() {
	_loc=$1; shift
	LC_ALL=$_loc script -q -e -c "$* >/dev/null" /dev/null >"$T/raw" </dev/null 2>"$T/script.err"
	rc=$?
}
# What must not reach a terminal: ESC, CR (not followed by the pty's LF),
# CSI as one byte, NEL as UTF-8.
no_raw_ctrl() { bytes "$1" 'b"\x1b" not in d and b"\x9b" not in d and b"\xc2\x85" not in d and b"\r" not in d.replace(b"\r\n", b"")'; }

if command -v script >/dev/null 2>&1; then
	rm -rf "$T/dl"; mkdir -p "$T/dl/in"
	on_tty C.UTF-8 "EVIL_MODE=tty timeout -k 5 $SCP_TIMEOUT $KSCP -O -S $T/evilssh evilhost:wanted $T/dl/in/"
	[ -f "$T/dl/in/wanted" ] && no_raw_ctrl "$T/raw" &&
		bytes "$T/raw" 'b"remote: \\033[2K\\015ERASED \\23331mCSI \\302\\205NEL caf\xc3\xa9 wait\xe2\x80\xa6\r\n" in d'
	res "remote stderr on a terminal: escapes, CR and C1 shown escaped, UTF-8 text intact" || od -c "$T/raw" | head >&2
	bytes "$T/raw" 'b"scp: \\033[2K\\015WARNED \\23331mCSI \\302\\205NEL caf\xc3\xa9\r\n" in d'
	res "a warning record on a terminal: escapes and C1 shown escaped"

	rm -rf "$T/dl"; mkdir -p "$T/dl/in"
	on_tty C "EVIL_MODE=tty timeout -k 5 $SCP_TIMEOUT $KSCP -O -S $T/evilssh evilhost:wanted $T/dl/in/"
	no_raw_ctrl "$T/raw" && bytes "$T/raw" 'b"caf\xc3\xa9 wait\xe2\\200\xa6" in d and b"\xc2\\205NEL" in d'
	res "remote stderr on a terminal, C locale: bytes 0x80-0x9f escaped"

	# -3: both transports' stderr goes through the same filter.
	make_fake_ssh
	cat >"$T/evilssh3" <<EOS
#!/bin/sh
for a; do last=\$a; done
case \$last in *" -t "*) PATH="$T/rbin:\$PATH" exec sh -c "\$last" ;; *) exec $PY "$EVIL" ;; esac
EOS
	chmod 755 "$T/evilssh3"
	rm -rf "$T/dl"; mkdir -p "$T/dl/in"
	on_tty C.UTF-8 "EVIL_MODE=tty timeout -k 5 $SCP_TIMEOUT $KSCP -3 -O -S $T/evilssh3 evilhost:wanted otherhost:$T/dl/in/"
	[ -f "$T/dl/in/wanted" ] && no_raw_ctrl "$T/raw" && bytes "$T/raw" 'b"remote: \\033[2K\\015ERASED" in d'
	res "-3: remote stderr on a terminal shown escaped" || od -c "$T/raw" | head >&2
else
	skip "terminal cases (script(1) not installed)"
fi

# Not a terminal: the remote stderr passes byte for byte (as OpenSSH's scp
# passes it); the warning record is escaped all the same.
rm -rf "$T/dl"; mkdir -p "$T/dl/in"
EVIL_MODE=tty LC_ALL=C.UTF-8 kscp_t -O -S "$T/evilssh" evilhost:wanted "$T/dl/in/" >/dev/null 2>"$T/err"
bytes "$T/err" 'b"remote: \x1b[2K\rERASED \x9b31mCSI \xc2\x85NEL" in d and b"scp: \\033[2K\\015WARNED \\23331mCSI" in d'
res "remote stderr to a file passes unchanged, warning records stay escaped"

rm -rf "$T/dl"; mkdir -p "$T/dl/in"; echo old >"$T/dl/in/wanted"
EVIL_MODE=short kscp_t -O -S "$T/evilssh" evilhost:wanted "$T/dl/in/" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -ne 0 ] && [ "$(cat "$T/dl/in/wanted")" = old ] && [ "$(ls -A "$T/dl/in")" = wanted ]
res "a short file leaves the existing target intact and no partial file"

evil deep -r
[ $rc -eq 1 ] && outside_clean && grep -q "nested too deeply" "$T/err"; res "endless directory nesting stops cleanly"

finish
