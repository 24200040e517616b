#!/usr/bin/python3
"""A malicious legacy scp source ("scp -f" gone bad), for kscp's name checks.

Run in place of the remote "scp -f ..." by a fake transport program (kscp -S).
EVIL_MODE picks the attack; EVIL_VICTIM is an absolute path outside the
client's target that must never be written.  Speaks on stdin/stdout."""
import os
import sys

MODE = os.environ.get("EVIL_MODE", "good")
VICTIM = os.environ.get("EVIL_VICTIM", "/nonexistent/victim")
DATA = b"evil\n"

inp = sys.stdin.buffer
out = sys.stdout.buffer


def ack():
    c = inp.read(1)
    if c != b"\0":
        if c:
            inp.readline()
        sys.exit(1)


def send(rec):
    out.write(rec)
    out.flush()


def file_rec(name, data=DATA, mode=b"0644"):
    if isinstance(name, str):
        name = name.encode()
    send(b"C" + mode + b" %d " % len(data) + name + b"\n")
    ack()
    send(data + b"\0")
    ack()


def main():
    ack()  # the sink's first "ready"
    if MODE == "good":
        file_rec("wanted")
    elif MODE == "dotdot":
        file_rec("..")
    elif MODE == "dotdot_file":
        file_rec("../escaped")
    elif MODE == "abs":
        file_rec(VICTIM)
    elif MODE == "unrequested":
        file_rec("other")
    elif MODE == "extra":
        file_rec("wanted")
        file_rec("wanted")
    elif MODE == "dot_dir":
        # CVE-2018-20685: a directory called "." changes the target's mode.
        send(b"D0777 0 .\n")
        ack()
        file_rec("inside")
        send(b"E\n")
        ack()
    elif MODE == "nested":
        send(b"D0755 0 wanted\n")
        ack()
        file_rec("../../escaped")
        send(b"E\n")
        ack()
    elif MODE == "ctrl":
        send(b"\x01scp: \x1b[2J\x1b[31mfake\rprompt\n")
        file_rec("wanted")
    elif MODE == "tty":
        # CVE-2019-6110: erase the line, return the cursor, and C1 controls
        # (CSI 0x9b alone, NEL as UTF-8 C2 85) on stderr and in a warning
        # record, around text that must stay readable (é, …).
        err = sys.stderr.buffer
        err.write(b"remote: \x1b[2K\rERASED \x9b" b"31mCSI \xc2\x85NEL caf\xc3\xa9 wait\xe2\x80\xa6\n")
        err.flush()
        send(b"\x01scp: \x1b[2K\rWARNED \x9b" b"31mCSI \xc2\x85NEL caf\xc3\xa9\n")
        file_rec("wanted")
    elif MODE == "short":
        # Promises more data than it sends, then hangs up.
        send(b"C0644 1000 wanted\n")
        ack()
        send(b"only a little")
        out.flush()
        sys.exit(0)
    elif MODE == "deep":
        send(b"D0755 0 wanted\n")
        ack()
        for _ in range(400):
            send(b"D0755 0 d\n")
            ack()
    sys.exit(0)


try:
    main()
except (BrokenPipeError, ConnectionResetError):
    sys.exit(1)
