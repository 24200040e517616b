#!/usr/bin/python3
# Independent reference for the packet vectors in tests/unit/test_cipher.c,
# written from PROTOCOL.chacha20poly1305, RFC 5647 / OpenSSH GCM framing and
# RFC 4253/4344 (CTR + HMAC) with the `cryptography` primitives.
import hashlib, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.poly1305 import Poly1305
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

def packet(payload, block, aad):
    pad = block - ((aad == 0) * 4 + 1 + len(payload)) % block
    if pad < 4:
        pad += block
    n = 1 + len(payload) + pad
    return n.to_bytes(4, 'big') + bytes([pad]) + payload + bytes(range(pad))

def chacha(key, ctr, seqnr, data):
    iv = ctr.to_bytes(4, 'little') + bytes(4) + seqnr.to_bytes(8, 'big')
    return Cipher(algorithms.ChaCha20(key, iv), None).encryptor().update(data)

def chachapoly_seal(key64, seqnr, pkt):
    k2, k1 = key64[:32], key64[32:]
    polykey = chacha(k2, 0, seqnr, bytes(32))
    enc = chacha(k1, 0, seqnr, pkt[:4]) + chacha(k2, 1, seqnr, pkt[4:])
    return enc + Poly1305.generate_tag(polykey, enc)

def gcm_seal(key, iv, pkt):
    return pkt[:4] + AESGCM(key).encrypt(iv, pkt[4:], pkt[:4])

payload = b'\x05' + (12).to_bytes(4, 'big') + b'ssh-userauth'
print('/* chacha20-poly1305@openssh.com */')
key64 = bytes(range(64))
p = packet(payload, 8, 4)
print('plain', p.hex())
for s in (7, 0xffffffff):
    print('seq', hex(s), chachapoly_seal(key64, s, p).hex())
print('/* aes-gcm@openssh.com */')
p16 = packet(payload, 16, 4)
print('plain16', p16.hex())
for klen in (16, 32):
    key = bytes(range(0x40, 0x40 + klen))
    iv = bytes.fromhex('a1a2a3a4ffffffffffffffff')
    iv2 = bytes.fromhex('a1a2a3a40000000000000000')
    print('gcm', klen, gcm_seal(key, iv, p16).hex(), gcm_seal(key, iv2, p16).hex())
print('/* aes128-ctr + hmac-sha2-256 (plain and EtM), two packets each */')
key = bytes(range(0x80, 0x90)); iv = bytes(range(0x90, 0xa0)); mk = bytes(range(0xa0, 0xc0))
for etm in (0, 1):
    pc = packet(payload, 16, 4 if etm else 0)
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    out = []
    for s in (3, 4):
        seq = s.to_bytes(4, 'big')
        if etm:
            c = pc[:4] + enc.update(pc[4:])
            out.append(c + hmac.new(mk, seq + c, hashlib.sha256).digest())
        else:
            m = hmac.new(mk, seq + pc, hashlib.sha256).digest()
            out.append(enc.update(pc) + m)
    print('ctr etm=%d plain' % etm, pc.hex())
    print('ctr etm=%d' % etm, out[0].hex(), out[1].hex())
