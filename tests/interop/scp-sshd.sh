#!/bin/sh
# kscp (SFTP, the default) and kscp -O (legacy) against OpenSSH's sshd, both
# directions: a byte-exact big file (SCP_BIG_MB, default 64; 256 for the
# full run), a tree of several hundred awkward names with -r, -p times and
# modes, names with shell syntax copied literally, -3 between two remote
# paths, errors for missing files, the private key warning.
. "$(dirname "$0")/scp-lib.sh"
SSHD=${SSHD:-/usr/sbin/sshd}
BIG_MB=${SCP_BIG_MB:-256}
[ -x "$SSHD" ] || { skip "no sshd at $SSHD"; exit 0; }
[ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ] && mkdir -p /run/sshd && chmod 755 /run/sshd

ssh-keygen -q -t ed25519 -N '' -f "$T/host" </dev/null && ssh-keygen -q -t ed25519 -N '' -f "$T/user" </dev/null ||
	{ fail "keys"; finish; }
cp "$T/user.pub" "$T/authorized_keys"
start_test_server "$SSHD" sshd "$SFTP_SERVER" || { fail "sshd start"; finish; }

H=127.0.0.1
k() { kscp_t -F /dev/null -i "$T/user" -P "$PORT" -o UserKnownHostsFile="$T/known_hosts" \
	-o StrictHostKeyChecking=no -o BatchMode=yes -o IdentitiesOnly=yes "$@"; }

head -c $((BIG_MB * 1048576)) /dev/urandom >"$T/big" || { fail "random data"; finish; }
want=$(sha "$T/big")
make_tree "$T/tree" 400 || { fail "make tree"; finish; }
mkdir -p "$T/R" "$T/L"

for mode in sftp legacy; do
	f=""; [ $mode = legacy ] && f=-O
	rm -rf "$T/R"/* "$T/L"/*
	k $f "$T/big" "$H:$T/R/big" 2>"$T/err"
	[ $? -eq 0 ] && [ "$(sha "$T/R/big")" = "$want" ]; res "$mode upload ${BIG_MB}MiB byte-exact" || tail -3 "$T/err" >&2
	k $f "$H:$T/big" "$T/L/big" 2>"$T/err"
	[ $? -eq 0 ] && [ "$(sha "$T/L/big")" = "$want" ]; res "$mode download ${BIG_MB}MiB byte-exact" || tail -3 "$T/err" >&2

	k $f -r -p "$T/tree" "$H:$T/R/" 2>"$T/err"
	[ $? -eq 0 ] && same_tree "$T/tree" "$T/R/tree"; res "$mode upload tree -r (awkward names)" || tail -3 "$T/err" >&2
	[ "$(modes_times "$T/tree")" = "$(modes_times "$T/R/tree")" ]; res "$mode upload -p times and modes"
	k $f -r -p "$H:$T/tree" "$T/L/tree2" 2>"$T/err"
	[ $? -eq 0 ] && same_tree "$T/tree" "$T/L/tree2"; res "$mode download tree -r into a new name" || tail -3 "$T/err" >&2
	[ "$(modes_times "$T/tree")" = "$(modes_times "$T/L/tree2")" ]; res "$mode download -p times and modes"
	[ ! -e PWNED ] && [ ! -e "$HOME/PWNED" ] && [ ! -e "$T/PWNED" ]; res "$mode no name was run as a command"

	# Names with shell syntax as single operands, both directions.
	for n in "a b" "it's" "\$(touch kagi-PWNED)" "\`touch kagi-PWNED\`" "-rf" "semi;colon" "star*" "new
line"; do
		if [ $mode = legacy ] && [ "$n" = "new
line" ]; then
			# The legacy protocol cannot carry it (nor can OpenSSH's scp -O).
			echo x >"$T/L/nl
x"; k $f "$T/L/nl
x" "$H:$T/R/" 2>"$T/err"
			[ $? -ne 0 ] && grep -q 'newline' "$T/err"; res "$mode a name with a newline is refused clearly"
			continue
		fi
		rm -rf "$T/L/one" "$T/R/one"; mkdir -p "$T/L/one" "$T/R/one"
		echo "$n" >"$T/L/one/$n"
		k $f "$T/L/one/$n" "$H:$T/R/one/$n" 2>"$T/err" && [ "$(cat "$T/R/one/$n")" = "$n" ] &&
			rm "$T/L/one/$n" && k $f "$H:$T/R/one/$n" "$T/L/one/" 2>>"$T/err" &&
			[ "$(cat "$T/L/one/$n")" = "$n" ] && [ "$(ls -Ab "$T/L/one" | wc -l)" = 1 ] && [ ! -e "$HOME/kagi-PWNED" ] && [ ! -e kagi-PWNED ]
		res "$mode name copied literally: $n" || tail -3 "$T/err" >&2
	done

	k $f "$H:$T/nonexistent" "$T/L/" 2>"$T/err"
	[ $? -ne 0 ] && grep -qi "no such file" "$T/err"; res "$mode missing remote source reported"
	k $f "$T/nonexistent" "$H:$T/R/" 2>"$T/err"
	[ $? -ne 0 ] && grep -qi "no such file" "$T/err"; res "$mode missing local source reported"
	echo keep >"$T/L/keep"
	k $f "$T/L/keep" "$T/big" "$H:$T/R/keep" 2>"$T/err"
	[ $? -ne 0 ] && grep -Eqi "not a directory|no such file" "$T/err"; res "$mode several sources need a directory target"

	cp "$T/user" "$T/L/id_test"
	k $f "$T/L/id_test" "$H:$T/R/" 2>"$T/err"
	[ $? -eq 0 ] && grep -q "private key" "$T/err" && grep -q -- "-J" "$T/err"; res "$mode private key upload warns"

	rm -rf "$T/R/three"; mkdir "$T/R/three"
	k $f -3 "$H:$T/tree/file 8" "$H:$T/R/three/" 2>"$T/err"
	[ $? -eq 0 ] && cmp -s "$T/tree/file 8" "$T/R/three/file 8"; res "$mode -3 remote to remote" || tail -3 "$T/err" >&2

	# Jump hosts: every hop's options come from the -F file, as with OpenSSH.
	cat >"$T/jump.conf" <<EOC
Host *
  IdentityFile $T/user
  IdentitiesOnly yes
  UserKnownHostsFile $T/known_hosts
  StrictHostKeyChecking no
  BatchMode yes
  Port $PORT
EOC
	rm -f "$T/R/j1" "$T/L/j2"
	kscp_t $f -F "$T/jump.conf" -J 127.0.0.1 "$T/tree/file 8" "localhost:$T/R/j1" 2>"$T/err"
	[ $? -eq 0 ] && cmp -s "$T/tree/file 8" "$T/R/j1"; res "$mode -J one hop" || tail -3 "$T/err" >&2
	kscp_t $f -F "$T/jump.conf" -J 127.0.0.1,localhost "127.0.0.1:$T/tree/file 8" "$T/L/j2" 2>"$T/err"
	[ $? -eq 0 ] && cmp -s "$T/tree/file 8" "$T/L/j2"; res "$mode -J two hops" || tail -3 "$T/err" >&2
done
finish
