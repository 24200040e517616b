#!/usr/bin/python3
"""A hostile SSH client on raw sockets, one misbehaviour per run.

    malformed.py --port N --case NAME [--host 127.0.0.1] [--timeout S]

Each case misbehaves in one way and asserts that the server closes the
connection (never answers out of turn).  Exit status 0 = the server behaved;
1 = it did not; 2 = the case itself could not run.  The last line of output
says what happened, e.g. "closed after 0.01 s, DISCONNECT: Packet corrupt".

The cases that need a finished key exchange do their own: curve25519-sha256,
aes128-ctr, hmac-sha2-256-etm@openssh.com (the host key signature is not
checked: this client only needs the shared keys).
"""
import argparse
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives import serialization

MSG_DISCONNECT, MSG_IGNORE, MSG_UNIMPLEMENTED, MSG_DEBUG = 1, 2, 3, 4
MSG_SERVICE_REQUEST, MSG_SERVICE_ACCEPT, MSG_EXT_INFO = 5, 6, 7
MSG_KEXINIT, MSG_NEWKEYS = 20, 21
MSG_KEX_ECDH_INIT, MSG_KEX_ECDH_REPLY = 30, 31
MSG_USERAUTH_REQUEST = 50
CLIENT_VERSION = b"SSH-2.0-kagi_malformed_test"
HOSTKEY_ALGS = b"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256"


class Fail(Exception):
    """The server did not behave."""


class CannotRun(Exception):
    """The case could not be set up (not the server's fault)."""


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def mpint(b):
    b = b.lstrip(b"\0")
    if b and b[0] & 0x80:
        b = b"\0" + b
    return sshstr(b)


class Reader:
    def __init__(self, data):
        self.d, self.i = data, 0

    def byte(self):
        if self.i >= len(self.d):
            raise CannotRun("short packet")
        self.i += 1
        return self.d[self.i - 1]

    def u32(self):
        if self.i + 4 > len(self.d):
            raise CannotRun("short packet")
        self.i += 4
        return struct.unpack(">I", self.d[self.i - 4:self.i])[0]

    def string(self):
        n = self.u32()
        if self.i + n > len(self.d):
            raise CannotRun("short packet")
        self.i += n
        return self.d[self.i - n:self.i]


class Conn:
    def __init__(self, host, port, timeout):
        self.timeout = timeout
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.seq_out = self.seq_in = 0
        self.enc_out = self.enc_in = None  # (cipher context, mac key) once keyed
        self.server_version = None
        self.disconnect = None  # reason text of a DISCONNECT seen

    # -- raw bytes
    def send(self, data):
        self.s.sendall(data)

    def fill(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d

    def take(self, n):
        self.fill(n)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_banner(self):
        for _ in range(64):  # lines before the version line are allowed
            while b"\n" not in self.buf:
                if len(self.buf) > 8192:
                    raise CannotRun("server banner too long")
                d = self.s.recv(4096)
                if not d:
                    raise CannotRun("server closed before its banner")
                self.buf += d
            line, self.buf = self.buf.split(b"\n", 1)
            if line.startswith(b"SSH-"):
                self.server_version = line.rstrip(b"\r")
                return self.server_version
        raise CannotRun("no server banner")

    # -- packets
    def seal(self, payload):
        """(length, ciphertext, mac) of one packet under the current keys."""
        ctx, mkey = self.enc_out
        pad = 16 - (len(payload) + 1) % 16
        if pad < 4:
            pad += 16
        body = struct.pack(">B", pad) + payload + os.urandom(pad)
        length = struct.pack(">I", len(body))
        ct = ctx.update(body)
        mac = hmac.new(mkey, struct.pack(">I", self.seq_out) + length + ct, hashlib.sha256).digest()
        return length, ct, mac

    def send_packet(self, payload):
        if self.enc_out is None:
            pad = 8 - (len(payload) + 5) % 8
            if pad < 4:
                pad += 8
            self.send(struct.pack(">IB", len(payload) + 1 + pad, pad) + payload + os.urandom(pad))
        else:
            length, ct, mac = self.seal(payload)
            self.send(length + ct + mac)
        self.seq_out = (self.seq_out + 1) & 0xFFFFFFFF

    def read_packet(self):
        """Next payload; DISCONNECT raises EOFError after recording its reason."""
        if self.enc_in is None:
            n = struct.unpack(">I", self.take(4))[0]
            if n > 256 * 1024 or n < 5:
                raise Fail("server sent a bad packet length %d" % n)
            body = self.take(n)
        else:
            ctx, mkey = self.enc_in
            length = self.take(4)
            n = struct.unpack(">I", length)[0]
            if n > 256 * 1024 or n < 16 or n % 16:
                raise Fail("server sent a bad packet length %d" % n)
            ct = self.take(n)
            mac = self.take(32)
            want = hmac.new(mkey, struct.pack(">I", self.seq_in) + length + ct, hashlib.sha256).digest()
            if not hmac.compare_digest(mac, want):
                raise Fail("server packet has a bad MAC (our key exchange is wrong?)")
            body = ctx.update(ct)
        self.seq_in = (self.seq_in + 1) & 0xFFFFFFFF
        pad = body[0]
        payload = body[1:len(body) - pad]
        if payload and payload[0] == MSG_DISCONNECT:
            r = Reader(payload[1:])
            try:
                r.u32()
                self.disconnect = r.string().decode("utf-8", "replace") or "(no text)"
            except CannotRun:
                self.disconnect = "(unparsable)"
            raise EOFError
        return payload

    def read_msg(self):
        """Next payload that is not IGNORE/DEBUG."""
        while True:
            p = self.read_packet()
            if p and p[0] not in (MSG_IGNORE, MSG_DEBUG):
                return p

    def expect_closed(self, limit=None, raw=False, allow=()):
        """Wait until the server closes; note a DISCONNECT.  Fail if it does
        not close within `limit` seconds or sends a message other than
        IGNORE, DEBUG, UNIMPLEMENTED, DISCONNECT or those in `allow`.  With
        `raw` (before the version exchange is complete) what arrives is
        text, not packets: RFC 4253 lets the server explain in plain text."""
        limit = self.timeout if limit is None else limit
        start = time.monotonic()
        end = start + limit
        text = b""
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail("connection still open after %.1f s" % limit)
                self.s.settimeout(left)
                try:
                    if raw:
                        d = self.buf or self.s.recv(65536)
                        self.buf = b""
                        if not d:
                            raise EOFError
                        text = (text + d)[-512:]
                        continue
                    p = self.read_packet()
                except (socket.timeout, TimeoutError):
                    raise Fail("connection still open after %.1f s" % limit)
                if p and p[0] not in (MSG_IGNORE, MSG_DEBUG, MSG_UNIMPLEMENTED) + tuple(allow):
                    raise Fail("server answered with message %d instead of closing" % p[0])
        except (EOFError, ConnectionResetError, BrokenPipeError):
            pass
        except CannotRun:
            pass  # undecodable trailing bytes before the close
        took = time.monotonic() - start
        msg = "closed after %.2f s" % took
        if self.disconnect:
            msg += ", DISCONNECT: " + self.disconnect
        # Show a plain-text explanation, not the binary KEXINIT a server
        # may have sent before our version line arrived.
        said = text.strip()
        if said and all(32 <= ch < 127 or ch in (9, 10, 13) for ch in said):
            msg += ", said: " + said.decode("ascii")[:80].replace("\r\n", " / ")
        return msg, took

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def kexinit_payload(strict=True):
    kex = b"curve25519-sha256,curve25519-sha256@libssh.org"
    if strict:
        kex += b",kex-strict-c-v00@openssh.com"
    p = bytes([MSG_KEXINIT]) + os.urandom(16)
    for nl in (kex, HOSTKEY_ALGS, b"aes128-ctr", b"aes128-ctr", b"hmac-sha2-256-etm@openssh.com",
               b"hmac-sha2-256-etm@openssh.com", b"none", b"none", b"", b""):
        p += sshstr(nl)
    return p + b"\0" + b"\0\0\0\0"


def namelists(kexinit):
    r = Reader(kexinit[17:])
    return [r.string().split(b",") for _ in range(10)]


def start(args, send_banner=True):
    c = Conn(args.host, args.port, args.timeout)
    c.read_banner()
    if send_banner:
        c.send(CLIENT_VERSION + b"\r\n")
    return c


def start_kexinit(args):
    """Banners exchanged, server KEXINIT read (not yet ours)."""
    c = start(args)
    try:
        p = c.read_msg()
    except EOFError:
        raise Fail("server closed before its KEXINIT")
    if p[0] != MSG_KEXINIT:
        raise Fail("server's first message is %d, not KEXINIT" % p[0])
    c.server_kexinit = p
    return c


def full_kex(args):
    """A complete curve25519-sha256 key exchange; returns the keyed Conn."""
    c = start_kexinit(args)
    lists = namelists(c.server_kexinit)
    if b"curve25519-sha256" not in lists[0] and b"curve25519-sha256@libssh.org" not in lists[0]:
        raise CannotRun("server does not offer curve25519-sha256")
    for i, want in ((2, b"aes128-ctr"), (3, b"aes128-ctr"), (4, b"hmac-sha2-256-etm@openssh.com"),
                    (5, b"hmac-sha2-256-etm@openssh.com")):
        if want not in lists[i]:
            raise CannotRun("server does not offer %s" % want.decode())
    strict = b"kex-strict-s-v00@openssh.com" in lists[0]
    my_kexinit = kexinit_payload()
    c.send_packet(my_kexinit)
    priv = X25519PrivateKey.generate()
    q_c = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    c.send_packet(bytes([MSG_KEX_ECDH_INIT]) + sshstr(q_c))
    try:
        p = c.read_msg()
    except EOFError:
        raise Fail("server closed during key exchange")
    if p[0] != MSG_KEX_ECDH_REPLY:
        raise Fail("expected KEX_ECDH_REPLY, got %d" % p[0])
    r = Reader(p[1:])
    k_s, q_s, _sig = r.string(), r.string(), r.string()
    k = mpint(priv.exchange(X25519PublicKey.from_public_bytes(q_s)))
    h = hashlib.sha256(sshstr(CLIENT_VERSION) + sshstr(c.server_version) + sshstr(my_kexinit)
                       + sshstr(c.server_kexinit) + sshstr(k_s) + sshstr(q_c) + sshstr(q_s) + k).digest()

    def derive(letter):
        return hashlib.sha256(k + h + letter + h).digest()

    c.send_packet(bytes([MSG_NEWKEYS]))
    try:
        p = c.read_msg()
    except EOFError:
        raise Fail("server closed instead of NEWKEYS")
    if p[0] != MSG_NEWKEYS:
        raise Fail("expected NEWKEYS, got %d" % p[0])
    iv_c, iv_s, key_c, key_s, mac_c, mac_s = (derive(x) for x in (b"A", b"B", b"C", b"D", b"E", b"F"))
    c.enc_out = (Cipher(algorithms.AES(key_c[:16]), modes.CTR(iv_c[:16])).encryptor(), mac_c)
    c.enc_in = (Cipher(algorithms.AES(key_s[:16]), modes.CTR(iv_s[:16])).decryptor(), mac_s)
    if strict:  # strict key exchange restarts the sequence numbers
        c.seq_out = c.seq_in = 0
    c.strict = strict
    return c


SERVICE_REQUEST = bytes([MSG_SERVICE_REQUEST]) + sshstr(b"ssh-userauth")


# ---------------------------------------------------------------- the cases
def case_banner_garbage(args):
    c = start(args, send_banner=False)
    c.send(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) + b"\r\n")
    return c.expect_closed(raw=True)[0]


def case_banner_long_line(args):
    # RFC 4253 4.2: at most 255 bytes including CR LF.  Servers differ
    # (OpenSSH accepts longer lines), so this asserts the server either
    # refuses it or carries on correctly with its KEXINIT.
    c = start(args, send_banner=False)
    c.send(b"SSH-2.0-" + b"A" * 300 + b"\r\n")
    try:
        c.s.settimeout(args.timeout)
        p = c.read_msg()
    except (EOFError, ConnectionResetError):
        return "refused (closed%s)" % (", DISCONNECT: " + c.disconnect if c.disconnect else "")
    except Fail:
        return "refused (with a text message)"
    except (socket.timeout, TimeoutError):
        raise Fail("no answer and no close")
    if p[0] != MSG_KEXINIT:
        raise Fail("server answered with message %d" % p[0])
    return "accepted (server continued with KEXINIT)"


def case_banner_endless(args):
    c = start(args, send_banner=False)
    try:
        c.send(b"SSH-2.0-" + b"B" * (128 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass
    return c.expect_closed(raw=True)[0]


def case_banner_wrong_version(args):
    c = start(args, send_banner=False)
    c.send(b"SSH-1.5-kagi_malformed_test\r\n")
    return c.expect_closed(raw=True)[0]


def case_packet_huge_length(args):
    c = start_kexinit(args)
    c.send(struct.pack(">I", 4 * 1024 * 1024) + os.urandom(1024))
    return c.expect_closed()[0]


def case_packet_zero_length(args):
    c = start_kexinit(args)
    c.send(struct.pack(">I", 0) + os.urandom(60))
    return c.expect_closed()[0]


def case_padding_short(args):
    # padding_length 3 (< 4, RFC 4253 6) in a correctly sized packet.
    c = start_kexinit(args)
    c.send(struct.pack(">IB", 12, 3) + bytes([MSG_IGNORE]) + b"\0" * 10)
    return c.expect_closed()[0]


def case_padding_overflow(args):
    # padding_length larger than the packet itself.
    c = start_kexinit(args)
    c.send(struct.pack(">IB", 12, 200) + bytes([MSG_IGNORE]) + b"\0" * 10)
    return c.expect_closed()[0]


def case_userauth_before_newkeys(args):
    # A message of the wrong state in the middle of the key exchange.  With
    # strict key exchange (both sides advertise it) it must end the
    # connection; otherwise the server may answer UNIMPLEMENTED and wait.
    c = start_kexinit(args)
    strict = b"kex-strict-s-v00@openssh.com" in namelists(c.server_kexinit)[0]
    c.send_packet(kexinit_payload())
    c.send_packet(bytes([MSG_USERAUTH_REQUEST]) + sshstr(b"root") + sshstr(b"ssh-connection") + sshstr(b"none"))
    if strict:
        return c.expect_closed()[0] + " (strict kex)"
    # Not strict: anything but an answer in kind is fine; the login grace
    # time ends the connection.
    return c.expect_closed(limit=args.timeout)[0] + " (no strict kex)"


def case_first_packet_not_kexinit(args):
    c = start_kexinit(args)
    strict = b"kex-strict-s-v00@openssh.com" in namelists(c.server_kexinit)[0]
    c.send_packet(SERVICE_REQUEST)
    return c.expect_closed()[0] + (" (strict kex)" if strict else "")


def case_kex_ok(args):
    # Control: the full key exchange and a service request work.  Proves
    # that this client's own crypto is right, so the cases below mean
    # something.
    c = full_kex(args)
    c.send_packet(SERVICE_REQUEST)
    try:
        while True:
            p = c.read_msg()
            if p[0] == MSG_SERVICE_ACCEPT:
                break
            if p[0] != MSG_EXT_INFO:
                raise Fail("expected SERVICE_ACCEPT, got %d" % p[0])
    except EOFError:
        raise Fail("server closed: %s" % (c.disconnect or "no DISCONNECT"))
    c.close()
    return "key exchange done%s, ssh-userauth accepted" % (" (strict kex)" if c.strict else "")


def case_bad_mac(args):
    c = full_kex(args)
    ctx, mkey = c.enc_out
    c.enc_out = (ctx, bytes(b ^ 0x55 for b in mkey))  # same cipher stream, wrong MAC key
    c.send_packet(SERVICE_REQUEST)
    c.enc_out = (ctx, mkey)
    return c.expect_closed()[0]


def case_bad_ciphertext(args):
    c = full_kex(args)
    length, ct, mac = c.seal(SERVICE_REQUEST)
    ct = bytearray(ct)
    ct[3] ^= 0x01  # flipped after the MAC was computed
    c.send(length + bytes(ct) + mac)
    return c.expect_closed()[0]


def case_encrypted_huge_length(args):
    c = full_kex(args)
    c.send(struct.pack(">I", 0x7FFFFFF0) + os.urandom(256))
    return c.expect_closed()[0]


def case_slow_client(args):
    # Connects, reads the banner, then sends nothing: the server must give
    # up after its LoginGraceTime (--grace).
    # The server may send its KEXINIT without waiting for ours (RFC 4253 7.1).
    c = start(args, send_banner=False)
    msg, took = c.expect_closed(limit=args.grace + 10, allow=(MSG_KEXINIT,))
    if took < args.grace - 1:
        raise Fail("closed too early (%.1f s, grace %d s)" % (took, args.grace))
    return msg


def case_slow_after_banner(args):
    # Version exchange done, then silence: the grace time applies too.
    c = start(args)
    msg, took = c.expect_closed(limit=args.grace + 10, allow=(MSG_KEXINIT,))
    return msg


def case_rapid_connections(args):
    n_ok = 0
    for _ in range(50):
        try:
            s = socket.create_connection((args.host, args.port), timeout=args.timeout)
            s.close()
            n_ok += 1
        except OSError:
            pass  # refusing a flood is fine; still serving is checked afterwards
    return "%d of 50 connections accepted and closed" % n_ok


def case_rapid_half_banners(args):
    for _ in range(50):
        try:
            s = socket.create_connection((args.host, args.port), timeout=args.timeout)
            s.sendall(b"SSH-2.0-")
            s.close()
        except OSError:
            pass
    return "50 connections with half a banner"


CASES = {name[5:].replace("_", "-"): fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--case", choices=sorted(CASES))
    ap.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the close")
    ap.add_argument("--grace", type=int, default=3, help="the server's LoginGraceTime")
    ap.add_argument("--list", action="store_true", help="print the case names")
    args = ap.parse_args()
    if args.list:
        # The control first: if it fails, the other verdicts mean little.
        print("\n".join(["kex-ok"] + [n for n in sorted(CASES) if n != "kex-ok"]))
        return 0
    if args.port is None or args.case is None:
        ap.error("--port and --case are required")
    try:
        print(CASES[args.case](args))
        return 0
    except Fail as e:
        print("server misbehaved: %s" % e)
        return 1
    except CannotRun as e:
        print("cannot run: %s" % e)
        return 2
    except (OSError, EOFError) as e:
        print("connection error: %r" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
