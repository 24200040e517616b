// ML-KEM-768 known-answer vectors from an independent implementation (@noble/post-quantum), one per line.
// Usage: node gen-mlkem.mjs COUNT   (NODE_PATH or a node_modules beside the cache holds the package)
// Line: d z m flip sha3(ek) sha3(dk) sha3(ct) ss ss_of_ct_with_bit_flipped, all hex; flip = byte*8+bit.
import { createRequire } from 'node:module';
import { randomBytes, createHash } from 'node:crypto';
const require = createRequire(process.env.KAGI_NPM_DIR + '/');
const { ml_kem768 } = require('@noble/post-quantum/ml-kem.js');
const hex = (u) => Buffer.from(u).toString('hex');
const sha3 = (u) => createHash('sha3-256').update(u).digest('hex');
const count = Number(process.argv[2] || 50);
for (let i = 0; i < count; i++) {
  const d = randomBytes(32), z = randomBytes(32), m = randomBytes(32);
  const { publicKey, secretKey } = ml_kem768.keygen(new Uint8Array(Buffer.concat([d, z])));
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, new Uint8Array(m));
  const ok = ml_kem768.decapsulate(cipherText, secretKey);
  if (hex(ok) !== hex(sharedSecret)) throw new Error('noble does not agree with itself');
  const flip = randomBytes(2).readUInt16BE(0) % (cipherText.length * 8);
  const bad = Uint8Array.from(cipherText);
  bad[flip >> 3] ^= 1 << (flip & 7);
  const rej = ml_kem768.decapsulate(bad, secretKey);
  console.log([hex(d), hex(z), hex(m), flip, sha3(publicKey), sha3(secretKey), sha3(cipherText),
    hex(sharedSecret), hex(rej)].join(' '));
}
