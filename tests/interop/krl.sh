#!/bin/sh
# Key revocation lists against OpenSSH's ssh-keygen: KRLs made by
# kssh-keygen -k give ssh-keygen -Q the same verdicts (and -l dumps) as
# KRLs ssh-keygen makes, and kssh-keygen -Q reads ssh-keygen's KRLs
# (serials, ranges, bitmaps, key ids, explicit keys, SHA1/SHA256 hashes).
. "$(dirname "$0")/lib.sh"

have_prog kssh-keygen kssh-keygen || finish
kg() { timeout -k 5 60 "$KSSH_KEYGEN" "$@" </dev/null; }
og() { timeout -k 5 60 "$SSH_KEYGEN" "$@" </dev/null; }
cd "$T" || exit 1

og -q -t ed25519 -N '' -C ca -f ca && og -q -t rsa -b 2048 -N '' -C ca2 -f ca2 || { fail setup; finish; }
for k in e1:ed25519 e2:ed25519 p1:ecdsa p2:ecdsa r1:rsa; do
	og -q -t "${k#*:}" -N '' -C "key ${k%%:*}" -f "${k%%:*}" || fail "keygen $k"
done
# user certs from ca: serials 5, 15, 100, 1000 (ids idN), one with serial 0
og -q -s ca -I id5 -z 5 e1.pub && cp e1-cert.pub c5.pub
og -q -s ca -I id15 -z 15 p1.pub && cp p1-cert.pub c15.pub
og -q -s ca -I id100 -z 100 r1.pub && cp r1-cert.pub c100.pub
og -q -s ca -I id1000 -z 1000 e2.pub && cp e2-cert.pub c1000.pub
og -q -s ca -I badguy -z 0 p2.pub && cp p2-cert.pub c0.pub
og -q -s ca2 -I id5 -z 5 e2.pub && cp e2-cert.pub d5.pub
og -q -s ca2 -I badguy -z 7 e1.pub && cp e1-cert.pub d7.pub
ALL="e1.pub e2.pub p1.pub p2.pub r1.pub c5.pub c15.pub c100.pub c1000.pub c0.pub d5.pub d7.pub ca.pub"

# spec name | -k options | spec text
printf 'serial: 5\nserial: 10-20\nserial: 0x64\nid: badguy\n' >s_serial
printf 'serial: 1-5\nserial: 7\nserial: 9\nserial: 11\nserial: 13-14\nserial: 100-200\n' >s_bitmap
printf 'id: badguy\nid: id1000\n' >s_wild
{ printf 'key: '; cat p1.pub; printf 'sha1: '; cat r1.pub; printf 'sha256: '; cat e2.pub
  printf '# a comment\n\n'; cat p2.pub; cat c1000.pub
  printf 'hash: %s\n' "$(og -l -f ca2.pub | cut -d' ' -f2)"; } >s_keys

run_case() { # name  kopts  spec
	n=$1 opts=$2 spec=$3
	og -k -f "o_$n.krl" $opts "$spec" >"o_$n.gen" 2>&1 || { fail "$n: ssh-keygen -k"; cat "o_$n.gen" >&2; return; }
	kg -k -f "k_$n.krl" $opts "$spec" >"k_$n.gen" 2>&1; res "$n: kssh-keygen -k" || { cat "k_$n.gen" >&2; return; }
	cmp -s "o_$n.gen" "k_$n.gen"; res "$n: -k prints as ssh-keygen"
	og -Q -f "o_$n.krl" $ALL >"ref_$n.out" 2>&1; echo "rc=$?" >>"ref_$n.out"
	grep -q REVOKED "ref_$n.out" && grep -q ': ok' "ref_$n.out"; res "$n: reference has both verdicts"
	for gen in o k; do for chk in og kg; do
		$chk -Q -f "${gen}_$n.krl" $ALL >"$chk$gen.out" 2>&1; echo "rc=$?" >>"$chk$gen.out"
		cmp -s "ref_$n.out" "$chk$gen.out"
		res "$n: KRL from $([ $gen = o ] && echo ssh-keygen || echo kssh-keygen) read by $chk -Q" ||
			diff "ref_$n.out" "$chk$gen.out" >&2
	done; done
	for gen in o k; do
		og -Q -l -f "${gen}_$n.krl" >"dump_o" 2>&1 && kg -Q -l -f "${gen}_$n.krl" >"dump_k" 2>&1 && cmp -s dump_o dump_k
		res "$n: -Q -l of the $gen KRL prints as ssh-keygen" || diff dump_o dump_k >&2
	done
}
run_case serial "-s ca.pub" s_serial
run_case bitmap "-s ca.pub -z 42" s_bitmap
run_case wild "-s none" s_wild
run_case keys "" s_keys

# -u adds to an existing KRL (and keeps its version)
printf 'serial: 1000\n' >s_more
kg -k -u -f k_bitmap.krl -s ca.pub s_more >/dev/null && og -k -u -f o_bitmap.krl -s ca.pub s_more >/dev/null
og -Q -f o_bitmap.krl $ALL >a.out 2>&1; kg -Q -f k_bitmap.krl $ALL >b.out 2>&1
cmp -s a.out b.out && grep -q 'c1000.pub (.*): REVOKED' b.out; res "-u updates a KRL"
kg -Q -l -f k_bitmap.krl | grep -q '^# KRL version 42$'; res "-z sets the KRL version, -u keeps it"

# refusals, with ssh-keygen's messages and exit status
errcase() { # name  args...
	n=$1; shift
	og "$@" >eo 2>&1; ro=$?; kg "$@" >ek 2>&1; rk=$?
	[ "$ro" = "$rk" ] && cmp -s eo ek; res "$n" || { note "rc $ro/$rk"; diff eo ek >&2; }
}
printf 'serial: 5-3\n' >bad1; printf 'bogus line\n' >bad2; printf 'serial: 0\n' >bad3
errcase "serial without a CA refused" -k -f x.krl s_serial
errcase "inverted range refused" -k -f x.krl -s ca.pub bad1
errcase "bad line refused" -k -f x.krl -s ca.pub bad2
errcase "serial 0 refused" -k -f x.krl -s ca.pub bad3
errcase "-k without -f refused" -k s_serial
errcase "-u of a missing KRL refused" -k -u -f nope.krl s_serial
errcase "-Q of a non-KRL refused" -Q -f s_serial e1.pub
errcase "-Q of a missing key refused" -Q -f o_serial.krl nokey.pub
errcase "unreadable spec file refused" -k -f x.krl -s ca.pub nospec
printf 'serial: 5\n' | timeout 20 "$KSSH_KEYGEN" -k -f st.krl -s ca.pub - >st.out 2>&1 &&
	grep -qx 'Revoking from (standard input)' st.out && og -Q -f st.krl c5.pub | grep -q REVOKED
res "-k reads a spec from standard input"
head -c 60 o_serial.krl >trunc.krl
kg -Q -f trunc.krl e1.pub >/dev/null 2>&1; [ $? -eq 255 ]; res "truncated KRL refused (255)"
finish
