#!/bin/sh
# ksshd's PAM session and login records (UsePAM yes, the system's "sshd"
# PAM stack, which has pam_loginuid and pam_env user_readenv=1): the
# session's loginuid is the user's, PAM's environment reaches the session,
# a pty session is in utmp (who) while it runs and in wtmp (last) after,
# PrintLastLog shows the previous login, the nologin file refuses a
# non-root user with its text, SIGTERM to the connection still closes the
# PAM session.  The records go to files under $T through ksshd's
# KSSHD_TEST_LOGIN_DIR hook; no system PAM or nologin file is touched.
. "$(dirname "$0")/lib.sh"

setup_keys || { fail "setup keys"; finish; }
if ! setup_pwuser; then
	skip "PAM session (needs root and sshpass for the test account $PWUSER)"
	finish
fi
R=$T/rec
mkdir -p "$R" && : >"$R/utmp" && : >"$R/wtmp" && : >"$R/lastlog"
PWUID=$(id -u "$PWUSER")
PWHOME=$(getent passwd "$PWUSER" | cut -d: -f6)
write_server_config "$T/pam.conf" "$T/host_ed25519"
sed -i -e 's/^UsePAM .*/UsePAM yes/' -e 's/^LogLevel .*/LogLevel DEBUG1/' "$T/pam.conf"
printf 'PrintLastLog yes\nPrintMotd no\nSetEnv KAGI_PAM_MARK2=from-setenv\n' >>"$T/pam.conf"
# pam_env's user_readenv: the test user's own file, removed at the end.
printf 'KAGI_PAM_MARK DEFAULT=from-pam-env\nKAGI_PAM_MARK2 DEFAULT=from-pam-env\n' >"$PWHOME/.pam_environment"
chown "$PWUSER" "$PWHOME/.pam_environment"
export KSSHD_TEST_LOGIN_DIR="$R"
start_server ksshd pam || { fail "ksshd start"; rm -f "$PWHOME/.pam_environment"; finish; }
unset KSSHD_TEST_LOGIN_DIR
port=$SRV_PORT
opts="-o BatchMode=no -o PubkeyAuthentication=no -o PasswordAuthentication=yes -o KbdInteractiveAuthentication=no -o NumberOfPasswordPrompts=1"
pw() { SSHPASS=$PWPASS CLIENT_USER=$PWUSER CLIENT_WRAP="sshpass -e" client kssh "$port" "$opts" "$@"; }
# utmp_dead LINE : utmp holds LINE's entry as DEAD_PROCESS (type 8).
utmp_dead() { utmpdump "$R/utmp" 2>/dev/null | grep -q "^\[8\] .*\[$1 *\]"; }

out=$(pw 'cat /proc/self/loginuid; echo; echo "$KAGI_PAM_MARK"; echo "$KAGI_PAM_MARK2"' </dev/null 2>"$T/e1")
[ "$(echo "$out" | sed -n 1p)" = "$PWUID" ]; res "loginuid in the session is the user's uid ($PWUID, pam_loginuid)" || { echo "$out"; cat "$T/e1"; } >&2
[ "$(echo "$out" | sed -n 2p)" = from-pam-env ]; res "PAM's environment (pam_env) is in the session"
[ "$(echo "$out" | sed -n 3p)" = from-setenv ]; res "SetEnv wins over PAM's environment"
sleep 0.5
grep -q "PAM: session opened for $PWUSER" "$SRV_LOG" && grep -q "PAM: session closed for $PWUSER" "$SRV_LOG" &&
	[ "$(grep -n "PAM: session opened for $PWUSER" "$SRV_LOG" | head -1 | cut -d: -f1)" -lt \
	  "$(grep -n "PAM: session closed for $PWUSER" "$SRV_LOG" | head -1 | cut -d: -f1)" ]
res "PAM session opened after login and closed when the connection ended"

# A pty session: in utmp while it runs, DEAD after; wtmp has both.
pw -tt 'sleep 3' </dev/null >/dev/null 2>&1 &
cpid=$!
i=0; line=""
while [ $i -lt 50 ] && [ -z "$line" ]; do
	line=$(who "$R/utmp" | awk -v u="$PWUSER" '$1 == u { print $2 }' | head -1)
	[ -n "$line" ] || { sleep 0.1; i=$((i + 1)); }
done
[ -n "$line" ] && who "$R/utmp" | grep -q "^$PWUSER .*$line .*(127.0.0.1)"; res "who shows the pty session ($line) while it runs"
wait $cpid
# The logout is written when ksshd reaps the session (who already hides
# an entry whose process is gone, so utmpdump shows what was written).
i=0
while [ $i -lt 50 ] && ! { utmp_dead "$line" && utmpdump "$R/wtmp" 2>/dev/null | grep -q "^\[8\] .*\[$line *\]"; }; do
	sleep 0.1; i=$((i + 1))
done
sleep 1  # last(1) ignores a logout stamped in the current second
[ -n "$line" ] && ! who "$R/utmp" | grep -q "$line" && utmp_dead "$line"
res "after logout utmp has it as DEAD_PROCESS and who does not show it"
last -w -f "$R/wtmp" 2>/dev/null >"$T/last"
grep -q "^$PWUSER *$line *127.0.0.1 .* - " "$T/last" && ! grep -q "still" "$T/last"
res "last (wtmp) shows the session with its logout" || cat "$T/last" >&2

# PrintLastLog: the shell session shows the previous login (the one above).
out=$(printf 'exit\n' | pw -tt 2>"$T/e2")
echo "$out" | grep -q "^Last login: [A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* [0-9]* from 127.0.0.1"
res "PrintLastLog shows the previous login" || { echo "$out"; cat "$T/e2"; } >&2
# pam_motd's text (PrintMotd is off here) comes first, as sshd shows it.
m=$(grep -v '^[[:space:]]*$' /etc/motd 2>/dev/null | head -1)
if [ -n "$m" ] && grep -q "^session.*pam_motd" /etc/pam.d/sshd; then
	ml=$(echo "$out" | tr -d '\r' | grep -nF -- "$m" | head -1 | cut -d: -f1)
	ll=$(echo "$out" | grep -n "^Last login: " | head -1 | cut -d: -f1)
	[ -n "$ml" ] && [ -n "$ll" ] && [ "$ml" -lt "$ll" ]; res "PAM's messages (pam_motd) are shown before the last login line"
fi

# SIGTERM to the connection's process: the PAM session is still closed.
n0=$(grep -c "PAM: session closed for $PWUSER" "$SRV_LOG")
pw -tt 'sleep 20' </dev/null >/dev/null 2>&1 &
cpid=$!
i=0; conn=""
while [ $i -lt 50 ] && [ -z "$conn" ]; do
	for c in $(pgrep -P "$SRV_PID"); do
		for g in $(pgrep -P "$c"); do pgrep -f "sleep 20" -P "$g" >/dev/null 2>&1 && conn=$c; done
		[ "$(ps -o args= -p "$(pgrep -P "$c" | head -1)" 2>/dev/null)" = "sleep 20" ] && conn=$c
	done
	[ -n "$conn" ] || { sleep 0.1; i=$((i + 1)); }
done
[ -n "$conn" ] && kill -TERM "$conn"
wait $cpid 2>/dev/null
i=0
while [ $i -lt 30 ] && [ "$(grep -c "PAM: session closed for $PWUSER" "$SRV_LOG")" -le "$n0" ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$conn" ] && [ "$(grep -c "PAM: session closed for $PWUSER" "$SRV_LOG")" -gt "$n0" ] &&
	[ -z "$(who "$R/utmp" | awk -v u="$PWUSER" '$1 == u')" ] && [ "$(utmpdump "$R/utmp" 2>/dev/null | grep -c '^\[7\]')" -eq 0 ]
res "SIGTERM to the connection closes the PAM session and logs out of utmp"

# nologin (the hook's file): a non-root user sees its text and is refused.
echo "kagi test: logins are closed for maintenance" >"$R/nologin"
out=$(pw 'echo logged-in' </dev/null 2>"$T/e3"); rc=$?
[ $rc -eq 254 ] && [ -z "$out" ] && grep -q "kagi test: logins are closed for maintenance" "$T/e3" &&
	grep -q "User $PWUSER not allowed because $R/nologin exists" "$SRV_LOG"
res "nologin refuses a non-root user with the file's text" || { echo "rc=$rc out=$out"; cat "$T/e3"; } >&2
if [ "$(id -u)" -eq 0 ]; then
	[ "$(client kssh "$port" "" 'echo root-in' </dev/null 2>/dev/null)" = root-in ]; res "nologin does not refuse root"
fi
rm -f "$R/nologin"

# An expired account: the right password is refused, and the log says why.
if usermod -e 1 "$PWUSER" 2>/dev/null; then
	out=$(pw 'echo logged-in' </dev/null 2>"$T/e4"); rc=$?
	usermod -e "" "$PWUSER"
	[ $rc -eq 255 ] && [ -z "$out" ] && grep -q "User $PWUSER not allowed because account is locked or expired" "$SRV_LOG"
	res "an expired account is refused (PAM account management) with a log line"
fi

# UsePAM no: no PAM session, so pam_loginuid never runs.
write_server_config "$T/nopam.conf" "$T/host_ed25519"
sed -i -e "s/^LogLevel .*/LogLevel DEBUG1/" "$T/nopam.conf"
start_server ksshd nopam || fail "ksshd UsePAM=no start"
port=$SRV_PORT
out=$(pw 'cat /proc/self/loginuid' </dev/null 2>/dev/null)
[ -n "$out" ] && [ "$out" != "$PWUID" ] && ! grep -q "PAM: session opened" "$SRV_LOG"
res "UsePAM no opens no PAM session (loginuid stays $out)"
rm -f "$PWHOME/.pam_environment"
finish
