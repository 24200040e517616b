#!/usr/bin/python3
"""Writes raw SFTP packets to a server's stdin (in the current directory):
bad lengths, unknown handles, huge reads, unknown types.  Each must get a
status reply and the server must keep serving; an impossible frame length
must end the session without a crash.  Exit status 0 when all hold."""
import struct
import subprocess
import sys

FXP_INIT, FXP_VERSION, FXP_OPEN, FXP_CLOSE, FXP_READ = 1, 2, 3, 4, 5
FXP_REALPATH, FXP_STATUS, FXP_HANDLE, FXP_DATA, FXP_NAME = 16, 101, 102, 103, 104
FX_FAILURE, FX_BAD_MESSAGE, FX_OP_UNSUPPORTED = 4, 5, 8

srv = subprocess.Popen([sys.argv[1], "-e"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def s(b):
    return struct.pack(">I", len(b)) + b


def send(typ, rid, body=b""):
    payload = bytes([typ]) + struct.pack(">I", rid) + body
    srv.stdin.write(struct.pack(">I", len(payload)) + payload)
    srv.stdin.flush()


def raw(b):
    srv.stdin.write(b)
    srv.stdin.flush()


def recv():
    hdr = srv.stdout.read(4)
    if len(hdr) < 4:
        raise SystemExit("server closed the connection")
    (n,) = struct.unpack(">I", hdr)
    data = srv.stdout.read(n)
    return data[0], struct.unpack(">I", data[1:5])[0], data[5:]


def expect_status(rid, code, what):
    t, i, body = recv()
    got = struct.unpack(">I", body[:4])[0] if t == FXP_STATUS else None
    if t != FXP_STATUS or i != rid or got != code:
        raise SystemExit("%s: wanted status %d for id %d, got type %d id %d status %s" % (what, code, rid, t, i, got))
    print("ok:", what)


with open("data.bin", "wb") as f:
    f.write(b"x" * 1000000)

send(FXP_INIT, 3)
t, v, _ = recv()
assert t == FXP_VERSION and v == 3, "no VERSION"

send(FXP_READ, 1, s(b"\0\0\0\7garbage") + struct.pack(">QI", 0, 0xFFFFFFFF))
expect_status(1, FX_FAILURE, "read on an unknown handle")
send(FXP_CLOSE, 2, s(b"12345678"))
expect_status(2, FX_FAILURE, "close of an unknown handle")
send(FXP_OPEN, 3, struct.pack(">I", 1000))  # string length past the end
expect_status(3, FX_BAD_MESSAGE, "open with a string longer than the packet")
send(FXP_READ, 4)  # no body at all
expect_status(4, FX_BAD_MESSAGE, "read without arguments")
send(77, 5, b"junk")
expect_status(5, FX_OP_UNSUPPORTED, "unknown request type")
send(200, 6, s(b"no-such-extension@example.com"))
expect_status(6, FX_OP_UNSUPPORTED, "unknown extension")
raw(struct.pack(">I", 3) + b"\x05\0\0")  # shorter than type + id
expect_status(0, FX_BAD_MESSAGE, "packet shorter than its id")

send(FXP_OPEN, 7, s(b"data.bin") + struct.pack(">II", 1, 0))
t, i, body = recv()
assert t == FXP_HANDLE and i == 7, "open failed"
handle = body[4:4 + struct.unpack(">I", body[:4])[0]]
send(FXP_READ, 8, s(handle) + struct.pack(">QI", 0, 0xFFFFFFFF))
t, i, body = recv()
n = struct.unpack(">I", body[:4])[0]
assert t == FXP_DATA and i == 8 and 0 < n <= 256 * 1024, "huge read not capped: %d" % n
print("ok: huge read answered with", n, "bytes")
send(FXP_CLOSE, 9, s(handle))
expect_status(9, 0, "close")
send(FXP_READ, 10, s(handle) + struct.pack(">QI", 0, 10))
expect_status(10, FX_FAILURE, "read on a closed (stale) handle")

send(FXP_REALPATH, 11, s(b"."))
t, i, _ = recv()
assert t == FXP_NAME and i == 11, "not serving after malformed requests"
print("ok: still serving")

raw(struct.pack(">I", 0x7FFFFFFF) + b"\x05")
srv.stdin.close()
rc = srv.wait(timeout=10)
assert rc >= 0, "server died from signal %d" % -rc
print("ok: impossible length ends the session cleanly (exit %d)" % rc)
