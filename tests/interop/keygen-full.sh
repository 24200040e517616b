#!/bin/sh
# kssh-keygen against OpenSSH's ssh-keygen on the same inputs, beyond what
# keygen.sh covers (generation and -l of each type): OpenSSH's keys read
# by kssh-keygen (-y, -l, -lv, -E md5); -l of known_hosts/authorized_keys;
# -e/-i with each -m both ways; -F/-R/-H output and files; -r; -Y sign and
# verify both ways (a changed message fails both); -p, -m PEM -p, -c, -A;
# the overwrite question; the no-argument flow on a terminal (tmux); and a
# kssh-keygen key used by OpenSSH's ssh to log in to sshd.
. "$(dirname "$0")/lib.sh"

have_prog kssh-keygen kssh-keygen || finish
kg() { timeout -k 5 60 "$KSSH_KEYGEN" "$@"; }
og() { timeout -k 5 60 "$SSH_KEYGEN" "$@"; }
O=$T/o; K=$T/k
mkdir -p "$O" "$K"
# put FILE... : copy inputs into both working directories (messages name
# files, so both programs see the same relative names).
put() { for _f in "$@"; do cp -p "$_f" "$O/"; cp -p "$_f" "$K/"; done; }
# same NAME ARGS... : both programs, run in their directories with stdin
# from /dev/null, print the same stdout and stderr and exit alike (a
# leading program or C function name on an error line aside).
unprefix() { sed -e 's/^k\{0,1\}ssh-keygen: //' -e 's/^do_[a-z0-9_]*: //' "$1" >"$1.u" && mv "$1.u" "$1"; }
same() {
	_n=$1; shift
	(cd "$O" && og "$@" >"$T/o.out" 2>"$T/o.err" </dev/null; echo $? >"$T/o.rc")
	(cd "$K" && kg "$@" >"$T/k.out" 2>"$T/k.err" </dev/null; echo $? >"$T/k.rc")
	unprefix "$T/o.err"; unprefix "$T/k.err"
	cmp -s "$T/o.out" "$T/k.out" && cmp -s "$T/o.err" "$T/k.err" && cmp -s "$T/o.rc" "$T/k.rc"
	res "$_n" || { note "ssh-keygen rc $(cat "$T/o.rc"), kssh-keygen rc $(cat "$T/k.rc")"
		diff "$T/o.out" "$T/k.out" | head -n 10 >&2; diff "$T/o.err" "$T/k.err" | head -n 6 >&2; }
}

# ---- OpenSSH's keys read by kssh-keygen
gen_key "$T/ed" ed25519 && gen_key "$T/ec" ecdsa 384 && gen_key "$T/rsa" rsa 3072 \
	&& og -q -t ed25519 -N 'old pass phrase' -C enc -f "$T/enc" </dev/null \
	&& og -q -t ecdsa -N '' -C nopub -f "$T/nopub" </dev/null && rm "$T/nopub.pub" \
	|| { fail "ssh-keygen keys"; finish; }
put "$T/ed" "$T/ed.pub" "$T/ec" "$T/ec.pub" "$T/rsa" "$T/rsa.pub" "$T/enc" "$T/enc.pub" "$T/nopub"
for k in ed ec rsa nopub; do same "-y of OpenSSH's $k" -y -f $k; done
same "-y of an encrypted key with -P" -y -P 'old pass phrase' -f enc
same "-y with a wrong passphrase fails alike" -y -P 'wrong pass' -f enc
for k in ed ec.pub rsa enc nopub; do
	same "-l $k" -l -f $k
	same "-lv $k (randomart)" -lv -f $k
	same "-lv -E md5 $k" -lv -E md5 -f $k
done
same "-l -E sha1" -l -E sha1 -f rsa.pub
same "-l of a missing file" -l -f missing

# ---- -l of known_hosts and authorized_keys files: every line
ED=$(cut -d' ' -f1,2 "$T/ed.pub"); EC=$(cut -d' ' -f1,2 "$T/ec.pub"); RSA=$(cut -d' ' -f1,2 "$T/rsa.pub")
cat >"$T/kh" <<EOS
# a comment

host1,198.51.100.1 $ED
[host2]:2222 $EC a trailing comment
HOST3 $RSA
*.example.com $ED
@revoked host4 $EC
@cert-authority *.ca $ED
host1	 $EC   tail
bad line here
host5 ssh-ed25519 AAAAtrunc
|1|9ttiGcljrlmAYEL5IXHMFqp4UQ8=|239SYZxkuMpW6zgSKibPB2L3Wak= $ED
EOS
cat >"$T/ak" <<EOS
$ED plain
command="echo hi there",no-pty $EC with options
from="198.51.100.0/24" $RSA
  $ED   spaced   
no-agent-forwarding,x="a\"b c" $ED quoted
EOS
put "$T/kh" "$T/ak"
same "-l of known_hosts (every line)" -l -f kh
same "-lv of known_hosts" -lv -f kh
same "-l -E md5 of authorized_keys (options skipped)" -l -E md5 -f ak
printf 'junk\n' >"$T/junk"; put "$T/junk"
same "-l of a file with no key" -l -f junk

# ---- -F / -R / -H
for h in host1 HOST1 '[host2]:2222' foo.example.com host4 nohost; do
	same "-F $h" -F "$h" -f kh
	same "-F $h -l" -F "$h" -l -f kh
done
# A valid file (no corrupt lines) is edited; a corrupt one is refused.
grep -v -e '^bad line' "$T/kh" >"$T/khv"; chmod 640 "$T/khv"; put "$T/khv"
for h in host1 '[host2]:2222' nohost; do
	cp -p "$T/khv" "$O/khv"; cp -p "$T/khv" "$K/khv"; rm -f "$O/khv.old" "$K/khv.old"
	same "-R $h" -R "$h" -f khv
	cmp -s "$O/khv" "$K/khv" && cmp -s "$O/khv.old" "$K/khv.old" 2>/dev/null \
		|| { [ ! -e "$O/khv.old" ] && [ ! -e "$K/khv.old" ] && cmp -s "$O/khv" "$K/khv"; }
	res "-R $h leaves the same file and .old"
	[ "$(stat -c %a "$K/khv")" = 640 ]; res "-R $h keeps the file's mode"
done
put "$T/kh"
same "-R on a file with corrupt lines refuses" -R host1 -f kh
cmp -s "$T/kh" "$K/kh" && [ ! -e "$K/kh.old" ]; res "the refused file is untouched"
same "-F host1 -H (hashed to stdout; salts differ)" -F nohost -H -f khv
cp -p "$T/khv" "$K/khv"; cp -p "$T/khv" "$O/khv"
(cd "$O" && og -H -f khv >"$T/oh.out" 2>"$T/oh.err"); (cd "$K" && kg -H -f khv >"$T/kh.out" 2>"$T/kh.err")
cmp -s "$T/oh.out" "$T/kh.out" && cmp -s "$T/oh.err" "$T/kh.err" && cmp -s "$K/khv.old" "$T/khv"
res "-H messages equal ssh-keygen's and .old keeps the original"
[ "$(wc -l <"$K/khv")" = "$(wc -l <"$O/khv")" ] && ! grep -q '^host1' "$K/khv"; res "-H hashes each name on its own line"
for h in host1 198.51.100.1 '[host2]:2222' host3; do
	og -F "$h" -f "$K/khv" | grep -v '^#' | cut -d' ' -f2- >"$T/f1"
	og -F "$h" -f "$T/khv" | grep -v '^#' | cut -d' ' -f2- >"$T/f2"
	[ -s "$T/f1" ] && cmp -s "$T/f1" "$T/f2"; res "-H: ssh-keygen -F $h finds the hashed entry"
done

# ---- -e / -i with each -m, both ways
for k in ed ec rsa; do
	for m in RFC4716 PKCS8 PEM; do
		same "-e -m $m $k" -e -m $m -f $k.pub
		if [ "$(cat "$T/o.rc")" = 0 ]; then
			cp "$T/o.out" "$O/x.$m"; cp "$T/o.out" "$K/x.$m"
			same "-i -m $m of ssh-keygen's export of $k" -i -m $m -f x.$m
			[ $m = PEM ] && [ $k != rsa ] && continue  # ssh-keygen -i -m PEM reads RSA only
			kg -e -m $m -f "$K/$k.pub" >"$T/kx" && [ "$(og -i -m $m -f "$T/kx")" = "$(cut -d' ' -f1,2 "$T/$k.pub")" ]
			res "ssh-keygen -i -m $m reads kssh-keygen's export of $k"
		fi
	done
done
same "-e of a private key" -e -f ec

# ---- -r (SSHFP)
for k in ed.pub ec.pub rsa; do same "-r host.example $k" -r host.example -f $k; done

# ---- -Y sign / verify, both ways
printf 'the message\n' >"$T/msg"; printf 'the message!\n' >"$T/msg2"
for k in ed ec rsa; do
	echo "alice@example.com,bob* $(cut -d' ' -f1,2 "$T/$k.pub")" >"$T/allowed"
	rm -f "$T/msg.sig"
	kg -Y sign -f "$T/$k" -n git "$T/msg" 2>/dev/null && og -Y verify -f "$T/allowed" -I alice@example.com -n git \
		-s "$T/msg.sig" <"$T/msg" >/dev/null 2>&1
	res "$k: kssh-keygen -Y sign verified by ssh-keygen -Y verify"
	! og -Y verify -f "$T/allowed" -I alice@example.com -n git -s "$T/msg.sig" <"$T/msg2" >/dev/null 2>&1 \
		&& ! kg -Y verify -f "$T/allowed" -I alice@example.com -n git -s "$T/msg.sig" <"$T/msg2" >/dev/null 2>&1
	res "$k: a changed message fails both verifiers"
	! kg -Y verify -f "$T/allowed" -I alice@example.com -n file -s "$T/msg.sig" <"$T/msg" >/dev/null 2>&1
	res "$k: another namespace fails"
	[ $k = ed ] && cp "$T/msg.sig" "$T/k.sig"
	rm -f "$T/msg.sig"
	og -Y sign -f "$T/$k" -n git "$T/msg" 2>/dev/null && kg -Y verify -f "$T/allowed" -I bob@x -n git \
		-s "$T/msg.sig" <"$T/msg" >/dev/null 2>&1
	res "$k: ssh-keygen -Y sign verified by kssh-keygen -Y verify"
	cp "$T/msg.sig" "$T/allowed" "$T/msg" "$T/msg2" "$O/"; cp "$T/msg.sig" "$T/allowed" "$T/msg" "$T/msg2" "$K/"
	same "$k: -Y verify output" -Y verify -f allowed -I alice@example.com -n git -s msg.sig
	(cd "$O" && og -Y verify -f allowed -I nobody -n git -s msg.sig <msg >"$T/o.out" 2>&1; echo $? >>"$T/o.out")
	(cd "$K" && kg -Y verify -f allowed -I nobody -n git -s msg.sig <msg >"$T/k.out" 2>&1; echo $? >>"$T/k.out")
	cmp -s "$T/o.out" "$T/k.out"; res "$k: -Y verify of a principal not allowed fails alike"
	same "$k: -Y find-principals" -Y find-principals -f allowed -s msg.sig
	(cd "$O" && og -Y check-novalidate -n git -s msg.sig <msg >"$T/o.out" 2>&1)
	(cd "$K" && kg -Y check-novalidate -n git -s msg.sig <msg >"$T/k.out" 2>&1)
	cmp -s "$T/o.out" "$T/k.out"; res "$k: -Y check-novalidate output"
	[ $k = ed ] && { cmp -s "$T/k.sig" "$T/msg.sig"; res "ed25519 signatures are byte-equal to ssh-keygen's"; }
done
kg -Y sign -f "$T/ed" -n git <"$T/msg" >"$T/stdin.sig" 2>/dev/null && cmp -s "$T/stdin.sig" "$T/k.sig"
res "-Y sign of standard input writes the signature to standard output"

# ---- -p, -m PEM -p, -c: OpenSSH reads the results
cp "$T/enc" "$T/enc2"; cp "$T/enc.pub" "$T/enc2.pub"
kg -p -P 'old pass phrase' -N 'new pass phrase' -f "$T/enc2" >"$T/out" 2>&1 \
	&& og -y -P 'new pass phrase' -f "$T/enc2" >/dev/null 2>&1 && ! og -y -P 'old pass phrase' -f "$T/enc2" >/dev/null 2>&1
res "-p changes the passphrase; ssh-keygen opens it with the new one only"
grep -qx "Key has comment 'enc'" "$T/out" && grep -qx "Your identification has been saved with the new passphrase." "$T/out"
res "-p messages"
! kg -p -P 'wrong pass' -N 'x y z w v' -f "$T/enc2" >/dev/null 2>&1; res "-p with a wrong old passphrase fails"
cp "$T/rsa" "$T/rsa2"; cp "$T/ec" "$T/ec2"
kg -p -m PEM -N '' -f "$T/rsa2" >/dev/null && head -n 1 "$T/rsa2" | grep -qx -- '-----BEGIN RSA PRIVATE KEY-----' \
	&& [ "$(og -y -f "$T/rsa2" | cut -d' ' -f1,2)" = "$RSA" ]
res "-m PEM -p writes a PEM RSA key ssh-keygen reads"
kg -p -m PKCS8 -N 'pkcs8 pass' -f "$T/ec2" >/dev/null && grep -q 'BEGIN ENCRYPTED PRIVATE KEY' "$T/ec2" \
	&& [ "$(og -y -P 'pkcs8 pass' -f "$T/ec2" | cut -d' ' -f1,2)" = "$EC" ]
res "-m PKCS8 -p writes an encrypted PKCS#8 key ssh-keygen reads"
cp "$T/enc2" "$T/enc2.pub" "$O/"; cp "$T/enc2" "$T/enc2.pub" "$K/"
same "-c changes the comment" -c -C 'new comment' -P 'new pass phrase' -f enc2
cmp -s "$O/enc2.pub" "$K/enc2.pub" && og -l -f "$K/enc2.pub" | grep -q ' new comment (ED25519)$' \
	&& [ "$(og -y -P 'new pass phrase' -f "$K/enc2" | cut -d' ' -f3-)" = 'new comment' ]
res "-c rewrites the key and its .pub"

# ---- -A, the overwrite question
mkdir -p "$T/root/etc/ssh"
kg -A -f "$T/root" >"$T/out" 2>&1 && grep -q 'generating new host keys: RSA ECDSA ED25519' "$T/out"
res "-A makes the missing host keys"
for t in rsa ecdsa ed25519; do
	[ "$(og -y -f "$T/root/etc/ssh/ssh_host_${t}_key" | cut -d' ' -f1,2)" = \
	  "$(cut -d' ' -f1,2 "$T/root/etc/ssh/ssh_host_${t}_key.pub")" ]
	res "-A $t host key read by ssh-keygen"
done
kg -A -f "$T/root" >"$T/out" 2>&1 && [ ! -s "$T/out" ]; res "-A again keeps the existing keys"
cp "$T/ed" "$T/keep"
printf 'n\n' | kg -t ed25519 -N '' -f "$T/keep" >"$T/out" 2>&1; rc=$?
[ $rc = 1 ] && cmp -s "$T/ed" "$T/keep" && grep -q "^$T/keep already exists.\$" "$T/out" && grep -q 'Overwrite (y/n)?' "$T/out"
res "asks before overwriting; 'n' keeps the key"
printf 'y\n' | kg -q -t ed25519 -N '' -f "$T/keep" >/dev/null 2>&1 && ! cmp -s "$T/ed" "$T/keep"
res "'y' overwrites"
kg -Q -f "$T/nokrl" >/dev/null 2>"$T/err"; [ $? -eq 255 ] && grep -q "^Unable to load KRL $T/nokrl: No such file or directory" "$T/err"
res "-Q of a missing KRL refused clearly (KRLs: krl.sh)"

# ---- the no-argument flow on a terminal
if command -v tmux >/dev/null 2>&1; then
	H=$T/home; mkdir -p "$H"
	TM="tmux -L kagi-keygen-$$"
	$TM new-session -d -s kg -x 120 -y 30 "env HOME=$H $KSSH_KEYGEN; echo rc=\$?; sleep 60"
	screen_has() { # PATTERN: wait until the pane shows it
		_i=0
		while [ $_i -lt 100 ]; do
			$TM capture-pane -p -t kg >"$T/screen" 2>/dev/null
			grep -qF -- "$1" "$T/screen" && return 0
			sleep 0.1; _i=$((_i + 1))
		done
		note "screen lacks '$1':"; sed 's/^/#   /' "$T/screen" >&2; return 1
	}
	screen_has "Enter file in which to save the key ($H/.ssh/id_ed25519):"; res "asks for the file, ~/.ssh/id_ed25519 by default"
	$TM send-keys -t kg Enter
	screen_has "Created directory '$H/.ssh'." && screen_has "Enter passphrase (empty for no passphrase):"
	res "creates ~/.ssh and asks for a passphrase"
	$TM send-keys -t kg 'first try' Enter; screen_has "Enter same passphrase again:"
	$TM send-keys -t kg 'other' Enter; screen_has "Passphrases do not match.  Try again."
	res "two different passphrases are asked again"
	$TM send-keys -t kg 'tty pass phrase' Enter; sleep 0.2; $TM send-keys -t kg 'tty pass phrase' Enter
	screen_has "rc=0"; res "the flow ends with exit status 0"
	grep -q "The key's randomart image is:" "$T/screen" && ! grep -q 'tty pass phrase' "$T/screen"
	res "fingerprint and randomart shown, passphrase not echoed"
	og -lv -f "$H/.ssh/id_ed25519.pub" | tail -n 11 >"$T/art"
	grep -A 11 "randomart image is:" "$T/screen" | tail -n 11 | sed 's/ *$//' >"$T/art2"
	sed 's/ *$//' "$T/art" | cmp -s - "$T/art2"; res "the randomart on screen equals ssh-keygen -lv's"
	[ "$(og -y -P 'tty pass phrase' -f "$H/.ssh/id_ed25519" | cut -d' ' -f1,2)" = \
	  "$(cut -d' ' -f1,2 "$H/.ssh/id_ed25519.pub")" ]
	res "the key is saved with the passphrase typed"
	$TM kill-server 2>/dev/null
else
	skip "interactive flow (tmux not installed)"
fi

# ---- a kssh-keygen key logs in with OpenSSH's ssh
setup_keys || fail "setup keys"
kg -q -t ecdsa -b 521 -N '' -C login -f "$T/login" && cat "$T/login.pub" >>"$T/authorized_keys"
if start_server sshd sshd; then
	out=$(client ssh "$SRV_PORT" "-i $T/login" 'echo logged-in' </dev/null 2>"$T/e")
	[ "$out" = logged-in ]; res "OpenSSH's ssh logs in with a kssh-keygen key" || cat "$T/e" >&2
else
	fail "sshd start"
fi
finish
