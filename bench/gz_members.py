#!/usr/bin/env python3
"""Write standard input as a gzip file of many members, on standard output (issue 16).

  gz_members.py bgzf   BGZF (SAM specification 4.1): members of at most 65280 input bytes,
                       each with the BC extra subfield (its compressed size less one), and
                       the 28-byte empty member at the end; what `bgzip` writes.
  gz_members.py cat    members of very different sizes (64 KiB to 24 MiB of input, cut
                       wherever the bytes fall, mid-line): what `cat a.gz b.gz ...`, logs
                       appended a compressed batch at a time, or a writer that ends a member
                       at each flush give.
Level 6, as `gzip -6`. Only the Python standard library.
"""
import gzip
import struct
import sys
import zlib


def bgzf_block(data):
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    cdata = c.compress(data) + c.flush()
    bsize = 18 + len(cdata) + 8 - 1
    head = b"\x1f\x8b\x08\x04" + b"\0\0\0\0" + b"\0\xff" + struct.pack("<H", 6)
    head += b"BC" + struct.pack("<HH", 2, bsize)
    return head + cdata + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def main():
    mode = sys.argv[1]
    src, out = sys.stdin.buffer, sys.stdout.buffer
    if mode == "bgzf":
        while block := src.read(65280):
            out.write(bgzf_block(block))
        out.write(bgzf_block(b""))
    elif mode == "cat":
        sizes = [24 << 20, 64 << 10, 3 << 20, 11 << 20, 1 << 20, 17 << 20, 200 << 10]
        k = 0
        while block := src.read(sizes[k % len(sizes)]):
            out.write(gzip.compress(block, 6, mtime=0))
            k += 1
    else:
        sys.exit(f"unknown mode {mode}")


main()
