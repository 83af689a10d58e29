#!/usr/bin/env python3
"""Flips the last byte of an rpm's header signature (RSAHEADER, tag 268) in place: the digests
stay right, only the OpenPGP signature no longer verifies. Usage: corrupt-signature.py FILE.rpm"""
import struct
import sys

path = sys.argv[1]
with open(path, "r+b") as f:
    data = bytearray(f.read())
    at = 96  # the lead
    if data[at:at + 3] != b"\x8e\xad\xe8":
        sys.exit(path + ": no signature header after the lead")
    count, size = struct.unpack(">II", data[at + 8:at + 16])
    store = at + 16 + 16 * count
    for i in range(count):
        tag, typ, off, cnt = struct.unpack(">IIII", data[at + 16 + 16 * i:at + 32 + 16 * i])
        if tag == 268:
            # the signature's MPIs end the packet; its last byte is signature, never length or header
            data[store + off + cnt - 1] ^= 0x01
            f.seek(0)
            f.write(data)
            break
    else:
        sys.exit(path + ": no RSAHEADER signature")
