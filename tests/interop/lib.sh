# Shared helpers for the interop tests (POSIX sh; sourced, not run).
#
# Programs under test (override through the environment):
#   KSSH, KSSHD, KSSH_KEYGEN  kagi's programs; default $KAGI_BIN/<name>,
#                             KAGI_BIN defaulting to <repo>/build/bin
#   SSH, SSHD, SSH_KEYGEN     the OpenSSH reference programs
# Setting KSSH=ssh KSSHD=/usr/sbin/sshd KSSH_KEYGEN=ssh-keygen runs every
# test OpenSSH-against-OpenSSH, which checks the harness itself.
#
# Other knobs: PAIRS (e.g. "ssh-ksshd kssh-sshd kssh-ksshd", also taken
# from the script's arguments), CLIENT_TIMEOUT (seconds, default 60),
# KAGI_SKIP_MISSING=1 (report a missing program as SKIP instead of FAIL),
# KEEP_TMP=1 (keep the temporary directory for inspection).
#
# Output protocol: one "PASS: name" or "FAIL: name" line per case on stdout
# (counted by tests/run-all.sh); "SKIP: name (reason)" for cases that
# cannot run here.  Diagnostics go to stderr.

PY=/usr/bin/python3
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-60}
TEST_NAME=$(basename "$0" .sh)
KAGI_ROOT=${KAGI_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}  # tools/ scripts set it
KAGI_BIN=${KAGI_BIN:-$KAGI_ROOT/build/bin}

abs_prog() { # name-or-path -> absolute path (or the input if not found)
	case $1 in
	/*) echo "$1" ;;
	*/*) echo "$(cd "$(dirname "$1")" 2>/dev/null && pwd)/$(basename "$1")" ;;
	*) command -v "$1" 2>/dev/null || echo "$1" ;;
	esac
}
KSSH=$(abs_prog "${KSSH:-$KAGI_BIN/kssh}")
KSSHD=$(abs_prog "${KSSHD:-$KAGI_BIN/ksshd}")
KSSH_KEYGEN=$(abs_prog "${KSSH_KEYGEN:-$KAGI_BIN/kssh-keygen}")
SSH=$(abs_prog "${SSH:-/usr/bin/ssh}")
SSHD=$(abs_prog "${SSHD:-/usr/sbin/sshd}")
SSH_KEYGEN=$(abs_prog "${SSH_KEYGEN:-/usr/bin/ssh-keygen}")

if [ "$(id -u)" -eq 0 ]; then IS_ROOT=1; else IS_ROOT=0; fi
TUSER=$(id -un)       # the account pubkey tests log in as
PWUSER=$(echo "kagi-$TEST_NAME" | tr -c "a-z0-9_\n-" "-" | cut -c1-30)  # per script, so scripts can run side by side (root only)

npass=0; nfail=0
pass() { echo "PASS: $TEST_NAME $*"; npass=$((npass + 1)); }
fail() { echo "FAIL: $TEST_NAME $*"; nfail=$((nfail + 1)); }
skip() { echo "SKIP: $TEST_NAME $*"; }
note() { echo "# $*" >&2; }
# check NAME CONDITION-COMMAND... : PASS if the command succeeds.
check() { _n=$1; shift; if "$@"; then pass "$_n"; else fail "$_n"; fi; }
# res NAME : PASS if the previous command (list) succeeded: `[ a ] && [ b ]; res name`.
# Returns the same status, so `res name || show-details` works.
res() { if [ $? -eq 0 ]; then pass "$1"; return 0; else fail "$1"; return 1; fi; }

# ---- temporary directory and cleanup ---------------------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/kagi-$TEST_NAME.XXXXXX") || { echo "FAIL: $TEST_NAME mktemp"; exit 1; }
case $T in *[[:space:]]*) echo "FAIL: $TEST_NAME temp dir contains spaces: $T"; rm -rf "$T"; exit 1 ;; esac
chmod 755 "$T"  # the password test user must be able to reach files here
: >"$T/pids"
# ksshd's login records (utmp, wtmp, lastlog) and its nologin file are
# looked for under $T, never the system's own.
KSSHD_TEST_LOGIN_DIR=${KSSHD_TEST_LOGIN_DIR:-$T/login-records}
mkdir -p "$KSSHD_TEST_LOGIN_DIR" && export KSSHD_TEST_LOGIN_DIR

# running PID : the process exists and is not a zombie.
running() {
	[ -r "/proc/$1/stat" ] || return 1
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]
}

cleanup() {
	trap - EXIT INT TERM HUP
	if [ -s "$T/pids" ]; then
		while read -r _p; do
			# Servers run as group leaders: end the whole group (connection children too).
			kill -TERM "-$_p" 2>/dev/null || kill -TERM "$_p" 2>/dev/null
		done <"$T/pids"
		_i=0
		while [ $_i -lt 50 ]; do
			_alive=0
			while read -r _p; do running "$_p" && _alive=1; done <"$T/pids"
			[ $_alive -eq 0 ] && break
			sleep 0.1; _i=$((_i + 1))
		done
		while read -r _p; do
			running "$_p" && { kill -KILL "-$_p" 2>/dev/null || kill -KILL "$_p" 2>/dev/null; }
		done <"$T/pids"
	fi
	[ -n "${PW_LOCK:-}" ] && passwd -l "$PWUSER" >/dev/null 2>&1
	if [ "${KEEP_TMP:-0}" = 1 ]; then note "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- programs ---------------------------------------------------------------
prog_of() { # kind -> path
	case $1 in
	ssh) echo "$SSH" ;; sshd) echo "$SSHD" ;; ssh-keygen) echo "$SSH_KEYGEN" ;;
	kssh) echo "$KSSH" ;; ksshd) echo "$KSSHD" ;; kssh-keygen) echo "$KSSH_KEYGEN" ;;
	*) echo "/nonexistent/$1" ;;
	esac
}
# have_prog LABEL KIND... : all programs exist; otherwise reports FAIL (or SKIP).
have_prog() {
	_l=$1; shift
	for _k in "$@"; do
		_b=$(prog_of "$_k")
		if [ ! -x "$_b" ]; then
			if [ "${KAGI_SKIP_MISSING:-0}" = 1 ]; then skip "$_l ($_k not found: $_b)"
			else fail "$_l ($_k not found: $_b)"; fi
			return 1
		fi
	done
	return 0
}

# Pairs "client-server" from the arguments or PAIRS; all three by default.
select_pairs() {
	if [ $# -gt 0 ]; then PAIRS="$*"; fi
	PAIRS=${PAIRS:-ssh-ksshd kssh-sshd kssh-ksshd}
	for _p in $PAIRS; do
		case $_p in ssh-ksshd|kssh-sshd|kssh-ksshd|ssh-sshd) ;;
		*) echo "FAIL: $TEST_NAME unknown pair $_p"; exit 1 ;; esac
	done
}
pair_client() { echo "${1%-*}"; }
pair_server() { echo "${1#*-}"; }
pair_label() { echo "${1%-*}->${1#*-}"; }

# ---- keys -------------------------------------------------------------------
# gen_key FILE TYPE [BITS] : unencrypted key pair made by OpenSSH's ssh-keygen.
gen_key() {
	_f=$1; _t=$2; _b=${3:-}
	rm -f "$_f" "$_f.pub"
	if [ -n "$_b" ]; then "$SSH_KEYGEN" -q -t "$_t" -b "$_b" -N '' -C "kagi-test-$_t" -f "$_f" </dev/null
	else "$SSH_KEYGEN" -q -t "$_t" -N '' -C "kagi-test-$_t" -f "$_f" </dev/null; fi
}

# setup_keys : host keys ($T/host_ed25519 ...) and the default user key
# ($T/user_ed25519, in $T/authorized_keys).
setup_keys() {
	gen_key "$T/host_ed25519" ed25519 || return 1
	gen_key "$T/user_ed25519" ed25519 || return 1
	cat "$T/user_ed25519.pub" >"$T/authorized_keys"
	chmod 644 "$T/authorized_keys"
	: >"$T/known_hosts"
}

# ---- servers ----------------------------------------------------------------
free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# listening PORT : a socket listens on 127.0.0.1:PORT (no connection made).
listening() {
	_hex=$(printf '%04X' "$1")
	awk -v p="0100007F:$_hex" '$2 == p && $4 == "0A" { f = 1 } END { exit !f }' /proc/net/tcp
}

ensure_privsep_dir() {
	if [ $IS_ROOT -eq 1 ] && [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd && chmod 755 /run/sshd
	fi
}

# write_server_config FILE HOSTKEY... : the configuration every test server shares.
write_server_config() {
	_cf=$1; shift
	{
		echo "ListenAddress 127.0.0.1"
		for _h in "$@"; do echo "HostKey $_h"; done
		echo "PidFile none"
		echo "AuthorizedKeysFile $T/authorized_keys"
		echo "StrictModes no"
		echo "UsePAM ${SERVER_USEPAM:-no}"
		echo "PubkeyAuthentication yes"
		echo "PasswordAuthentication yes"
		echo "KbdInteractiveAuthentication no"
		echo "PermitRootLogin prohibit-password"
		echo "LogLevel ${SERVER_LOGLEVEL:-VERBOSE}"
	} >"$_cf"
}

# start_server KIND NAME [SERVER-ARGS...] : start sshd or ksshd in the
# foreground mode on a free 127.0.0.1 port and wait until it listens.
# Config: $T/NAME.conf (written with $SERVER_HOSTKEYS, default the ed25519
# host key, unless it exists already).  Sets SRV_PORT, SRV_PID, SRV_LOG.
start_server() {
	_kind=$1; _name=$2; shift 2
	_bin=$(prog_of "$_kind")
	ensure_privsep_dir
	[ -f "$T/$_name.conf" ] || write_server_config "$T/$_name.conf" ${SERVER_HOSTKEYS:-$T/host_ed25519}
	SRV_LOG=$T/$_name.log
	# ksshd penalises sources as OpenSSH 10 does; the tests all come from
	# 127.0.0.1, so it is exempt unless KSSHD_EXEMPT says otherwise (empty:
	# the config file's PerSourcePenaltyExemptList holds).
	case $(basename "$_bin"):${KSSHD_EXEMPT-127.0.0.1} in
	ksshd:) ;;
	ksshd:*) set -- -o "PerSourcePenaltyExemptList=${KSSHD_EXEMPT-127.0.0.1}" "$@" ;;
	esac
	_try=0
	while [ $_try -lt 3 ]; do
		_try=$((_try + 1))
		SRV_PORT=$(free_port)
		# setsid: the server leads its own process group, so cleanup can
		# end it together with its per-connection children.
		setsid "$_bin" -D -e -f "$T/$_name.conf" -p "$SRV_PORT" "$@" >>"$SRV_LOG" 2>&1 </dev/null &
		SRV_PID=$!
		echo "$SRV_PID" >>"$T/pids"
		_i=0
		while [ $_i -lt 100 ]; do  # up to 10 s
			if ! running "$SRV_PID"; then break; fi
			if listening "$SRV_PORT"; then return 0; fi
			sleep 0.1; _i=$((_i + 1))
		done
		kill -TERM "$SRV_PID" 2>/dev/null
		wait "$SRV_PID" 2>/dev/null
	done
	note "$_kind ($_bin) did not start listening; log $SRV_LOG:"
	tail -n 20 "$SRV_LOG" >&2
	return 1
}

# server_alive PID
server_alive() { running "$1"; }

# ---- clients ----------------------------------------------------------------
# client KIND PORT "OPTS" ARGS... : run ssh or kssh against 127.0.0.1:PORT
# with the harness's defaults, bounded by $CLIENT_TIMEOUT.  OPTS (one word-
# split string, e.g. "-o Ciphers=aes128-ctr -i $T/key") comes first, so it
# overrides the defaults (ssh takes the first value given for an option);
# ARGS is the remote command.  The default identity is $T/user_ed25519
# unless OPTS has its own -i.  CLIENT_WRAP (e.g. "sshpass -e") is put in
# front of the program (inside the timeout); CLIENT_USER is the login name.
client() {
	_kind=$1; _port=$2; _opts=$3; shift 3
	_bin=$(prog_of "$_kind")
	case " $_opts " in *" -i "*) _id="" ;; *) _id="-i $T/user_ed25519" ;; esac
	# shellcheck disable=SC2086  # OPTS/_id are deliberately word-split
	timeout -k 5 "$CLIENT_TIMEOUT" $CLIENT_WRAP "$_bin" $_opts $_id -F /dev/null -p "$_port" -l "${CLIENT_USER:-$TUSER}" \
		-o UserKnownHostsFile="$T/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=no -o IdentitiesOnly=yes -o BatchMode=yes \
		-o ConnectTimeout=10 -o LogLevel=ERROR 127.0.0.1 "$@"
}

# still_serving KIND PORT : a normal login and command still work (retried
# briefly, since a server may drop connections while it is busy).
still_serving() {
	_i=0
	while [ $_i -lt 5 ]; do
		[ "$(client "$1" "$2" "" echo alive 2>>"$T/still_serving.err" </dev/null)" = alive ] && return 0
		sleep 1; _i=$((_i + 1))
	done
	return 1
}

# ---- processes -----------------------------------------------------------------
# children_of PID : the pids whose parent is PID.
children_of() {
	for _s in /proc/[0-9]*/stat; do
		_pp=$(sed 's/.*) //' "$_s" 2>/dev/null | cut -d' ' -f2)
		[ "$_pp" = "$1" ] && { _p=${_s#/proc/}; echo "${_p%/stat}"; }
	done
}
# wait_child PID : the first child of PID (waits up to 10 s).
wait_child() {
	_i=0
	while [ $_i -lt 100 ]; do
		_c=$(children_of "$1" | head -n 1)
		[ -n "$_c" ] && { echo "$_c"; return 0; }
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# ---- password test user -----------------------------------------------------
# setup_pwuser : create (if needed) the system account $PWUSER with a fresh
# random password in $PWPASS; locked again on exit.  Root only.
setup_pwuser() {
	[ $IS_ROOT -eq 1 ] || return 1
	command -v sshpass >/dev/null 2>&1 || return 1
	if ! id "$PWUSER" >/dev/null 2>&1; then
		useradd -m -s /bin/sh "$PWUSER" 2>/dev/null || return 1
	fi
	PWPASS=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(18))')
	echo "$PWUSER:$PWPASS" | chpasswd || return 1
	PW_LOCK=1
	return 0
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# finish : exit status of a test script (1 if any case failed).
finish() {
	note "$TEST_NAME: $npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
	exit $?
}
