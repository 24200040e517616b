#!/bin/sh
# The long path: 32 MiB of random data up through stdin and down through
# stdout, byte-exact, through tools/delay-proxy.py at a 50 ms round trip,
# for each client/server pair, with re-keying every 8 MiB so key exchanges
# run while the windows grow and the round-trip probes are out.  Checks
# correctness and that nothing stalls (each run has its timeout); speed is
# for `make bench` (BENCH_ONLY=lat), not for this test.  First the proxy
# itself, in front of an echo server: the round trip it adds, data intact.
# Usage: long-path.sh [ssh-ksshd] [kssh-sshd] [kssh-ksshd]
. "$(dirname "$0")/lib.sh"
select_pairs "$@"
LP_MB=${LP_MB:-32}
CLIENT_TIMEOUT=40

setup_keys || { fail "setup keys"; finish; }
head -c $((LP_MB * 1048576)) /dev/urandom >"$T/big" || { fail "random data"; finish; }
want=$(sha "$T/big")
SERVER_LOGLEVEL=INFO

# proxy_for PORT NAME : a 50 ms delay proxy in front of PORT; its port in PROXY_PORT.
proxy_for() {
	"$PY" "$KAGI_ROOT/tools/delay-proxy.py" -r 50 -t 120 -p "$T/$2.pport" "$1" >/dev/null 2>"$T/$2.perr" &
	echo $! >>"$T/pids"
	_i=0
	while [ ! -s "$T/$2.pport" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	PROXY_PORT=$(cat "$T/$2.pport" 2>/dev/null)
	[ -n "$PROXY_PORT" ]
}

# The proxy itself, in front of an echo server: a byte comes back a 50 ms
# round trip later (and 4 MiB come back intact).
"$PY" - "$KAGI_ROOT/tools/delay-proxy.py" <<'EOP'
import hashlib, os, socket, subprocess, sys, threading, time
ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
p = subprocess.Popen([sys.executable, sys.argv[1], "-t", "30", str(ls.getsockname()[1])], stdout=subprocess.PIPE, text=True)
try:
    port = int(p.stdout.readline())
    c = socket.create_connection(("127.0.0.1", port)); e, _ = ls.accept()
    def echo():
        while True:
            d = e.recv(65536)
            if not d:
                e.shutdown(socket.SHUT_WR); return
            e.sendall(d)
    threading.Thread(target=echo, daemon=True).start()
    t0 = time.monotonic(); c.sendall(b"x"); ok = c.recv(1) == b"x"; rtt = time.monotonic() - t0
    data = os.urandom(4 << 20)
    threading.Thread(target=lambda: (c.sendall(data), c.shutdown(socket.SHUT_WR)), daemon=True).start()
    got = bytearray()
    while True:
        d = c.recv(1 << 20)
        if not d: break
        got += d
    ok = ok and 0.048 <= rtt <= 0.5 and hashlib.sha256(got).digest() == hashlib.sha256(data).digest()
finally:
    p.kill()
sys.exit(0 if ok else 1)
EOP
res "delay proxy: a 50 ms round trip, data intact, half-close passed on"

for pair in $PAIRS; do
	c=$(pair_client "$pair"); s=$(pair_server "$pair"); l=$(pair_label "$pair")
	have_prog "$l" "$c" "$s" || continue
	start_server "$s" "lp-$s" -o RekeyLimit=8M || { fail "$l server start"; continue; }
	proxy_for "$SRV_PORT" "lp-$s" || { fail "$l delay proxy start"; continue; }
	for d in up down; do
		rm -f "$T/got"
		if [ "$d" = up ]; then
			client "$c" "$PROXY_PORT" "-o RekeyLimit=8M" "cat > $T/got" <"$T/big" 2>"$T/cerr"; rc=$?
		else
			client "$c" "$PROXY_PORT" "-o RekeyLimit=8M" "cat $T/big" </dev/null >"$T/got" 2>"$T/cerr"; rc=$?
		fi
		[ $rc -eq 0 ] && [ -f "$T/got" ] && [ "$(sha "$T/got")" = "$want" ]
		res "$l $d ${LP_MB}MiB at 50 ms sha256" || { note "exit $rc"; tail -n 5 "$T/cerr" >&2; }
	done
done
finish
