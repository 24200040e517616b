// Cross-checks kagi's sntrup761 against liboqs (WebAssembly, npm @oqs/liboqs-js)
// both ways; with --emit prints tests/unit/sntrup761_vectors.h instead.
// Usage: node gen-sntrup.mjs TOOL [--emit]; TOOL is build/tests/test_sntrup761.
// Exit 77 when liboqs-js cannot be installed or loaded (no network, no npm).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const PKG = "@oqs/liboqs-js@0.15.1"; // the only published version; runs on node 20
const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "kagi-npm");
const entry = join(cache, "node_modules", "@oqs", "liboqs-js", "src", "index.js");
const tool = process.argv[2];
const emit = process.argv.includes("--emit");

function skip(why) { console.log(`SKIP: sntrup761 liboqs cross-check (${why})`); process.exit(77); }

if (!tool || !existsSync(tool)) { console.error("usage: gen-sntrup.mjs TOOL [--emit]"); process.exit(2); }
if (!existsSync(entry)) {
  try {
    mkdirSync(cache, { recursive: true });
    execFileSync("npm", ["install", "--prefix", cache, "--no-audit", "--no-fund",
      "--loglevel=error", PKG], { stdio: ["ignore", "ignore", "pipe"], timeout: 180000 });
  } catch (e) { skip(`npm install ${PKG} failed`); }
}
let oqs;
try {
  const { createSntrup761 } = await import(pathToFileURL(entry).href);
  oqs = await createSntrup761();
} catch (e) { skip(`cannot load liboqs-js: ${e.message}`); }

const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (s) => new Uint8Array(Buffer.from(s, "hex"));
function kagi(...args) {
  return execFileSync(tool, args, { encoding: "utf8", maxBuffer: 1 << 20 }).trim().split("\n");
}
const kagiKeypair = (seed) => { const [pk, sk] = kagi("keypair", ...(seed === undefined ? [] : [String(seed)])); return { pk, sk }; };
const kagiEncaps = (pk) => { const [ct, ss] = kagi("encaps", pk); return { ct, ss }; };
const kagiDecaps = (sk, ct) => kagi("decaps", sk, ct)[0];
const oqsKeypair = () => { const k = oqs.generateKeyPair(); return { pk: hex(k.publicKey), sk: hex(k.secretKey) }; };
const oqsEncaps = (pk) => { const e = oqs.encapsulate(unhex(pk)); return { ct: hex(e.ciphertext), ss: hex(e.sharedSecret) }; };
const oqsDecaps = (sk, ct) => hex(oqs.decapsulate(unhex(ct), unhex(sk)));
const flip = (ct, pos) => { const b = unhex(ct); b[pos] ^= 1; return hex(b); };

if (emit) {
  const wrap = (s) => s.match(/.{1,96}/g).map((l) => `\t\t"${l}"`).join("\n");
  const out = ["/* sntrup761 vectors made by liboqs 0.15 (npm @oqs/liboqs-js) with",
    " * tests/vectors/gen-sntrup.mjs --emit; read by test_sntrup761.c. */",
    "#ifndef KAGI_SNTRUP761_VECTORS_H", "#define KAGI_SNTRUP761_VECTORS_H", "",
    "/* liboqs key pair and encapsulation; ss_reject is liboqs's secret for ct",
    " * with bit 0 of byte flip inverted. */",
    "static const struct { const char *sk, *ct, *ss, *ss_reject; size_t flip; } oqs_vec[] = {"];
  for (const pos of [0, 1020]) {
    const k = oqsKeypair(), e = oqsEncaps(k.pk);
    if (oqsDecaps(k.sk, e.ct) !== e.ss) throw new Error("liboqs round trip");
    out.push(`\t{\n${wrap(k.sk)},\n${wrap(e.ct)},\n${wrap(e.ss)},\n${wrap(oqsDecaps(k.sk, flip(e.ct, pos)))},\n\t\t${pos} },`);
  }
  out.push("};", "", "/* liboqs encapsulations to kagi's key pair from this stream seed. */",
    "static const struct { uint64_t seed; const char *ct, *ss; } oqs_enc[] = {");
  for (const seed of [1001, 1002]) {
    const e = oqsEncaps(kagiKeypair(seed).pk);
    out.push(`\t{ ${seed},\n${wrap(e.ct)},\n${wrap(e.ss)} },`);
  }
  out.push("};", "", "#endif");
  console.log(out.join("\n"));
  process.exit(0);
}

let fails = 0;
function check(name, ok) { console.log(`${ok ? "PASS" : "FAIL"}: ${name}`); if (!ok) fails++; }
for (let round = 0; round < 3; round++) {
  // liboqs key pair: kagi encapsulates, liboqs decapsulates (and kagi too).
  let k = oqsKeypair(), e = kagiEncaps(k.pk);
  check(`sntrup761 kagi encaps -> liboqs decaps #${round}`, oqsDecaps(k.sk, e.ct) === e.ss);
  e = oqsEncaps(k.pk);
  check(`sntrup761 liboqs encaps -> kagi decaps, liboqs key #${round}`, kagiDecaps(k.sk, e.ct) === e.ss);
  let bad = flip(e.ct, 37 * round + 5);
  check(`sntrup761 implicit rejection matches liboqs, liboqs key #${round}`,
    kagiDecaps(k.sk, bad) === oqsDecaps(k.sk, bad) && oqsDecaps(k.sk, bad) !== e.ss);
  // kagi key pair: liboqs encapsulates, kagi decapsulates (and liboqs too).
  k = kagiKeypair();
  e = oqsEncaps(k.pk);
  check(`sntrup761 liboqs encaps -> kagi decaps #${round}`, kagiDecaps(k.sk, e.ct) === e.ss);
  e = kagiEncaps(k.pk);
  check(`sntrup761 kagi encaps -> liboqs decaps, kagi key #${round}`, oqsDecaps(k.sk, e.ct) === e.ss);
  bad = flip(e.ct, 1038 - round);
  check(`sntrup761 implicit rejection matches liboqs, kagi key #${round}`,
    kagiDecaps(k.sk, bad) === oqsDecaps(k.sk, bad) && kagiDecaps(k.sk, bad) !== e.ss);
}
oqs.destroy();
process.exit(fails ? 1 : 0);
