#!/usr/bin/env python3
"""Bad clients against an agent socket (argv[1]): impossible lengths, garbage,
a half message left hanging, a request flood nobody reads, and more
connections than the agent takes.  Prints one line per case ("ok NAME" or
"bad NAME"); the caller then checks the agent still answers."""
import os, socket, struct, sys, time

path = sys.argv[1]

def conn():
    for _ in range(200):  # the backlog may be full for a moment
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.01)
    raise OSError('agent does not accept')

def closed_by_agent(s):
    try:
        return s.recv(1) == b''
    except (ConnectionResetError, socket.timeout):
        return False

def report(name, ok):
    print(("ok " if ok else "bad ") + name, flush=True)

s = conn(); s.sendall(struct.pack('>I', 0x7fffffff) + b'\x0b'); report('huge length dropped', closed_by_agent(s)); s.close()
s = conn(); s.sendall(struct.pack('>I', 0)); report('zero length dropped', closed_by_agent(s)); s.close()
s = conn(); s.sendall(struct.pack('>I', 5) + b'\x0d\xff\xff\xff\xff')
ans = s.recv(16); report('garbage sign request answered FAILURE', ans == b'\x00\x00\x00\x01\x05'); s.close()
s = conn(); s.sendall(struct.pack('>I', 100) + b'\x11abc')  # half an ADD, then silence
half = s
# A flood of REQUEST_IDENTITIES nobody reads: the agent must not grow without bound or stall others.
f = conn(); f.settimeout(2)
sent, chunk, total = 0, b'\x00\x00\x00\x01\x0b' * 4096, 2000  # 40 MB of requests at most
try:
    for _ in range(total):
        f.sendall(chunk); sent += 1
except socket.timeout:
    pass
report('a flood nobody reads stops being read (%d of %d chunks)' % (sent, total), sent < total)
many = []
try:
    for _ in range(300):
        many.append(conn())
except OSError:
    pass
t = conn() if len(many) < 300 else None
# The agent keeps serving a well-behaved client while all that is open.
for c in many[:256]:
    c.close()
time.sleep(0.2)
g = conn(); g.sendall(b'\x00\x00\x00\x01\x0b')
hdr = g.recv(4)
report('still answers during the abuse', len(hdr) == 4 and g.recv(struct.unpack('>I', hdr)[0])[:1] == b'\x0c')
for c in many[256:] + [half, f, g] + ([t] if t else []):
    c.close()
