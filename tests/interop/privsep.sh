#!/bin/sh
# ksshd's privilege separation, seen from outside.  While a client has
# sent only its version line, the process reading it runs as the
# privilege separation user (sshd), chrooted to the empty /run/ksshd,
# with no_new_privs and a seccomp filter, and holds no copy of the host's
# private key (the monitor above it, root, does).  A forbidden system call
# in it kills it (KSSHD_TEST_SANDBOX_PROBE, ksshd's test hook) and the
# connection only; a refused one (open) does not.  After a non-root user
# logs in, the process serving the connection runs as that user, the
# session's loginuid is theirs, a forwarding connects as them, and
# re-exchanges after the hand-over are signed by the monitor.
. "$(dirname "$0")/lib.sh"

if [ $IS_ROOT -ne 1 ]; then
	skip "privilege separation (needs root)"
	finish
fi
have_prog privsep ksshd ssh || finish
setup_keys || { fail "setup keys"; finish; }
SSHD_UID=$(id -u sshd 2>/dev/null) || { skip "no sshd user"; finish; }

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# version_only PORT SECS : a client that sends its version line and waits.
version_only() {
	"$PY" -c 'import socket,sys,time
s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); s.sendall(b"SSH-2.0-kagi_test\r\n")
s.recv(256); time.sleep(float(sys.argv[2]))' "$1" "$2" &
}
# has_bytes PID HEXFILE : the process's writable memory holds those bytes
# (exit 0), does not (1), or cannot be read (2).
has_bytes() {
	"$PY" - "$1" "$2" <<'EOF'
import re, sys
pid, needle = sys.argv[1], bytes.fromhex(open(sys.argv[2]).read().strip())
found = False
try:
  with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    regions = 0
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
        if not m or "r" not in m.group(3) or "w" not in m.group(3):
            continue
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
            regions += 1
            if needle in data:
                found = True
                break
        except (OSError, ValueError, OverflowError):
            pass
except OSError:
    sys.exit(2)
sys.exit(0 if found else 1 if regions else 2)
EOF
}

# The host key's private scalar (the seed of the ed25519 key file, unencrypted).
"$PY" - "$T/host_ed25519" >"$T/seed.hex" <<'EOF'
import base64, struct, sys
text = open(sys.argv[1]).read().split("-----")[2]
b = base64.b64decode("".join(text.split()))
p = len(b"openssh-key-v1\0")
def string(p):
    n = struct.unpack(">I", b[p:p + 4])[0]
    return b[p + 4:p + 4 + n], p + 4 + n
_, p = string(p); _, p = string(p); _, p = string(p)   # cipher, kdf, kdf options
p += 4                                                 # number of keys
_, p = string(p)                                       # public key
priv, _ = string(p)
off = 8                                                # two check integers
n = struct.unpack(">I", priv[off:off + 4])[0]; off += 4 + n   # key type
n = struct.unpack(">I", priv[off:off + 4])[0]; off += 4 + n   # public half
n = struct.unpack(">I", priv[off:off + 4])[0]; off += 4       # private: seed || public
print(priv[off:off + 32].hex())
EOF
[ "$(wc -c <"$T/seed.hex")" -eq 65 ]; res "the host key's private seed read from its file" || finish

start_server ksshd ps || { fail "ksshd start"; finish; }
port=$SRV_PORT; lpid=$SRV_PID

# ---- the pre-authentication process ----
version_only "$port" 6
vpid=$!
mon=$(wait_child "$lpid") && pre=$(wait_child "$mon")
[ -n "$pre" ]; res "the connection has a monitor and a child below it" || { cat "$SRV_LOG" >&2; finish; }
note "listener $lpid monitor $mon child $pre: $(ps -o pid,ppid,uid,args -p "$lpid,$mon,$pre" 2>&1 | tr "\n" "|")"
sleep 0.5
[ "$(status_field "$mon" Uid)" = 0 ] && [ "$(status_field "$pre" Uid)" = "$SSHD_UID" ]
res "the monitor runs as root, the process reading the client as sshd (uid $SSHD_UID)" ||
	note "monitor $(status_field "$mon" Uid) child $(status_field "$pre" Uid)"
[ "$(status_field "$pre" Seccomp)" = 2 ] && [ "$(status_field "$pre" NoNewPrivs)" = 1 ]
res "that process has Seccomp: 2 and NoNewPrivs: 1" || grep -E "Seccomp|NoNewPrivs" "/proc/$pre/status" >&2
[ "$(readlink "/proc/$pre/root")" = /run/ksshd ] && [ -z "$(ls -A /run/ksshd)" ]
res "its root is the empty /run/ksshd" || readlink "/proc/$pre/root" >&2
[ "$(awk '$1 == "Groups:" { print NF }' "/proc/$pre/status")" = 1 ] &&
	[ "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pre/status")" = 0000000000000000 ]
res "it has no supplementary groups and no capabilities"
has_bytes "$mon" "$T/seed.hex"; res "the monitor holds the host's private key"
has_bytes "$pre" "$T/seed.hex"; [ $? -eq 1 ]; res "the process reading the client holds no copy of it"
kill "$vpid" 2>/dev/null; wait "$vpid" 2>/dev/null

# ---- a forbidden call kills that process, and only the connection ----
KSSHD_TEST_SANDBOX_PROBE=execve start_server ksshd probe || { fail "ksshd probe start"; finish; }
out=$(client ssh "$SRV_PORT" "" 'echo in' </dev/null 2>"$T/probe.err")
i=0; while [ $i -lt 50 ] && ! grep -q "killed by signal" "$SRV_LOG"; do sleep 0.1; i=$((i + 1)); done
[ "$out" != in ] && grep -q "Pre-authentication process for 127.0.0.1 port [0-9]* killed by signal 31" "$SRV_LOG"
res "execve in the sandbox: killed by SIGSYS (31), the monitor logs it" || tail -n 5 "$SRV_LOG" >&2
kill -0 "$SRV_PID" 2>/dev/null; res "the listener goes on"
KSSHD_TEST_SANDBOX_PROBE=open start_server ksshd probe2 || { fail "ksshd probe2 start"; finish; }
out=$(client ssh "$SRV_PORT" "" 'echo in' </dev/null 2>"$T/probe2.err")
[ "$out" = in ]; res "open in the sandbox is refused (EACCES), not fatal: the login works" || cat "$T/probe2.err" >&2

# ---- ChrootDirectory: the user's process is inside it; ptys come from the monitor ----
jail=$(mktemp -d /run/kagi-privsep-jail.XXXXXX) && chmod 755 "$jail"
ushell=$(getent passwd "$TUSER" | cut -d: -f7)
mkdir -p "$jail$(dirname "$ushell")" && cp "$ushell" "$jail$ushell"
for lib in $(ldd "$ushell" | awk '/\// { for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
	mkdir -p "$jail$(dirname "$lib")" && cp "$lib" "$jail$lib"
done
write_server_config "$T/jail.conf" "$T/host_ed25519"
printf 'Match User %s\n\tChrootDirectory %s\n' "$TUSER" "$jail" >>"$T/jail.conf"
start_server ksshd jail || { fail "ksshd jail start"; rm -rf "$jail"; finish; }
out=$(client ssh "$SRV_PORT" "-tt" 'test -t 0 && echo in-a-tty; test -e /etc/passwd || echo no-passwd' </dev/null 2>"$T/jail.err" |
	tr -d '\r')
echo "$out" | grep -qx in-a-tty && echo "$out" | grep -qx no-passwd
res "inside ChrootDirectory a session still gets a pty (opened by the monitor)" ||
	{ echo "$out"; cat "$T/jail.err"; tail -n 5 "$SRV_LOG"; } >&2
rm -rf "$jail"

# ---- after authentication: the user's process ----
if setup_pwuser; then
	PWUID=$(id -u "$PWUSER")
	write_server_config "$T/pam.conf" "$T/host_ed25519"
	sed -i -e 's/^UsePAM .*/UsePAM yes/' "$T/pam.conf"
	printf 'RekeyLimit 1M\n' >>"$T/pam.conf"
	start_server ksshd pam || { fail "ksshd pam start"; finish; }
	opts="-o BatchMode=no -o PubkeyAuthentication=no -o PasswordAuthentication=yes -o KbdInteractiveAuthentication=no -o NumberOfPasswordPrompts=1"
	pw() { SSHPASS=$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client ssh "$SRV_PORT" "$opts" "$@"; }
	out=$(pw 'id -u; awk "\$1 == \"Uid:\" { print \$2 }" /proc/$PPID/status; cat /proc/self/loginuid; echo' \
		</dev/null 2>"$T/pw.err")
	[ "$(echo "$out" | sed -n 1p)" = "$PWUID" ] && [ "$(echo "$out" | sed -n 2p)" = "$PWUID" ]
	res "the process serving the connection (the shell's parent) runs as the user ($PWUID)" ||
		{ echo "$out"; cat "$T/pw.err"; } >&2
	[ "$(echo "$out" | sed -n 3p)" = "$PWUID" ]; res "the session's loginuid is the user's"
	# 8 MiB with RekeyLimit 1M: re-exchanges after the hand-over, signed by the monitor.
	head -c 8388608 /dev/urandom >"$T/big"
	n=$(pw 'wc -c' <"$T/big" 2>"$T/rk.err")
	[ "$n" = 8388608 ]; res "8 MiB through re-exchanges after the hand-over" || cat "$T/rk.err" >&2
	out=$(SSHPASS=$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client ssh "$SRV_PORT" "$opts -v" 'cat >/dev/null' \
		<"$T/big" 2>&1)
	[ "$(echo "$out" | grep -c 'SSH2_MSG_NEWKEYS received')" -ge 3 ]
	res "the client saw several re-exchanges" || echo "$out" | grep -i "kex\|newkeys" | tail -5 >&2
	# A forwarding connects as the user: the Unix socket's peer is the user's uid.
	sd=$(mktemp -d /tmp/kagi-privsep-fwd.XXXXXX) && chmod 755 "$sd"
	"$PY" - "$sd/peer.sock" <<'EOF2' &
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(1)
s.settimeout(30)
c, _ = s.accept()
pid, uid, gid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
c.sendall(b"%d\n" % uid)
c.close()
EOF2
	upid=$!
	i=0; while [ $i -lt 50 ] && [ ! -S "$sd/peer.sock" ]; do sleep 0.1; i=$((i + 1)); done
	lport=$(free_port)
	SSHPASS=$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client ssh "$SRV_PORT" "$opts -L $lport:$sd/peer.sock" \
		'sleep 4' </dev/null >/dev/null 2>"$T/fwd.err" &
	fpid=$!
	got=""
	i=0
	while [ $i -lt 50 ] && [ -z "$got" ]; do
		got=$("$PY" -c 'import socket,sys
try:
    s=socket.create_connection(("127.0.0.1",int(sys.argv[1])),timeout=2); print(s.recv(64).decode().strip())
except OSError: pass' "$lport")
		[ -n "$got" ] || { sleep 0.1; i=$((i + 1)); }
	done
	[ "$got" = "$PWUID" ]; res "a forwarding connects as the user (the socket's peer uid is $PWUID)" ||
		{ note "peer uid '$got'"; cat "$T/fwd.err" >&2; }
	kill "$upid" "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
	rm -rf "$sd"
else
	skip "the user's process (needs sshpass for $PWUSER)"
fi
finish
