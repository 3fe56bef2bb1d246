/*
 * hw.c: PCI configuration space, the edu device's DMA engine, the
 * KVM_HC_MAP_GPA_RANGE hypercall, and starting the AP.
 */
#include "guest.h"

/* PCI configuration mechanism #1; bdf = bus << 8 | device << 3 | function. */
static void pci_select(uint32_t bdf, unsigned off)
{
    outl(0xcf8, 0x80000000u | bdf << 8 | (off & 0xfcu));
}

uint32_t pci_read32(uint32_t bdf, unsigned off)
{
    pci_select(bdf, off);
    return inl(0xcfc);
}

uint8_t pci_read8(uint32_t bdf, unsigned off)
{
    pci_select(bdf, off);
    return inb(0xcfc + (off & 3));
}

void pci_write8(uint32_t bdf, unsigned off, uint8_t v)
{
    pci_select(bdf, off);
    outb(0xcfc + (off & 3), v);
}

void pam_save(uint8_t pam[7])
{
    for (unsigned k = 1; k <= 6; k++) {
        pam[k] = pci_read8(MCH, MCH_PAM0 + k);
    }
}

/* Each write makes QEMU rebuild the memory map (and KVM's slots). */
void pam_set_all(uint8_t v)
{
    for (unsigned k = 1; k <= 6; k++) {
        pci_write8(MCH, MCH_PAM0 + k, v);
    }
}

void pam_restore(const uint8_t pam[7])
{
    for (unsigned k = 1; k <= 6; k++) {
        pci_write8(MCH, MCH_PAM0 + k, pam[k]);
    }
}

void pci_write16(uint32_t bdf, unsigned off, uint16_t v)
{
    pci_select(bdf, off);
    outw(0xcfc + (off & 2), v);
}

#define EDU_ID 0x11e81234u      /* device << 16 | vendor */
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_TIMEOUT_S 10    /* edu completes a transfer 100 ms after the start */

uint32_t edu_bdf, edu_bar;

bool edu_find(void)
{
    struct edu d;

    if (!edu_find_all(&d, 1)) {
        return false;
    }
    edu_bdf = d.bdf;
    edu_bar = d.bar;
    return true;
}

/*
 * One transfer: to_ram moves edu buffer -> guest memory, else guest memory
 * -> edu buffer. 32-bit register writes suffice: edu stores the zero-extended
 * value, and all our addresses are below 256 MiB (edu's DMA mask).
 * Returns false on a timeout.
 */
bool edu_dma(uint32_t src, uint32_t dst, uint32_t len, bool to_ram)
{
    const struct edu d = { edu_bdf, edu_bar };

    if (!edu_dma_wait(&d)) {    /* a late one */
        return false;
    }
    edu_dma_start(&d, src, dst, len, to_ram);
    return edu_dma_wait(&d);
}

/*
 * Every edu on bus 0, enabled (memory space, bus master), in slot order:
 * the soak's devices.  Returns how many (at most @max).
 */
unsigned edu_find_all(struct edu *devs, unsigned max)
{
    unsigned n = 0;

    for (uint32_t bdf = 0; bdf < 256 && n < max; bdf++) {
        if (pci_read32(bdf, 0x00) != EDU_ID) {
            continue;
        }
        uint32_t bar = pci_read32(bdf, 0x10);
        if ((bar & 0x7) || !(bar & ~0xfu)) {
            continue;
        }
        pci_write16(bdf, 0x04, (uint16_t)(pci_read32(bdf, 0x04) | 0x6));
        devs[n].bdf = bdf;
        devs[n].bar = bar & ~0xfu;
        n++;
    }
    return n;
}

/*
 * A transfer on device @d, not awaited: the soak keeps both devices busy
 * at once (edu takes 100 ms of the emulator's clock for each).  The
 * caller awaits it with edu_dma_wait() before the next one on @d.
 */
void edu_dma_start(const struct edu *d, uint32_t src, uint32_t dst, uint32_t len, bool to_ram)
{
    uint32_t buf = to_ram ? src : dst;

    if (buf < EDU_BUF || len > EDU_BUF_SIZE || buf - EDU_BUF > EDU_BUF_SIZE - len) {
        die("edu-dma", "bug: transfer outside the edu buffer");
    }
    barrier();
    mmio_write32(d->bar + EDU_DMA_SRC, src);
    mmio_write32(d->bar + EDU_DMA_DST, dst);
    mmio_write32(d->bar + EDU_DMA_CNT, len);
    mmio_write32(d->bar + EDU_DMA_CMD, EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0));
}

/* Wait for @d's transfer; false on a timeout. */
bool edu_dma_wait(const struct edu *d)
{
    struct watchdog wd;

    /*
     * The RTC only every 64 polls: each read of it is four port accesses,
     * each an exit to L1's QEMU under its BQL, which a vCPU polling it
     * without a pause takes from the vCPUs converting (the edu's status
     * register is the device's own, assigned: no exit).
     */
    wd_start(&wd, EDU_DMA_TIMEOUT_S);
    for (unsigned spin = 1; mmio_read32(d->bar + EDU_DMA_CMD) & EDU_DMA_RUN; spin++) {
        if (spin % 64 == 0 && wd_expired(&wd)) {
            return false;
        }
    }
    barrier();
    return true;
}

bool hc_disabled;

#define KVM_HC_MAP_GPA_RANGE 12

/*
 * Convert [gpa, gpa + npages * 4 KiB) to private or shared. 32-bit
 * hypercall: KVM takes EBX, ECX, EDX, ESI and returns EAX. "memory":
 * after a conversion the same addresses may show other contents.
 */
uint32_t map_gpa_range_raw(uint32_t gpa, uint32_t npages, uint32_t attrs)
{
    uint32_t ret = KVM_HC_MAP_GPA_RANGE;

    if (hc_disabled) {
        return 0;
    }
    asm volatile("vmmcall"
                 : "+a"(ret)
                 : "b"(gpa), "c"(npages), "d"(attrs), "S"(0)
                 : "memory");
    return ret;
}

uint32_t map_gpa_range(uint32_t gpa, uint32_t npages, bool to_private)
{
    return map_gpa_range_raw(gpa, npages, to_private ? KVM_MAP_GPA_RANGE_ENCRYPTED : 0);
}

/* xAPIC: the BSP sends INIT, then SIPI twice, to all but itself. */
#define APIC_BASE 0xfee00000u
#define APIC_SVR 0x0f0
#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_ASSERT (1u << 14)
#define ICR_BUSY (1u << 12)
#define ICR_INIT (5u << 8)
#define ICR_SIPI (6u << 8)
#define AP_TRAMPOLINE 0x8000u   /* below 1 MiB, 4 KiB aligned: SIPI vector 0x08 */

extern const char ap_tramp_start[], ap_tramp_end[];

static bool apic_send(uint32_t icr)
{
    mmio_write32(APIC_BASE + APIC_ICR_HI, 0);   /* shorthand: no destination */
    mmio_write32(APIC_BASE + APIC_ICR_LO, icr);
    for (unsigned i = 0; i < 1000000; i++) {
        if (!(mmio_read32(APIC_BASE + APIC_ICR_LO) & ICR_BUSY)) {
            return true;
        }
        cpu_relax();
    }
    return false;
}

bool ap_boot(void)
{
    memcpy((void *)AP_TRAMPOLINE, ap_tramp_start, (size_t)(ap_tramp_end - ap_tramp_start));
    barrier();
    /* software-enable our local APIC (spurious vector 0xff) */
    mmio_write32(APIC_BASE + APIC_SVR, mmio_read32(APIC_BASE + APIC_SVR) | 0x1ff);
    if (!apic_send(ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_INIT)) {
        return false;
    }
    io_delay(10000);            /* 10 ms */
    for (int i = 0; i < 2; i++) {
        if (!apic_send(ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_SIPI | AP_TRAMPOLINE >> 12)) {
            return false;
        }
        io_delay(200);          /* 200 us */
    }
    return true;
}
