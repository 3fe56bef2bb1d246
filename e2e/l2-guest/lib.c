/*
 * lib.c: serial console, a small formatter, verdicts, exit, exceptions,
 * the RTC watchdog, and the few C library functions gcc may call.
 */
#include "guest.h"

#define COM1 0x3f8
#define COM_LSR_THRE 0x20
#define EXIT_PORT 0xf4          /* isa-debug-exit: QEMU exits with (v << 1) | 1 */
#define TERM_PORT 0xf8          /* sw-protected-vm: an SEV termination request */
/* GHCB MSR protocol: reason code << 16 | reason set << 12 | 0x100 (TERM_REQ) */
#define GHCB_TERM_PSC_REQUEST (1u << 16 | 1u << 12 | 0x100u)

static unsigned passed, failed;
static int console_lock;

void serial_init(void)
{
    outb(COM1 + 1, 0x00);       /* no interrupts: we poll */
    outb(COM1 + 3, 0x80);       /* DLAB: divisor 1, 115200 baud */
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);       /* 8N1 */
    outb(COM1 + 2, 0x07);       /* FIFOs on and cleared */
}

static void serial_putc(char c)
{
    /* Bounded: a stuck UART must not hang the guest; then we just write. */
    for (unsigned i = 0; i < 100000 && !(inb(COM1 + 5) & COM_LSR_THRE); i++) {
        cpu_relax();
    }
    outb(COM1, (uint8_t)c);
}

struct out {
    char *buf;
    unsigned len, size;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size) {
        o->buf[o->len++] = c;
    }
}

/* %s %c %u %d %x with an optional zero flag and width: all this guest needs. */
int vformat(char *buf, unsigned size, const char *fmt, va_list ap)
{
    struct out o = { buf, 0, size };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        char pad = ' ';
        unsigned width = 0;
        if (*++fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (unsigned)(*fmt++ - '0');
        }
        if (!*fmt) {
            break;
        }
        switch (*fmt) {
        case 's':
            for (const char *s = va_arg(ap, const char *); *s; s++) {
                put(&o, *s);
            }
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd':
        case 'u':
        case 'x': {
            uint32_t v = va_arg(ap, uint32_t), base = *fmt == 'x' ? 16 : 10;
            char tmp[12];
            unsigned n = 0;
            if (*fmt == 'd' && (int32_t)v < 0) {
                put(&o, '-');
                v = -v;
            }
            do {
                tmp[n++] = "0123456789abcdef"[v % base];
                v /= base;
            } while (v);
            for (; width > n; width--) {
                put(&o, pad);
            }
            while (n) {
                put(&o, tmp[--n]);
            }
            break;
        }
        default:
            put(&o, *fmt);
        }
    }
    if (size) {
        buf[o.len] = 0;
    }
    return (int)o.len;
}

int format(char *buf, unsigned size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void console_write(const char *s)
{
    /* Whole strings under a lock, so that an AP's fault report stays whole. */
    for (unsigned i = 0; __atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE)
                         && i < 10000000; i++) {
        cpu_relax();
    }
    while (*s) {
        serial_putc(*s++);
    }
    __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}

void printk(const char *fmt, ...)
{
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vformat(line, sizeof(line), fmt, ap);
    va_end(ap);
    console_write(line);
}

void report(bool pass, const char *test, const char *fmt, ...)
{
    char detail[320];
    va_list ap;
    va_start(ap, fmt);
    vformat(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (pass) {
        passed++;
    } else {
        failed++;
    }
    printk("E2E-L2: %s %s %s\n", pass ? "PASS" : "FAIL", test, detail);
}

void print_done(void)
{
    printk("E2E-L2-DONE: %u %u\n", passed, failed);
}

void finish(void)
{
    print_done();
    outl(EXIT_PORT, failed ? 1 : 0);
    for (;;) {                  /* no isa-debug-exit: stay put */
        asm volatile("cli; hlt");
    }
}

/*
 * The end of a guest that cannot go on, as a Linux SEV-SNP guest ends after
 * a failed page state change: a GHCB MSR protocol termination request,
 * reason set 1 (Linux), code 1 (GHCB_TERM_PSC).  The test VM has no GHCB:
 * a 32-bit write of the request to port 0xf8 stands for it
 * (e2e/qemu/0001-e2e-sw-protected-vm.patch), and QEMU panics the guest.
 * The results first; should QEMU return from the request, that is a
 * failure, and the guest exits through isa-debug-exit.
 */
void finish_terminate(void)
{
    printk("E2E-L2-DONE: %u %u\n", passed, failed);
    printk("E2E-L2: INFO requesting termination: GHCB MSR value 0x%05x to port 0x%x\n",
           GHCB_TERM_PSC_REQUEST, TERM_PORT);
    outl(TERM_PORT, GHCB_TERM_PSC_REQUEST);
    report(false, "terminate", "QEMU returned from the termination request");
    finish();
}

void die(const char *test, const char *why)
{
    report(false, test, "%s", why);
    finish();
}

/* The frame entry.S builds: pushal, then vector and error code, then the CPU's. */
struct frame {
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t vector, error, eip, cs, eflags;
};

bool hold_on_fault;

void exception(struct frame *f);
void exception(struct frame *f)
{
    static int depth;

    if (__atomic_fetch_add(&depth, 1, __ATOMIC_RELAXED)) {
        outl(EXIT_PORT, 1);     /* a fault while reporting one: just leave */
        for (;;) {
            asm volatile("cli; hlt");
        }
    }
    uint32_t apic_id = mmio_read32(0xfee00020) >> 24;
    /* the interrupted code's stack: just above the frame the CPU pushed */
    const uint32_t *sp = &f->eflags + 1;
    char why[200];
    format(why, sizeof(why), "%u eip=0x%08x err=0x%x cpu=%u eax=0x%x ebp=0x%x esp=0x%x: %08x %08x %08x %08x %08x %08x",
           f->vector, f->eip, f->error, apic_id, f->eax, f->ebp, (uint32_t)sp,
           sp[0], sp[1], sp[2], sp[3], sp[4], sp[5]);
    if (hold_on_fault) {
        /* l2-run looks at this guest's memory, then quits QEMU */
        report(false, "exception", "%s", why);
        print_done();
        for (;;) {
            asm volatile("cli; hlt");
        }
    }
    die("exception", why);
}

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t zero, type;
    uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[32];
struct {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed)) idt_desc = { sizeof(idt) - 1, (uint32_t)idt };
extern const uint32_t exc_stubs[32];

void idt_init(void)
{
    for (unsigned i = 0; i < 32; i++) {
        idt[i] = (struct idt_gate){
            .off_lo = (uint16_t)exc_stubs[i], .sel = 0x08,
            .type = 0x8e,       /* present, ring 0, 32-bit interrupt gate */
            .off_hi = (uint16_t)(exc_stubs[i] >> 16),
        };
    }
    asm volatile("lidt %0" : : "m"(idt_desc));
}

/* Port 0x80 writes: about 1 us each on hardware, longer when emulated. */
void io_delay(unsigned n)
{
    while (n--) {
        outb(0x80, 0);
    }
}

/*
 * The watchdog counts changes of the CMOS RTC's seconds: QEMU's RTC follows
 * the host clock, so a timeout is in real seconds however slow the
 * emulation. Only the BSP may use it (the index/data port pair is not
 * shared safely).
 */
static uint8_t rtc_seconds(void)
{
    for (unsigned i = 0; i < 10000; i++) {
        outb(0x70, 0x0a);
        if (!(inb(0x71) & 0x80)) {      /* no update in progress */
            break;
        }
    }
    outb(0x70, 0x00);
    return inb(0x71);
}

/* The RTC's seconds as a number: register B says BCD (the default) or binary. */
static uint8_t rtc_number(const struct watchdog *wd, uint8_t s)
{
    return wd->binary ? s : (s >> 4) * 10 + (s & 0xf);
}

void wd_start(struct watchdog *wd, unsigned seconds)
{
    wd->limit_s = seconds;
    wd->ticks = 0;
    wd->spins = 0;
    outb(0x70, 0x0b);
    wd->binary = inb(0x71) & 0x04;
    wd->last = rtc_number(wd, rtc_seconds());
}

bool wd_expired(struct watchdog *wd)
{
    uint8_t s = rtc_number(wd, rtc_seconds());

    if (s != wd->last) {
        /* every second since the last call (one call a minute at least) */
        wd->ticks += (s + 60u - wd->last) % 60u;
        wd->last = s;
    }
    /*
     * The first tick may come at once: limit_s + 1 ticks are limit_s seconds.
     * The spin count is a backstop should the RTC not tick: TCG does some
     * 2 million calls a second here, nested guests far fewer.
     */
    return wd->ticks > wd->limit_s || ++wd->spins / 25000000u > wd->limit_s;
}

/* Wait @seconds seconds (RTC), doing nothing. */
void wait_seconds(unsigned seconds)
{
    struct watchdog wd;

    wd_start(&wd, seconds);
    while (!wd_expired(&wd)) {
        cpu_relax();
    }
}

/*
 * Word @i of the pattern of generation @gen in @page: word 0 is the page's
 * address (readable in a detail: whose page it is), word 1 a5 followed by
 * the generation's low 24 bits, the rest a hash of the three.
 */
uint32_t pattern_word(uint32_t page, uint32_t gen, unsigned i)
{
    if (i == 0) {
        return page;
    }
    if (i == 1) {
        return 0xa5000000u | (gen & 0xffffffu);
    }
    uint32_t x = page ^ gen * 0x9e3779b9u ^ i * 0x85ebca6bu;
    x ^= x >> 15;
    x *= 0x2c1b3c6du;
    return x ^ x >> 12;
}

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n)
{
    void *r = d;
    asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return r;
}

void *memcpy(void *d, const void *s, size_t n)
{
    void *r = d;
    asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return r;
}

bool streq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++, b++;
    }
    return *a == *b;
}
