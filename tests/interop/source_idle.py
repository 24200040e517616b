#!/usr/bin/env python3
"""Opens N idle connections from SRC to 127.0.0.1:PORT and holds them (every
other one sends a version line, the rest nothing): writes "served S dropped D"
to OUT once each connection has shown whether the server speaks on it (its
version line) or closed it at once, then how many of the served ones the
server closed within HOLD seconds: "identclosed C of the silent X,
V of the versioned Y"."""
import socket, sys, time

port, src, n, out, hold = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
class Sock(socket.socket):
    versioned = False


socks = []
for _ in range(n):
    s = Sock()
    s.settimeout(5)
    s.bind((src, 0))
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    if len(socks) % 2:
        s.sendall(b"SSH-2.0-idle\r\n")
        s.versioned = True
    socks.append(s)
t0 = time.time()
served, dropped = [], 0
deadline = time.time() + 5
for s in socks:
    s.settimeout(max(0.05, deadline - time.time()))
    try:
        d = s.recv(256)
    except socket.timeout:
        d = None
    except OSError:
        d = b""
    if d:
        served.append(s) if d.startswith(b"SSH-2.0-") else None
    else:
        dropped += 1
with open(out + ".tmp", "w") as f:
    f.write("served %d dropped %d\n" % (len(served), dropped))
import os
os.rename(out + ".tmp", out)
closed = {False: 0, True: 0}
for s in served:
    s.settimeout(max(0.05, t0 + hold - time.time()))
    try:
        while True:
            d = s.recv(4096)
            if not d:
                closed[s.versioned] += 1
                break
    except socket.timeout:
        pass
    except OSError:
        closed[s.versioned] += 1
with open(out, "a") as f:
    nv = sum(1 for s in served if s.versioned)
    f.write("identclosed %d of the silent %d, %d of the versioned %d\n"
            % (closed[False], len(served) - nv, closed[True], nv))
