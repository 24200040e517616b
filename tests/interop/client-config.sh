#!/bin/sh
# kssh -G against OpenSSH's ssh -G for the same configuration (Host aliases,
# Match, first value wins, known-hosts paths with ~ and %d): every keyword
# both print that kssh acts on must have the same value; then git, which
# runs `ssh -G` to learn what kind of ssh it has, clones over kssh from a
# URL with a port.
. "$(dirname "$0")/lib.sh"

have_prog kssh kssh ssh || finish

cat >"$T/client.conf" <<EOF2
Host alias
	HostName 127.0.0.1
	Port 2222
	User alice
	IdentityFile ~/.ssh/work_key
	IdentityFile $T/second_key
Match host 127.0.0.1 user alice
	Compression yes
	ConnectTimeout 7
Host *
	Port 9999
	User nobody-else
	BatchMode yes
	StrictHostKeyChecking accept-new
	UserKnownHostsFile ~/kh %d/kh2
	SendEnv LANG LC_*
	SetEnv A=1 B=two
	RekeyLimit 1G 1h
	ProxyJump bastion1,bastion2
	PreferredAuthentications publickey,password
	RequestTTY no
	HashKnownHosts yes
	NumberOfPasswordPrompts 2
	PasswordAuthentication no
	AddressFamily inet
	LogLevel VERBOSE
EOF2
# (serveraliveinterval: Debian's ssh makes it 300 under BatchMode, upstream does not.)
# Values both print; the algorithm lists are kagi's own by design (it offers
# only what it implements), escapechar and identity defaults differ too.
keys="host user hostname port addressfamily batchmode compression exitonforwardfailure hashknownhosts
identitiesonly kbdinteractiveauthentication passwordauthentication pubkeyauthentication requesttty
stricthostkeychecking tcpkeepalive numberofpasswordprompts loglevel preferredauthentications
identityfile globalknownhostsfile userknownhostsfile sendenv setenv connecttimeout rekeylimit proxyjump
serveralivecountmax canonicalizefallbacklocal canonicalizehostname canonicalizemaxdots
canonicaldomains canonicalizePermittedcnames permitlocalcommand requiredrsasize"
compare() { # label host [default-ids] [config]
	_cf=${4:-$T/client.conf}
	$INHOME "$KSSH" -G -F "$_cf" "$2" >"$T/k.out" 2>"$T/k.err"; kst=$?
	$INHOME "$SSH" -G -F "$_cf" "$2" >"$T/o.out" 2>/dev/null
	[ $kst -eq 0 ]; res "$1: kssh -G exits 0" || sed 's/^/#   /' "$T/k.err" >&2
	ok=0; ncmp=0
	for k in $keys; do
		grep "^$k " "$T/o.out" >"$T/o.k"; grep "^$k " "$T/k.out" >"$T/k.k"
		[ -s "$T/o.k" ] || continue
		ncmp=$((ncmp + 1))
		# kagi's default identities leave out key types it does not do.
		[ "$k" = identityfile ] && [ "$3" = default-ids ] && continue
		if ! cmp -s "$T/o.k" "$T/k.k"; then
			note "$1 $k: ssh '$(tr '\n' '|' <"$T/o.k")' kssh '$(tr '\n' '|' <"$T/k.k")'"
			ok=1
		fi
	done
	[ $ok -eq 0 ] && [ $ncmp -ge 20 ]; res "$1: kssh -G equals ssh -G on every shared keyword ($ncmp)"
}
INHOME=""
compare "alias" alias
compare "other host" other.example default-ids

# ---- the canonicalisation keywords, with no lookup at all (an address) ----
printf 'CanonicalizeHostname always\nCanonicalizeMaxDots 3\nCanonicalizeFallbackLocal no\nCanonicalDomains a.example b.example\nCanonicalizePermittedCNAMEs *.a.example:*.b.example\nRequiredRSASize 2048\n' >"$T/canon.conf"
compare "canonical keywords" 192.0.2.7 default-ids "$T/canon.conf"

# ---- canonicalisation and the final pass (kssh; names from /etc/hosts only) ----
# "localhost." is fully qualified: it resolves as "localhost" (the files),
# and the second pass sees Match canonical and Host localhost.
cat >"$T/canon2.conf" <<EOF2
CanonicalizeHostname yes
Host localhost
	Port 2201
Match canonical originalhost localhost.
	User canon-user
Match final host localhost
	Compression yes
EOF2
"$KSSH" -G -F "$T/canon2.conf" localhost. >"$T/c2.out" 2>"$T/c2.err"
grep -qx 'hostname localhost' "$T/c2.out" && grep -qx 'port 2201' "$T/c2.out" &&
	grep -qx 'user canon-user' "$T/c2.out" && grep -qx 'compression yes' "$T/c2.out"
res "CanonicalizeHostname: localhost. canonicalised, config re-read (Host, Match canonical/final)" ||
	{ cat "$T/c2.err" >&2; grep -E '^(hostname|port|user|compression) ' "$T/c2.out" >&2; }
# No CanonicalDomains and CanonicalizeFallbackLocal no: an error, no lookup made.
printf 'CanonicalizeHostname yes\nCanonicalizeFallbackLocal no\n' >"$T/canon3.conf"
"$KSSH" -G -F "$T/canon3.conf" nowhere >"$T/c3.out" 2>"$T/c3.err"; st=$?
[ $st -eq 255 ] && grep -q 'Could not resolve host "nowhere"' "$T/c3.err" && [ ! -s "$T/c3.out" ]
res "CanonicalizeFallbackLocal no: an unresolved name is an error" || cat "$T/c3.err" >&2

# ---- Match errors and -E: the error goes to the log file, with file and line ----
printf 'Host *\n\tPort 22\nMatch bogus x\n' >"$T/merr.conf"
rm -f "$T/e.log"
"$KSSH" -G -E "$T/e.log" -F "$T/merr.conf" h >"$T/merr.out" 2>"$T/merr.err"; st=$?
[ $st -eq 255 ] && [ ! -s "$T/merr.err" ] && grep -q 'merr.conf line 3: Unsupported Match attribute bogus' "$T/e.log"
res "-E receives a config error (Match: unknown criterion, file and line)" || cat "$T/merr.err" "$T/e.log" >&2
printf 'Match exec\n' >"$T/merr2.conf"
"$KSSH" -G -F "$T/merr2.conf" h >/dev/null 2>"$T/merr2.err"
grep -q 'merr2.conf line 1: Missing Match criteria for exec' "$T/merr2.err"; res "Match exec without a command is refused"

# A keyword kagi refuses gives an error and no output, not a silent dump.
printf 'Host *\n\tProxyCommand nc %%h %%p\n' >"$T/bad.conf"
"$KSSH" -G -F "$T/bad.conf" h >"$T/bad.out" 2>"$T/bad.err"; st=$?
[ $st -eq 255 ] && [ ! -s "$T/bad.out" ] && grep -q 'bad.conf' "$T/bad.err"
res "refused keyword: exit 255, file named, nothing printed" || sed 's/^/#   /' "$T/bad.err" >&2

# ---- a real-world ~/.ssh/config, with Include relative to ~/.ssh ----
# ssh and kssh take ~ from the password database, not $HOME: the test's home
# ($T/home) is bind-mounted over the real one in a private mount namespace,
# so nothing under the real ~/.ssh is read or written.
setup_keys || { fail "setup keys"; finish; }
start_server ksshd rw || { fail "ksshd start"; finish; }
rwport=$SRV_PORT
REALHOME=$(getent passwd "$(id -un)" | cut -d: -f6)
INHOME=""
if [ $IS_ROOT -eq 1 ] && command -v unshare >/dev/null 2>&1 && [ -d "$REALHOME" ] &&
	unshare -m sh -c 'mount --bind "$1" "$2"' sh "$T" "$REALHOME" 2>/dev/null; then
	INHOME="$T/inhome.sh"
	printf '#!/bin/sh\nexec unshare -m sh -c '"'"'mount --bind "$0" "$1" && shift && exec "$@"'"'"' "%s" "%s" "$@"\n' \
		"$T/home" "$REALHOME" >"$INHOME"
	chmod +x "$INHOME"
	H="~"
else
	skip "no private mount namespace: Include and ~ use the home as written ($T/home)"
	H="$T/home"
fi
mkdir -p "$T/home/.ssh/config.d" && chmod 700 "$T/home/.ssh"
cp "$T/user_ed25519" "$T/home/.ssh/id_work" && chmod 600 "$T/home/.ssh/id_work"
cat >"$T/home/.ssh/config" <<EOF2
# laptop config: aliases, Match, Include, connection sharing, macOS-only options
IgnoreUnknown UseKeychain
Include $( [ -n "$INHOME" ] && echo "config.d/*.conf" || echo "$T/home/.ssh/config.d/*.conf")

Host work w
	HostName 127.0.0.1
	Port $rwport
	User $TUSER
	IdentityFile $H/.ssh/id_work
	IdentitiesOnly yes

Host behind
	HostName 127.0.0.1
	Port $rwport
	User $TUSER
	IdentityFile $H/.ssh/id_work
	ProxyJump work

Match host 127.0.0.1 exec "test %p = $rwport && test %n != nomatch"
	ServerAliveCountMax 5

Match final host 127.0.0.1
	ConnectTimeout 11

Host *
	UseKeychain yes
	AddKeysToAgent yes
	ControlMaster auto
	ControlPersist 60s
	ControlPath $H/.ssh/cm-%C
	ServerAliveInterval 30
	UserKnownHostsFile $H/.ssh/known_hosts
	StrictHostKeyChecking accept-new
	BatchMode yes
	LogLevel ERROR
EOF2
cat >"$T/home/.ssh/config.d/10-work.conf" <<EOF2
Host work
	Compression yes
	SendEnv LANG
EOF2
rwcf="$T/home/.ssh/config"
[ -n "$INHOME" ] && rwcf="$REALHOME/.ssh/config"
keys="$keys serveraliveinterval"
compare "real-world work" work "" "$rwcf"
grep -qx "compression yes" "$T/k.out" && grep -qx "serveralivecountmax 5" "$T/k.out" &&
	grep -qx "connecttimeout 11" "$T/k.out" && grep -qx "port $rwport" "$T/k.out"
res "real-world: Include, Match exec and Match final take effect" || grep -E '^(compression|serveralive|connecttimeout|port) ' "$T/k.out" >&2
compare "real-world behind" behind "" "$rwcf"
out=$(timeout 30 $INHOME "$KSSH" -F "$rwcf" work 'echo rw-$((6*7))' </dev/null 2>"$T/rw.err")
sed 's/^/#   kssh: /' "$T/rw.err" >&2
[ "$out" = "rw-42" ]; res "real-world: login through ksshd with it" || cat "$T/rw.err" >&2
out=$(timeout 30 $INHOME "$KSSH" -F "$rwcf" behind 'echo via-jump' </dev/null 2>"$T/rwj.err")
[ "$out" = "via-jump" ]; res "real-world: ProxyJump from it" || cat "$T/rwj.err" >&2
# A master left by ControlPersist (once kagi shares connections) ends here.
timeout 10 $INHOME "$KSSH" -F "$rwcf" -O exit work >/dev/null 2>&1 || true
! grep -q 'Bad configuration option' "$T/rw.err" "$T/rwj.err"
res "real-world: every keyword accepted (UseKeychain under IgnoreUnknown)" || cat "$T/rw.err" >&2

# git over kssh: git asks `kssh -G` first, then passes -p for the URL's port.
if command -v git >/dev/null 2>&1; then
	if start_server ksshd ksshd; then
		git init -q --bare "$T/repo.git" &&
		git init -q "$T/work" &&
		echo "kagi over git" >"$T/work/README" &&
		git -C "$T/work" add README &&
		git -C "$T/work" -c user.name=t -c user.email=t@example.invalid commit -qm one &&
		git -C "$T/work" push -q "$T/repo.git" HEAD:refs/heads/main 2>/dev/null
		GIT_SSH_COMMAND="$KSSH -F /dev/null -i $T/user_ed25519 -o UserKnownHostsFile=$T/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o BatchMode=yes" \
			timeout 60 git clone -q -b main "ssh://$TUSER@127.0.0.1:$SRV_PORT$T/repo.git" "$T/clone" 2>"$T/git.err"
		[ "$(cat "$T/clone/README" 2>/dev/null)" = "kagi over git" ]
		res "git clone with kssh as GIT_SSH_COMMAND and a port in the URL" || sed 's/^/#   /' "$T/git.err" >&2
	else
		fail "ksshd start"
	fi
else
	fail "git not installed"
fi
finish
