#!/bin/sh
# Installs the Debian 12 packages kagi needs to build and test, if missing.
pkgs="build-essential clang libclang-rt-14-dev libssl-dev zlib1g-dev libpam0g-dev libcrypt-dev
openssh-client openssh-server python3 python3-paramiko ssh-audit valgrind procps sshpass openssl"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
	echo "need root (or sudo) to install:$missing" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || true
# Installing openssh-server must not start or enable the system's sshd.
if [ -z "$sudo" ] && [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; added_policy=1
fi
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
rc=$?
[ -n "${added_policy:-}" ] && rm -f /usr/sbin/policy-rc.d
exit $rc
