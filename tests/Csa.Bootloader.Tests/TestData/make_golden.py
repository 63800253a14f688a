#!/usr/bin/env python3
"""Independent second implementation of docs/image-format.md that writes the golden images.

It shares no code with Csa.Bootloader: the C# tests check that ImageBuilder reproduces these files byte for
byte and that ImageReader parses them, so a misreading of the specification on either side shows up.
The ECDSA signature is deterministic (RFC 6979, HMAC-SHA256) under the RFC 6979 A.2.5 P-256 test key, so
anyone can regenerate it: python3 make_golden.py  (writes golden-crc.hex and golden-ecdsa.hex here).
"""
import hashlib, hmac, os, struct

# --- P-256 ---------------------------------------------------------------------------------------------
P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
A = P - 3
G = (0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
     0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5)

def add(p, q):
    if p is None: return q
    if q is None: return p
    if p[0] == q[0] and (p[1] + q[1]) % P == 0: return None
    if p == q: l = (3 * p[0] * p[0] + A) * pow(2 * p[1], -1, P) % P
    else: l = (q[1] - p[1]) * pow(q[0] - p[0], -1, P) % P
    x = (l * l - p[0] - q[0]) % P
    return (x, (l * (p[0] - x) - p[1]) % P)

def mul(k, p):
    r = None
    while k:
        if k & 1: r = add(r, p)
        p = add(p, p); k >>= 1
    return r

def rfc6979_k(x, h1):
    # RFC 6979 section 3.2 with HMAC-SHA256; qlen = hlen = 256 so bits2octets is a reduction mod N.
    xb = x.to_bytes(32, 'big'); hb = (int.from_bytes(h1, 'big') % N).to_bytes(32, 'big')
    V = b'\x01' * 32; K = b'\x00' * 32
    K = hmac.new(K, V + b'\x00' + xb + hb, hashlib.sha256).digest(); V = hmac.new(K, V, hashlib.sha256).digest()
    K = hmac.new(K, V + b'\x01' + xb + hb, hashlib.sha256).digest(); V = hmac.new(K, V, hashlib.sha256).digest()
    while True:
        V = hmac.new(K, V, hashlib.sha256).digest()
        k = int.from_bytes(V, 'big')
        if 1 <= k < N: return k
        K = hmac.new(K, V + b'\x00', hashlib.sha256).digest(); V = hmac.new(K, V, hashlib.sha256).digest()

def sign(x, msg):
    h1 = hashlib.sha256(msg).digest(); e = int.from_bytes(h1, 'big') % N
    k = rfc6979_k(x, h1)
    r = mul(k, G)[0] % N
    s = pow(k, -1, N) * (e + r * x) % N
    return r.to_bytes(32, 'big') + s.to_bytes(32, 'big')

# RFC 6979 A.2.5 self-check (message "sample"), so the signer is known to be right.
X = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
assert sign(X, b'sample').hex().upper() == (
    'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716'
    'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8')
Q = mul(X, G)
PUBLIC = b'\x04' + Q[0].to_bytes(32, 'big') + Q[1].to_bytes(32, 'big')

# --- the format ----------------------------------------------------------------------------------------
def crc32_mpeg2(data):
    c = 0xFFFFFFFF
    for b in data:
        c ^= b << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if c & 0x80000000 else (c << 1) & 0xFFFFFFFF
    return c

def manifest(kind, auth, enc, vendor, dclass, ver, counter, load, payload, nonce, key_id, uids):
    m = struct.pack('<IHHBBBBIIBBHIIII', 0x49415343, 1, 96 + 12 * len(uids), kind, auth, enc, len(uids),
                    vendor, dclass, ver[0], ver[1], ver[2], ver[3], counter, load, len(payload))
    m += hashlib.sha256(payload).digest() + nonce + key_id + b''.join(uids)
    assert len(m) == 96 + 12 * len(uids)
    return m

# A Cortex-M vector table head: initial SP, then reset, NMI, HardFault, MemManage, BusFault, UsageFault, 0.
PAYLOAD = struct.pack('<8I', 0x20008000, 0x080200C1, 0x080200C9, 0x080200CB, 0x080200CD, 0x080200CF, 0x080200D1, 0)

def write_hex(name, data, comment):
    lines = ['# ' + comment, '# %d bytes' % len(data)]
    lines += [' '.join('%02X' % b for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), 'w', newline='\n') as f:
        f.write('\n'.join(lines) + '\n')

m = manifest(1, 1, 0, 0x0000C5A0, 0x00000401, (1, 2, 3, 45), 7, 0x08020000, PAYLOAD, bytes(16), bytes(8), [])
write_hex('golden-crc.hex', m + PAYLOAD + struct.pack('<I', crc32_mpeg2(m)),
          'CRC-32 image: application 1.2.3+45, vendor 0x0000C5A0, class 0x00000401, counter 7, 32 bytes at 0x08020000')

KEY_ID = hashlib.sha256(PUBLIC).digest()[:8]
UIDS = [bytes.fromhex('3A0024000D51343138393836'), bytes.fromhex('1F0031001247363035353533')]
m = manifest(1, 2, 0, 0x0000C5A0, 0x00000401, (2, 0, 0, 1), 8, 0x08020000, PAYLOAD, bytes(16), KEY_ID, UIDS)
write_hex('golden-ecdsa.hex', m + PAYLOAD + sign(X, m),
          'ECDSA P-256 image: application 2.0.0+1, vendor 0x0000C5A0, class 0x00000401, counter 8, bound to 2 devices, RFC 6979 A.2.5 key')
print('public key', PUBLIC.hex().upper())
print('key id', KEY_ID.hex().upper())
