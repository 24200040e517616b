#!/bin/sh
# ksftp on a real terminal: a pseudo-terminal driven by python3's pty
# module types at the "sftp>" prompt (Left arrow and insert to fix a typo,
# Up to recall a line, Home, Ctrl-U, Ctrl-W, Ctrl-C, a multibyte character,
# Ctrl-D), and the effects are checked on the server side.  The terminal's
# modes must be what they were, while commands run and after ksftp exits
# (by "bye", Ctrl-D or SIGTERM at the prompt).  `ls` fills columns.
# Server: OpenSSH's sshd with `Subsystem sftp` pointing at ksftp-server.
# Prints "PASS: name" / "FAIL: name" lines.
. "$(dirname "$0")/lib.sh"

KSFTP=${KSFTP:-$KAGI_BIN/ksftp}
KSFTP_SERVER=${KSFTP_SERVER:-$KAGI_BIN/ksftp-server}
for p in "$KSFTP" "$KSFTP_SERVER" "$SSHD" "$PY"; do
	[ -x "$p" ] || { fail "setup ($p missing)"; finish; }
done

setup_keys || { fail "setup keys"; finish; }
write_server_config "$T/sshd.conf" "$T/host_ed25519"
echo "Subsystem sftp $KSFTP_SERVER" >>"$T/sshd.conf"
start_server sshd sshd || { fail "sshd with ksftp-server did not start"; finish; }

mkdir -p "$T/srv/cols" || { fail setup; finish; }
for n in alpha beta gamma delta; do : >"$T/srv/cols/$n"; done

cat >"$T/drive.py" <<'PYEOF'
import fcntl, os, re, select, signal, struct, subprocess, sys, termios, time

srv, results, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
out_lines = []

def result(name, ok, why=""):
    out_lines.append("%s|%d|%s" % (name, 1 if ok else 0, why.replace("\n", " ")))

class Session:
    def __init__(self):
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.before = termios.tcgetattr(self.slave)
        self.stty = subprocess.run(["stty", "-g"], stdin=self.slave, capture_output=True).stdout.strip()
        def ctty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        env = dict(os.environ, TERM="xterm")
        self.p = subprocess.Popen(cmd, stdin=self.slave, stdout=self.slave, stderr=self.slave,
                                  start_new_session=True, preexec_fn=ctty, env=env, close_fds=True)
        self.out = b""

    def pump(self, secs):
        end = time.time() + secs
        while True:
            left = end - time.time()
            if left <= 0:
                return
            r, _, _ = select.select([self.master], [], [], left)
            if not r:
                return
            try:
                d = os.read(self.master, 65536)
            except OSError:
                return
            if not d:
                return
            self.out += d

    def wait_for(self, needle, start, secs=20):
        end = time.time() + secs
        while needle not in self.out[start:]:
            if time.time() > end or self.p.poll() is not None:
                self.pump(0.2)
                return needle in self.out[start:]
            self.pump(0.1)
        return True

    # An empty prompt line drawn afresh: only a new prompt looks like this.
    PROMPT = b"\rsftp> \x1b[K\r\x1b[6C"

    def prompt(self, start=0):
        return self.wait_for(self.PROMPT, start)

    def keys(self, *parts):
        for k in parts:
            os.write(self.master, k)
            time.sleep(0.05)

    def line(self, *parts):
        """Types parts, then Enter; True when the next prompt is back.
        Returns the output of the command (between Enter and the prompt)."""
        self.keys(*parts)
        mark = len(self.out)
        self.keys(b"\r")
        ok = self.prompt(mark)
        return ok, self.out[mark:]

    def finish(self, secs=20):
        try:
            rc = self.p.wait(timeout=secs)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.pump(0.2)
        after = termios.tcgetattr(self.slave)
        os.close(self.master)
        os.close(self.slave)
        return rc, after

LEFT, UP, HOME = b"\x1b[D", b"\x1b[A", b"\x1b[H"
S = srv.encode()

# ---- session 1: editing keys, ls columns, bye ----
s = Session()
result("prompt shown", s.prompt(), repr(s.out[-200:]))

ok, _ = s.line(b"mkdir " + S + b"/fied", LEFT, LEFT, b"x")
result("Left arrow and insert fix a typo",
       ok and os.path.isdir(srv + "/fixed") and not os.path.exists(srv + "/fied"))

ok, _ = s.line(UP, b"2")
result("Up recalls the previous command", ok and os.path.isdir(srv + "/fixed2"))

ok, _ = s.line(b"rmdir " + S + b"/fixed", b"\x15", b"mkdir " + S + b"/afterkill")
result("Ctrl-U kills the line", ok and os.path.isdir(srv + "/fixed") and os.path.isdir(srv + "/afterkill"))

ok, _ = s.line(b"mkdir " + S + b"/bad", b"\x17", S + b"/good")
result("Ctrl-W deletes the word before the cursor",
       ok and os.path.isdir(srv + "/good") and not os.path.exists(srv + "/bad"))

ok, _ = s.line(b"dir " + S + b"/home", HOME, b"mk")
result("Home and insert at the start", ok and os.path.isdir(srv + "/home"))

s.keys(b"rmdir " + S + b"/fixed")
mark = len(s.out)
s.keys(b"\x03")
ok = s.prompt(mark)
result("Ctrl-C abandons the line", ok and os.path.isdir(srv + "/fixed"))

ok, _ = s.line(b"mkdir " + S + "/caf\u00e9x".encode(), LEFT, b"\x7f")
result("Backspace removes a whole multibyte character",
       ok and os.path.isdir(srv + "/cafx") and not os.path.exists(srv + "/caf\u00e9x"))

ok, _ = s.line(b"!stty -g > " + S + b"/../stty-during")
during = open(srv + "/../stty-during", "rb").read().strip() if os.path.exists(srv + "/../stty-during") else b""
result("terminal is back in its own mode while a command runs", ok and during == s.stty,
       "%r vs %r" % (during, s.stty))

ok, o = s.line(b"cd " + S + b"/cols")
ok2, o = s.line(b"ls")
text = o.replace(b"\r", b"").decode("utf-8", "replace")
result("ls fills columns", ok and ok2 and re.search(r"^alpha +beta +delta +gamma$", text, re.M) is not None, repr(text))
ok, o = s.line(b"ls -1")
text = o.replace(b"\r", b"").decode("utf-8", "replace")
result("ls -1 gives one name per line", ok and re.search(r"^alpha\nbeta\ndelta\ngamma$", text, re.M) is not None, repr(text))

s.keys(b"bye\r")
rc, after = s.finish()
result("bye exits 0", rc == 0, "exit %s" % rc)
result("terminal modes restored after bye", after == s.before)

# ---- session 2: Ctrl-D at an empty prompt ----
s = Session()
ok = s.prompt()
s.keys(b"\x04")
rc, after = s.finish()
result("Ctrl-D at the prompt exits 0", ok and rc == 0, "exit %s" % rc)
result("terminal modes restored after Ctrl-D", after == s.before)

# ---- session 3: SIGTERM while waiting at the prompt ----
s = Session()
ok = s.prompt()
s.keys(b"half a line")
time.sleep(0.2)
s.p.send_signal(signal.SIGTERM)
rc, after = s.finish()
result("SIGTERM at the prompt ends ksftp", ok and rc == -signal.SIGTERM, "exit %s" % rc)
result("terminal modes restored after SIGTERM", after == s.before)

with open(results, "w") as f:
    f.write("\n".join(out_lines) + "\n")
PYEOF

timeout -k 5 180 "$PY" "$T/drive.py" "$T/srv" "$T/results" \
	"$KSFTP" -F /dev/null -P "$SRV_PORT" -i "$T/user_ed25519" \
	-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
	-o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o BatchMode=yes -o LogLevel=ERROR \
	"$TUSER@127.0.0.1" 2>"$T/drive.err"
rc=$?
if [ ! -s "$T/results" ]; then
	fail "pty driver (exit $rc)"
	tail -n 20 "$T/drive.err" >&2
	finish
fi
while IFS='|' read -r name ok why; do
	if [ "$ok" = 1 ]; then pass "$name"; else fail "$name"; [ -n "$why" ] && note "$why"; fi
done <"$T/results"
finish
