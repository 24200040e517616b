#!/usr/bin/python3
"""A failed password, then a key, on one paramiko Transport (paramiko asks
for ssh-userauth again before each method), then a command.

    auth_retry.py --port N --user NAME --key FILE

Prints the command's output; exit 0 when the key got in after the password
failed, 1 otherwise.
"""
import argparse
import socket
import sys

import paramiko


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()
    key = paramiko.Ed25519Key.from_private_key_file(args.key)
    sock = socket.create_connection(("127.0.0.1", args.port), timeout=30)
    t = paramiko.Transport(sock)
    try:
        t.start_client(timeout=30)
        try:
            t.auth_password(args.user, "wrong-password", fallback=False)
            print("password unexpectedly accepted")
            return 1
        except paramiko.AuthenticationException:
            pass
        t.auth_publickey(args.user, key)
        ch = t.open_session(timeout=30)
        ch.exec_command("echo retry-ok")
        out = ch.makefile("rb").read().decode()
        print(out.strip())
        return 0 if out.strip() == "retry-ok" and ch.recv_exit_status() == 0 else 1
    except Exception as e:  # noqa: BLE001 - report whatever broke
        print("error: %s: %s" % (type(e).__name__, e))
        return 1
    finally:
        t.close()
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
