/*
 * vfio-rules: replay a trace of IOMMU map/unmap calls against the running
 * kernel's VFIO and compare every result with the one the trace expects.
 *
 * Runs inside the e2e rig's L1 guest (static, no library but libc), with a
 * PCI device bound to vfio-pci behind a real (emulated) IOMMU.  Each
 * sequence of a trace names the backend it was recorded for:
 *
 *   type1    the legacy container: /dev/vfio/vfio, the device's group
 *            /dev/vfio/N, VFIO_TYPE1v2_IOMMU, VFIO_IOMMU_MAP_DMA and
 *            VFIO_IOMMU_UNMAP_DMA; the module parameter
 *            vfio_iommu_type1.dma_entry_limit set from the trace first;
 *   iommufd  /dev/iommu and the device's cdev /dev/vfio/devices/vfioN:
 *            VFIO_DEVICE_BIND_IOMMUFD, an IOAS, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
 *            IOMMU_IOAS_MAP (fixed IOVA) and IOMMU_IOAS_UNMAP.
 *
 * Trace format (text, one operation a line, '#' starts a comment):
 *
 *   # rba-vfio-trace 1                 the first line
 *   backend type1|iommufd LIMIT        a new sequence: fresh container/IOAS;
 *                                      LIMIT is type1's dma_entry_limit
 *   map IOVA SIZE RESULT               hex IOVA and SIZE, RESULT 0 or an
 *                                      errno name (EEXIST, ENOSPC, ...)
 *   unmap IOVA SIZE RESULT UNMAPPED    UNMAPPED: hex bytes unmapped (0x0
 *                                      when RESULT is not 0)
 *
 * Every IOVA is backed by the same small anonymous buffer (vaddr = buf +
 * IOVA % bufsize), so a trace of many mappings needs little memory.
 *
 * Usage: vfio-rules [-d BDF] [-b type1|iommufd] [-o IOVA_OFFSET] TRACE...
 * Without -d, the first PCI device bound to vfio-pci.  Without -b, every
 * sequence of the traces.  Exit status: 0 when every call gave the expected
 * result, 1 at the first difference (the trace line, both verdicts), 2 when
 * the trace or the setup is wrong.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define TRACE_MAGIC "# rba-vfio-trace 1"
#define PAGE 4096ULL
#define LIMIT_PARAM "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

enum backend { TYPE1, IOMMUFD, NR_BACKENDS };
static const char *const backend_name[NR_BACKENDS] = { "type1", "iommufd" };

enum kind { OP_BACKEND, OP_MAP, OP_UNMAP };

struct op {
    enum kind kind;
    int line;
    enum backend backend;   /* OP_BACKEND */
    uint32_t limit;         /* OP_BACKEND */
    uint64_t iova, size;    /* OP_MAP, OP_UNMAP */
    int err;                /* expected errno, 0 for success */
    uint64_t unmapped;      /* OP_UNMAP: expected bytes unmapped */
};

struct trace {
    const char *path;
    char **lines;           /* the text, for messages */
    struct op *ops;
    size_t nr_ops;
    uint64_t max_map;
};

static const char *prog = "vfio-rules";

static void __attribute__((noreturn, format(printf, 1, 2)))
fatal(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: error: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static const char *errname(int err)
{
    static char buf[32];
    const char *n;

    if (!err) {
        return "0";
    }
    n = strerrorname_np(err);
    if (n) {
        return n;
    }
    snprintf(buf, sizeof(buf), "errno %d", err);
    return buf;
}

static int parse_errname(const char *s, int *err)
{
    int e;

    if (!strcmp(s, "0")) {
        *err = 0;
        return 0;
    }
    for (e = 1; e < 4096; e++) {
        const char *n = strerrorname_np(e);
        if (n && !strcmp(n, s)) {
            *err = e;
            return 0;
        }
    }
    return -1;
}

static int parse_hex(const char *s, uint64_t *v)
{
    char *end;

    if (strncmp(s, "0x", 2) && strncmp(s, "0X", 2)) {
        return -1;
    }
    errno = 0;
    *v = strtoull(s + 2, &end, 16);
    return (errno || end == s + 2 || *end) ? -1 : 0;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Read and check a whole trace; IOVAs shifted by iova_offset. */
static void load_trace(struct trace *t, const char *path, uint64_t iova_offset)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, nr_lines = 0, lines_cap = 0, ops_cap = 0;
    bool have_backend = false;
    ssize_t len;

    if (!f) {
        fatal("cannot open %s: %s", path, strerror(errno));
    }
    memset(t, 0, sizeof(*t));
    t->path = path;
    while ((len = getline(&line, &cap, f)) >= 0) {
        char *w[6], *save = NULL, *p, *hash;
        int nw = 0, ln;
        struct op op = { 0 };

        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = 0;
        }
        if (nr_lines == lines_cap) {
            lines_cap = lines_cap ? 2 * lines_cap : 1024;
            t->lines = realloc(t->lines, lines_cap * sizeof(*t->lines));
            if (!t->lines) {
                fatal("out of memory reading %s", path);
            }
        }
        t->lines[nr_lines++] = strdup(line);
        ln = nr_lines;
        if (ln == 1 && strcmp(line, TRACE_MAGIC)) {
            fatal("%s:1: not a trace: the first line must be \"%s\"",
                  path, TRACE_MAGIC);
        }
        hash = strchr(line, '#');
        if (hash) {
            *hash = 0;
        }
        for (p = strtok_r(line, " \t", &save); p && nw < 6;
             p = strtok_r(NULL, " \t", &save)) {
            w[nw++] = p;
        }
        if (!nw) {
            continue;
        }
        op.line = ln;
        if (!strcmp(w[0], "backend")) {
            char *end;
            unsigned long lim;

            if (nw != 3) {
                fatal("%s:%d: expected: backend type1|iommufd LIMIT", path, ln);
            }
            op.kind = OP_BACKEND;
            if (!strcmp(w[1], "type1")) {
                op.backend = TYPE1;
            } else if (!strcmp(w[1], "iommufd")) {
                op.backend = IOMMUFD;
            } else {
                fatal("%s:%d: unknown backend \"%s\"", path, ln, w[1]);
            }
            errno = 0;
            lim = strtoul(w[2], &end, 0);
            if (errno || *end || end == w[2] || lim > UINT32_MAX) {
                fatal("%s:%d: bad limit \"%s\"", path, ln, w[2]);
            }
            op.limit = lim;
            have_backend = true;
        } else if (!strcmp(w[0], "map") || !strcmp(w[0], "unmap")) {
            bool map = !strcmp(w[0], "map");

            op.kind = map ? OP_MAP : OP_UNMAP;
            if (nw != (map ? 4 : 5)) {
                fatal("%s:%d: expected: %s", path, ln,
                      map ? "map IOVA SIZE RESULT"
                          : "unmap IOVA SIZE RESULT UNMAPPED");
            }
            if (!have_backend) {
                fatal("%s:%d: %s before any backend line", path, ln, w[0]);
            }
            if (parse_hex(w[1], &op.iova) || parse_hex(w[2], &op.size)) {
                fatal("%s:%d: IOVA and SIZE must be hex (0x...)", path, ln);
            }
            if (parse_errname(w[3], &op.err)) {
                fatal("%s:%d: unknown result \"%s\" (0 or an errno name)",
                      path, ln, w[3]);
            }
            if (!map && parse_hex(w[4], &op.unmapped)) {
                fatal("%s:%d: UNMAPPED must be hex (0x...)", path, ln);
            }
            if ((op.iova | op.size) & (PAGE - 1)) {
                fatal("%s:%d: IOVA and SIZE must be 4 KiB aligned", path, ln);
            }
            if (op.iova + iova_offset < op.iova) {
                fatal("%s:%d: IOVA offset overflows", path, ln);
            }
            op.iova += iova_offset;
            if (map && op.size > t->max_map) {
                t->max_map = op.size;
            }
        } else {
            fatal("%s:%d: unknown operation \"%s\"", path, ln, w[0]);
        }
        if (t->nr_ops == ops_cap) {
            ops_cap = ops_cap ? 2 * ops_cap : 1024;
            t->ops = realloc(t->ops, ops_cap * sizeof(*t->ops));
            if (!t->ops) {
                fatal("out of memory reading %s", path);
            }
        }
        t->ops[t->nr_ops++] = op;
    }
    if (!nr_lines) {
        fatal("%s: empty file, not a trace", path);
    }
    free(line);
    fclose(f);
}

/* ---- The device ---- */

static char dev_bdf[256];

static void find_device(const char *want)
{
    char path[PATH_MAX], link[PATH_MAX];
    DIR *d;
    struct dirent *e;
    ssize_t n;

    if (want) {
        snprintf(dev_bdf, sizeof(dev_bdf), "%s", want);
    } else {
        d = opendir("/sys/bus/pci/drivers/vfio-pci");
        if (!d) {
            fatal("no vfio-pci driver in sysfs (/sys/bus/pci/drivers/vfio-pci)");
        }
        while ((e = readdir(d))) {
            if (strchr(e->d_name, ':')) {
                snprintf(dev_bdf, sizeof(dev_bdf), "%s", e->d_name);
                break;
            }
        }
        closedir(d);
        if (!dev_bdf[0]) {
            fatal("no PCI device is bound to vfio-pci");
        }
    }
    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", dev_bdf);
    n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) {
        fatal("%s is bound to no driver", dev_bdf);
    }
    link[n] = 0;
    if (strcmp(strrchr(link, '/') + 1, "vfio-pci")) {
        fatal("%s is bound to %s, not vfio-pci", dev_bdf, strrchr(link, '/') + 1);
    }
}

static int device_group(void)
{
    char path[PATH_MAX], link[PATH_MAX];
    ssize_t n;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev_bdf);
    n = readlink(path, link, sizeof(link) - 1);
    if (n < 0) {
        fatal("%s has no IOMMU group (is the IOMMU on? intel_iommu=on)", dev_bdf);
    }
    link[n] = 0;
    return atoi(strrchr(link, '/') + 1);
}

static void device_cdev(char *buf, size_t size)
{
    char path[PATH_MAX];
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vfio-dev", dev_bdf);
    d = opendir(path);
    if (!d) {
        fatal("%s has no VFIO cdev (%s; CONFIG_VFIO_DEVICE_CDEV?)", dev_bdf, path);
    }
    buf[0] = 0;
    while ((e = readdir(d))) {
        if (!strncmp(e->d_name, "vfio", 4)) {
            snprintf(buf, size, "/dev/vfio/devices/%s", e->d_name);
            break;
        }
    }
    closedir(d);
    if (!buf[0]) {
        fatal("%s: no vfioN in %s", dev_bdf, path);
    }
}

/* ---- The IOMMU's valid IOVA ranges ---- */

struct range {
    uint64_t start, last;
};

static struct range ranges[64];
static unsigned nr_ranges;

static bool iova_valid(uint64_t iova, uint64_t size)
{
    uint64_t last = iova + size - 1;
    unsigned i;

    if (!size || last < iova) {
        return false;
    }
    for (i = 0; i < nr_ranges; i++) {
        if (iova >= ranges[i].start && last <= ranges[i].last) {
            return true;
        }
    }
    return false;
}

static void print_ranges(FILE *f)
{
    unsigned i;

    for (i = 0; i < nr_ranges; i++) {
        fprintf(f, "%s0x%" PRIx64 "-0x%" PRIx64, i ? ", " : "",
                ranges[i].start, ranges[i].last);
    }
}

/* ---- Backends ---- */

static int container_fd = -1, group_fd = -1;
static int iommufd = -1, cdev_fd = -1;
static uint32_t ioas_id;

static void type1_open(uint32_t limit)
{
    char path[64], val[32];
    struct vfio_group_status status = { .argsz = sizeof(status) };
    struct vfio_iommu_type1_info *info;
    struct vfio_info_cap_header *hdr;
    uint32_t argsz, off;
    bool have_avail = false;
    int fd, group = device_group();

    /* The limit is read when the container gets its IOMMU (SET_IOMMU). */
    fd = open(LIMIT_PARAM, O_WRONLY);
    if (fd < 0) {
        fatal("cannot open %s: %s", LIMIT_PARAM, strerror(errno));
    }
    snprintf(val, sizeof(val), "%" PRIu32 "\n", limit);
    if (write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
        fatal("cannot write %s: %s", LIMIT_PARAM, strerror(errno));
    }
    close(fd);

    container_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    if (container_fd < 0) {
        fatal("cannot open /dev/vfio/vfio: %s", strerror(errno));
    }
    if (ioctl(container_fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
        fatal("/dev/vfio/vfio: unexpected VFIO API version");
    }
    if (ioctl(container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
        fatal("/dev/vfio/vfio has no VFIO_TYPE1v2_IOMMU");
    }
    snprintf(path, sizeof(path), "/dev/vfio/%d", group);
    group_fd = open(path, O_RDWR | O_CLOEXEC);
    if (group_fd < 0) {
        fatal("cannot open %s: %s", path, strerror(errno));
    }
    if (ioctl(group_fd, VFIO_GROUP_GET_STATUS, &status) ||
        !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        fatal("%s is not viable (every device of the group bound to vfio-pci?)", path);
    }
    if (ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &container_fd)) {
        fatal("VFIO_GROUP_SET_CONTAINER: %s", strerror(errno));
    }
    if (ioctl(container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
        fatal("VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU): %s", strerror(errno));
    }

    /* The valid IOVA ranges, and the limit actually in force. */
    argsz = sizeof(*info);
    info = calloc(1, argsz);
    for (;;) {
        info->argsz = argsz;
        if (ioctl(container_fd, VFIO_IOMMU_GET_INFO, info)) {
            fatal("VFIO_IOMMU_GET_INFO: %s", strerror(errno));
        }
        if (info->argsz <= argsz) {
            break;
        }
        argsz = info->argsz;
        info = realloc(info, argsz);
        memset(info, 0, argsz);
    }
    if (!(info->iova_pgsizes & PAGE)) {
        fatal("the type1 IOMMU does not map 4 KiB pages (pgsizes 0x%llx)",
              (unsigned long long)info->iova_pgsizes);
    }
    nr_ranges = 0;
    for (off = (info->flags & VFIO_IOMMU_INFO_CAPS) ? info->cap_offset : 0;
         off; off = hdr->next) {
        hdr = (void *)((char *)info + off);
        if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
            struct vfio_iommu_type1_info_cap_iova_range *r = (void *)hdr;
            uint32_t i;

            for (i = 0; i < r->nr_iovas && nr_ranges < 64; i++) {
                ranges[nr_ranges].start = r->iova_ranges[i].start;
                ranges[nr_ranges++].last = r->iova_ranges[i].end;
            }
        } else if (hdr->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
            struct vfio_iommu_type1_info_dma_avail *a = (void *)hdr;

            if (a->avail != limit) {
                fatal("dma_entry_limit %" PRIu32 " not in force: the new "
                      "container has %" PRIu32 " DMA entries available",
                      limit, a->avail);
            }
            have_avail = true;
        }
    }
    if (!have_avail) {
        fatal("VFIO_IOMMU_GET_INFO has no DMA_AVAIL capability");
    }
    if (!nr_ranges) {
        ranges[0].start = 0;
        ranges[0].last = UINT64_MAX;
        nr_ranges = 1;
    }
    free(info);
}

static void type1_close(void)
{
    close(group_fd);
    close(container_fd);
    group_fd = container_fd = -1;
}

static int type1_map(uint64_t iova, uint64_t size, void *vaddr)
{
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map),
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .vaddr = (uintptr_t)vaddr,
        .iova = iova,
        .size = size,
    };

    return ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &map) ? errno : 0;
}

static int type1_unmap(uint64_t iova, uint64_t size, uint64_t *unmapped)
{
    struct vfio_iommu_type1_dma_unmap unmap = {
        .argsz = sizeof(unmap),
        .iova = iova,
        .size = size,
    };

    *unmapped = 0;
    if (ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
        return errno;
    }
    *unmapped = unmap.size;
    return 0;
}

static void iommufd_open(uint32_t limit)
{
    char path[PATH_MAX];
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
    struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof(attach) };
    struct iommu_ioas_iova_ranges r = { .size = sizeof(r) };
    struct iommu_iova_range *buf;
    uint32_t i;

    (void)limit;
    iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    if (iommufd < 0) {
        fatal("cannot open /dev/iommu: %s", strerror(errno));
    }
    device_cdev(path, sizeof(path));
    cdev_fd = open(path, O_RDWR | O_CLOEXEC);
    if (cdev_fd < 0) {
        fatal("cannot open %s: %s", path, strerror(errno));
    }
    bind.iommufd = iommufd;
    if (ioctl(cdev_fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
        fatal("VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(errno));
    }
    if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
        fatal("IOMMU_IOAS_ALLOC: %s", strerror(errno));
    }
    ioas_id = alloc.out_ioas_id;
    attach.pt_id = ioas_id;
    if (ioctl(cdev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) {
        fatal("VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s", strerror(errno));
    }

    /* The valid IOVA ranges, once the device (its reserved regions) is in. */
    r.ioas_id = ioas_id;
    if (ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &r) && errno != EMSGSIZE) {
        fatal("IOMMU_IOAS_IOVA_RANGES: %s", strerror(errno));
    }
    buf = calloc(r.num_iovas ? r.num_iovas : 1, sizeof(*buf));
    r.allowed_iovas = (uintptr_t)buf;
    if (ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &r)) {
        fatal("IOMMU_IOAS_IOVA_RANGES: %s", strerror(errno));
    }
    if (r.out_iova_alignment > PAGE) {
        fatal("the IOAS wants IOVAs aligned to 0x%llx", (unsigned long long)r.out_iova_alignment);
    }
    nr_ranges = 0;
    for (i = 0; i < r.num_iovas && nr_ranges < 64; i++) {
        ranges[nr_ranges].start = buf[i].start;
        ranges[nr_ranges++].last = buf[i].last;
    }
    free(buf);
}

static void iommufd_close(void)
{
    close(cdev_fd);
    close(iommufd);
    cdev_fd = iommufd = -1;
}

static int iommufd_map(uint64_t iova, uint64_t size, void *vaddr)
{
    struct iommu_ioas_map map = {
        .size = sizeof(map),
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                 IOMMU_IOAS_MAP_WRITEABLE,
        .ioas_id = ioas_id,
        .user_va = (uintptr_t)vaddr,
        .length = size,
        .iova = iova,
    };

    return ioctl(iommufd, IOMMU_IOAS_MAP, &map) ? errno : 0;
}

static int iommufd_unmap(uint64_t iova, uint64_t size, uint64_t *unmapped)
{
    struct iommu_ioas_unmap unmap = {
        .size = sizeof(unmap),
        .ioas_id = ioas_id,
        .iova = iova,
        .length = size,
    };

    *unmapped = 0;
    if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap)) {
        return errno;
    }
    *unmapped = unmap.length;
    return 0;
}

static const struct {
    void (*open)(uint32_t limit);
    void (*close)(void);
    int (*map)(uint64_t iova, uint64_t size, void *vaddr);
    int (*unmap)(uint64_t iova, uint64_t size, uint64_t *unmapped);
} backends[NR_BACKENDS] = {
    [TYPE1] = { type1_open, type1_close, type1_map, type1_unmap },
    [IOMMUFD] = { iommufd_open, iommufd_close, iommufd_map, iommufd_unmap },
};

/* ---- Replay ---- */

static char *buf;
static uint64_t bufsize;

/*
 * Replay the sequences of trace t for backend b.  Returns 1 at the first
 * difference, 0 when every call matched; *nr counts the calls made.
 */
static int replay(const struct trace *t, enum backend b, size_t *nr_seq,
                  size_t *nr_map, size_t *nr_unmap, size_t *nr_err)
{
    bool active = false;
    size_t i, seq_start = 0;

    for (i = 0; i < t->nr_ops; i++) {
        const struct op *op = &t->ops[i];
        int err;
        uint64_t unmapped = 0;

        if (op->kind == OP_BACKEND) {
            size_t j;

            if (active) {
                backends[b].close();
            }
            active = op->backend == b;
            if (!active) {
                continue;
            }
            backends[b].open(op->limit);
            if (!*nr_seq) {
                printf("%s: %s on %s: valid IOVA ranges ", prog,
                       backend_name[b], dev_bdf);
                print_ranges(stdout);
                if (b == TYPE1) {
                    printf("; dma_entry_limit %" PRIu32 " in force", op->limit);
                }
                printf("\n");
            }
            (*nr_seq)++;
            seq_start = op->line;
            /* Every map of the sequence inside the IOMMU's valid ranges. */
            for (j = i + 1; j < t->nr_ops && t->ops[j].kind != OP_BACKEND; j++) {
                const struct op *m = &t->ops[j];

                if (m->kind == OP_MAP && !iova_valid(m->iova, m->size)) {
                    fprintf(stderr, "%s: error: %s:%d: map 0x%" PRIx64
                            "+0x%" PRIx64 " is outside the IOMMU's valid "
                            "IOVA ranges (", prog, t->path, m->line,
                            m->iova, m->size);
                    print_ranges(stderr);
                    fprintf(stderr, "); shift the trace with -o\n");
                    exit(2);
                }
            }
            continue;
        }
        if (!active) {
            continue;
        }
        if (op->kind == OP_MAP) {
            (*nr_map)++;
            err = backends[b].map(op->iova, op->size,
                                  buf + op->iova % bufsize);
        } else {
            (*nr_unmap)++;
            err = backends[b].unmap(op->iova, op->size, &unmapped);
        }
        if (err) {
            (*nr_err)++;
        }
        if (err != op->err || (op->kind == OP_UNMAP && unmapped != op->unmapped)) {
            char model[64], kernel[64];

            if (op->kind == OP_UNMAP) {
                snprintf(model, sizeof(model), "%s, unmapped 0x%" PRIx64,
                         errname(op->err), op->unmapped);
                snprintf(kernel, sizeof(kernel), "%s, unmapped 0x%" PRIx64,
                         errname(err), unmapped);
            } else {
                snprintf(model, sizeof(model), "%s", errname(op->err));
                snprintf(kernel, sizeof(kernel), "%s", errname(err));
            }
            printf("%s: %s %s: first difference at %s:%d (sequence from line %zu):\n"
                   "    %s\n"
                   "    trace expects: %s\n"
                   "    kernel gave:   %s\n",
                   prog, t->path, backend_name[b], t->path, op->line, seq_start,
                   t->lines[op->line - 1], model, kernel);
            backends[b].close();
            return 1;
        }
    }
    if (active) {
        backends[b].close();
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *bdf = NULL;
    int only = -1, opt, i, rc = 0;
    uint64_t iova_offset = 0, max_map = PAGE;
    struct trace *traces;
    struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

    while ((opt = getopt(argc, argv, "d:b:o:")) != -1) {
        switch (opt) {
        case 'd':
            bdf = optarg;
            break;
        case 'b':
            if (!strcmp(optarg, "type1")) {
                only = TYPE1;
            } else if (!strcmp(optarg, "iommufd")) {
                only = IOMMUFD;
            } else {
                fatal("unknown backend %s (type1 or iommufd)", optarg);
            }
            break;
        case 'o':
            if (parse_hex(optarg, &iova_offset) || iova_offset & (PAGE - 1)) {
                fatal("-o wants a 4 KiB aligned hex offset (0x...)");
            }
            break;
        default:
            fprintf(stderr, "usage: %s [-d BDF] [-b type1|iommufd] "
                    "[-o IOVA_OFFSET] TRACE...\n", prog);
            return 2;
        }
    }
    if (optind == argc) {
        fatal("no trace given");
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    traces = calloc(argc - optind, sizeof(*traces));
    for (i = optind; i < argc; i++) {
        load_trace(&traces[i - optind], argv[i], iova_offset);
        if (traces[i - optind].max_map > max_map) {
            max_map = traces[i - optind].max_map;
        }
    }

    /*
     * The backing buffer: bufsize >= the largest map, twice that mapped
     * so that buf + IOVA % bufsize + SIZE stays inside.  Pinning needs no
     * RLIMIT_MEMLOCK for root (CAP_IPC_LOCK), raised anyway.
     */
    bufsize = 1ULL << 20;
    while (bufsize < max_map) {
        bufsize <<= 1;
    }
    setrlimit(RLIMIT_MEMLOCK, &unlimited);
    buf = mmap(NULL, 2 * bufsize, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (buf == MAP_FAILED) {
        fatal("cannot allocate a %" PRIu64 " MiB buffer: %s",
              2 * bufsize >> 20, strerror(errno));
    }
    find_device(bdf);

    for (i = 0; i < argc - optind && !rc; i++) {
        int b;

        for (b = 0; b < NR_BACKENDS && !rc; b++) {
            size_t nr_seq = 0, nr_map = 0, nr_unmap = 0, nr_err = 0;
            double t0 = now();

            if (only >= 0 && b != only) {
                continue;
            }
            rc = replay(&traces[i], b, &nr_seq, &nr_map, &nr_unmap, &nr_err);
            if (!nr_seq) {
                continue;
            }
            printf("%s: %s %s: %s: %zu sequence%s, %zu map and %zu unmap "
                   "calls%s, %zu of them failing, %.2f s\n",
                   prog, traces[i].path, backend_name[b],
                   rc ? "DIFFERENT" : "as expected", nr_seq,
                   nr_seq == 1 ? "" : "s", nr_map, nr_unmap,
                   rc ? " up to the difference" : "", nr_err, now() - t0);
        }
    }
    return rc;
}
