#!/bin/sh
# sntrup761 against liboqs (npm @oqs/liboqs-js, installed into the npm cache
# folder): key pairs, encapsulations and implicit rejection, both ways.
# SKIP when node, npm or the package is not available.
cd "$(dirname "$0")/../.." || exit 2
tool=${SNTRUP_TOOL:-build/tests/test_sntrup761}
if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: sntrup-liboqs (node not installed)"; exit 0
fi
if [ ! -x "$tool" ]; then
	echo "FAIL: sntrup-liboqs ($tool not built)"; exit 1
fi
node tests/vectors/gen-sntrup.mjs "$tool"
rc=$?
[ $rc -eq 77 ] && exit 0
exit $rc
