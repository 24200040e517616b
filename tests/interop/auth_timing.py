#!/usr/bin/python3
"""Times failed authentication attempts against a server (paramiko).

    auth_timing.py --port N --method password|publickey --user NAME [--key FILE] [--count N]

Each attempt is a fresh connection; only the authentication request is
timed (from sending it until the failure arrives), so the key exchange
does not blur the result.  Prints the median in seconds on the last line,
e.g. "median 2.051 (1.987 2.051 2.102)".  Exit status 0 when every attempt
failed as it should, 1 if one succeeded, 2 if the run itself went wrong.
"""
import argparse
import socket
import statistics
import sys
import time

import paramiko


def attempt(args, key):
    sock = socket.create_connection((args.host, args.port), timeout=30)
    t = paramiko.Transport(sock)
    try:
        t.start_client(timeout=30)
        t0 = time.monotonic()
        try:
            if args.method == "password":
                t.auth_password(args.user, "wrong-" + args.user + "-password", fallback=False)
            else:
                t.auth_publickey(args.user, key)
        except paramiko.AuthenticationException:
            return time.monotonic() - t0
        raise SystemExit("authentication succeeded for %s" % args.user)
    finally:
        t.close()
        sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--method", choices=("password", "publickey"), required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--key")
    ap.add_argument("--count", type=int, default=3)
    args = ap.parse_args()
    key = paramiko.Ed25519Key.from_private_key_file(args.key) if args.key else None
    if args.method == "publickey" and key is None:
        ap.error("--key is needed for publickey")
    try:
        times = [attempt(args, key) for _ in range(args.count)]
    except SystemExit as e:
        print(e)
        return 1
    except Exception as e:  # noqa: BLE001 - any failure of the run itself
        print("error: %s: %s" % (type(e).__name__, e))
        return 2
    print("median %.3f (%s)" % (statistics.median(times), " ".join("%.3f" % x for x in times)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
