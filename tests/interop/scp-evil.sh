#!/bin/sh
# kscp -O against a malicious legacy scp server (tests/interop/scp_evil_server.py
# run by a fake transport program through -S, no SSH server needed): names
# that leave the target ('..', absolute paths, paths inside directories),
# names that were not asked for, a directory called '.', control characters
# in messages, a short file, endless nesting.  Nothing may be written
# outside the target, and an existing file stays intact.
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

rm -rf "$T/dl"; mkdir -p "$T/dl/in"; echo old >"$T/dl/in/wanted"
EVIL_MODE=short kscp_t -O -S "$T/evilssh" evilhost:wanted "$T/dl/in/" >"$T/out" 2>"$T/err"; rc=$?
[ $rc -ne 0 ] && [ "$(cat "$T/dl/in/wanted")" = old ] && [ "$(ls -A "$T/dl/in")" = wanted ]
res "a short file leaves the existing target intact and no partial file"

evil deep -r
[ $rc -eq 1 ] && outside_clean && grep -q "nested too deeply" "$T/err"; res "endless directory nesting stops cleanly"

finish
