/*
 * kvm-check: what the nested stage needs of the L1 guest.
 *
 * /dev/kvm is there, KVM_CHECK_EXTENSION(KVM_CAP_VM_TYPES) reports
 * KVM_X86_SW_PROTECTED_VM, a VM of that type can be created (its RAM would
 * be guest_memfd), and the guest has at least MIN_MIB (argv[1], default 384)
 * MiB of memory available.  Exit status 0 when all hold; one line each.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

static long meminfo_kib(const char *key)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long v = -1;

    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        size_t n = strlen(key);
        if (!strncmp(line, key, n) && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

int main(int argc, char **argv)
{
    long min_mib = argc > 1 ? strtol(argv[1], NULL, 10) : 384;
    long avail = meminfo_kib("MemAvailable"), total = meminfo_kib("MemTotal");
    int kvm, types, vm, ok = 1;

    kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        printf("kvm-check: FAIL cannot open /dev/kvm: %s\n", strerror(errno));
        return 1;
    }
    types = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
    if (types < 0 || !(types & (1 << KVM_X86_SW_PROTECTED_VM))) {
        printf("kvm-check: FAIL KVM_CAP_VM_TYPES = %d, no KVM_X86_SW_PROTECTED_VM (bit %d)\n",
               types, KVM_X86_SW_PROTECTED_VM);
        ok = 0;
    } else {
        printf("kvm-check: KVM_CAP_VM_TYPES 0x%x (KVM_X86_SW_PROTECTED_VM)\n", types);
        vm = ioctl(kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
        if (vm < 0) {
            printf("kvm-check: FAIL KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM): %s\n",
                   strerror(errno));
            ok = 0;
        } else {
            int gmem = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD);
            printf("kvm-check: KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM) ok, "
                   "KVM_CAP_GUEST_MEMFD %d\n", gmem);
            if (gmem <= 0) {
                printf("kvm-check: FAIL no guest_memfd in that VM\n");
                ok = 0;
            }
            close(vm);
        }
    }
    if (avail < 0 || avail / 1024 < min_mib) {
        printf("kvm-check: FAIL MemAvailable %ld MiB < %ld MiB (MemTotal %ld MiB)\n",
               avail / 1024, min_mib, total / 1024);
        ok = 0;
    } else {
        printf("kvm-check: MemAvailable %ld of %ld MiB (>= %ld)\n",
               avail / 1024, total / 1024, min_mib);
    }
    return ok ? 0 : 1;
}
