#!/usr/bin/env python3
"""Cuts the kernel's BTF out of a boot image (vmlinuz) into a raw BTF file for bpftool.

usage: extract_btf.py VMLINUZ OUT.btf

A kernel built with CONFIG_DEBUG_INFO_BTF carries its BTF as one blob inside the image, also
where the image is not an ELF file (arm64's raw Image, x86's bzImage payload), so no -dbg
package is needed. The image is scanned as is first (Debian's arm64 vmlinuz is an uncompressed
Image), then every compressed stream in it is tried (x86's bzImage: zstd on Debian 12, gzip, xz
or lzma elsewhere). The BTF header (magic 0xeB9F, version 1, 24-byte header, types before
strings) marks the blob; the largest one found is vmlinux's.
"""
import bz2
import lzma
import struct
import subprocess
import sys
import zlib

BTF_MAGIC = b"\x9f\xeb\x01\x00"  # 0xeB9F little-endian, version 1, flags 0
# Compression magics as the kernel's scripts/extract-vmlinux looks for them.
STREAMS = [
    (b"\x1f\x8b\x08", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"BZh", "bzip2"),
    (b"\x5d\x00\x00\x00", "lzma"),
]


def find_btf(data):
    """Offset and length of the largest well-formed little-endian BTF blob, or None."""
    best = None
    i = data.find(BTF_MAGIC)
    while i >= 0:
        if i + 24 <= len(data):
            hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<5I", data, i + 4)
            size = hdr_len + str_off + str_len
            if (hdr_len == 24 and type_off == 0 and str_off == type_len and str_len > 0
                    and i + size <= len(data) and data[i + size - 1] == 0
                    and (best is None or size > best[1])):
                best = (i, size)
        i = data.find(BTF_MAGIC, i + 1)
    return best


def decompress(kind, data):
    """Decompresses one stream starting at data[0]; trailing bytes are ignored."""
    if kind == "gzip":
        return zlib.decompressobj(31).decompress(data)
    if kind in ("xz", "lzma"):
        fmt = lzma.FORMAT_XZ if kind == "xz" else lzma.FORMAT_ALONE
        return lzma.LZMADecompressor(format=fmt).decompress(data)
    if kind == "bzip2":
        return bz2.BZ2Decompressor().decompress(data)
    # Python 3.11 has no zstd module: the zstd tool (Debian package zstd). It exits non-zero on
    # the bytes after the stream, after writing the stream out.
    out = subprocess.run(["zstd", "-dcq"], input=data, capture_output=True)
    return out.stdout


def main(image, out):
    data = open(image, "rb").read()
    found = find_btf(data)
    where = "the image"
    if found is None:
        for magic, kind in STREAMS:
            pos = data.find(magic)
            while pos >= 0 and found is None:
                try:
                    inner = decompress(kind, data[pos:])
                except (OSError, EOFError, lzma.LZMAError, zlib.error, FileNotFoundError):
                    inner = b""
                found = find_btf(inner)
                if found is not None:
                    data, where = inner, "its %s stream at offset %d" % (kind, pos)
                pos = data.find(magic, pos + 1) if found is None else -1
            if found is not None:
                break
    if found is None:
        sys.exit("extract_btf: no BTF in %s (kernel without CONFIG_DEBUG_INFO_BTF?)" % image)
    off, size = found
    with open(out, "wb") as f:
        f.write(data[off:off + size])
    print("extract_btf: %d bytes of BTF from %s" % (size, where), file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    main(sys.argv[1], sys.argv[2])
