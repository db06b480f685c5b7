#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cuts the committed seed inputs of the Go fuzz targets out of a Go
fixture built by tests/workloads/go/build.sh (Debian's Go 1.19). Run by
hand when the fixtures change; the fuzz targets read the committed files
and never rebuild them.

A whole .gopclntab is ~400 KiB: far too large for a fuzzer to mutate
usefully. So the table is rebuilt with a handful of real functions
(main.* of the goleaks fixture and the runtime functions leakscope puts
probes on): their real names, files, pc-value tables and code, laid out
as Go's linker lays out a table (header, funcnametab, cutab, filetab,
pctab, functab with its _func records). The result is a small table
that gopclntab.c parses exactly like the real one.

Writes, into tests/fuzz/corpus/:
  gopclntab/go119-goleaks       the reduced table
  gobuildinfo/go119-goleaks     .go.buildinfo of the fixture, as is
  gobuildinfo/go119-stripped    .go.buildinfo of its -s -w build
  elf/go119-mini                an x86-64 ELF executable with the reduced
                                table, the functions' code, the build info
                                and a moduledata pointing at the table
Usage: tests/fuzz/make-seeds.py [GO-FIXTURES-DIR]   (default build/go-fixtures)
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

FUNCS = [
    "main.leakRecv", "main.leakRecv.func1", "main.leakSend", "main.keepHeap",
    "main.main", "runtime.newproc", "runtime.newproc.func1", "runtime.newproc1",
    "runtime.goexit0", "runtime.profilealloc", "runtime.setprofilebucket",
    "runtime.mProf_Free", "runtime.forEachG",
]
MAX_FUNC_BYTES = 1200  # longer bodies are cut (the table says so)
TEXT_VA = 0x401000    # where the reduced text is linked (Go 1.19 writes textStart)


class Elf:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        shoff, = struct.unpack_from("<Q", d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3a)
        raw = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
               for i in range(shnum)]
        strtab = raw[shstrndx][4]
        self.sections = {}
        for sh in raw:
            end = d.index(0, strtab + sh[0])
            self.sections[d[strtab + sh[0]:end].decode()] = sh

    def section(self, name):
        sh = self.sections[name]
        return sh[3], self.data[sh[4]:sh[4] + sh[5]]  # addr, bytes


def uvarint(buf, pos):
    val = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        val |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return val, pos


def pcvalue_table(pctab, off):
    """(bytes of the table at off, the values it takes)."""
    pos, first, values, v = off, True, [], -1
    while True:
        uv, pos = uvarint(pctab, pos)
        if uv == 0 and not first:
            return pctab[off:pos], values
        v += ~(uv >> 1) if uv & 1 else uv >> 1
        values.append(v)
        _, pos = uvarint(pctab, pos)
        first = False


def cstr(buf, off):
    return buf[off:buf.index(0, off)]


def reduce_pclntab(elf):
    vaddr, t = elf.section(".gopclntab")
    magic, = struct.unpack_from("<I", t, 0)
    assert magic == 0xfffffff0, f"expected a Go 1.18-1.19 table, magic {magic:#x}"
    nfunc, nfiles, text_start, name_off, cu_off, file_off, pc_off, ftab_off = \
        struct.unpack_from("<8Q", t, 8)
    names = t[name_off:cu_off]
    cutab = t[cu_off:file_off]
    filetab = t[file_off:pc_off]
    pctab = t[pc_off:ftab_off]
    ftab = t[ftab_off:]
    text_addr, text = elf.section(".text")

    funcs = []
    for i in range(nfunc):
        entry, foff = struct.unpack_from("<II", ftab, 8 * i)
        end, = struct.unpack_from("<I", ftab, 8 * (i + 1))
        rec = ftab[foff:]
        nameoff, = struct.unpack_from("<i", rec, 4)
        name = cstr(names, nameoff).decode()
        if name in FUNCS:
            funcs.append((entry, end, rec))
    found = sorted(cstr(names, struct.unpack_from("<i", r, 4)[0]).decode() for _, _, r in funcs)
    assert set(found) == set(FUNCS), f"functions found: {found}"

    new_names = bytearray()
    new_files = bytearray()
    new_cu = bytearray()
    new_pc = bytearray(b"\0")  # offset 0 means "no table"
    pc_moved = {}
    file_moved = {}
    new_text = bytearray()
    records = []

    def move_pc(off):
        if off == 0:
            return 0
        if off not in pc_moved:
            blob, _ = pcvalue_table(pctab, off)
            pc_moved[off] = len(new_pc)
            new_pc.extend(blob)
        return pc_moved[off]

    for entry, end, rec in funcs:
        (_, nameoff, args, deferreturn, pcsp, pcfile, pcln, npcdata, cuoff,
         funcid, flag, _pad, nfuncdata) = struct.unpack_from("<IiiIIIIIIBBBB", rec, 0)
        pcdata = struct.unpack_from(f"<{npcdata}I", rec, 40)
        # the files this function's pcfile table names, moved with its CU slice
        _, fileidx = pcvalue_table(pctab, pcfile)
        count = max(fileidx) + 1
        cu_new = len(new_cu) // 4
        for k in range(count):
            foff, = struct.unpack_from("<I", cutab, 4 * (cuoff + k))
            if foff == 0xffffffff:
                new_cu.extend(struct.pack("<I", foff))
                continue
            if foff not in file_moved:
                file_moved[foff] = len(new_files)
                new_files.extend(cstr(filetab, foff) + b"\0")
            new_cu.extend(struct.pack("<I", file_moved[foff]))
        code = text[entry:min(end, entry + MAX_FUNC_BYTES)]
        new_entry = len(new_text)
        new_text.extend(code)
        while len(new_text) % 32:
            new_text.append(0xcc)  # int3 padding, as the linker pads
        body = struct.pack("<IiiIIIIIIBBBB", new_entry, len(new_names), args,
                           min(deferreturn, len(code)), move_pc(pcsp), move_pc(pcfile),
                           move_pc(pcln), npcdata, cu_new, funcid, flag, 0, 0)
        body += struct.pack(f"<{npcdata}I", *(move_pc(o) for o in pcdata))
        new_names.extend(cstr(names, nameoff) + b"\0")
        records.append((new_entry, body))

    # functab: nfunc+1 {entry, funcoff} pairs, then the 8-aligned records
    n = len(records)
    ftab_new = bytearray(8 * (n + 1))
    blobs = bytearray()
    base = len(ftab_new)
    for i, (entry, body) in enumerate(records):
        struct.pack_into("<II", ftab_new, 8 * i, entry, base + len(blobs))
        blobs.extend(body)
        while len(blobs) % 8:
            blobs.append(0)
    struct.pack_into("<II", ftab_new, 8 * n, len(new_text), 0)
    ftab_new.extend(blobs)

    hdr_size = 8 + 8 * 8
    subs = [new_names, new_cu, new_files, new_pc, ftab_new]
    offs, pos = [], hdr_size
    for s in subs:
        offs.append(pos)
        pos += len(s)
    table = bytearray(struct.pack("<IBBBB", magic, 0, 0, t[6], t[7]))
    table += struct.pack("<8Q", n, len(file_moved), TEXT_VA, *offs)
    for s in subs:
        table += s
    return bytes(table), bytes(new_text), len(new_names)


def elf_executable(text, pclntab, buildinfo):
    """ET_EXEC x86-64: text at 0x401000, the table read-only, build info
    and a moduledata (pcHeader, the table's slices, text, etext) writable;
    section headers name them as Go's linker does."""
    text_va, rodata_va, data_va = TEXT_VA, 0x480000, 0x4c0000
    text_off, rodata_off = 0x1000, 0x1000 + ((len(text) + 0xfff) & ~0xfff)
    data_off = rodata_off + ((len(pclntab) + 0xfff) & ~0xfff)
    nfunc, _, _, name_off, cu_off, file_off, pc_off, ftab_off = \
        struct.unpack_from("<8Q", pclntab, 8)
    md = [0] * 24
    pc_va = rodata_va
    md[0] = pc_va
    for w, (a, b) in zip((1, 4, 7, 10, 13), ((name_off, cu_off), (cu_off, file_off),
                                             (file_off, pc_off), (pc_off, ftab_off),
                                             (ftab_off, len(pclntab)))):
        md[w:w + 3] = [pc_va + a, b - a, b - a]
    md[16:19] = [pc_va + ftab_off, nfunc + 1, nfunc + 1]  # ftab slice
    md[20], md[21] = text_va, text_va + len(text)          # minpc, maxpc
    md[22], md[23] = text_va, text_va + len(text)          # text, etext
    data = bytearray(buildinfo)
    while len(data) % 32:
        data.append(0)
    md_va = data_va + len(data)
    data += struct.pack("<24Q", *md)

    shstr = bytearray(b"\0")

    def name(s):
        off = len(shstr)
        shstr.extend(s.encode() + b"\0")
        return off

    body = bytearray(data_off + len(data))
    body[text_off:text_off + len(text)] = text
    body[rodata_off:rodata_off + len(pclntab)] = pclntab
    body[data_off:data_off + len(data)] = data
    sections = [
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (name(".text"), 1, 6, text_va, text_off, len(text), 0, 0, 32, 0),
        (name(".gopclntab"), 1, 2, rodata_va, rodata_off, len(pclntab), 0, 0, 32, 0),
        (name(".go.buildinfo"), 1, 3, data_va, data_off, len(buildinfo), 0, 0, 16, 0),
        (name(".noptrdata"), 1, 3, md_va, data_off + (md_va - data_va), 24 * 8, 0, 0, 32, 0),
    ]
    shstr_index = len(sections)
    sections.append((name(".shstrtab"), 3, 0, 0, len(body), len(shstr), 0, 0, 1, 0))
    body += shstr
    while len(body) % 8:
        body.append(0)
    shoff = len(body)
    for sh in sections:
        body += struct.pack("<IIQQQQIIQQ", *sh)
    phdrs = [
        (1, 5, text_off, text_va, text_va, len(text), len(text), 0x1000),
        (1, 4, rodata_off, rodata_va, rodata_va, len(pclntab), len(pclntab), 0x1000),
        (1, 6, data_off, data_va, data_va, len(data), len(data), 0x1000),
    ]
    ehdr = struct.pack("<4sBBBBB7xHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0,
                       2, 62, 1, text_va, 64, shoff, 0, 64, 56, len(phdrs), 64,
                       len(sections), shstr_index)
    body[0:64] = ehdr
    for i, ph in enumerate(phdrs):
        body[64 + 56 * i:64 + 56 * (i + 1)] = struct.pack("<IIQQQQQQ", *ph)
    return bytes(body)


def write(rel, blob):
    path = os.path.join(HERE, "corpus", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(blob)
    print(f"{path}: {len(blob)} bytes")


def main():
    fixtures = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "go-fixtures")
    elf = Elf(os.path.join(fixtures, "goleaks"))
    table, text, _ = reduce_pclntab(elf)
    _, info = elf.section(".go.buildinfo")
    _, info_stripped = Elf(os.path.join(fixtures, "goleaks.stripped")).section(".go.buildinfo")
    write("gopclntab/go119-goleaks", table)
    write("gobuildinfo/go119-goleaks", info)
    write("gobuildinfo/go119-stripped", info_stripped)
    write("elf/go119-mini", elf_executable(text, table, info))


if __name__ == "__main__":
    main()
