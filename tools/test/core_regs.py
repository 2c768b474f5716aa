# SPDX-License-Identifier: GPL-2.0
"""Which register fields each BPF object's kprobes read, from its CO-RE
relocations: core_regs.py ARCH OBJ...

A kprobe reads its arguments from struct pt_regs, whose fields differ per
architecture. Every access to it is a CO-RE field relocation (the type
carries preserve_access_index), so the object's .BTF.ext lists each one
by type and member. An object built for ARCH must name only that
architecture's registers: if the arm64 build read x86's di, libbpf would
refuse it at load on an arm64 kernel, and the other way round. Prints one
PASS or FAIL line per object.
"""
import struct
import sys

# The fields bpf/quirks.bpf.h gives each architecture's register structs.
ALLOWED = {
    "x86": {"pt_regs": {"r15", "r14", "r13", "r12", "bp", "bx", "r11",
                        "r10", "r9", "r8", "ax", "cx", "dx", "si", "di",
                        "orig_ax", "ip", "cs", "flags", "sp", "ss"}},
    "arm64": {"user_pt_regs": {"regs", "sp", "pc", "pstate"},
              "pt_regs": {"regs", "sp", "pc", "pstate"}},
}
REG_TYPES = ("pt_regs", "user_pt_regs")


def sections(data):
    """{name: bytes} of an ELF64 little-endian object."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    heads = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
             for i in range(shnum)]
    strtab = heads[shstrndx]
    names = data[strtab[4]:strtab[4] + strtab[5]]
    out = {}
    for h in heads:
        name = names[h[0]:names.index(b"\0", h[0])].decode()
        out[name] = data[h[4]:h[4] + h[5]]
    return out


# Bytes after the common 12-byte header, per BTF kind (vlen-scaled ones
# are (per-member, scaled)).
EXTRA = {1: 4, 3: 12, 14: 4, 17: 4}
PER_MEMBER = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}


def parse_btf(btf):
    _, _, _, hdr_len, type_off, type_len, str_off, str_len = \
        struct.unpack_from("<HBBIIIII", btf, 0)
    strs = btf[hdr_len + str_off:hdr_len + str_off + str_len]

    def name(off):
        return strs[off:strs.index(b"\0", off)].decode()
    types = [None]
    pos, end = hdr_len + type_off, hdr_len + type_off + type_len
    while pos < end:
        name_off, info, size_type = struct.unpack_from("<III", btf, pos)
        kind, vlen = (info >> 24) & 0x1f, info & 0xffff
        pos += 12
        t = {"kind": kind, "name": name(name_off), "type": size_type}
        if kind in (4, 5):
            t["members"] = [
                (name(m[0]), m[1]) for m in
                (struct.unpack_from("<III", btf, pos + 12 * i)
                 for i in range(vlen))]
        if kind == 3:
            t["type"] = struct.unpack_from("<I", btf, pos)[0]
        pos += EXTRA.get(kind, 0) + PER_MEMBER.get(kind, 0) * vlen
        types.append(t)
    return types, name


def strip(types, tid):
    """Past typedefs and qualifiers (typedef, volatile, const, restrict,
    type tag)."""
    while types[tid]["kind"] in (8, 9, 10, 11, 18):
        tid = types[tid]["type"]
    return tid


def field_accesses(path):
    """(struct name, member name) of every CO-RE field relocation."""
    with open(path, "rb") as f:
        secs = sections(f.read())
    types, name = parse_btf(secs[".BTF"])
    ext = secs.get(".BTF.ext", b"")
    if len(ext) < 32:
        return []
    hdr_len, = struct.unpack_from("<I", ext, 4)
    core_off, core_len = struct.unpack_from("<II", ext, 24)
    pos = hdr_len + core_off
    end = pos + core_len
    rec_size, = struct.unpack_from("<I", ext, pos)
    pos += 4
    out = []
    while pos < end:
        _, num = struct.unpack_from("<II", ext, pos)
        pos += 8
        for i in range(num):
            _, tid, acc, kind = struct.unpack_from("<IIII", ext,
                                                   pos + i * rec_size)
            if kind > 5:            # type and enum relocations
                continue
            tid = strip(types, tid)
            for idx in [int(x) for x in name(acc).split(":")][1:]:
                t = types[tid]
                if t["kind"] in (4, 5):
                    member, mtype = t["members"][idx]
                    out.append((t["name"], member))
                    tid = strip(types, mtype)
                elif t["kind"] == 3:
                    tid = strip(types, t["type"])
        pos += num * rec_size
    return out


def main():
    arch, objs = sys.argv[1], sys.argv[2:]
    allowed = ALLOWED[arch]
    failed = 0
    for obj in objs:
        regs = sorted({(s, m) for s, m in field_accesses(obj)
                       if s in REG_TYPES})
        bad = [f"{s}.{m}" for s, m in regs
               if m not in allowed.get(s, ())]
        seen = ", ".join(f"{s}.{m}" for s, m in regs) or "none"
        ok = not bad
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'} {arch} {obj.rsplit('/', 1)[-1]}: "
              f"registers read: {seen}"
              + (f"; not {arch}'s: {', '.join(bad)}" if bad else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
