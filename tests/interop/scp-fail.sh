#!/bin/sh
# kscp against ksshd when the copy cannot be made, in SFTP mode and with -O:
#  - exit status 255 when the connection fails (closed port, refused
#    authentication under BatchMode, a wrong host key, a failing -J hop),
#    also with -3 and through -S ssh; 1 for file errors (missing remote
#    file, missing local source, unwritable target, a full device; a
#    device target is written in place, never replaced by a file).  OpenSSH's scp 9.2 runs
#    alongside as the reference: it agrees in SFTP mode except that a
#    missing local source is fatal to it (255); with -O it says "lost
#    connection" and exits 1 for a failed connection.  kscp keeps one rule.
#  - a server's stderr carried over the SSH channel (extended data) shown
#    escaped when kscp's stderr is a terminal: a forced command plays a
#    malicious legacy scp (tests/interop/scp_evil_server.py).
# Skips while ksshd is absent.
. "$(dirname "$0")/scp-lib.sh"
KSSHD=${KSSHD:-$KAGI_ROOT/build/bin/ksshd}
EVIL=$KAGI_ROOT/tests/interop/scp_evil_server.py
[ -x "$KSSHD" ] || { skip "ksshd not built ($KSSHD)"; exit 0; }

for k in host other user stranger evil; do
	ssh-keygen -q -t ed25519 -N '' -f "$T/$k" </dev/null || { fail "keys"; finish; }
done
cat >"$T/evilcmd" <<EOS
#!/bin/sh
EVIL_MODE=tty exec $PY "$EVIL"
EOS
chmod 755 "$T/evilcmd"
{ cat "$T/user.pub"; echo "command=\"$T/evilcmd\" $(cat "$T/evil.pub")"; } >"$T/authorized_keys"
CLOSED=$(closed_port)  # bound, never listening: connections are refused
[ -n "$CLOSED" ] || { fail "a closed port"; finish; }
sub=""; [ -x "$KAGI_ROOT/build/bin/ksftp-server" ] && sub=$KAGI_ROOT/build/bin/ksftp-server
start_test_server "$KSSHD" ksshd "$sub" || { fail "ksshd start"; finish; }
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/host.pub")" >"$T/known_hosts"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/other.pub")" >"$T/wrong_hosts"
echo data >"$T/src"; mkdir -p "$T/ro"; chmod 555 "$T/ro"

H=127.0.0.1
# copy PROGRAM KEY KNOWN_HOSTS ARGS... : a copy with BatchMode and strict
# host key checking; sets rc.
copy() {
	_p=$1; _k=$2; _kh=$3; shift 3
	# shellcheck disable=SC2086  # _p may be "scp -O"
	timeout -k 5 "$SCP_TIMEOUT" $_p -F /dev/null -i "$T/$_k" -o UserKnownHostsFile="$T/$_kh" \
		-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes \
		-o IdentitiesOnly=yes "$@" >"$T/out" 2>"$T/err"
	rc=$?
}
# expect LABEL WANT PROGRAM KEY KNOWN_HOSTS ARGS...
expect() {
	_l=$1; _w=$2; shift 2
	copy "$@"
	[ "$rc" -eq "$_w" ]; res "$_l: exit $_w" || { note "got $rc"; tail -3 "$T/err" >&2; }
}

have_scp=0; command -v scp >/dev/null 2>&1 && have_scp=1
for mode in sftp legacy; do
	flag=""; [ $mode = legacy ] && flag="-O"
	progs="$KSCP"; [ $have_scp = 1 ] && progs="scp $KSCP"
	for p in $progs; do
		l=$(basename "$p")${flag:+ $flag}
		pf="$p${flag:+ $flag}"
		conn=255; nosrc=1
		if [ "$p" = scp ]; then  # OpenSSH's own answers
			[ $mode = legacy ] && conn=1
			[ $mode = sftp ] && nosrc=255
		fi
		rm -f "$T/dst"
		expect "$l closed port (upload)" $conn "$pf" user known_hosts -P "$CLOSED" "$T/src" "$H:$T/dst"
		expect "$l closed port (download)" $conn "$pf" user known_hosts -P "$CLOSED" "$H:$T/src" "$T/dst"
		if [ "$p" = scp ]; then
			# OpenSSH's scp -3 runs two ssh processes; which one's failure it
			# reports first varies from run to run (1 or 255): recorded, not judged.
			copy "$pf" user known_hosts -3 -P "$CLOSED" "$H:$T/src" "$H:$T/dst"
			[ "$rc" -eq 1 ] || [ "$rc" -eq 255 ]; res "$l closed port (-3): exit 1 or 255 (got $rc)"
		else
			expect "$l closed port (-3)" $conn "$pf" user known_hosts -3 -P "$CLOSED" "$H:$T/src" "$H:$T/dst"
		fi
		expect "$l refused authentication" $conn "$pf" stranger known_hosts -P "$PORT" "$T/src" "$H:$T/dst"
		expect "$l wrong host key" $conn "$pf" user wrong_hosts -P "$PORT" "$H:$T/src" "$T/dst"
		expect "$l failing -J hop" $conn "$pf" user known_hosts -J "127.0.0.1:$CLOSED" -P "$PORT" "$H:$T/src" "$T/dst"
		expect "$l control: a good copy" 0 "$pf" user known_hosts -P "$PORT" "$H:$T/src" "$T/dst"
		expect "$l missing remote file" 1 "$pf" user known_hosts -P "$PORT" "$H:$T/nonexistent" "$T/dst"
		expect "$l missing local source" $nosrc "$pf" user known_hosts -P "$PORT" "$T/nonexistent" "$H:$T/dst"
		expect "$l remote target in a missing folder" 1 "$pf" user known_hosts -P "$PORT" "$T/src" "$H:$T/nodir/dst"
		if [ "$p" != scp ] && mknod -m 666 "$T/full" c 1 7 2>/dev/null && mknod -m 666 "$T/null" c 1 3 2>/dev/null; then
			# device nodes of our own, like /dev/full and /dev/null
			expect "$l local disk full (a full device)" 1 "$pf" user known_hosts -P "$PORT" "$H:$T/src" "$T/full"
			[ -c "$T/full" ]; res "$l the full device is still a device"
			expect "$l into a null device" 0 "$pf" user known_hosts -P "$PORT" "$H:$T/src" "$T/null"
			[ -c "$T/null" ]; res "$l the null device is still a device"
			rm -f "$T/full" "$T/null"
		fi
		if [ "$(id -u)" -ne 0 ]; then
			expect "$l unwritable remote target" 1 "$pf" user known_hosts -P "$PORT" "$T/src" "$H:$T/ro/dst"
		fi
	done
	if command -v ssh >/dev/null 2>&1; then
		l="kscp${flag:+ $flag} -S ssh"
		expect "$l closed port" 255 "$KSCP $flag -S ssh" user known_hosts -P "$CLOSED" "$H:$T/src" "$T/dst"
		expect "$l wrong host key" 255 "$KSCP $flag -S ssh" user wrong_hosts -P "$PORT" "$T/src" "$H:$T/dst"
		expect "$l missing remote file" 1 "$KSCP $flag -S ssh" user known_hosts -P "$PORT" "$H:$T/nonexistent" "$T/dst"
	fi
done

# The forced command's stderr comes as channel extended data.
if command -v script >/dev/null 2>&1; then
	rm -rf "$T/in"; mkdir -p "$T/in"
	LC_ALL=C.UTF-8 script -q -e -c "timeout -k 5 $SCP_TIMEOUT $KSCP -O -F /dev/null -i $T/evil \
-o UserKnownHostsFile=$T/known_hosts -o BatchMode=yes -P $PORT $H:wanted $T/in/ >/dev/null" /dev/null >"$T/raw" </dev/null
	$PY -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.exit(0 if b"\x1b" not in d and b"\x9b" not in d and b"\xc2\x85" not in d
         and b"remote: \\033[2K\\015ERASED \\23331mCSI \\302\\205NEL caf\xc3\xa9 wait\xe2\x80\xa6\r\n" in d else 1)' "$T/raw"
	res "remote stderr over the channel, on a terminal: shown escaped" || od -c "$T/raw" | head >&2
else
	skip "terminal case (script(1) not installed)"
fi
copy "$KSCP -O" evil known_hosts -P "$PORT" "$H:wanted" "$T/in/"
$PY -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(0 if b"remote: \x1b[2K\rERASED \x9b31m" in d else 1)' "$T/err"
res "remote stderr over the channel, to a file: passed unchanged"

finish
