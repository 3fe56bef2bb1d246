#!/bin/sh
# build.sh OUTDIR: build OUTDIR/guest.elf, the L2 test guest (Multiboot ELF32).
# Host gcc and binutils; no gcc-multilib needed (no libc, no libgcc).
# Any warning of the compiler, assembler or linker fails the build.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
src=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out"
CC=${CC:-gcc}
# -mgeneral-regs-only: no SSE (CR4.OSFXSR is off); -fno-asynchronous-unwind-tables: no .eh_frame
cflags="-m32 -march=i686 -mgeneral-regs-only -ffreestanding -fno-pic -fno-stack-protector
 -nostdlib -static -Wall -Wextra -Werror -O2 -fno-asynchronous-unwind-tables -Wa,--fatal-warnings"
set --
for f in entry.S lib.c hw.c tests.c soak.c; do
    o=$out/${f%.*}.o
    $CC $cflags -c "$src/$f" -o "$o"
    set -- "$@" "$o"
done
$CC $cflags -no-pie -Wl,--fatal-warnings -Wl,--build-id=none -Wl,-z,max-page-size=0x1000 \
    -Wl,-T,"$src/guest.ld" -o "$out/guest.elf.tmp" "$@"
# The code and constants as loaded at 1 MiB: l2-run compares guest memory
# with them when the guest faults.
objcopy -O binary -j .text -j .rodata "$out/guest.elf.tmp" "$out/guest.text"
mv "$out/guest.elf.tmp" "$out/guest.elf"
