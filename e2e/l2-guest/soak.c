/*
 * soak.c: the soak and hostile modes of the L2 test guest.
 *
 * soak: two APs convert random ranges of the soak area [start, end) while
 * the BSP has every edu device (one behind a legacy container, one behind
 * iommufd: two listeners of the same conversions) read random pages of it,
 * and toggles q35's PAM now and then (memory slots re-created under the
 * conversions).  The guest keeps its own record of each page: shared with
 * the generation of the pattern last written there, or private.  A probe
 * checks the invariant:
 *   - a shared page is reachable, with the guest's pattern ("unreachable"
 *     otherwise);
 *   - a private page never shows a pattern of that page ("stale": the
 *     device read old contents through a mapping that should be gone).
 *
 * Conversions of the two APs may overlap.  Each page has a word: the
 * number of conversions in flight on it (bits 0-7), "unknown" (bit 8:
 * two conversions overlapped there, so which came last is not known) and
 * a version (bits 9-31) that every conversion bumps as it begins.  A probe
 * counts only if the word was the same before and after its DMA, with no
 * conversion in flight and the state known; otherwise it is "skipped".  A
 * conversion that begins on a page nobody converts clears "unknown" again.
 * At the end the BSP converts what is unknown, alone, and sweeps the area
 * with every device; the record is printed as runs for l2-run to compare
 * with QEMU's own view (x-query-ram-block-attributes).
 *
 * hostile: every vCPU sends conversion requests no valid guest sends,
 * many times over, then the BSP checks that each failed and that the pages
 * it set up before (some shared, some private) are as they were.
 */
#include "guest.h"

#define SENTINEL_PAGE (2 * MiB)
#define SENTINEL 0x5e5e5e5eu
#define CHECK_BASE (2 * MiB + 16 * PAGE_SIZE)   /* one page per device */
#define WORDS_BASE (3 * MiB)                    /* the per-page words */
#define RECORD_BASE (3 * MiB + 512 * 1024)      /* the per-page records */
#define AREA_MIN (4 * MiB)
#define AREA_MAX (124 * MiB)
#define MAX_AREA_PAGES ((AREA_MAX - AREA_MIN) / PAGE_SIZE)
#define NODE1 (64 * MiB)
#define SLOT 64u
/* Slots of edu's buffer a batch uses: QEMU 7.2's edu aborts (hw_error) on a
   transfer of the whole 4 KiB buffer, an off-by-one of its range check. */
#define SLOTS (EDU_BUF_SIZE / SLOT - 1)

#define W_BUSY 0xffu
#define W_UNKNOWN 0x100u
#define W_VERSION 0x200u
#define R_SHARED 0x80000000u
#define R_GEN 0x7fffffffu

#define KVM_EINVAL 22u

static volatile uint32_t *const words = (volatile uint32_t *)WORDS_BASE;
static volatile uint32_t *const record = (volatile uint32_t *)RECORD_BASE;

static struct edu devs[EDU_MAX];
static unsigned ndevs;

/* What the APs and the BSP share. */
static volatile struct {
    uint32_t area, pages, max_pages;    /* the soak area, the longest range */
    uint32_t overlap;                   /* percent moved into the other AP's range */
    uint32_t seed;
    uint32_t ap_pause;                  /* port 0x80 writes after each conversion */
    uint32_t ap_spin;                   /* then empty loops (thousands) */
    uint32_t go, stop;
    uint32_t running;                   /* APs in their loop */
    uint32_t generation;                /* patterns written (atomic) */
    struct {
        uint32_t conversions, refused, pages, spanning, overlapping;
        uint32_t first_fail;
        uint32_t last_start, last_len;
        uint32_t done;
    } ap[2];
} soak;

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static uint32_t page_addr(uint32_t idx)
{
    return soak.area + idx * PAGE_SIZE;
}

/* A conversion of pages [first, first + n) begins: the pages' words. */
static void convert_begin(uint32_t first, uint32_t n, uint32_t *was_unknown)
{
    *was_unknown = 0;
    for (uint32_t i = first; i < first + n; i++) {
        uint32_t old = words[i], new;
        do {
            new = old + 1 + W_VERSION;
            if (old & W_BUSY) {
                new |= W_UNKNOWN;       /* overlaps one in flight */
            } else {
                if (old & W_UNKNOWN) {
                    (*was_unknown)++;
                }
                new &= ~W_UNKNOWN;      /* alone: its outcome is known */
            }
        } while (!__atomic_compare_exchange_n(&words[i], &old, new, false,
                                              __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    }
}

/*
 * The conversion ended: @ok, to @to_private.  The record first, then the
 * words: a probe that sees the word idle sees the record too (x86 keeps
 * stores in order; the locked operation is a full barrier).
 */
static void convert_end(uint32_t first, uint32_t n, bool ok, bool to_private,
                        bool restore_unknown)
{
    for (uint32_t i = first; i < first + n; i++) {
        if (ok) {
            if (to_private) {
                record[i] &= ~R_SHARED;
            } else {
                uint32_t gen = __atomic_add_fetch(&soak.generation, 1, __ATOMIC_RELAXED) & R_GEN;
                volatile uint32_t *w = (volatile uint32_t *)page_addr(i);
                for (unsigned k = 0; k < SLOT / 4; k++) {
                    w[k] = pattern_word(page_addr(i), gen, k);
                }
                record[i] = R_SHARED | gen;
            }
        } else if (restore_unknown) {
            /* refused: nothing changed, and what was unknown still is */
            __atomic_or_fetch(&words[i], W_UNKNOWN, __ATOMIC_SEQ_CST);
        }
        __atomic_sub_fetch(&words[i], 1, __ATOMIC_SEQ_CST);
    }
}

/* Start the APs; die unless @want of them report in *@running within 5 s. */
static void start_aps(volatile uint32_t *running, uint32_t want, const char *mode)
{
    struct watchdog wd;

    if (!ap_boot()) {
        die(mode, "APIC: IPI not delivered (timeout)");
    }
    wd_start(&wd, 5);
    while (*running < want) {
        if (wd_expired(&wd)) {
            die(mode, "fewer APs than it needs started within 5 s (-smp too small?)");
        }
    }
}

/* One conversion by AP @me: a range drawn as the issue says. */
static void soak_convert(unsigned me, uint32_t *rnd)
{
    uint32_t r = xorshift(rnd), len, first, pages = soak.pages;
    unsigned other = me ^ 1;

    switch (r % 20) {
    case 0 ... 9:  len = 1 + xorshift(rnd) % 8; break;
    case 10 ... 16: len = 1 + xorshift(rnd) % 256; break;
    default: len = 1 + xorshift(rnd) % soak.max_pages; break;
    }
    if (len > pages) {
        len = pages;
    }
    first = xorshift(rnd) % (pages - len + 1);
    uint32_t boundary = (NODE1 - soak.area) / PAGE_SIZE;
    uint32_t where = (r >> 8) % 100;
    switch (where < soak.overlap ? 1 : where < soak.overlap + 10 ? 0 : 2) {
    case 0:                     /* across the two RAM blocks */
        if (len > 1 && boundary > 0 && boundary < pages) {
            uint32_t k = 1 + xorshift(rnd) % (len - 1);
            if (k <= boundary && boundary - k + len <= pages) {
                first = boundary - k;
                soak.ap[me].spanning++;
            }
        }
        break;
    case 1: {                   /* into the other AP's last range */
        uint32_t os = soak.ap[other].last_start, ol = soak.ap[other].last_len;
        if (ol) {
            uint32_t f = os + xorshift(rnd) % ol;
            f = f > len / 2 ? f - len / 2 : 0;
            if (f + len <= pages) {
                first = f;
                soak.ap[me].overlapping++;
            }
        }
        break;
    }
    }
    bool to_private = (r >> 16) & 1;
    uint32_t was_unknown;

    soak.ap[me].last_start = first;
    soak.ap[me].last_len = len;
    convert_begin(first, len, &was_unknown);
    uint32_t ret = map_gpa_range(page_addr(first), len, to_private);
    convert_end(first, len, ret == 0, to_private, was_unknown != 0);
    if (ret) {
        soak.ap[me].refused++;
        if (!soak.ap[me].first_fail) {
            soak.ap[me].first_fail = ret;
        }
    } else {
        soak.ap[me].conversions++;
        soak.ap[me].pages += len;
    }
}

void soak_ap(unsigned index)
{
    if (index > 1) {
        return;
    }
    uint32_t rnd = soak.seed * 2654435761u + index * 40503u + 1;
    __atomic_add_fetch(&soak.running, 1, __ATOMIC_SEQ_CST);
    for (uint32_t spins = 0; !soak.go; spins++) {
        if (spins > 500000000u) {
            soak.ap[index].first_fail = 0xdead0001u;
            soak.ap[index].done = 1;
            return;
        }
        cpu_relax();
    }
    while (!soak.stop) {
        soak_convert(index, &rnd);
        io_delay(soak.ap_pause);
        /* a pause without an exit: no PAUSE (intercepted), no port */
        for (uint32_t k = 0; k < soak.ap_spin; k++) {
            asm volatile("" ::: "memory");
        }
    }
    soak.ap[index].done = 1;
}

/* The probe counts, per device. */
struct counts {
    uint32_t probes, stale, unreachable, skipped, timeouts;
    uint32_t shared, private;
    uint32_t first_bad_page, first_bad_dev, first_bad_w0, first_bad_w1;
    bool first_bad_stale;
};

static bool is_pattern_of(const uint32_t *s, uint32_t page)
{
    return s[0] == page && (s[1] >> 24) == 0xa5u;
}

static bool is_pattern(const uint32_t *s, uint32_t page, uint32_t gen)
{
    for (unsigned k = 0; k < SLOT / 4; k++) {
        if (s[k] != pattern_word(page, gen, k)) {
            return false;
        }
    }
    return true;
}

static void bad(struct counts *c, bool stale, uint32_t page, unsigned dev, const uint32_t *s)
{
    if (stale) {
        c->stale++;
    } else {
        c->unreachable++;
    }
    if (c->stale + c->unreachable == 1) {
        c->first_bad_page = page;
        c->first_bad_dev = dev;
        c->first_bad_w0 = s[0];
        c->first_bad_w1 = s[1];
        c->first_bad_stale = stale;
    }
}

/*
 * A batch: up to @n pages (indexes @idx) read by every device at once,
 * each page into its slot, then each buffer to the device's check page.
 * A page counts where its word stayed the same, idle and known, across
 * the DMA that read it (a conversion in between makes it "skipped").
 */
static bool saw[EDU_MAX][SLOTS];      /* the last batch: device d read page i's pattern */

static bool probe_batch(const uint32_t *idx, unsigned n, struct counts *c)
{
    static uint32_t w1[EDU_MAX][SLOTS], rec[EDU_MAX][SLOTS];
    static bool valid[EDU_MAX][SLOTS];
    bool ok = true;

    for (unsigned d = 0; d < ndevs; d++) {
        edu_dma_start(&devs[d], SENTINEL_PAGE, EDU_BUF, n * SLOT, false);
    }
    for (unsigned d = 0; d < ndevs; d++) {
        ok = edu_dma_wait(&devs[d]) && ok;
    }
    for (unsigned i = 0; i < n && ok; i++) {
        uint32_t page = page_addr(idx[i]);
        for (unsigned d = 0; d < ndevs; d++) {
            w1[d][i] = words[idx[i]];
            rec[d][i] = record[idx[i]];
            edu_dma_start(&devs[d], page, EDU_BUF + i * SLOT, SLOT, false);
        }
        for (unsigned d = 0; d < ndevs; d++) {
            ok = edu_dma_wait(&devs[d]) && ok;
            uint32_t w2 = words[idx[i]];
            valid[d][i] = w2 == w1[d][i] && !(w2 & (W_BUSY | W_UNKNOWN)) &&
                          record[idx[i]] == rec[d][i];
        }
    }
    for (unsigned d = 0; d < ndevs && ok; d++) {
        memset((void *)(CHECK_BASE + d * PAGE_SIZE), 0xcc, n * SLOT);
        edu_dma_start(&devs[d], EDU_BUF, CHECK_BASE + d * PAGE_SIZE, n * SLOT, true);
    }
    for (unsigned d = 0; d < ndevs && ok; d++) {
        ok = edu_dma_wait(&devs[d]) && ok;
    }
    if (!ok) {
        c->timeouts++;
        return false;
    }
    for (unsigned d = 0; d < ndevs; d++) {
        for (unsigned i = 0; i < n; i++) {
            const uint32_t *s = (const uint32_t *)(CHECK_BASE + d * PAGE_SIZE + i * SLOT);
            uint32_t page = page_addr(idx[i]);
            saw[d][i] = (rec[d][i] & R_SHARED) && is_pattern(s, page, rec[d][i] & R_GEN);
            if (!valid[d][i]) {
                c[d].skipped++;
                continue;
            }
            c[d].probes++;
            if (rec[d][i] & R_SHARED) {
                c[d].shared++;
                if (!is_pattern(s, page, rec[d][i] & R_GEN)) {
                    bad(&c[d], false, page, d, s);
                }
            } else {
                c[d].private++;
                if (is_pattern_of(s, page)) {
                    bad(&c[d], true, page, d, s);
                }
            }
        }
    }
    return true;
}

/*
 * Pages @idx (@n), left unknown, nobody converting: a fresh pattern in
 * each, then every device reads them.  The record says shared where all
 * devices read the pattern, private where none did; *@disagree counts
 * the pages some devices read and others not.  Returns how many shared.
 */
static uint32_t resolve_unknown(const uint32_t *idx, unsigned n, uint32_t *disagree)
{
    struct counts scratch[EDU_MAX];
    uint32_t shared = 0;

    for (unsigned i = 0; i < n; i++) {
        uint32_t page = page_addr(idx[i]);
        uint32_t gen = __atomic_add_fetch(&soak.generation, 1, __ATOMIC_RELAXED) & R_GEN;
        volatile uint32_t *w = (volatile uint32_t *)page;
        for (unsigned k = 0; k < SLOT / 4; k++) {
            w[k] = pattern_word(page, gen, k);
        }
        record[idx[i]] = R_SHARED | gen;
        words[idx[i]] &= ~W_UNKNOWN;
    }
    memset(scratch, 0, sizeof(scratch));
    if (!probe_batch(idx, n, scratch)) {
        (*disagree) += n;       /* a timeout: nothing known */
        return 0;
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned seen = 0;
        for (unsigned d = 0; d < ndevs; d++) {
            seen += saw[d][i];
        }
        if (seen && seen != ndevs) {
            (*disagree)++;
        }
        if (seen == ndevs) {
            shared++;
        } else {
            record[idx[i]] = 0;
        }
    }
    return shared;
}

/* probes= counts per device: the fewest any device made */
static uint32_t fewest_probes(const struct counts *c)
{
    uint32_t fewest = ndevs ? c[0].probes : 0;

    for (unsigned d = 1; d < ndevs; d++) {
        fewest = c[d].probes < fewest ? c[d].probes : fewest;
    }
    return fewest;
}


static void report_counts(const char *test, const struct counts *c, bool extra_ok,
                          const char *extra)
{
    for (unsigned d = 0; d < ndevs; d++) {
        char first[80] = "";
        if (c[d].stale + c[d].unreachable) {
            format(first, sizeof(first), "; first: 0x%08x %s (%08x %08x)",
                   c[d].first_bad_page, c[d].first_bad_stale ? "stale" : "unreachable",
                   c[d].first_bad_w0, c[d].first_bad_w1);
        }
        report(extra_ok && c[d].probes && !c[d].stale && !c[d].unreachable && !c[d].timeouts,
               test, "device %u (00:%02x.%u): %u probes (%u shared, %u private), %u stale, %u unreachable, %u skipped, %u timeouts%s%s",
               d, devs[d].bdf >> 3, devs[d].bdf & 7, c[d].probes, c[d].shared, c[d].private,
               c[d].stale, c[d].unreachable, c[d].skipped, c[d].timeouts, first, extra);
    }
}

/* The record as runs of shared pages: "E2E-L2: RUNS ..." lines, then the count. */
static void print_record(void)
{
    uint32_t runs = 0, shared = 0;
    char line[300];
    unsigned len = 0;

    for (uint32_t i = 0; i < soak.pages;) {
        if (!(record[i] & R_SHARED)) {
            i++;
            continue;
        }
        uint32_t j = i;
        while (j < soak.pages && (record[j] & R_SHARED)) {
            j++;
        }
        len += format(line + len, sizeof(line) - len, " %x+%x", page_addr(i), (j - i) * PAGE_SIZE);
        runs++;
        shared += j - i;
        if (len > sizeof(line) - 24) {
            printk("E2E-L2: RUNS%s\n", line);
            len = 0;
        }
        i = j;
    }
    if (len) {
        printk("E2E-L2: RUNS%s\n", line);
    }
    printk("E2E-L2: RECORD area 0x%x+0x%x: %u shared pages in %u runs, %u private\n",
           soak.area, soak.pages * PAGE_SIZE, shared, runs, soak.pages - shared);
}

/* The soak's summary for l2-run: @c the soak's probes, @cs the sweep's (or NULL). */
static void print_soak_line(const struct counts *c, const struct counts *cs,
                            uint32_t conversions, uint32_t refused, const char *what)
{
    uint32_t total_probes = 0, stale = 0, unreach = 0;

    for (unsigned d = 0; d < ndevs; d++) {
        total_probes += c[d].probes + (cs ? cs[d].probes : 0);
        stale += c[d].stale + (cs ? cs[d].stale : 0);
        unreach += c[d].unreachable + (cs ? cs[d].unreachable : 0);
    }
    printk("E2E-L2: SOAK %u conversions, %u probes, %u stale, %u unreachable, %u refused, %u devices%s\n",
           conversions, total_probes, stale, unreach, refused, ndevs, what);
}

/*
 * settle (the soak at a small dma_entry_limit): the way back from a full
 * container.  A section that VFIO could not map when it appeared (a PAM
 * change while the container was full) holds shared pages that nothing
 * maps until VFIO retries it, at the end of a memory transaction after
 * guest memory was unmapped.  l2-run keeps QEMU's view of the soak's end
 * first ("WAIT view"); then the area goes back to private, as it was at
 * the baseline sample, and two PAM changes make VFIO retry.  l2-run's
 * final sample then wants the baseline's pinned pages again: a section
 * left unmapped would show as shared pages that are not pinned.
 */
static void settle(const uint8_t *pam)
{
    printk("E2E-L2: WAIT view 10\n");
    wait_seconds(10);
    printk("E2E-L2: INFO soak: settling\n");
    uint32_t r = map_gpa_range(soak.area, soak.pages, true);
    report(!r, "soak-settle", "the area back to private -> %d (want 0)", (int)r);
    pam_set_all(pam[1] == 0x33 ? 0x11 : 0x33);
    pam_restore(pam);
    printk("E2E-L2: INFO soak: settled: the area private, PAM changed and restored\n");
}

/*
 * The results are in; l2-run now asks QEMU (its view against the record,
 * its memory) and quits it.  Should it not, the guest leaves after 10
 * minutes with a failure.
 */
__attribute__((noreturn)) static void hold_for_l2run(void)
{
    print_done();
    printk("E2E-L2: WAIT final 600\n");
    wait_seconds(600);
    die("final", "l2-run did not end the VM");
}

void soak_main(void)
{
    uint32_t conversions = arg_number("conversions", 1000);

    hold_on_fault = true;
    uint32_t probes = arg_number("probes", 1000);  /* by each device */
    uint32_t seconds = arg_number("seconds", 600);
    uint32_t sweep = arg_number("sweep", 1);    /* every Nth page in the sweep */
    uint32_t pam_every = arg_number("pam", 8);  /* PAM toggled every N batches, 0: never */
    uint32_t sample_every = arg_number("sample", 10);  /* a WAIT sample every N s */
    uint32_t batch = arg_number("batch", 16);
    struct counts c[EDU_MAX], cs[EDU_MAX];
    struct watchdog wd;

    soak.area = arg_number("start", AREA_MIN / MiB) * MiB;
    uint32_t end = arg_number("end", 120) * MiB;
    soak.seed = arg_number("seed", 1);
    soak.max_pages = arg_number("maxpages", 2048);
    soak.ap_pause = arg_number("appause", 0);   /* nohc under TCG: conversions are free */
    soak.ap_spin = arg_number("apspin", 0) * 1000;
    soak.overlap = arg_number("overlap", 10);
    if (soak.overlap > 90) {
        soak.overlap = 90;
    }
    if (soak.area < AREA_MIN || end > AREA_MAX || end <= soak.area || batch == 0 ||
        batch > SLOTS || soak.max_pages == 0 || sweep == 0) {
        die("soak", "bad start=/end=/batch=/maxpages=/sweep= (the area must lie in [4, 124) MiB)");
    }
    soak.pages = (end - soak.area) / PAGE_SIZE;
    for (unsigned i = 0; i < PAGE_SIZE / 4; i++) {
        ((uint32_t *)SENTINEL_PAGE)[i] = SENTINEL;  /* a whole buffer's worth */
    }
    ndevs = edu_find_all(devs, EDU_MAX);
    printk("E2E-L2: INFO mode=soak seed=%u area 0x%x+0x%x (%u pages), %u edu device(s), want %u conversions, %u probes by each device, at most %u s\n",
           soak.seed, soak.area, soak.pages * PAGE_SIZE, soak.pages, ndevs, conversions,
           probes, seconds);
    if (ndevs < 1 && probes) {
        die("soak", "no edu device");
    }
    for (unsigned d = 0; d < ndevs; d++) {
        printk("E2E-L2: INFO soak device %u: 00:%02x.%u BAR0 0x%08x\n", d,
               devs[d].bdf >> 3, devs[d].bdf & 7, devs[d].bar);
    }

    /* The area starts private (nothing mapped), the record says so. */
    uint32_t r = map_gpa_range(soak.area, soak.pages, true);
    if (r) {
        report(false, "soak-setup", "the area to private -> %d (want 0)", (int)r);
        finish();
    }
    for (uint32_t i = 0; i < soak.pages; i++) {
        words[i] = 0;
        record[i] = 0;
    }
    memset(c, 0, sizeof(c));
    printk("E2E-L2: INFO soak: the area is private; starting the APs\n");
    /* l2-run's baseline sample: nothing in flight, the area private */
    printk("E2E-L2: WAIT baseline 2\n");
    wait_seconds(2);

    start_aps(&soak.running, 2, "soak");
    uint8_t pam[7];
    pam_save(pam);
    uint32_t rnd = soak.seed * 747796405u + 2891336453u, batches = 0, pam_changes = 0;
    uint32_t idx[SLOTS], last_sample = 0, elapsed = 0;
    bool timeout = false;
    struct watchdog total;

    wd_start(&total, seconds);
    soak.go = 1;
    printk("E2E-L2: INFO soak: started\n");
    for (;;) {
        uint32_t done = soak.ap[0].conversions + soak.ap[0].refused +
                        soak.ap[1].conversions + soak.ap[1].refused;
        uint32_t probed = fewest_probes(c);
        if (done >= conversions && probed >= probes) {
            break;
        }
        if (wd_expired(&total)) {
            timeout = true;
            break;
        }
        for (unsigned i = 0; i < batch; i++) {
            idx[i] = xorshift(&rnd) % soak.pages;
        }
        if (!probe_batch(idx, batch, c)) {
            break;
        }
        batches++;
        if (pam_every && batches % pam_every == 0) {
            pam_set_all((pam_changes & 1) ? 0x11 : 0x33);
            pam_changes++;
        }
        /* l2-run samples QEMU (RSS, pins, the monitor) while the soak goes on */
        elapsed = total.ticks;
        if (sample_every && elapsed >= last_sample + sample_every) {
            last_sample = elapsed;
            printk("E2E-L2: SAMPLE %u s: %u conversions, %u refused, %u probes by the device with the fewest\n", elapsed,
                   soak.ap[0].conversions + soak.ap[1].conversions,
                   soak.ap[0].refused + soak.ap[1].refused, probed);
        }
    }
    soak.stop = 1;
    wd_start(&wd, 30);
    while (!(soak.ap[0].done && soak.ap[1].done)) {
        if (wd_expired(&wd)) {
            die("soak", "an AP did not stop within 30 s (a conversion hung?)");
        }
    }
    pam_restore(pam);
    uint32_t convs = soak.ap[0].conversions + soak.ap[1].conversions;
    uint32_t refused = soak.ap[0].refused + soak.ap[1].refused;
    uint32_t failret = soak.ap[0].first_fail ? soak.ap[0].first_fail : soak.ap[1].first_fail;
    bool allow_refusals = arg_flag("refusals");
    printk("E2E-L2: INFO soak: %u s, %u conversions returned 0 (%u pages), %u failed (first %d), %u across the RAM blocks, %u into the other AP's range; %u batches, %u PAM changes\n",
           total.ticks, convs, soak.ap[0].pages + soak.ap[1].pages, refused, (int)failret,
           soak.ap[0].spanning + soak.ap[1].spanning,
           soak.ap[0].overlapping + soak.ap[1].overlapping, batches, pam_changes);
    report(!timeout && (allow_refusals || !refused) && convs + refused >= conversions,
           "soak-conversions", "%u returned 0, %u failed (first %d)%s; want %u in all%s",
           convs, refused, (int)failret, allow_refusals ? ", refusals allowed" : "",
           conversions, timeout ? ": timeout" : "");
    uint32_t probed = fewest_probes(c);
    report_counts("soak-probes", c, !timeout && probed >= probes, "");

    /*
     * What overlapping conversions left unknown, found out without a
     * conversion (which would make KVM and QEMU agree again whatever they
     * did): a fresh pattern written, every device reads the page.  Seen by
     * all: shared; by none: private; by some: the containers disagree.  A
     * page where KVM and QEMU disagree (conversions that raced) shows as
     * private here while QEMU's view says shared: l2-run compares the two.
     */
    /*
     * The soak's figures first: should what follows not end in time (a
     * broken series leaves thousands of pages unknown, and Debian's edu
     * takes 100 ms a transfer), l2-run has them (it takes the last line).
     */
    print_soak_line(c, NULL, convs + refused, refused, " (before the sweep)");
    uint32_t unknown = 0, resolved_shared = 0, disagree = 0, nu = 0, unresolved = 0;
    uint32_t resolve_seconds = arg_number("resolvesecs", 120);
    wd_start(&wd, resolve_seconds);
    for (uint32_t i = 0; i < soak.pages; i++) {
        if (words[i] & W_UNKNOWN) {
            unknown++;
            idx[nu++] = i;
        }
        if (nu && (nu == SLOTS || i == soak.pages - 1)) {
            if (wd_expired(&wd)) {
                unresolved += nu;   /* left unknown: the sweep skips them */
            } else {
                resolved_shared += resolve_unknown(idx, nu, &disagree);
            }
            nu = 0;
        }
    }
    if (unresolved) {
        report(false, "soak-resolve", "%u of %u unknown pages left unknown after %u s (resolvesecs=)",
               unresolved, unknown, resolve_seconds);
    }
    /* The sweep: every (sweep-th) page, every device. */
    memset(cs, 0, sizeof(cs));
    uint32_t n = 0;
    for (uint32_t i = 0; i < soak.pages; i += sweep) {
        idx[n++] = i;
        if (n == SLOTS || i + sweep >= soak.pages) {
            if (!probe_batch(idx, n, cs)) {
                break;
            }
            n = 0;
        }
    }
    char extra[120];
    format(extra, sizeof(extra), "; %u pages left unknown by overlapping conversions: %u reachable, %u not, %u by some devices only",
           unknown, resolved_shared, unknown - resolved_shared - disagree, disagree);
    report_counts("soak-sweep", cs, !disagree, extra);
    for (unsigned d = 0; d < ndevs; d++) {
        if (cs[d].skipped) {
            report(false, "soak-sweep", "device %u: %u pages skipped with nobody converting", d,
                   cs[d].skipped);
        }
    }
    print_record();
    print_soak_line(c, cs, convs + refused, refused, "");
    if (arg_flag("settle")) {
        settle(pam);
    }
    /* l2-run compares QEMU's view with the record, samples QEMU, then quits. */
    hold_for_l2run();
}

/*
 * hostile: requests no valid guest sends, which must fail, and odd ones
 * QEMU carries out by design: making shared what no guest memory backs
 * (holes, MMIO: a no-op; TDX's firmware asks for its MMIO that way), and
 * converting the firmware, which is guest memory in a confidential
 * guest.  KVM itself refuses some bad ones (misaligned, no pages: QEMU
 * never sees them); the rest reach QEMU.
 */
struct bad_req {
    uint32_t gpa, npages, attrs;
    bool allowed;               /* carried out by design */
    const char *what;
};

/* The valid state the flood must leave alone: shared pages, then private ones. */
#define CANARY_PAGES 4u
#define CANARY (8 * MiB)
#define GPA_EDU 1u              /* stands for edu's BAR0 (misaligned ones: 0x1000001) */
#define ENC KVM_MAP_GPA_RANGE_ENCRYPTED

static const struct bad_req bad_reqs[] = {
    { 0x1000001, 1, 0, false, "misaligned" },
    { 0x1000800, 1, ENC, false, "misaligned" },
    { 0x1000000, 0, 0, false, "zero pages" },
    { 0x1000000, 0, ENC, false, "zero pages" },
    { 0x0, 0xffffffff, 0, false, "huge: 16 TiB from 0 (RAM, MMIO, a device's BAR)" },
    { 0x0, 0xffffffff, ENC, false, "huge: 16 TiB from 0 (RAM, holes, MMIO)" },
    { CANARY, 0x100000, 0, false, "4 GiB from RAM on (RAM, MMIO, a device's BAR)" },
    { CANARY + CANARY_PAGES * PAGE_SIZE, 0x100000, ENC, false, "4 GiB from RAM on (RAM, holes, MMIO)" },
    { 0x7fff000, 2, ENC, false, "over the end of RAM" },
    { 0x8000000, 1, ENC, false, "beyond RAM" },
    { 0x40000000, 0x1000, ENC, false, "beyond RAM" },
    { 0xb0000000, 16, ENC, false, "MMIO (PCIe MMCONFIG)" },
    { 0xfec00000, 1, ENC, false, "MMIO (IOAPIC)" },
    { GPA_EDU, 1, ENC, false, "MMIO (edu's BAR0)" },
    { GPA_EDU, 1, 0, false, "MMIO (edu's BAR0, an assigned device's memory), to shared" },
    { CANARY, 1, 0x20, false, "bogus attribute bit 5" },
    { CANARY, 1, 0x80000000u, false, "bogus attribute bit 31" },
    { CANARY + CANARY_PAGES * PAGE_SIZE, 1, 0xffffffefu, false, "bogus attributes (all but ENCRYPTED)" },
    { CANARY, 1, 0xffffffffu, false, "bogus attributes (all bits)" },
    { CANARY, 1, 0x4 | ENC, false, "bogus attribute bit 2" },
    { CANARY, 1, 0x3 | ENC, false, "bogus page size 3" },
    /*
     * Carried out by design: shared where no guest memory is (a no-op), and
     * the firmware, which is guest memory in a confidential guest (pc.bios
     * is guest_memfd RAM there: SEV-SNP's firmware pages are converted).
     */
    { 0xfffff000, 2, 0, true, "across 4 GiB, nothing there, to shared" },
    { 0x8000000, 1, 0, true, "beyond RAM, to shared" },
    { 0xb0000000, 16, 0, true, "MMIO (PCIe MMCONFIG), to shared" },
    { 0xfee00000, 1, 0, true, "MMIO (local APIC), to shared" },
    { 0xfffc0000, 64, ENC, true, "the firmware (pc.bios), to private" },
    { 0xfffc0000, 64, 0, true, "the firmware (pc.bios), to shared" },
    { 0xffff0000, 16, ENC, true, "the firmware's reset vector, to private" },
};
#define NBAD (sizeof(bad_reqs) / sizeof(bad_reqs[0]))

static volatile struct {
    uint32_t rounds, go, running;
    uint32_t sent[4], accepted[4], noops[4], noops_refused[4];
    uint32_t done[4];
    uint32_t kind_accepted[NBAD];
} hostile;

static uint32_t bad_gpa(unsigned i)
{
    return bad_reqs[i].gpa == GPA_EDU ? edu_bar : bad_reqs[i].gpa;
}

static void hostile_rounds(unsigned cpu)
{
    for (uint32_t r = 0; r < hostile.rounds; r++) {
        for (unsigned i = 0; i < NBAD; i++) {
            uint32_t ret = map_gpa_range_raw(bad_gpa(i), bad_reqs[i].npages, bad_reqs[i].attrs);
            if (bad_reqs[i].allowed) {
                hostile.noops[cpu]++;
                hostile.noops_refused[cpu] += ret != 0;
                continue;
            }
            hostile.sent[cpu]++;
            if (ret == 0) {
                hostile.accepted[cpu]++;
                __atomic_add_fetch(&hostile.kind_accepted[i], 1, __ATOMIC_RELAXED);
            }
        }
    }
    hostile.done[cpu] = 1;
}

void hostile_ap(unsigned index)
{
    if (index > 2) {
        return;
    }
    __atomic_add_fetch(&hostile.running, 1, __ATOMIC_SEQ_CST);
    for (uint32_t spins = 0; !hostile.go; spins++) {
        if (spins > 500000000u) {
            hostile.done[index + 1] = 1;
            return;
        }
        cpu_relax();
    }
    hostile_rounds(index + 1);
}

/*
 * The canary pages as they were: the shared ones read by every device
 * with their pattern; the private ones read by none, even after a fresh
 * pattern is written into them (had a request made them shared, the
 * write would land where the device reads).  Returns the pages changed.
 */
static unsigned canary_check(struct counts *c, uint32_t gen0, bool write_private)
{
    uint32_t idx[2 * CANARY_PAGES];
    uint32_t area = soak.area, pages = soak.pages;
    unsigned changed = 0;

    soak.area = CANARY;
    soak.pages = 2 * CANARY_PAGES;
    for (unsigned i = 0; i < 2 * CANARY_PAGES; i++) {
        idx[i] = i;
        words[i] = 0;
        record[i] = i < CANARY_PAGES ? R_SHARED | (gen0 + i) : 0;
        if (i >= CANARY_PAGES && write_private) {
            uint32_t g = gen0 + 100 + i;
            volatile uint32_t *w = (volatile uint32_t *)(CANARY + i * PAGE_SIZE);
            for (unsigned k = 0; k < SLOT / 4; k++) {
                w[k] = pattern_word(CANARY + i * PAGE_SIZE, g, k);
            }
            record[i] = R_SHARED | g;   /* what the device must not read */
        }
    }
    if (!probe_batch(idx, 2 * CANARY_PAGES, c)) {
        changed = 2 * CANARY_PAGES;
    }
    for (unsigned i = 0; i < 2 * CANARY_PAGES && !changed; i++) {
        for (unsigned d = 0; d < ndevs; d++) {
            if (saw[d][i] != (i < CANARY_PAGES)) {
                changed++;
                break;
            }
        }
    }
    soak.area = area;
    soak.pages = pages;
    return changed;
}

void hostile_main(void)
{
    uint32_t rounds = arg_number("rounds", 1000);
    struct counts before[EDU_MAX], after[EDU_MAX];
    struct watchdog wd;
    unsigned nbad = 0;

    hold_on_fault = true;

    ndevs = edu_find_all(devs, EDU_MAX);
    if (!ndevs) {
        die("hostile", "no edu device");
    }
    edu_bar = devs[0].bar;
    hostile.rounds = rounds;
    for (unsigned i = 0; i < NBAD; i++) {
        nbad += !bad_reqs[i].allowed;
        printk("E2E-L2: INFO request %u: gpa 0x%08x, %u pages, attributes 0x%x: %s%s\n", i + 1,
               bad_gpa(i), bad_reqs[i].npages, bad_reqs[i].attrs, bad_reqs[i].what,
               bad_reqs[i].allowed ? " (carried out by design)" : " (must fail)");
    }
    printk("E2E-L2: INFO mode=hostile %u kinds of bad request and %u carried out by design, %u rounds on each of 4 vCPUs, %u edu device(s)\n",
           nbad, (unsigned)NBAD - nbad, rounds, ndevs);
    /*
     * The valid state: 2 * CANARY_PAGES pages shared, each with its pattern,
     * then the second half private (a stale mapping there would show it).
     */
    uint32_t r1 = map_gpa_range(CANARY, 2 * CANARY_PAGES, false);
    uint32_t gen0 = 1000;
    for (unsigned i = 0; i < 2 * CANARY_PAGES; i++) {
        volatile uint32_t *w = (volatile uint32_t *)(CANARY + i * PAGE_SIZE);
        for (unsigned k = 0; k < SLOT / 4; k++) {
            w[k] = pattern_word(CANARY + i * PAGE_SIZE, gen0 + i, k);
        }
    }
    uint32_t r2 = map_gpa_range(CANARY + CANARY_PAGES * PAGE_SIZE, CANARY_PAGES, true);
    memset(before, 0, sizeof(before));
    unsigned changed0 = canary_check(before, gen0, false);
    report(!r1 && !r2 && !changed0, "hostile-setup",
           "%u pages at 0x%08x shared with a pattern (-> %d), the second %u private (-> %d): %u not as set up",
           2 * CANARY_PAGES, CANARY, (int)r1, CANARY_PAGES, (int)r2, changed0);

    /* l2-run counts QEMU's stderr lines from here on */
    printk("E2E-L2: WAIT flood 1\n");
    wait_seconds(1);
    start_aps(&hostile.running, 3, "hostile");
    hostile.go = 1;
    hostile_rounds(0);
    wd_start(&wd, 600);
    bool timeout = false;
    while (!(hostile.done[1] && hostile.done[2] && hostile.done[3])) {
        if (wd_expired(&wd)) {
            timeout = true;
            break;
        }
    }
    uint32_t sent = 0, accepted = 0, noops = 0, noops_refused = 0;
    for (unsigned k = 0; k < 4; k++) {
        sent += hostile.sent[k];
        accepted += hostile.accepted[k];
        noops += hostile.noops[k];
        noops_refused += hostile.noops_refused[k];
    }
    for (unsigned i = 0; i < NBAD; i++) {
        if (hostile.kind_accepted[i]) {
            printk("E2E-L2: INFO accepted %u times: request %u (%s, gpa 0x%08x, %u pages, attributes 0x%x)\n",
                   hostile.kind_accepted[i], i + 1, bad_reqs[i].what, bad_gpa(i),
                   bad_reqs[i].npages, bad_reqs[i].attrs);
        }
    }
    report(!timeout && !accepted && sent == 4 * rounds * nbad, "hostile-requests",
           "%u bad requests from 4 vCPUs, %u accepted (want %u, 0)%s", sent, accepted,
           4 * rounds * nbad, timeout ? "; timeout" : "");
    report(!timeout && !noops_refused && noops == 4 * rounds * ((unsigned)NBAD - nbad), "hostile-allowed",
           "%u requests carried out by design (shared where no guest memory is, the firmware's memory), %u refused (want 0)",
           noops, noops_refused);
    memset(after, 0, sizeof(after));
    unsigned changed = canary_check(after, gen0, true);
    report(!changed, "hostile-unchanged",
           "%u of %u pages not as they were (the shared read with their pattern by every device; the private, a fresh pattern written, by none)",
           changed, 2 * CANARY_PAGES);
    printk("E2E-L2: HOSTILE %u bad requests, %u accepted, %u carried out by design\n", sent, accepted, noops);
    hold_for_l2run();
}
