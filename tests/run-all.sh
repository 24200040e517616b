#!/bin/sh
# Runs every test: unit tests (normal and ASan/UBSan builds), interop tests,
# short fuzz runs.  Counts "PASS:"/"FAIL:" lines and ends with
# "N passed, N failed".  Usage: run-all.sh [unit|interop|fuzz]...
cd "$(dirname "$0")/.." || exit 2
what=${*:-unit valgrind interop fuzz}
log=$(mktemp -d "${TMPDIR:-/tmp}/kagi-tests.XXXXXX")
pass=0; fail=0
count() { # file
	p=$(grep -c '^PASS: ' "$1"); f=$(grep -c '^FAIL: ' "$1")
	pass=$((pass + p)); fail=$((fail + f))
}
run_one() { # label command...
	label=$1; shift
	out="$log/$(echo "$label" | tr '/ ' '__').out"
	t0=$(date +%s)
	"$@" >"$out" 2>"$out.err"; rc=$?
	cat "$out"
	echo "# $label: $(( $(date +%s) - t0 ))s"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
		echo "FAIL: $label (exit $rc)" | tee -a "$out"
		tail -n 30 "$out.err"
	elif grep -q '^FAIL: ' "$out"; then
		tail -n 30 "$out.err"
	fi
	count "$out"
}
for w in $what; do
case $w in
unit)
	# The layout's rules (layers, cycles, sizes, one loop, files named by tests).
	echo "== tools/layout-check.py"
	run_one layout python3 tools/layout-check.py
	# The two builds side by side (one per core); the ASan one in reverse
	# order, so the same test rarely runs twice at once.
	for b in build build-asan; do
		[ -d $b/tests ] || continue
		order=$(ls $b/tests/test_* 2>/dev/null)
		[ $b = build-asan ] && order=$(echo "$order" | sort -r)
		(
			for t in $order; do
				[ -x "$t" ] || continue
				echo "== $t"
				# A hung test fails (exit 124) instead of holding the run.
				ASAN_OPTIONS=detect_leaks=1 run_one "$t" timeout "${UNIT_TIMEOUT:-300}" "$t"
			done >"$log/unit-$b.lane"
		) &
	done
	wait
	for b in build build-asan; do
		[ -f "$log/unit-$b.lane" ] || continue
		cat "$log/unit-$b.lane"
		count "$log/unit-$b.lane"
	done ;;
valgrind)
	# Memory errors and leaks under valgrind, for the quicker unit tests,
	# two at a time (one per core).
	if command -v valgrind >/dev/null; then
		vg_tests="${VALGRIND_TESTS:-test_buf test_transport test_transport_export test_channel test_channel_req test_cipher test_names test_config test_known_hosts test_authorized_keys test_sftp test_explain test_scp_proto test_lineedit test_cli_args test_scp test_scp_remote test_scp_client test_sftp_cli}"
		running=0
		for n in $vg_tests; do
			t=build/tests/$n
			[ -x "$t" ] || continue
			( timeout "${UNIT_TIMEOUT:-300}" valgrind -q --error-exitcode=99 --leak-check=full \
				--errors-for-leak-kinds=definite "$t" >"$log/vg-$n.out" 2>"$log/vg-$n.err"
			  echo $? >"$log/vg-$n.rc" ) &
			running=$((running + 1))
			if [ $running -ge 2 ]; then
				wait
				running=0
			fi
		done
		wait
		for n in $vg_tests; do
			[ -f "$log/vg-$n.rc" ] || continue
			echo "== valgrind build/tests/$n"
			if [ "$(cat "$log/vg-$n.rc")" = 0 ]; then
				echo "PASS: valgrind $n"; pass=$((pass + 1))
			else
				echo "FAIL: valgrind $n"; tail -n 40 "$log/vg-$n.err"; fail=$((fail + 1))
			fi
		done
	fi ;;
interop)
	# The scripts are independent (own temp dirs, ports, test users), so
	# they run in INTEROP_LANES lanes side by side, longest first.
	lanes=${INTEROP_LANES:-2}
	i=0
	for t in $(ls -S tests/interop/*.sh); do
		case $t in */lib.sh | */*-lib.sh) continue ;; esac
		echo "$t" >>"$log/lane$((i % lanes))"
		i=$((i + 1))
	done
	l=0
	while [ $l -lt "$lanes" ]; do
		[ -f "$log/lane$l" ] && (
			while read -r t; do
				o="$log/$(echo "$t" | tr '/ ' '__').out"
				t0=$(date +%s)
				sh "$t" >"$o" 2>"$o.err" </dev/null
				echo "$? $(( $(date +%s) - t0 ))" >"$o.rc"
			done <"$log/lane$l"
		) &
		l=$((l + 1))
	done
	wait
	for t in tests/interop/*.sh; do
		o="$log/$(echo "$t" | tr '/ ' '__').out"
		[ -f "$o.rc" ] || continue
		read -r rc secs <"$o.rc"
		echo "== $t"
		cat "$o"
		echo "# $t: ${secs}s"
		if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$o"; then
			echo "FAIL: $t (exit $rc)" | tee -a "$o"
			tail -n 30 "$o.err"
		elif grep -q '^FAIL: ' "$o"; then
			tail -n 30 "$o.err"
		fi
		count "$o"
	done ;;
fuzz)
	# FUZZ_LANES harnesses at a time (one per core), each for FUZZ_SECONDS.
	lanes=${FUZZ_LANES:-2}
	running=0
	for f in build-fuzz/bin/fuzz_*; do
		[ -x "$f" ] || continue
		n=$(basename "$f")
		corpus="$log/corpus-$n"; mkdir -p "$corpus"
		[ -d "tests/fuzz/seeds/$n" ] && cp tests/fuzz/seeds/$n/* "$corpus"/ 2>/dev/null
		( "$f" -max_total_time=${FUZZ_SECONDS:-6} -rss_limit_mb=2048 "$corpus" >"$log/$n.out" 2>&1
		  echo $? >"$log/$n.rc" ) &
		running=$((running + 1))
		if [ $running -ge "$lanes" ]; then
			wait
			running=0
		fi
	done
	wait
	for f in build-fuzz/bin/fuzz_*; do
		[ -x "$f" ] || continue
		n=$(basename "$f")
		echo "== $f"
		if [ "$(cat "$log/$n.rc" 2>/dev/null)" = 0 ]; then
			echo "PASS: fuzz $n"; pass=$((pass + 1))
		else
			echo "FAIL: fuzz $n"; tail -n 40 "$log/$n.out"; fail=$((fail + 1))
		fi
	done ;;
esac
done
rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
