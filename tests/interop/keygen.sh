#!/bin/sh
# kssh-keygen against OpenSSH's ssh-keygen: keys it writes are read by
# OpenSSH (and match their .pub), passphrases work, and its -l fingerprints
# equal ssh-keygen's, for keys from either program.
. "$(dirname "$0")/lib.sh"

have_prog kssh-keygen kssh-keygen || finish
kg() { timeout -k 5 60 "$KSSH_KEYGEN" "$@" </dev/null; }
# Bits, fingerprint and type of `-l` output ("256 SHA256:... comment (ED25519)").
fp_fields() { awk '{ print $1, $2, $NF }' "$1"; }

for spec in "ed25519" "ecdsa 256" "ecdsa 384" "ecdsa 521" "rsa" "rsa 2048"; do
	set -- $spec
	t=$1; b=${2:-}; name=$t${b:+-$b}; f=$T/k_$name
	case $t$b in
	ed25519) want=ssh-ed25519 ;; ecdsa*) want=ecdsa-sha2-nistp$b ;; rsa*) want=ssh-rsa ;;
	esac
	if kg -t "$t" ${b:+-b "$b"} -N '' -C "kagi-$name" -f "$f" >"$T/out" 2>&1 \
		&& [ -f "$f" ] && [ -f "$f.pub" ]; then
		pass "generate $name"
	else
		fail "generate $name"; cat "$T/out" >&2; continue
	fi
	[ "$(stat -c %a "$f")" = 600 ]; res "$name private key mode 0600"
	[ "$(cut -d' ' -f1 "$f.pub")" = "$want" ] && [ "$(cut -d' ' -f3- "$f.pub")" = "kagi-$name" ]
	res "$name public key type and comment"
	[ "$("$SSH_KEYGEN" -y -f "$f" 2>/dev/null | cut -d' ' -f1,2)" = "$(cut -d' ' -f1,2 "$f.pub")" ]
	res "$name read by ssh-keygen, matches .pub"
	if [ "$t" = rsa ]; then
		bits=$("$SSH_KEYGEN" -l -f "$f.pub" | cut -d' ' -f1)
		[ "$bits" = "${b:-3072}" ]; res "$name has ${b:-3072} bits" || note "got $bits"
	fi
	kg -l -f "$f.pub" >"$T/k.fp" 2>&1 && "$SSH_KEYGEN" -l -f "$f.pub" >"$T/o.fp" 2>&1 \
		&& [ "$(fp_fields "$T/k.fp")" = "$(fp_fields "$T/o.fp")" ]
	res "$name -l fingerprint equals ssh-keygen's" || { cat "$T/k.fp" "$T/o.fp" >&2; }
done

# Passphrase-protected keys.
for t in ed25519 ecdsa rsa; do
	f=$T/enc_$t
	if kg -t "$t" -N "kagi pass phrase" -C enc -f "$f" >"$T/out" 2>&1; then
		[ "$("$SSH_KEYGEN" -y -P "kagi pass phrase" -f "$f" 2>/dev/null | cut -d' ' -f1,2)" = "$(cut -d' ' -f1,2 "$f.pub")" ]
		res "encrypted $t opened by ssh-keygen with the passphrase"
		! "$SSH_KEYGEN" -y -P "wrong" -f "$f" >/dev/null 2>&1; res "encrypted $t refuses a wrong passphrase"
		! "$SSH_KEYGEN" -y -P '' -f "$f" >/dev/null 2>&1 </dev/null
		res "encrypted $t not readable without passphrase"
	else
		fail "encrypted $t generate"; cat "$T/out" >&2
	fi
done

# Fingerprints of keys made by OpenSSH.
for spec in "ed25519" "ecdsa 384" "rsa 3072"; do
	set -- $spec
	gen_key "$T/o_$1" "$1" ${2:-} || { fail "ssh-keygen $1"; continue; }
	kg -l -f "$T/o_$1.pub" >"$T/k.fp" 2>&1 && "$SSH_KEYGEN" -l -f "$T/o_$1.pub" >"$T/o.fp" 2>&1 \
		&& [ "$(fp_fields "$T/k.fp")" = "$(fp_fields "$T/o.fp")" ]
	res "-l fingerprint of an OpenSSH $1 key" || { cat "$T/k.fp" "$T/o.fp" >&2; }
done
finish
