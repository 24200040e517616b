#!/bin/sh
# ML-KEM-768 against an independent implementation: tests/vectors/gen-mlkem.mjs makes fresh random
# FIPS 203 vectors with @noble/post-quantum (installed once with npm into a cache folder) and
# build/tests/test_mlkem checks keygen, encaps, decaps and implicit rejection against each.
# Skips cleanly when node or the npm registry is not available.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TEST=${TEST_MLKEM:-$ROOT/build/tests/test_mlkem}
COUNT=${MLKEM_VECTORS:-200}
CACHE=${KAGI_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kagi-npm}
PKG=@noble/post-quantum@0.7.1
skip() { echo "SKIP: mlkem-vectors $*"; exit 0; }

[ -x "$TEST" ] || { echo "FAIL: mlkem-vectors ($TEST not built)"; exit 1; }
command -v node >/dev/null 2>&1 || skip "(no node)"
if [ ! -f "$CACHE/node_modules/@noble/post-quantum/package.json" ]; then
	command -v npm >/dev/null 2>&1 || skip "(no npm)"
	mkdir -p "$CACHE" || skip "(cannot make $CACHE)"
	timeout 300 npm install --prefix "$CACHE" --no-audit --no-fund --silent "$PKG" >"$CACHE/install.log" 2>&1 ||
		skip "(npm install $PKG failed: $(tail -n 1 "$CACHE/install.log"))"
fi
out=$(mktemp "${TMPDIR:-/tmp}/kagi-mlkem-vectors.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
if ! KAGI_NPM_DIR=$CACHE node "$ROOT/tests/vectors/gen-mlkem.mjs" "$COUNT" >"$out" 2>"$out.err"; then
	tail -n 5 "$out.err" >&2; rm -f "$out.err"
	skip "(the generator could not run)"
fi
rm -f "$out.err"
[ "$(wc -l <"$out")" -eq "$COUNT" ] || { echo "FAIL: mlkem-vectors (generator gave $(wc -l <"$out") of $COUNT)"; exit 1; }
"$TEST" "$out" | sed 's/^\(PASS\|FAIL\): /\1: mlkem-vectors noble /'
