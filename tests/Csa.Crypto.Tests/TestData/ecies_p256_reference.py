# Independent reference of the Csa ECIES-P256 key wrap, written from docs/security.md with pyca/cryptography.
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
def pub(d):
    k = ec.derive_private_key(int(d,16), ec.SECP256R1())
    return k, k.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
rd="c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
ed="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
ck=bytes(range(32)); ctx=bytes(range(0xa0,0xc0))
rk,R=pub(rd); ek,E=pub(ed)
Z=ek.exchange(ec.ECDH(), rk.public_key())
label=b"Csa ECIES-P256 content key v1"
info=label+ctx+E+R
okm=HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=info).derive(Z)
kx,km=okm[:32],okm[32:]
C=bytes(a^b for a,b in zip(ck,kx))
h=hmac.HMAC(km,hashes.SHA256()); h.update(E+C+ctx); T=h.finalize()
for n,v in [("recipient d",bytes.fromhex(rd)),("R",R),("e",bytes.fromhex(ed)),("E",E),("content key",ck),("context",ctx),("Z",Z),("info",info),("Kx",kx),("Km",km),("C",C),("T",T),("block",E+C+T)]:
    print(n, len(v), v.hex())
