#!/bin/sh
# Installs the Debian 12 packages kagi needs to build and test, if missing,
# and generates the locales the --explain tests use (a small Japanese font
# lets headless Chromium draw the Japanese page).
pkgs="build-essential clang libclang-rt-14-dev libssl-dev zlib1g-dev libpam0g-dev libcrypt-dev libseccomp-dev
openssh-client openssh-server python3 python3-paramiko ssh-audit valgrind procps
gettext locales sshpass openssl chromium fonts-ipafont-gothic tmux curl git"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else sudo="none"; fi
rc=0
if [ -n "$missing" ]; then
	echo "installing:$missing"
	if [ "$sudo" = none ]; then echo "need root (or sudo) to install:$missing" >&2; exit 1; fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null || true
	# Installing openssh-server must not start or enable the system's sshd.
	if [ -z "$sudo" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; added_policy=1
	fi
	$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
	rc=$?
	[ -n "${added_policy:-}" ] && rm -f /usr/sbin/policy-rc.d
fi
# English and Japanese UTF-8 locales (for gettext catalogs), when missing.
need_gen=""
for l in en_US.UTF-8 ja_JP.UTF-8; do
	n=$(echo "$l" | sed 's/UTF-8/utf8/')
	locale -a 2>/dev/null | grep -qx "$n" || need_gen="$need_gen $l"
done
if [ -n "$need_gen" ] && [ -f /etc/locale.gen ] && [ "$sudo" != none ]; then
	for l in $need_gen; do
		$sudo sed -i "s/^# *$l UTF-8/$l UTF-8/" /etc/locale.gen
		grep -q "^$l UTF-8" /etc/locale.gen || echo "$l UTF-8" | $sudo tee -a /etc/locale.gen >/dev/null
	done
	$sudo locale-gen >/dev/null || rc=1
fi
exit $rc
