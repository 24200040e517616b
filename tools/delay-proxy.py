#!/usr/bin/env python3
# A TCP relay on loopback that delays each direction by RTT/2, to measure kagi over a long path.
#
# Usage:
#   tools/delay-proxy.py [-r RTT_MS] [-l PORT] [-p PORTFILE] [-t SECONDS] [-c BYTES] TARGET_PORT
#     TARGET_PORT  relay every accepted connection to 127.0.0.1:TARGET_PORT
#     -r RTT_MS    round-trip time added (default 50): each chunk read from one
#                  side is written to the other side RTT/2 after it was read
#     -l PORT      listen on 127.0.0.1:PORT (default 0: a free port)
#     -p PORTFILE  write the port listened on to PORTFILE once listening (it
#                  is also printed on stdout, one line, flushed)
#     -t SECONDS   exit after SECONDS (default 900), connections or not, so a
#                  forgotten proxy stops itself; 0 runs until killed
#     -c BYTES     most bytes held per direction of a connection (default
#                  256 MiB); past it the relay stops reading that side until
#                  the held bytes drain (TCP back-pressure), so memory stays
#                  bounded.  It is far above a 50 ms path's bandwidth x delay
#                  on loopback, so it does not limit the rate.
# Example (bench):
#   python3 tools/delay-proxy.py -r 50 -p "$T/proxy.port" "$SERVER_PORT" &
#   kssh -p "$(cat "$T/proxy.port")" 127.0.0.1 cat
#
# There is no bandwidth limit.  Sockets get large buffers (SO_RCVBUF and
# SO_SNDBUF 16 MiB, as far as net.core.*mem_max allow) and TCP_NODELAY, and the
# relay reads up to 1 MiB at a time, so the relay's own TCP legs (loopback) do
# not limit the rate: the only constraint a peer sees is the delay, like a
# long fat path with no loss.  Half-closes are passed on (the EOF is held like
# data); a reset or error on either side closes both.  One thread per
# direction per connection; the proxy serves any number of connections.
import argparse
import collections
import os
import signal
import socket
import sys
import threading
import time

CHUNK = 1 << 20
SOCKBUF = 16 << 20


def tune(s):
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            s.setsockopt(socket.SOL_SOCKET, opt, SOCKBUF)
        except OSError:
            pass
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Direction:
    """Bytes read from src, written to dst `delay` seconds later."""

    def __init__(self, src, dst, delay, cap, done):
        self.src, self.dst, self.delay, self.cap = src, dst, delay, cap
        self.q = collections.deque()  # (due, bytes); b"" is the EOF
        self.held = 0
        self.cv = threading.Condition()
        self.done = done

    def reader(self):
        try:
            while True:
                with self.cv:
                    while self.held >= self.cap and not self.done.is_set():
                        self.cv.wait(0.5)
                if self.done.is_set():
                    return
                data = self.src.recv(CHUNK)
                due = time.monotonic() + self.delay
                with self.cv:
                    self.q.append((due, data))
                    self.held += len(data)
                    self.cv.notify_all()
                if not data:
                    return
        except OSError:
            self.fail()

    def writer(self):
        try:
            while True:
                with self.cv:
                    while not self.q and not self.done.is_set():
                        self.cv.wait(0.5)
                    if self.done.is_set():
                        return
                    due, data = self.q[0]
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                # Everything already due goes in one write.
                now = time.monotonic()
                parts, eof = [], False
                with self.cv:
                    while self.q and self.q[0][0] <= now:
                        d = self.q.popleft()[1]
                        if not d:
                            eof = True
                            break
                        parts.append(d)
                if parts:
                    buf = b"".join(parts)
                    self.dst.sendall(buf)
                    with self.cv:
                        self.held -= len(buf)
                        self.cv.notify_all()
                if eof:
                    try:
                        self.dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
        except OSError:
            self.fail()

    def fail(self):
        self.done.set()
        for s in (self.src, self.dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.cv:
            self.cv.notify_all()


def serve(client, target, delay, cap):
    try:
        server = socket.create_connection(("127.0.0.1", target), timeout=10)
    except OSError:
        client.close()
        return
    server.settimeout(None)
    tune(client)
    tune(server)
    done = threading.Event()
    dirs = (Direction(client, server, delay, cap, done), Direction(server, client, delay, cap, done))
    threads = []
    for d in dirs:
        for fn in (d.reader, d.writer):
            t = threading.Thread(target=fn, daemon=True)
            t.start()
            threads.append(t)
    for t in threads:
        t.join()
    client.close()
    server.close()


def main():
    ap = argparse.ArgumentParser(description="delay each direction of a TCP relay by RTT/2")
    ap.add_argument("-r", type=float, default=50.0, metavar="RTT_MS")
    ap.add_argument("-l", type=int, default=0, metavar="PORT")
    ap.add_argument("-p", metavar="PORTFILE")
    ap.add_argument("-t", type=float, default=900.0, metavar="SECONDS")
    ap.add_argument("-c", type=int, default=256 << 20, metavar="BYTES")
    ap.add_argument("target", type=int, metavar="TARGET_PORT")
    a = ap.parse_args()
    if a.r < 0 or a.c <= 0 or not 0 < a.target < 65536:
        ap.error("bad RTT, cap or port")
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Set before listen() so accepted sockets inherit the buffers.
    tune(ls)
    ls.bind(("127.0.0.1", a.l))
    ls.listen(64)
    port = ls.getsockname()[1]
    if a.p:
        tmp = a.p + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.p)
    print(port, flush=True)
    if a.t > 0:
        signal.signal(signal.SIGALRM, lambda *_: os._exit(0))
        signal.setitimer(signal.ITIMER_REAL, a.t)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    delay = a.r / 2000.0
    while True:
        try:
            c, _ = ls.accept()
        except InterruptedError:
            continue
        threading.Thread(target=serve, args=(c, a.target, delay, a.c), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
