#!/bin/sh
# kscp through a stand-in transport (-S: the "remote" commands run here, the
# remote scp being kscp itself, so no SSH server is needed): kscp -O against
# kscp -t/-f with a tree of awkward names, names with shell syntax quoted
# safely for the remote shell, an interrupted download (the old target
# intact, -a completes it), a full disk, permission denied, missing files.
. "$(dirname "$0")/scp-lib.sh"
make_fake_ssh
F="-S $T/fakessh"
H=fakehost
mkdir -p "$T/L" "$T/R"

# kscp -O <-> kscp -t/-f: a tree both ways, with -p.
make_tree "$T/tree" 300 || { fail "make tree"; finish; }
kscp_t -O $F -r -p "$T/tree" "$H:$T/R/" 2>"$T/err"
[ $? -eq 0 ] && same_tree "$T/tree" "$T/R/tree" && [ "$(modes_times "$T/tree")" = "$(modes_times "$T/R/tree")" ]
res "-O upload tree to kscp -t with -p" || tail -3 "$T/err" >&2
kscp_t -O $F -r -p "$H:$T/tree" "$T/L/t2" 2>"$T/err"
[ $? -eq 0 ] && same_tree "$T/tree" "$T/L/t2" && [ "$(modes_times "$T/tree")" = "$(modes_times "$T/L/t2")" ]
res "-O download tree from kscp -f with -p" || tail -3 "$T/err" >&2

# OpenSSH's scp -O as the client of kscp -t/-f (what ksshd runs for it).
if [ -x /usr/bin/scp ]; then
	rm -rf "$T/R/otree" "$T/L/otree"
	timeout 120 /usr/bin/scp -O -S "$T/fakessh" -r -p "$T/tree" "$H:$T/R/otree" 2>"$T/err"
	[ $? -eq 0 ] && same_tree "$T/tree" "$T/R/otree" && [ "$(modes_times "$T/tree")" = "$(modes_times "$T/R/otree")" ]
	res "OpenSSH scp -O upload tree to kscp -t with -p" || tail -3 "$T/err" >&2
	timeout 120 /usr/bin/scp -O -S "$T/fakessh" -r -p "$H:$T/tree" "$T/L/otree" 2>"$T/err"
	[ $? -eq 0 ] && same_tree "$T/tree" "$T/L/otree" && [ "$(modes_times "$T/tree")" = "$(modes_times "$T/L/otree")" ]
	res "OpenSSH scp -O download tree from kscp -f with -p" || tail -3 "$T/err" >&2
	timeout 120 /usr/bin/scp -O -S "$T/fakessh" "$H:$T/nonexistent" "$T/L/" 2>"$T/err"
	[ $? -ne 0 ] && grep -qi "no such file" "$T/err"; res "OpenSSH scp -O sees kscp -f's error for a missing file"
	mkdir -p "$T/ro"; chmod 555 "$T/ro"
	timeout 120 /usr/bin/scp -O -S "$T/fakessh" "$T/tree/file 8" "$H:$T/nonexistent/dir/" 2>"$T/err"
	[ $? -ne 0 ] && grep -qi "no such file\|not a directory" "$T/err"; res "OpenSSH scp -O sees kscp -t's error for a bad target"
fi

# Shell syntax in remote paths (source and target) stays literal in -O mode.
for n in "a b" "it's" "\$(touch kagi-PWNED)" "\`touch kagi-PWNED\`" "x;touch kagi-PWNED" '$HOME' "q\"uote"; do
	rm -rf "$T/q"; mkdir -p "$T/q/src" "$T/q/dst dir/$n"
	echo "$n" >"$T/q/src/$n"
	kscp_t -O $F "$T/q/src/$n" "$H:$T/q/dst dir/$n/" 2>"$T/err" && [ "$(cat "$T/q/dst dir/$n/$n")" = "$n" ] &&
		kscp_t -O $F "$H:$T/q/dst dir/$n/$n" "$T/q/back" 2>>"$T/err" && [ "$(cat "$T/q/back")" = "$n" ] &&
		[ ! -e "$T/rbin/kagi-PWNED" ] && [ ! -e kagi-PWNED ] && [ ! -e "$HOME/kagi-PWNED" ]
	res "-O remote path quoted safely: $n" || tail -3 "$T/err" >&2
done
# A glob in a remote source still works (the remote shell expands it).
rm -rf "$T/g"; mkdir -p "$T/g/src" "$T/g/dst"; echo 1 >"$T/g/src/a.txt"; echo 2 >"$T/g/src/b.txt"; echo 3 >"$T/g/src/c.dat"
kscp_t -O $F "$H:$T/g/src/*.txt" "$T/g/dst/" 2>"$T/err"
[ $? -eq 0 ] && [ "$(ls "$T/g/dst" | tr '\n' ' ')" = "a.txt b.txt " ]; res "-O remote glob expands"
kscp_t $F "$H:$T/g/src/*.txt" "$T/g/dst2/" 2>"$T/err"; mkdir -p "$T/g/dst2"
kscp_t $F "$H:$T/g/src/*.txt" "$T/g/dst2/" 2>"$T/err"
[ $? -eq 0 ] && [ "$(ls "$T/g/dst2" | tr '\n' ' ')" = "a.txt b.txt " ]; res "sftp remote glob expands"

# Interrupted download: kill the client midway, the old target is intact,
# -a completes the copy.
head -c $((48 * 1048576)) /dev/urandom >"$T/R/big"; want=$(sha "$T/R/big")
for mode in sftp legacy; do
	f=""; [ $mode = legacy ] && f=-O
	rm -f "$T/L/big" "$T/L/.big.part"; echo old >"$T/L/big"
	kscp_t $f $F -l 40000 "$H:$T/R/big" "$T/L/big" 2>"$T/err" &
	pid=$!
	i=0; while [ $i -lt 100 ] && [ "$(stat -c %s "$T/L/.big.part" 2>/dev/null || echo 0)" -lt 4000000 ]; do
		sleep 0.1; i=$((i + 1)); done
	kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
	[ "$(cat "$T/L/big")" = old ]; res "$mode interrupted download leaves the old target intact"
	if [ $mode = sftp ]; then
		have=$(stat -c %s "$T/L/.big.part" 2>/dev/null || echo 0)
		kscp_t -a $F "$H:$T/R/big" "$T/L/big" 2>"$T/err"
		[ $? -eq 0 ] && [ "$have" -gt 0 ] && [ "$(sha "$T/L/big")" = "$want" ] && [ ! -e "$T/L/.big.part" ]
		res "-a resumes the interrupted download (from $have bytes)" || tail -3 "$T/err" >&2
		# A partial file whose data does not match is not trusted.
		head -c 1000000 /dev/urandom >"$T/L/.big2.part"
		kscp_t -a $F "$H:$T/R/big" "$T/L/big2" 2>"$T/err"
		[ "$(sha "$T/L/big2")" = "$want" ]; res "-a with a mismatching partial file still gives the right data"
	else
		kscp_t $f $F "$H:$T/R/big" "$T/L/big" 2>"$T/err"
		[ $? -eq 0 ] && [ "$(sha "$T/L/big")" = "$want" ] && [ ! -e "$T/L/.big.part" ]; res "$mode copy again completes"
	fi
done

# Missing source, both directions, and the exit status of a partly failed copy.
for mode in sftp legacy; do
	f=""; [ $mode = legacy ] && f=-O
	echo ok >"$T/L/ok"
	kscp_t $f $F "$H:$T/R/missing" "$T/L/" 2>"$T/err"
	[ $? -ne 0 ] && grep -qi "no such file" "$T/err"; res "$mode missing remote source: exit 1 and a message"
	kscp_t $f $F "$T/L/missing" "$T/L/ok" "$H:$T/R/" 2>"$T/err"
	[ $? -ne 0 ] && grep -qi "no such file" "$T/err" && [ "$(cat "$T/R/ok")" = ok ]
	res "$mode one missing local source: the rest copied, exit 1"
done

# A full disk: the error reaches the user and nothing partial stays.
mkdir -p "$T/full"
if mount -t tmpfs -o size=2m tmpfs "$T/full" 2>/dev/null; then
	echo "$T/full" >>"$T/mounts"
	head -c $((4 * 1048576)) /dev/urandom >"$T/R/four"
	for mode in sftp legacy; do
		f=""; [ $mode = legacy ] && f=-O
		rm -rf "$T/full"/* "$T/full"/.[!.]*; echo keep >"$T/full/four"
		kscp_t $f $F "$H:$T/R/four" "$T/full/four" 2>"$T/err"
		[ $? -ne 0 ] && grep -qi "no space left" "$T/err" && [ "$(cat "$T/full/four")" = keep ] &&
			[ "$(ls -A "$T/full")" = four ]
		res "$mode disk full on download: reported, old file intact, nothing partial" || cat "$T/err" >&2
		rm -rf "$T/full"/*
		kscp_t $f $F "$T/R/four" "$H:$T/full/up" 2>"$T/err"
		[ $? -ne 0 ] && grep -qi "no space left\|failure" "$T/err"; res "$mode disk full on upload: reported" || cat "$T/err" >&2
	done
else
	skip "disk full (cannot mount a tmpfs here)"
fi

# Permission denied, as an unprivileged user.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --reset-env env HOME=/nonexistent "$@"; }
	mkdir -p "$T/locked" "$T/open"; chmod 755 "$T/locked"; chmod 777 "$T/open"
	echo secret >"$T/secret"; chmod 600 "$T/secret"; echo pub >"$T/pub"; chmod 644 "$T/pub"
	for mode in sftp legacy; do
		f=""; [ $mode = legacy ] && f=-O
		as_nobody timeout 60 "$KSCP" $f $F "$H:$T/pub" "$T/locked/" 2>"$T/err"
		[ $? -ne 0 ] && grep -qi "permission denied" "$T/err" && [ -z "$(ls -A "$T/locked")" ]
		res "$mode download into a folder without write permission" || cat "$T/err" >&2
		as_nobody timeout 60 "$KSCP" $f $F "$T/secret" "$H:$T/open/" 2>"$T/err"
		[ $? -ne 0 ] && grep -qi "permission denied" "$T/err"; res "$mode upload of an unreadable file" || cat "$T/err" >&2
		as_nobody timeout 60 "$KSCP" $f $F "$H:$T/secret" "$T/open/" 2>"$T/err"
		[ $? -ne 0 ] && grep -qi "permission denied" "$T/err" && [ ! -e "$T/open/secret" ]
		res "$mode download of an unreadable remote file" || cat "$T/err" >&2
	done
else
	skip "permission denied (needs root to switch to an unprivileged user)"
fi
finish
