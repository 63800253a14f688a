#!/usr/bin/env python3
"""Converts the shared crypto test vectors (Wycheproof JSON, NIST SP 800-38A CTR) into the line format the C tests
read: one vector per line, space-separated hex fields, '-' for an empty field, '#' comment lines.

    python3 firmware/crypto/tools/testvectors_to_txt.py /work/shared/testvectors firmware/crypto/tests/data

Every vector of every file is written (nothing filtered here); the tests decide what runs and count it.
The Wycheproof LICENSE (Apache 2.0) is copied beside the converted files."""
import json
import os
import shutil
import sys

src, dst = sys.argv[1], sys.argv[2]
W = os.path.join(src, "wycheproof")
os.makedirs(os.path.join(dst, "wycheproof"), exist_ok=True)
os.makedirs(os.path.join(dst, "nist"), exist_ok=True)
shutil.copyfile(os.path.join(W, "LICENSE"), os.path.join(dst, "wycheproof", "LICENSE"))

RESULT = {"valid": "v", "invalid": "i", "acceptable": "a"}


def h(s):
    return s if s else "-"


def convert(name, out, header, row):
    d = json.load(open(os.path.join(W, name)))
    lines = []
    for g in d["testGroups"]:
        for t in g["tests"]:
            lines.append(" ".join([str(t["tcId"]), RESULT[t["result"]]] + [h(x) for x in row(g, t)]))
    assert len(lines) == d["numberOfTests"], name
    with open(os.path.join(dst, "wycheproof", out), "w") as f:
        f.write("# from Wycheproof testvectors_v1/%s (C2SP/wycheproof dac1dd4729fd1f8dd9e1e9f3dce51d783da6c166),\n" % name)
        f.write("# Apache License 2.0 (LICENSE beside this file); %d vectors\n" % len(lines))
        f.write("# tcId result(v/i/a) %s\n" % header)
        f.write("\n".join(lines) + "\n")


convert("ecdsa_secp256r1_sha256_test.json", "ecdsa_p256_sha256_der.txt", "public_key_65 msg sig_der",
        lambda g, t: [g["publicKey"]["uncompressed"], t["msg"], t["sig"]])
convert("ecdsa_secp256r1_sha256_p1363_test.json", "ecdsa_p256_sha256_p1363.txt", "public_key_65 msg sig_r_s",
        lambda g, t: [g["publicKey"]["uncompressed"], t["msg"], t["sig"]])
convert("ecdh_secp256r1_ecpoint_test.json", "ecdh_p256_ecpoint.txt", "public private shared",
        lambda g, t: [t["public"], t["private"], t["shared"]])
convert("hkdf_sha256_test.json", "hkdf_sha256.txt", "ikm salt info size okm",
        lambda g, t: [t["ikm"], t["salt"], t["info"], str(t["size"]), t["okm"]])
convert("hmac_sha256_test.json", "hmac_sha256.txt", "tag_bits key msg tag",
        lambda g, t: [str(g["tagSize"]), t["key"], t["msg"], t["tag"]])
convert("aes_gcm_test.json", "aes_gcm.txt", "key iv aad msg ct tag",
        lambda g, t: [t["key"], t["iv"], t["aad"], t["msg"], t["ct"], t["tag"]])

d = json.load(open(os.path.join(src, "nist", "sp800-38a-ctr.json")))
with open(os.path.join(dst, "nist", "sp800-38a-ctr.txt"), "w") as f:
    f.write("# %s\n# keyBits key initialCounter plaintext ciphertext\n" % d["source"])
    for v in d["vectors"]:
        f.write("%d %s %s %s %s\n" % (v["keyBits"], v["key"], v["initialCounter"], v["plaintext"], v["ciphertext"]))
