#!/bin/sh
# Certificates between kssh-keygen and OpenSSH's ssh-keygen: certificates
# signed by kssh-keygen -s read by ssh-keygen -L with the same fields, and
# the reverse (ssh-keygen -s, kssh-keygen -L byte for byte identical), for
# user and host certificates, each key type and CA type, with -O options.
. "$(dirname "$0")/lib.sh"

have_prog kssh-keygen kssh-keygen || finish
kg() { timeout -k 5 60 "$KSSH_KEYGEN" "$@" </dev/null; }
og() { timeout -k 5 60 "$SSH_KEYGEN" "$@" </dev/null; }
export TZ=UTC

for spec in "ed25519" "ecdsa 256" "ecdsa 384" "ecdsa 521" "rsa 2048"; do
	set -- $spec
	n=$1${2:-}
	og -q -t "$1" ${2:+-b "$2"} -N '' -C "user-$n" -f "$T/u_$n" || fail "keygen $n"
	og -q -t "$1" ${2:+-b "$2"} -N '' -C "ca-$n" -f "$T/ca_$n" || fail "keygen ca $n"
done

# Same -L for one certificate: print with both programs and compare.
same_L() { # name file
	og -L -f "$2" >"$T/o.L" 2>&1; _a=$?
	kg -L -f "$2" >"$T/k.L" 2>&1; _b=$?
	[ $_a -eq 0 ] && [ $_b -eq 0 ] && cmp -s "$T/o.L" "$T/k.L"
	res "$1" || diff "$T/o.L" "$T/k.L" >&2
}

# Options sets: (user) defaults with principals and a window; (user) all
# the -O kinds; (host) with -h.
i=0
for key in ed25519 ecdsa256 ecdsa384 ecdsa521 rsa2048; do
	ca=$(echo "ed25519 ecdsa256 rsa2048 ecdsa521 ecdsa384" | cut -d' ' -f$((i % 5 + 1)))
	i=$((i + 1))
	u=$T/u_$key.pub; c=$T/u_$key-cert.pub
	for set in plain opts host; do
		case $set in
		plain) args="-I id-$key -n alice,bob -V 20200101:20300101 -z 42" ;;
		opts) args="-I opt-$key -V -1d:+52w -z 7 -O clear -O force-command=/bin/true
			-O source-address=127.0.0.1/32,::1 -O verify-required -O permit-pty
			-O permit-port-forwarding -O no-touch-required -O extension:x@example.com=v
			-O critical:c@example.com" ;;
		host) args="-h -I host-$key -n host.example,127.0.0.1 -V always:forever" ;;
		esac
		# kssh-keygen signs; ssh-keygen -L must match kssh-keygen -L.
		rm -f "$c"
		kg -s "$T/ca_$ca" $args "$u" >"$T/k.out" 2>&1 && [ -f "$c" ]
		res "kssh-keygen -s $set $key (CA $ca)" || cat "$T/k.out" >&2
		same_L "ssh-keygen -L equals kssh-keygen -L, kagi-signed $set $key" "$c"
		# The message as ssh-keygen prints it.
		rm -f "$c"; og -s "$T/ca_$ca" $args "$u" >"$T/o.out" 2>&1
		cp "$c" "$T/o-cert.pub"
		same_L "kssh-keygen -L equals ssh-keygen -L, OpenSSH-signed $set $key" "$c"
		if [ "$set" != opts ]; then  # -V -1d is relative to the second it runs
			rm -f "$c"; kg -s "$T/ca_$ca" $args "$u" >"$T/k.out" 2>&1
			cmp -s "$T/k.out" "$T/o.out"
			res "\"Signed ... key\" message equals ssh-keygen's, $set $key" || cat "$T/k.out" "$T/o.out" >&2
		fi
	done
done

# An OpenSSH certificate read by kagi and written back is the same bytes:
# kssh-keygen -s of the CA over an OpenSSH cert is not the point; -L reads
# all fields, and the unit test re-serializes. Here: ssh-keygen accepts a
# kagi certificate as a key (-l prints it as a certificate fingerprint).
og -l -f "$T/u_ed25519-cert.pub" >"$T/l.out" 2>&1 && grep -q "ED25519-CERT" "$T/l.out"
res "ssh-keygen -l reads a kagi certificate" || cat "$T/l.out" >&2

for key in ed25519 ecdsa384 rsa2048; do
	kg -l -f "$T/u_$key-cert.pub" >"$T/k.l" 2>&1 && og -l -f "$T/u_$key-cert.pub" >"$T/o.l" 2>&1 \
		&& cmp -s "$T/k.l" "$T/o.l"
	res "kssh-keygen -l on a certificate equals ssh-keygen -l, $key" || cat "$T/k.l" "$T/o.l" >&2
done

# Bad input: clear errors, exit 255, no certificate written.
rm -f "$T/u_ed25519-cert.pub"
kg -s "$T/ca_ed25519" -I x -O bogus "$T/u_ed25519.pub" >"$T/e.out" 2>&1
[ $? -eq 255 ] && grep -q 'Unsupported certificate option "bogus"' "$T/e.out" && [ ! -f "$T/u_ed25519-cert.pub" ]
res "unknown -O option refused"
kg -s "$T/ca_ed25519" -I x -V 2020:nope "$T/u_ed25519.pub" >"$T/e.out" 2>&1
[ $? -eq 255 ] && grep -q 'Invalid certificate life specification 2020:nope' "$T/e.out"
res "bad -V refused"
kg -s "$T/ca_ed25519" "$T/u_ed25519.pub" >"$T/e.out" 2>&1
[ $? -eq 255 ] && grep -q 'Must specify key id' "$T/e.out"
res "-s without -I refused"
kg -L -f "$T/u_ed25519.pub" >"$T/e.out" 2>&1
[ $? -eq 255 ]; res "-L on a plain key fails"
finish
