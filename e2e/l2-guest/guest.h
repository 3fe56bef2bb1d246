/*
 * guest.h: declarations shared by the L2 test guest's files.
 * Freestanding 32-bit code: flat segments, paging off, interrupts off,
 * so a guest-physical address is a pointer.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096u
#define MiB (1024u * 1024u)

#define barrier() asm volatile("" ::: "memory")

static inline void outb(uint16_t port, uint8_t v)
{
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t mmio_read32(uint32_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uint32_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

static inline void cpu_relax(void)
{
    asm volatile("pause" ::: "memory");
}

/* lib.c: console, formatting, watchdog, exit */
void serial_init(void);
int vformat(char *buf, unsigned size, const char *fmt, va_list ap);
int format(char *buf, unsigned size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report(bool pass, const char *test, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
__attribute__((noreturn)) void finish(void);
void print_done(void);          /* the DONE line, without the exit */
__attribute__((noreturn)) void finish_terminate(void);
__attribute__((noreturn)) void die(const char *test, const char *why);
void idt_init(void);
/* A CPU exception halts the guest instead of leaving (l2-run dumps it). */
extern bool hold_on_fault;
void io_delay(unsigned n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
bool streq(const char *a, const char *b);
/* The patterns the guest writes and the device must read back (lib.c). */
uint32_t pattern_word(uint32_t page, uint32_t gen, unsigned i);

struct watchdog {
    unsigned limit_s;   /* give up after this many RTC seconds */
    unsigned ticks;     /* RTC seconds gone by */
    unsigned spins;     /* calls, the backstop if the RTC does not tick */
    uint8_t last;       /* last RTC seconds value (0 to 59) */
    bool binary;        /* the RTC counts in binary, not BCD */
};
void wd_start(struct watchdog *wd, unsigned seconds);
bool wd_expired(struct watchdog *wd);
void wait_seconds(unsigned seconds);

/* hw.c: PCI, edu, hypercall, APs */
uint32_t pci_read32(uint32_t bdf, unsigned off);
uint8_t pci_read8(uint32_t bdf, unsigned off);
void pci_write8(uint32_t bdf, unsigned off, uint8_t v);
/* q35's PAM1-PAM6 (the ROM area's segments): read into pam[1..6], all set to v, restored */
#define MCH 0                   /* 00:00.0, q35's host bridge */
#define MCH_PAM0 0x90
void pam_save(uint8_t pam[7]);
void pam_set_all(uint8_t v);
void pam_restore(const uint8_t pam[7]);
void pci_write16(uint32_t bdf, unsigned off, uint16_t v);

#define EDU_BUF 0x40000u        /* the edu buffer in the device's DMA space */
#define EDU_BUF_SIZE 4096u
extern uint32_t edu_bdf, edu_bar;
bool edu_find(void);
bool edu_dma(uint32_t src, uint32_t dst, uint32_t len, bool to_ram);
/* Every edu on bus 0 (the soak's devices), and one transfer started or awaited. */
#define EDU_MAX 4
struct edu {
    uint32_t bdf, bar;
};
unsigned edu_find_all(struct edu *devs, unsigned max);
void edu_dma_start(const struct edu *d, uint32_t src, uint32_t dst, uint32_t len, bool to_ram);
bool edu_dma_wait(const struct edu *d);

extern bool hc_disabled;        /* "nohc": the hypercall is a no-op returning 0 */
uint32_t map_gpa_range(uint32_t gpa, uint32_t npages, bool to_private);
/* The raw hypercall: any attributes (the hostile mode's bogus bits). */
uint32_t map_gpa_range_raw(uint32_t gpa, uint32_t npages, uint32_t attrs);
#define KVM_MAP_GPA_RANGE_ENCRYPTED 0x10

bool ap_boot(void);             /* INIT-SIPI-SIPI to all other CPUs */

/* tests.c: what an AP runs (entry.S calls it with the AP's index, 0-based) */
void ap_main(unsigned index);

/* soak.c: the soak and hostile modes (e2e/l2-guest/README.md) */
void soak_main(void);
void soak_ap(unsigned index);
void hostile_main(void);
void hostile_ap(unsigned index);

/* tests.c: the command line */
unsigned arg_number(const char *key, unsigned dflt);
bool arg_flag(const char *name);
const char *arg_value(const char *key);

#endif
