#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rebuilds the committed CFI test inputs: cfi_sample.so (gcc -O2
# -fomit-frame-pointer) and malformed copies of it. Run by hand when the
# sample changes; the tests read the committed files, never rebuild them.
set -euo pipefail
cd "$(dirname "$0")"
gcc -O2 -fomit-frame-pointer -fPIC -shared -Wl,--build-id=none -o cfi_sample.so cfi_sample.c
strip --strip-debug cfi_sample.so
/usr/bin/python3 - <<'PY'
import struct

data = bytearray(open("cfi_sample.so", "rb").read())
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
def section(i):
    return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
strtab_off = section(shstrndx)[4]
def name(sh):
    end = data.index(0, strtab_off + sh[0])
    return data[strtab_off + sh[0]:end].decode()
eh = next(section(i) for i in range(shnum) if name(section(i)) == ".eh_frame")
eh_off, eh_size = eh[4], eh[5]

def write(path, blob):
    with open(path, "wb") as f:
        f.write(blob)

# The first CIE's version byte (after length and CIE id) made invalid.
bad = bytearray(data)
bad[eh_off + 8] = 0x7f
write("cfi_bad_cie.so", bad)

# The first FDE (right after the first CIE) points at no CIE.
cie_len, = struct.unpack_from("<I", data, eh_off)
fde = eh_off + 4 + cie_len
bad = bytearray(data)
struct.pack_into("<I", bad, fde + 4, 0x7ffffff0)
write("cfi_bad_fde.so", bad)

# Cut in the middle of .eh_frame.
write("cfi_truncated.so", data[:eh_off + eh_size // 2])

# ELF magic, then noise.
import random
random.seed(7)
write("cfi_garbage.so", b"\x7fELF\x02\x01\x01" + bytes(random.randrange(256) for _ in range(4000)))
PY
ls -l cfi_*.so
