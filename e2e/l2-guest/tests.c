/*
 * tests.c: the command line, the device probes and the tests of each mode.
 *
 * What the device can reach is seen only through the edu DMA engine: the
 * device reads the first SLOT bytes of each page into its own slot of the
 * edu buffer, pre-filled with a sentinel, then the buffer goes to a shared
 * check page B that the guest reads. A page shows either the pattern the
 * guest wrote last (reachable), or the sentinel / zeros / anything else
 * (the read failed: what lands is the emulator's choice).
 */
#include "guest.h"

/* Our own pages in low memory (shared from the start, never converted). */
#define SENTINEL_PAGE (2 * MiB)                 /* the sentinel, SLOT times */
#define CHECK_PAGE (2 * MiB + PAGE_SIZE)        /* B */
#define SCRATCH_PAGE (2 * MiB + 2 * PAGE_SIZE)  /* patterns the device writes */

/* Test pages: node 1, the second RAM block [64 MiB, 128 MiB). */
#define NODE1 (64 * MiB)
#define PAGE_A (NODE1 + 1 * MiB)
#define PAGE_C (NODE1 + 2 * MiB)
#define MIXED (NODE1 + 3 * MiB)
#define MIXED_PAGES 16
#define SMP_RANGE (NODE1 + 4 * MiB)
#define SMP_PAGES 4
#define TWO_BLOCKS (NODE1 - 2 * PAGE_SIZE)     /* 2 pages in each block */
#define LIMIT_START (32 * MiB)  /* private from the start in mode limit: far from
                                   the firmware's zones at the top of RAM */
#define LIMIT_PAGES (32 * MiB / PAGE_SIZE)
#define LIMIT_FIT_PAGES 16

#define SENTINEL 0x5e5e5e5eu
#define SLOT 64u                                /* bytes the device reads of a page */
#define MAX_PAGES 32u                           /* slots in the first half of the buffer */
#define DEV_PATTERNS (EDU_BUF + MAX_PAGES * SLOT)  /* second half */

#define PRIVATE true
#define SHARED false

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};
#define MB_LOADER_MAGIC 0x2badb002u
#define MB_INFO_CMDLINE (1u << 2)

void guest_main(uint32_t magic, const struct multiboot_info *mbi);

/* Every pattern written is new: its word 1 carries a generation number. */
static uint32_t generation;

static void write_words(uint32_t addr, uint32_t page, uint32_t gen, unsigned words)
{
    uint32_t *w = (uint32_t *)addr;
    for (unsigned i = 0; i < words; i++) {
        w[i] = pattern_word(page, gen, i);
    }
}

enum seen { SEEN_PATTERN, SEEN_SENTINEL, SEEN_ZEROS, SEEN_OTHER, SEEN_KINDS };
static const char *const seen_name[SEEN_KINDS] = { "pattern", "sentinel", "zeros", "other" };

struct probe {
    unsigned n;
    uint32_t page[MAX_PAGES];
    uint32_t gen[MAX_PAGES];    /* the pattern expected in the page, 0: none */
    enum seen seen[MAX_PAGES];
    unsigned count[SEEN_KINDS];
    bool timeout;
};

static void probe_range(struct probe *p, uint32_t first, unsigned n)
{
    p->n = n;
    for (unsigned i = 0; i < n; i++) {
        p->page[i] = first + i * PAGE_SIZE;
        p->gen[i] = 0;
    }
}

/* The guest writes a fresh pattern over every (shared) page of the probe. */
static void fill(struct probe *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        p->gen[i] = ++generation;
        write_words(p->page[i], p->page[i], p->gen[i], PAGE_SIZE / 4);
    }
}

static const uint32_t *slot(unsigned i)
{
    return (const uint32_t *)(CHECK_PAGE + i * SLOT);
}

/* What the device reads of each page; false on a DMA timeout. */
static bool device_read(struct probe *p)
{
    unsigned len = p->n * SLOT;

    memset((void *)CHECK_PAGE, 0xcc, len);     /* a lost DMA into B shows as "other" */
    p->timeout = !edu_dma(SENTINEL_PAGE, EDU_BUF, len, false);
    for (unsigned i = 0; i < p->n && !p->timeout; i++) {
        p->timeout = !edu_dma(p->page[i], EDU_BUF + i * SLOT, SLOT, false);
    }
    p->timeout = p->timeout || !edu_dma(EDU_BUF, CHECK_PAGE, len, true);
    memset(p->count, 0, sizeof(p->count));
    for (unsigned i = 0; i < p->n && !p->timeout; i++) {
        bool pat = p->gen[i] != 0, sen = true, zero = true;
        for (unsigned k = 0; k < SLOT / 4; k++) {
            uint32_t w = slot(i)[k];
            pat = pat && w == pattern_word(p->page[i], p->gen[i], k);
            sen = sen && w == SENTINEL;
            zero = zero && w == 0;
        }
        p->seen[i] = pat ? SEEN_PATTERN : sen ? SEEN_SENTINEL : zero ? SEEN_ZEROS : SEEN_OTHER;
        p->count[p->seen[i]]++;
    }
    return !p->timeout;
}

/*
 * For pages whose shared side the guest cannot write (they are private):
 * the device writes a fresh pattern into each page, then reads it back.
 */
static bool device_roundtrip(struct probe *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        p->gen[i] = ++generation;
        write_words(SCRATCH_PAGE + i * SLOT, p->page[i], p->gen[i], SLOT / 4);
    }
    p->timeout = !edu_dma(SCRATCH_PAGE, DEV_PATTERNS, p->n * SLOT, false);
    for (unsigned i = 0; i < p->n && !p->timeout; i++) {
        p->timeout = !edu_dma(DEV_PATTERNS + i * SLOT, p->page[i], SLOT, true);
    }
    return !p->timeout && device_read(p);
}

static bool all_reachable(const struct probe *p)
{
    return !p->timeout && p->count[SEEN_PATTERN] == p->n;
}

static bool none_reachable(const struct probe *p)
{
    return !p->timeout && p->count[SEEN_PATTERN] == 0;
}

/*
 * "pattern 16/16 (0x04300000: 04300000 a5000003)": the counts, then the first
 * 8 bytes the device read of the first page that went against expectation
 * (or of the first page).
 */
static const char *summary(const struct probe *p, bool want_reachable, char *buf, unsigned size)
{
    unsigned len = 0, show = 0;

    if (p->timeout) {
        return "DMA timeout";
    }
    for (unsigned k = 0; k < SEEN_KINDS; k++) {
        if (p->count[k]) {
            len += format(buf + len, size - len, "%s%s %u/%u", len ? ", " : "",
                          seen_name[k], p->count[k], p->n);
        }
    }
    for (unsigned i = 0; i < p->n; i++) {
        if ((p->seen[i] == SEEN_PATTERN) != want_reachable) {
            show = i;
            break;
        }
    }
    format(buf + len, size - len, " (0x%08x: %08x %08x)", p->page[show],
           slot(show)[0], slot(show)[1]);
    return buf;
}

static struct probe pr;         /* one probe at a time */

/* functional 1: a page converted private and back is reachable again */
static void test_shared_dma(void)
{
    char s[100];
    int r1 = (int)map_gpa_range(PAGE_A, 1, PRIVATE);
    int r2 = (int)map_gpa_range(PAGE_A, 1, SHARED);

    probe_range(&pr, PAGE_A, 1);
    fill(&pr);
    device_read(&pr);
    report(!r1 && !r2 && all_reachable(&pr), "shared-dma",
           "hypercalls private %d, shared %d (want 0, 0); device read %s",
           r1, r2, summary(&pr, true, s, sizeof(s)));
}

/*
 * functional 2, stale-demo: after a conversion to private the device must
 * not read the page's old shared contents through a stale IOMMU mapping.
 */
static void test_private_unreachable(void)
{
    char s[100];
    int r1 = (int)map_gpa_range(PAGE_C, 1, SHARED);

    probe_range(&pr, PAGE_C, 1);
    fill(&pr);                  /* P */
    device_read(&pr);
    if (r1 || !all_reachable(&pr)) {
        report(false, "private-unreachable", "setup: shared hypercall %d, device read %s (want P)",
               r1, summary(&pr, true, s, sizeof(s)));
        return;
    }
    int r2 = (int)map_gpa_range(PAGE_C, 1, PRIVATE);
    device_read(&pr);           /* still expecting P: seeing it is the bug */
    report(!r2 && none_reachable(&pr), "private-unreachable",
           "private hypercall %d (want 0); device read %s%s", r2,
           summary(&pr, false, s, sizeof(s)),
           pr.count[SEEN_PATTERN] ? ": P, the stale mapping" : ", not P");
}

/* Every other page of MIXED to private, one hypercall each; the failures. */
static unsigned odd_pages_private(int *first_ret)
{
    unsigned bad = 0;
    for (unsigned i = 1; i < MIXED_PAGES; i += 2) {
        int r = (int)map_gpa_range(MIXED + i * PAGE_SIZE, 1, PRIVATE);
        if (r && !bad++) {
            *first_ret = r;
        }
    }
    return bad;
}

/* functional 3: one hypercall over a range whose pages are in mixed states */
static void test_mixed(void)
{
    char s1[100], s2[100];
    int ret1 = 0, ret2 = 0;

    probe_range(&pr, MIXED, MIXED_PAGES);
    unsigned bad1 = odd_pages_private(&ret1);
    int r1 = (int)map_gpa_range(MIXED, MIXED_PAGES, SHARED);
    fill(&pr);
    device_read(&pr);
    bool ok1 = !bad1 && !r1 && all_reachable(&pr);
    summary(&pr, true, s1, sizeof(s1));

    fill(&pr);                  /* what a stale mapping would show */
    unsigned bad2 = odd_pages_private(&ret2);
    int r2 = (int)map_gpa_range(MIXED, MIXED_PAGES, PRIVATE);
    device_read(&pr);
    bool ok2 = !bad2 && !r2 && none_reachable(&pr);

    report(ok1 && ok2, "mixed",
           "to shared: %u/8 single failed (%d), range %d, %s; to private: %u/8 single failed (%d), range %d, %s",
           bad1, ret1, r1, s1, bad2, ret2, r2, summary(&pr, false, s2, sizeof(s2)));
}

/* functional 4: one range across the two RAM blocks (NUMA nodes) */
static void test_two_blocks(void)
{
    char s1[100], s2[100];

    probe_range(&pr, TWO_BLOCKS, 4);
    fill(&pr);
    int r1 = (int)map_gpa_range(TWO_BLOCKS, 4, PRIVATE);
    device_read(&pr);
    bool ok1 = !r1 && none_reachable(&pr);
    summary(&pr, false, s1, sizeof(s1));

    int r2 = (int)map_gpa_range(TWO_BLOCKS, 4, SHARED);
    fill(&pr);
    device_read(&pr);
    report(ok1 && !r2 && all_reachable(&pr), "two-blocks",
           "to private: hypercall %d, device read %s; to shared: hypercall %d, device read %s",
           r1, s1, r2, summary(&pr, true, s2, sizeof(s2)));
}

/* functional 5: requests QEMU must refuse, without harm to the guest */
static void test_bad_request(void)
{
    int r1 = (int)map_gpa_range(0x1000001, 1, PRIVATE);
    int r2 = (int)map_gpa_range(edu_bar, 1, PRIVATE);

    report(r1 && r2, "bad-request",
           "misaligned 0x01000001 -> %d, MMIO (edu BAR0 0x%08x) -> %d (want non-zero, non-zero)",
           r1, edu_bar, r2);
}

/* limit 1: more than the DMA mappings left: refused, all or nothing */
static void test_limit_refused(void)
{
    char s[100];
    int r = (int)map_gpa_range(LIMIT_START, LIMIT_PAGES, SHARED);

    pr.n = 3;
    pr.page[0] = LIMIT_START;
    pr.page[1] = LIMIT_START + LIMIT_PAGES / 2 * PAGE_SIZE;
    pr.page[2] = LIMIT_START + (LIMIT_PAGES - 1) * PAGE_SIZE;
    device_roundtrip(&pr);      /* private pages: the guest cannot fill them */
    report(r && none_reachable(&pr), "limit-refused",
           "%u-page hypercall %d (want non-zero); device write+read of first/middle/last: %s",
           LIMIT_PAGES, r, summary(&pr, false, s, sizeof(s)));
}

/* limit 2: a small conversion still fits */
static void test_limit_fits(void)
{
    char s[100];
    int r = (int)map_gpa_range(LIMIT_START, LIMIT_FIT_PAGES, SHARED);

    probe_range(&pr, LIMIT_START, LIMIT_FIT_PAGES);
    fill(&pr);
    device_read(&pr);
    report(!r && all_reachable(&pr), "limit-fits", "%u-page hypercall %d (want 0); device read %s",
           LIMIT_FIT_PAGES, r, summary(&pr, true, s, sizeof(s)));
}

/*
 * A line l2-run acts on (samples QEMU, asks its monitor), then a wait of
 * @seconds: "E2E-L2: WAIT NAME SECONDS".
 */
static void mark(const char *what, unsigned seconds)
{
    printk("E2E-L2: WAIT %s %u\n", what, seconds);
    wait_seconds(seconds);
}

/* smp: the AP converts while the BSP makes QEMU rebuild the memory map. */
static volatile struct {
    uint32_t started, go, done;
    uint32_t rounds;            /* shared -> private -> shared, each */
    uint32_t conversions;       /* hypercalls that returned 0 */
    uint32_t fail_ret;          /* the first non-zero return */
    uint32_t private_now;       /* state after the last successful one */
} ap;

static const char *run_mode;

void ap_main(unsigned index)
{
    if (run_mode && streq(run_mode, "soak")) {
        soak_ap(index);
        return;
    }
    if (run_mode && streq(run_mode, "hostile")) {
        hostile_ap(index);
        return;
    }
    if (index) {
        return;                 /* the smp test runs one AP */
    }
    ap.started = 1;
    /* Start with the BSP's remapping going. No RTC here: the BSP owns it. */
    for (uint32_t spins = 0; !ap.go; spins++) {
        if (spins > 500000000u) {
            ap.fail_ret = 0xdead0001u;  /* never told to go */
            ap.done = 1;
            return;
        }
        cpu_relax();
    }
    for (uint32_t i = 0; i < 2 * ap.rounds; i++) {
        bool to_private = !(i & 1);
        uint32_t r = map_gpa_range(SMP_RANGE, SMP_PAGES, to_private);
        if (r) {
            ap.fail_ret = r;
            break;
        }
        ap.conversions++;
        ap.private_now = to_private;
    }
    ap.done = 1;
}

#define MCH_SMRAM 0x9d
#define SMRAM_D_OPEN 0x40

static void test_smp(unsigned rounds, unsigned timeout_s)
{
    const char *name = "smp-convert-while-remapping";
    uint8_t pam[7], smram = pci_read8(MCH, MCH_SMRAM);
    unsigned changes = 0, loops = 0;
    struct watchdog wd;
    char s[100];

    pam_save(pam);
    printk("E2E-L2: INFO smp: PAM1-6 %02x %02x %02x %02x %02x %02x, SMRAM %02x, %u rounds\n",
           pam[1], pam[2], pam[3], pam[4], pam[5], pam[6], smram, rounds);
    ap.rounds = rounds;
    if (!ap_boot()) {
        report(false, name, "APIC: IPI not delivered (timeout)");
        return;
    }
    wd_start(&wd, 5);
    while (!ap.started) {
        if (wd_expired(&wd)) {
            report(false, name, "AP start: timeout after 5 s");
            return;
        }
    }
    /* Each write makes QEMU rebuild the memory map (and KVM's slots). */
    wd_start(&wd, timeout_s);
    bool timeout = false;
    do {
        pam_set_all(loops & 1 ? 0x11 : 0x33);
        changes += 6;
        pci_write8(MCH, MCH_SMRAM, loops & 1 ? smram : smram ^ SMRAM_D_OPEN);
        changes++;
        loops++;
        ap.go = 1;
        timeout = wd_expired(&wd);
    } while (!ap.done && !timeout);
    pam_restore(pam);
    pci_write8(MCH, MCH_SMRAM, smram);

    if (!ap.done) {
        report(false, name, "AP: timeout after %u s, %u/%u conversions; BSP: %u topology changes",
               timeout_s, ap.conversions, 2 * rounds, changes);
        return;
    }
    /* The range must be as the AP left it. */
    probe_range(&pr, SMP_RANGE, SMP_PAGES);
    bool priv = ap.private_now, state_ok;
    if (priv) {
        device_roundtrip(&pr);
        state_ok = none_reachable(&pr);
    } else {
        fill(&pr);
        device_read(&pr);
        state_ok = all_reachable(&pr);
    }
    char why[40] = "";
    if (ap.fail_ret) {
        format(why, sizeof(why), ", then one returned %d", (int)ap.fail_ret);
    }
    report(!ap.fail_ret && ap.conversions == 2 * rounds && state_ok, name,
           "AP: %u/%u conversions returned 0%s; BSP: %u topology changes; range left %s, device read %s",
           ap.conversions, 2 * rounds, why, changes, priv ? "private" : "shared",
           summary(&pr, !priv, s, sizeof(s)));
}

/*
 * refused-section: a RamDiscardManager section that VFIO cannot map when
 * it appears at run time (q35's PAM re-adds RAM below 1 MiB while the
 * legacy container is full) refuses every conversion to shared into it,
 * until guest memory was unmapped and another memory transaction maps it.
 *
 * The ROM area [0xC0000, 0xE0000) (PAM1-PAM4, 16 KiB segments) is set to
 * PCI first, where pc.rom shows, and pc.rom is made private, so that it
 * takes no DMA mappings whatever PAM says.  SEG is then one section of
 * node 0's RAM when its PAM nibble says RAM (its neighbours show pc.rom),
 * and none when it says PCI.  The container's room is what the first run
 * finds (fill=0: calibrate, share until a 1-page conversion fails); the
 * second run shares exactly that many pages (fill=N) and so refuses no
 * conversion before SEG re-appears: QEMU's report of the refused section
 * is the container's first (one a minute).
 */
#define ROM_AREA 0xc0000u
#define ROM_AREA_PAGES 32u
#define SEG 0xd0000u            /* PAM3, low nibble */
#define SEG_PAGES 4u
#define SEG_SHARED 2u           /* shared in section-shared: the section's mappings */
#define FAR_SEG 0xd8000u        /* PAM4, low nibble: another transaction (not
                                   0xC0000: kvmvapic's ROM alias covers its start) */
#define PAM_PCI 0x0
#define PAM_RAM 0x3
#define FILL_START LIMIT_START  /* private from the start, as in mode limit */
#define FILL_PAGES LIMIT_PAGES
#define FILL_FREED 8u           /* made private in section-removed */
#define RETRY_FREED 16u         /* made private before the retry */

/* The PAM nibble of the 16 KiB segment at @seg (0xC0000-0xEFFFF). */
static void pam_set(uint32_t seg, uint8_t attr)
{
    unsigned idx = (seg - 0xc0000u) / 0x4000u;
    unsigned reg = MCH_PAM0 + 1 + idx / 2, shift = idx & 1 ? 4 : 0;
    uint8_t v = pci_read8(MCH, reg);

    pci_write8(MCH, reg, (uint8_t)((v & ~(0xfu << shift)) | (unsigned)attr << shift));
}

/* Share @n pages from *next on, at most @chunk a hypercall; returns the first failure. */
static int share_pages(uint32_t *next, unsigned n, unsigned chunk, unsigned *calls)
{
    while (n) {
        unsigned c = n < chunk ? n : chunk;
        int r = (int)map_gpa_range(*next, c, SHARED);

        (*calls)++;
        if (r) {
            return r;
        }
        *next += c * PAGE_SIZE;
        n -= c;
    }
    return 0;
}

static void test_refused_section(unsigned room, bool debug, unsigned refused_wait)
{
    static struct probe seg_shared, seg_page;
    uint32_t next = FILL_START;
    unsigned calls = 0, filled = 0;
    char s1[100], s2[100];
    int r1, r2, r3;

    printk("E2E-L2: INFO refused-section: PAM1-4 %02x %02x %02x %02x, %s\n",
           pci_read8(MCH, MCH_PAM0 + 1), pci_read8(MCH, MCH_PAM0 + 2),
           pci_read8(MCH, MCH_PAM0 + 3), pci_read8(MCH, MCH_PAM0 + 4),
           room ? "fill given" : "calibrating");
    for (unsigned k = 1; k <= 4; k++) {
        pci_write8(MCH, MCH_PAM0 + k, 0x00);
    }
    r1 = (int)map_gpa_range(ROM_AREA, ROM_AREA_PAGES, PRIVATE);
    pam_set(SEG, PAM_RAM);
    if (r1) {
        report(false, "section-shared", "setup: pc.rom [0x%05x, +%u pages) to private -> %d (want 0)",
               ROM_AREA, ROM_AREA_PAGES, r1);
        return;
    }
    if (debug) {
        mark("mtree", 3);
    }

    /* (a) the segment's pages private, then SEG_SHARED of them shared */
    probe_range(&seg_page, SEG, SEG_PAGES);
    r1 = (int)map_gpa_range(SEG, SEG_PAGES, PRIVATE);
    device_roundtrip(&seg_page);
    bool ok1 = !r1 && none_reachable(&seg_page);
    summary(&seg_page, false, s1, sizeof(s1));
    r2 = (int)map_gpa_range(SEG, SEG_SHARED, SHARED);
    probe_range(&seg_shared, SEG, SEG_SHARED);
    fill(&seg_shared);
    device_read(&seg_shared);
    report(ok1 && !r2 && all_reachable(&seg_shared), "section-shared",
           "PAM 0x%05x RAM: %u pages to private -> %d, device write+read %s; %u to shared -> %d, device read %s",
           SEG, SEG_PAGES, r1, s1, SEG_SHARED, r2, summary(&seg_shared, true, s2, sizeof(s2)));

    /* (b) the container full */
    if (!room) {
        int refused = 0;
        for (unsigned c = 1024; c && !refused; c /= 2) {
            while (filled + c <= FILL_PAGES - FILL_FREED - RETRY_FREED - SEG_SHARED) {
                int r = (int)map_gpa_range(next, c, SHARED);
                calls++;
                if (r) {
                    refused = c == 1 ? r : 0;
                    break;
                }
                next += c * PAGE_SIZE;
                filled += c;
            }
        }
        report(refused != 0, "section-fill",
               "calibration: the container took %u pages (%u hypercalls), then a 1-page one returned %d (want non-zero)",
               filled, calls, refused);
        printk("E2E-L2: INFO refused-section fill=%u\n", filled);
        return;
    }
    if (room < FILL_FREED + RETRY_FREED) {
        report(false, "section-fill", "fill=%u: the steps after it free pages of the fill, want >= %u",
               room, FILL_FREED + RETRY_FREED);
        return;
    }
    r1 = share_pages(&next, room, 1024, &calls);
    report(!r1, "section-fill", "%u pages (the calibration's) shared in %u hypercalls -> %d (want 0): the container is full",
           room, calls, r1);

    /* (c) entries freed, the section removed, the container filled again */
    r1 = (int)map_gpa_range(FILL_START, FILL_FREED, PRIVATE);
    pam_set(SEG, PAM_PCI);
    calls = 0;
    r2 = share_pages(&next, FILL_FREED + SEG_SHARED, 1, &calls);
    report(!r1 && !r2, "section-removed",
           "%u pages to private -> %d; PAM 0x%05x PCI (its %u mappings freed); %u 1-page shares -> %d (want 0, 0): full again",
           FILL_FREED, r1, SEG, SEG_SHARED, FILL_FREED + SEG_SHARED, r2);

    /* (d) the section re-appears: it cannot be mapped, nothing shares there */
    pam_set(SEG, PAM_RAM);
    device_read(&seg_shared);   /* their patterns of (a): the state says shared */
    bool ok4 = none_reachable(&seg_shared);
    summary(&seg_shared, false, s1, sizeof(s1));
    if (debug) {
        mark("mtree", 3);
    }
    if (refused_wait) {
        mark("refused-wait", refused_wait);
    }
    probe_range(&seg_page, SEG + SEG_SHARED * PAGE_SIZE, 1);
    r3 = (int)map_gpa_range(seg_page.page[0], 1, SHARED);
    device_roundtrip(&seg_page);
    report(ok4 && r3 && none_reachable(&seg_page), "section-refused",
           "PAM 0x%05x RAM again: its %u shared pages, device read %s; 0x%08x to shared -> %d (want non-zero), device write+read %s",
           SEG, SEG_SHARED, s1, seg_page.page[0], r3, summary(&seg_page, false, s2, sizeof(s2)));

    /* (e) mappings freed, another memory transaction: (f) the section is mapped */
    r1 = (int)map_gpa_range(FILL_START + FILL_FREED * PAGE_SIZE, RETRY_FREED, PRIVATE);
    pam_set(FAR_SEG, PAM_RAM);
    device_read(&seg_shared);
    bool ok6 = all_reachable(&seg_shared);
    summary(&seg_shared, true, s1, sizeof(s1));
    r2 = (int)map_gpa_range(seg_page.page[0], 1, SHARED);
    fill(&seg_page);
    device_read(&seg_page);
    report(!r1 && ok6 && !r2 && all_reachable(&seg_page), "section-retried",
           "%u pages to private -> %d, PAM 0x%05x RAM; the %u shared pages of 0x%05x, device read %s; 0x%08x to shared -> %d (want 0), device read %s",
           RETRY_FREED, r1, FAR_SEG, SEG_SHARED, SEG, s1, seg_page.page[0], r2,
           summary(&seg_page, true, s2, sizeof(s2)));
}

/* The command line: QEMU passes "KERNEL-PATH ARGS"; we look for key=value words. */
static char cmdline[256];
static char *argv[16];
static unsigned argc;

static void parse_cmdline(uint32_t magic, const struct multiboot_info *mbi)
{
    if (magic != MB_LOADER_MAGIC || !(mbi->flags & MB_INFO_CMDLINE)) {
        return;
    }
    const char *s = (const char *)mbi->cmdline;
    for (unsigned i = 0; i < sizeof(cmdline) - 1 && s[i]; i++) {
        cmdline[i] = s[i];
    }
    for (char *c = cmdline; *c && argc < 16;) {
        while (*c == ' ') {
            *c++ = 0;
        }
        if (*c) {
            argv[argc++] = c;
        }
        while (*c && *c != ' ') {
            c++;
        }
    }
}

/* The value of the last "key=value" word for @key (later words win). */
const char *arg_value(const char *key)
{
    for (unsigned i = argc; i-- > 0;) {
        const char *a = argv[i], *k = key;
        while (*k && *a == *k) {
            a++, k++;
        }
        if (!*k && *a == '=') {
            return a + 1;
        }
    }
    return NULL;
}

bool arg_flag(const char *name)
{
    for (unsigned i = 0; i < argc; i++) {
        if (streq(argv[i], name)) {
            return true;
        }
    }
    return false;
}

unsigned arg_number(const char *key, unsigned dflt)
{
    const char *v = arg_value(key);
    unsigned n = 0;

    if (!v || !*v) {
        return dflt;
    }
    for (; *v >= '0' && *v <= '9'; v++) {
        n = n * 10 + (unsigned)(*v - '0');
    }
    return *v ? dflt : n;
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    idt_init();
    parse_cmdline(magic, mbi);      /* first: the loader's data is not ours */
    if (magic != MB_LOADER_MAGIC) {
        die("boot", "not started by a Multiboot loader");
    }
    const char *mode = arg_value("mode");
    run_mode = mode;
    hc_disabled = arg_flag("nohc");
    for (unsigned i = 0; i < MAX_PAGES * SLOT / 4; i++) {
        ((uint32_t *)SENTINEL_PAGE)[i] = SENTINEL;
    }
    if (mode && streq(mode, "idle")) {
        /* For device hot-plug: no device yet, nothing to test; wait. */
        printk("E2E-L2: INFO mode=idle\n");
        for (;;) {
            asm volatile("cli; hlt");
        }
    }
    if (mode && streq(mode, "soak")) {
        soak_main();            /* its own devices, its own end */
    }
    if (mode && streq(mode, "hostile")) {
        hostile_main();
    }
    if (!edu_find()) {
        die("edu", "no 1234:11e8 with an assigned 32-bit memory BAR0 on bus 0");
    }
    uint32_t id = mmio_read32(edu_bar);
    printk("E2E-L2: INFO mode=%s edu 00:%02x.%u BAR0 0x%08x id 0x%08x hypercall %s\n",
           mode ? mode : "(none)", edu_bdf >> 3, edu_bdf & 7, edu_bar, id,
           hc_disabled ? "off (nohc)" : "vmmcall");
    if (id != 0x010000edu) {
        die("edu", "BAR0 does not read as edu (want id 0x010000ed)");
    }

    if (mode && streq(mode, "functional")) {
        test_shared_dma();
        test_private_unreachable();
        test_mixed();
        test_two_blocks();
        test_bad_request();
    } else if (mode && streq(mode, "limit")) {
        mark("rss-before", 2);  /* l2-run samples QEMU's RSS */
        test_limit_refused();
        mark("rss-after", 2);
        test_limit_fits();
        finish_terminate();
    } else if (mode && streq(mode, "refused-section")) {
        test_refused_section(arg_number("fill", 0), arg_flag("debug"),
                             arg_number("refusedwait", 0));
    } else if (mode && streq(mode, "smp")) {
        test_smp(arg_number("n", 200), arg_number("timeout", 300));
    } else if (mode && streq(mode, "stale-demo")) {
        test_private_unreachable();
    } else {
        report(false, "mode", "want mode=functional|limit|refused-section|smp|stale-demo|idle on the command line");
    }
    finish();
}
