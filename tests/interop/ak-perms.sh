#!/bin/sh
# ksshd reads a user's authorized_keys with that user's permissions (as
# OpenSSH's sshd does): a symlink to a file only root may read does not let
# the user log in with the keys in it.  Root only.
. "$(dirname "$0")/lib.sh"
[ $IS_ROOT -eq 1 ] || { skip "needs root to create a test user"; exit 0; }
U=$PWUSER
id "$U" >/dev/null 2>&1 || useradd -m -s /bin/sh "$U" 2>/dev/null || { fail "create test user"; finish; }
usermod -p '*' "$U"  # no password, but not locked: key logins allowed
H=$(getent passwd "$U" | cut -d: -f6)
setup_keys || { fail "setup keys"; finish; }
mkdir -p "$T/rootonly" && chmod 700 "$T/rootonly"
cp "$T/user_ed25519.pub" "$T/rootonly/ak" && chmod 600 "$T/rootonly/ak"
mkdir -p "$H/.ssh" && chown "$U" "$H/.ssh" && chmod 700 "$H/.ssh"
restore() { rm -f "$H/.ssh/authorized_keys"; }
write_server_config "$T/srv.conf" "$T/host_ed25519"
sed -i "s|^AuthorizedKeysFile .*|AuthorizedKeysFile .ssh/authorized_keys|; s|^StrictModes .*|StrictModes no|" "$T/srv.conf"
for s in ksshd sshd; do
	cp "$T/srv.conf" "$T/$s.conf"
	start_server "$s" "$s" || { fail "$s start"; continue; }
	port=$SRV_PORT
	restore; ln -s "$T/rootonly/ak" "$H/.ssh/authorized_keys"
	out=$(CLIENT_USER=$U client ssh "$port" "" id -un </dev/null 2>/dev/null); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ]; res "$s: symlink to a root-only file is not read"
	restore; cp "$T/user_ed25519.pub" "$H/.ssh/authorized_keys"; chown "$U" "$H/.ssh/authorized_keys"
	out=$(CLIENT_USER=$U client ssh "$port" "" id -un </dev/null 2>/dev/null); rc=$?
	[ $rc -eq 0 ] && [ "$out" = "$U" ]; res "$s: the user's own authorized_keys works"
	# A locked account ('!' in shadow) takes no key logins either.
	usermod -L "$U"
	out=$(CLIENT_USER=$U client ssh "$port" "" id -un </dev/null 2>/dev/null); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ]; res "$s: locked account refused even with a valid key"
	usermod -p '*' "$U"
	# An expired account likewise.
	usermod -e 1 "$U"
	out=$(CLIENT_USER=$U client ssh "$port" "" id -un </dev/null 2>/dev/null); rc=$?
	[ $rc -eq 255 ] && [ -z "$out" ]; res "$s: expired account refused even with a valid key"
	usermod -e '' "$U"
done
restore
finish
