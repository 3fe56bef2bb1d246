#!/usr/bin/python3
"""The numbers of the device assignment guides (SEV-SNP, TDX), computed.

A legacy VFIO (type1) container needs one DMA mapping per 4 KiB page the
guest shares (QEMU maps guest_memfd memory page by page, so that any page can
be unmapped alone when the guest makes it private again).  A Linux guest
shares its SWIOTLB at boot; drivers share more at run time.

  guide-numbers.py              print the table (reStructuredText)
  guide-numbers.py --check RST  fail unless RST holds exactly that table
                                between the guide-numbers marker comments
  guide-numbers.py --linux DIR  fail unless the Linux source tree DIR still
                                has the rules and the sizes used here

The rules, from Linux 6.12 (the e2e rig checks them with --linux):
- arch/x86/mm/mem_encrypt.c, mem_encrypt_setup_arch(): for an SEV or TDX
  guest, size = total_mem * 6 / 100, clamped to [IO_TLB_DEFAULT_SIZE (64 MiB),
  SZ_1G], given to swiotlb_adjust_size() unless swiotlb= was set.
- kernel/dma/swiotlb.c, swiotlb_adjust_size(): rounded up to IO_TLB_SIZE
  (2 KiB slabs), the slab count up to IO_TLB_SEGSIZE (128): 256 KiB.
  total_mem is memblock_phys_mem_size(), a little less than the RAM given to
  QEMU, so the figures below are upper bounds (by at most 256 KiB).
- drivers/vfio/vfio_iommu_type1.c: dma_entry_limit = U16_MAX (65535) by
  default; vfio_dma_do_map() allocates one struct vfio_dma per mapping
  (kzalloc: 96 bytes on 64-bit hosts, the kmalloc-96 cache), only while the
  mapping exists.  IOMMU page tables come on top (one 8-byte entry per page).
"""

import argparse
import re
import sys

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

PAGE = 4 * KiB
SWIOTLB_PERCENT = 6
SWIOTLB_MIN = 64 * MiB          # IO_TLB_DEFAULT_SIZE
SWIOTLB_MAX = 1 * GiB           # SZ_1G
IO_TLB_SHIFT = 11
IO_TLB_SEGSIZE = 128
TYPE1_DEFAULT_LIMIT = 65535     # U16_MAX
VFIO_DMA_BYTES = 96             # sizeof(struct vfio_dma), kmalloc-96
# Left for what drivers share at run time (coherent DMA buffers, rings) and
# the few non-RAM sections QEMU maps: as much as the default limit again.
RUNTIME_ALLOWANCE = 65536

GUEST_RAM = [4 * GiB, 16 * GiB, 64 * GiB, 256 * GiB]

BEGIN = ".. guide-numbers: begin"
END = ".. guide-numbers: end"


def align(x, a):
    return (x + a - 1) // a * a


def swiotlb_bytes(ram):
    """The SWIOTLB a Linux SEV-SNP/TDX guest with @ram bytes allocates."""
    size = ram * SWIOTLB_PERCENT // 100
    size = min(max(size, SWIOTLB_MIN), SWIOTLB_MAX)
    size = align(size, 1 << IO_TLB_SHIFT)
    nslabs = align(size >> IO_TLB_SHIFT, IO_TLB_SEGSIZE)
    return nslabs << IO_TLB_SHIFT


def human(n):
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size:
            v = n / size
            return ("%d %s" % (v, unit) if n % size == 0
                    else "%.1f %s" % (v, unit))
    return "%d B" % n


def rows():
    for ram in GUEST_RAM:
        swiotlb = swiotlb_bytes(ram)
        boot = swiotlb // PAGE
        limit = boot + RUNTIME_ALLOWANCE
        yield (human(ram), human(swiotlb), str(boot), str(limit),
               human(limit * VFIO_DMA_BYTES))


def table():
    head = ("Guest RAM", "SWIOTLB", "Mappings at boot", "dma_entry_limit",
            "Kernel memory at the limit")
    body = list(rows())
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    rule = "  ".join("=" * w for w in widths)

    def line(r):
        return "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([rule, line(head), rule] + [line(r) for r in body] +
                     [rule])


def check_rst(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(re.escape(BEGIN) + r"\n\n(.*?)\n\n" + re.escape(END), text,
                  re.S)
    if not m:
        sys.exit("%s: no table between '%s' and '%s'" % (path, BEGIN, END))
    if m.group(1) != table():
        sys.exit("%s: the table differs from scripts/guide-numbers.py's:\n%s"
                 % (path, table()))
    print("guide-numbers: the table in %s is the computed one" % path)


def check_linux(top):
    """The rules and sizes above, as the kernel source at @top has them."""
    want = [
        ("arch/x86/mm/mem_encrypt.c", r"size = total_mem \* 6 / 100;"),
        ("arch/x86/mm/mem_encrypt.c",
         r"size = clamp_val\(size, IO_TLB_DEFAULT_SIZE, SZ_1G\);"),
        ("kernel/dma/swiotlb.c", r"size = ALIGN\(size, IO_TLB_SIZE\);"),
        ("kernel/dma/swiotlb.c",
         r"default_nslabs = ALIGN\(size >> IO_TLB_SHIFT, IO_TLB_SEGSIZE\);"),
        ("include/linux/swiotlb.h", r"#define IO_TLB_SHIFT 11\b"),
        ("include/linux/swiotlb.h", r"#define IO_TLB_SEGSIZE\s+128\b"),
        ("include/linux/swiotlb.h",
         r"#define IO_TLB_DEFAULT_SIZE \(64UL<<20\)"),
        ("drivers/vfio/vfio_iommu_type1.c",
         r"dma_entry_limit __read_mostly = U16_MAX;"),
        ("drivers/vfio/vfio_iommu_type1.c", r"dma = kzalloc\(sizeof\(\*dma\)"),
    ]
    bad = 0
    for f, pat in want:
        text = open("%s/%s" % (top, f), encoding="utf-8").read()
        if not re.search(pat, text):
            print("guide-numbers: %s no longer has /%s/" % (f, pat))
            bad += 1
    # struct vfio_dma: 64-bit sizes of its members, natural alignment.
    sizes = {"struct rb_node": 24, "dma_addr_t": 8, "unsigned long": 8,
             "size_t": 8, "int": 4, "bool": 1, "struct rb_root": 8}
    text = open("%s/drivers/vfio/vfio_iommu_type1.c" % top,
                encoding="utf-8").read()
    m = re.search(r"^struct vfio_dma \{\n(.*?)^\};", text, re.S | re.M)
    off = 0
    for decl in re.findall(r"^\s*([^;/]+);", m.group(1) if m else "", re.M):
        typ = re.sub(r"\s*\**\w+$", "", decl.strip())
        n = 8 if "*" in decl else sizes.get(typ)
        if n is None:
            print("guide-numbers: struct vfio_dma has a member of unknown"
                  " size: %s" % decl.strip())
            bad += 1
            n = 8
        off = align(off, min(n, 8)) + n
    size = align(off, 8)
    kmalloc = next(s for s in (8, 16, 32, 64, 96, 128, 192, 256) if s >= size)
    if kmalloc != VFIO_DMA_BYTES:
        print("guide-numbers: struct vfio_dma is %d bytes (kmalloc-%d), not"
              " %d" % (size, kmalloc, VFIO_DMA_BYTES))
        bad += 1
    if bad:
        sys.exit(1)
    print("guide-numbers: %s has the rules used (struct vfio_dma: %d bytes)"
          % (top, size))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", metavar="RST")
    ap.add_argument("--linux", metavar="DIR")
    a = ap.parse_args()
    if a.linux:
        check_linux(a.linux)
    if a.check:
        check_rst(a.check)
    if not a.linux and not a.check:
        print(table())


if __name__ == "__main__":
    main()
