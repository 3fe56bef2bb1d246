#!/bin/bash
# mutants-10.2.sh TREE: prove that the unit tests of the QEMU 10.2 series
# can fail.  Each mutant breaks system/ram-block-attributes.c,
# accel/kvm/kvm-convert.c, target/i386/kvm/sev-termination.c,
# target/i386/kvm/tdx-fatal.c or util/error-report.c of TREE (default: the
# check tree, built) in one way the design forbids; the unit test concerned
# is rebuilt and must fail in the tests named.  The sources are restored
# afterwards, whatever happens.  Prints one PASS/FAIL line per mutant.
# MUTANTS="a b" runs only the mutants whose names contain one of the words.
#
# The first 27 are those of mutants-10.0.sh, on the 10.2 series' code
# (same names, so that the two lists compare); the others are the 10.2
# series' own.
. "$(dirname "$0")/common.sh"

tree=${1:-$CHECK_DIR/qemu}
bdir=$tree/build
OBJ=system/ram-block-attributes.c
KVM=accel/kvm/kvm-convert.c
SEV=target/i386/kvm/sev-termination.c
TDX=target/i386/kvm/tdx-fatal.c
ERR=util/error-report.c
T_OBJ=tests/unit/test-ram-block-attributes
T_KVM=tests/unit/test-kvm-convert
T_SEV=tests/unit/test-guest-fatal
T_ERR=tests/unit/test-error-report
FILES=("$OBJ" "$KVM" "$SEV" "$TDX" "$ERR")
TESTS=("$T_OBJ" "$T_KVM" "$T_SEV" "$T_ERR")

[ -f "$bdir/build.ninja" ] || die "$bdir is not a configured build directory"

backup=$(mktemp -d)
for f in "${FILES[@]}"; do
    mkdir -p "$backup/$(dirname "$f")"
    cp "$tree/$f" "$backup/$f"
done
restore_sources() {
    local f
    for f in "${FILES[@]}"; do
        # Only what differs: an unchanged file keeps its timestamp, so
        # that ninja does not rebuild what depends on it.
        cmp -s "$backup/$f" "$tree/$f" || cp "$backup/$f" "$tree/$f"
    done
}
restore() {
    restore_sources
    ninja -C "$bdir" "${TESTS[@]}" >/dev/null 2>&1 || true
    rm -rf "$backup"
}
trap restore EXIT

# mutate FILE: restore the sources, then edit FILE; the Python snippet on
# stdin gets its text as s.
mutate() {
    restore_sources
    "$PYTHON" - "$tree/$1" <<PY
import sys
p = sys.argv[1]
s = open(p).read()
orig = s
def sub(old, new):
    global s
    if old not in s:
        sys.exit("mutation did not apply, the code changed: " + old[:60])
    s = s.replace(old, new)
$(cat)
open(p, "w").write(s)
PY
}

selected() {
    local w
    [ -z "${MUTANTS:-}" ] && return 0
    for w in $MUTANTS; do
        case "$1" in *"$w"*) return 0 ;; esac
    done
    return 1
}

# run_mutant NAME TEST TRIES TESTPATH...: rebuild, run, expect a failure.
run_mutant() {
    local name=$1 test=$2 tries=$3 out try caught='' path
    shift 3
    if ! out=$(ninja -C "$bdir" "$test" 2>&1); then
        echo "FAIL  mutant '$name': the mutated source does not build:" \
             "$(grep -m1 'error:' <<<"$out" | cut -c1-150)"
        return
    fi
    for ((try = 1; try <= tries; try++)); do
        for path in "$@"; do
            out=$(timeout 300 "$bdir/$test" -p "$path" 2>&1) && continue
            caught="$path: $(grep -m1 -E 'ERROR|Bail out|deadlock' <<<"$out" | cut -c1-150)"
            break 2
        done
    done
    if [ -n "$caught" ]; then
        echo "PASS  mutant '$name' is caught by $caught"
    else
        echo "FAIL  mutant '$name' survives: $* pass with it"
    fi
}

# mutant NAME FILE TEST TRIES TESTPATH... <<PY: one mutant.
mutant() {
    local name=$1 file=$2
    shift 2
    if ! selected "$name"; then
        cat > /dev/null
        return
    fi
    if ! mutate "$file"; then
        echo "FAIL  mutant '$name': it does not apply any more"
        return
    fi
    run_mutant "$name" "$@"
}

# ------------------------------------------------------------------------
# The object (RamBlockAttributes)

mutant "no undo of a rejected populate" $OBJ $T_OBJ 1 \
    /ram-block-attributes/rollback <<'PY'
sub("""    ram_block_attributes_restore(attr, c);
    ram_block_attributes_notify_change(c, rdl, failed, false, NULL);
    QLIST_FOREACH(done, &attr->rdl_list, next) {""",
    """    QLIST_FOREACH(done, &attr->rdl_list, next) {
        break;""")
PY

mutant "no lock" $OBJ $T_OBJ 3 /ram-block-attributes/concurrency <<'PY'
sub("QEMU_LOCK_GUARD(&attr->lock);", "(void)0;")
s = s.replace("QEMU_LOCK_GUARD(&attr->main_lock);", "(void)0;")
s = s.replace("QEMU_LOCK_GUARD(&attr->change_lock);", "(void)0;")
s = s.replace("WITH_QEMU_LOCK_GUARD(&attr->lock)", "if (1)")
PY

# The registration waits for the changes that found nobody listening: a
# change that checked before and stores after the replay is lost.
mutant "changes without listeners' lock although they listen" $OBJ $T_OBJ 3 \
    /ram-block-attributes/concurrency/late-listener <<'PY'
sub("""    while (qatomic_load_acquire(&attr->unlistened)) {""",
    """    while (0 && qatomic_load_acquire(&attr->unlistened)) {""")
PY

# 10.2 lists a listener after its replay, under the lock; what must come
# first is that changes take the lock (attr->listened).
mutant "a listener listed only after its replay" $OBJ $T_OBJ 3 \
    /ram-block-attributes/concurrency/late-listener <<'PY'
sub("""    QEMU_LOCK_GUARD(&attr->main_lock);
    ram_block_attributes_set_listened(attr);
    rdl->section = memory_region_section_new_copy(section);
""", """    QEMU_LOCK_GUARD(&attr->main_lock);
    rdl->section = memory_region_section_new_copy(section);
""")
sub("""    QLIST_INSERT_HEAD(&attr->rdl_list, rdl, next);
    return 0;""", """    ram_block_attributes_set_listened(attr);
    QLIST_INSERT_HEAD(&attr->rdl_list, rdl, next);
    return 0;""")
PY

mutant "one notification per page" $OBJ $T_OBJ 1 \
    /ram-block-attributes/runs <<'PY'
sub("""        run = ram_block_attributes_next_run(c, run_end, limit, &run_end);
        if (run >= limit) {
            break;
        }""",
    """        run = ram_block_attributes_next_run(c, run_end, limit, &run_end);
        if (run >= limit) {
            break;
        }
        run_end = run + 1;""")
PY

mutant "listeners notified before the state changes" $OBJ $T_OBJ 1 \
    /ram-block-attributes/runs <<'PY'
sub("""    *changed = true;
    chunk.all = !keep;
    return ram_block_attributes_notify_all(attr, &chunk);""",
    """    int ret;

    *changed = true;
    chunk.all = !keep;
    ram_block_attributes_restore(attr, &chunk);
    ret = ram_block_attributes_notify_all(attr, &chunk);
    if (!ret) {
        ram_block_attributes_store(attr, first, end - first, !c->to_discard);
    }
    return ret;""")
sub("""    ram_block_attributes_store_word(attr, w, mask, !c->to_discard);
    ret = ram_block_attributes_notify_all(attr, c);""",
    """    ret = ram_block_attributes_notify_all(attr, c);
    if (!ret) {
        ram_block_attributes_store_word(attr, w, mask, !c->to_discard);
    }""")
PY

# The cheaper paths of a change (fewer instructions, no lock for nothing)

mutant "a chunk of mixed blocks taken as one run" $OBJ $T_OBJ 1 \
    /ram-block-attributes/runs <<'PY'
sub("""    chunk.all = !keep;""", """    chunk.all = !!keep || !keep;""")
PY

mutant "a run in one word taken to its end" $OBJ $T_OBJ 1 \
    /ram-block-attributes/runs /ram-block-attributes/rollback <<'PY'
sub("""        *run_end = changed ? ctzl(changed) : limit;""",
    """        *run_end = limit;""")
PY

mutant "a change of several chunks not under the sequence lock" $OBJ $T_OBJ 1 \
    /ram-block-attributes/concurrency/same-change <<'PY'
sub("""            ram_block_attributes_set_listened(attr);
            seqlock_write_begin(&attr->seq);""",
    """            ram_block_attributes_set_listened(attr);""")
sub("""            seqlock_write_end(&attr->seq);
            attr->changing = false;""", """            attr->changing = false;""")
PY

mutant "a run notified at the address of its section's start" $OBJ $T_OBJ 1 \
    /ram-block-attributes/runs <<'PY'
sub("""        tmp.offset_within_address_space += start - section_start;
""", "")
PY

mutant "nothing to do, although a change may still be undone" $OBJ $T_OBJ 1 \
    /ram-block-attributes/concurrency/same-change <<'PY'
sub("""    return found >= c->end && !seqlock_read_retry(&attr->seq, seq);""",
    """    return found >= c->end + (seq & 0);""")
PY

mutant "a refused registration stays registered" $OBJ $T_OBJ 1 \
    /ram-block-attributes/register-fails <<'PY'
sub("""        memory_region_section_free_copy(rdl->section);
        rdl->section = NULL;
        ram_block_attributes_update_listened(attr);
        return ret;""", """        QLIST_INSERT_HEAD(&attr->rdl_list, rdl, next);
        return ret;""")
PY

mutant "freed while RCU readers may use it" $OBJ $T_OBJ 1 \
    /ram-block-attributes/rcu-lifetime <<'PY'
sub("    call_rcu1(&attr->rcu, ram_block_attributes_free_rcu);",
    "    ram_block_attributes_free_rcu(&attr->rcu);")
PY

mutant "the object's lock held across a whole change" $OBJ $T_OBJ 1 \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("""    for (start = c->first; start < c->end && !ret; start = end) {
        end = MIN(QEMU_ALIGN_DOWN(start, chunk) + chunk, c->end);
        if (start > c->first) {
            ram_block_attributes_let_main_in(attr);
        }
        QEMU_LOCK_GUARD(&attr->lock);""",
    """    QEMU_LOCK_GUARD(&attr->lock);
    for (start = c->first; start < c->end && !ret; start = end) {
        end = MIN(QEMU_ALIGN_DOWN(start, chunk) + chunk, c->end);""")
sub("static void ram_block_attributes_let_main_in(",
    "static void G_GNUC_UNUSED ram_block_attributes_let_main_in(")
PY

# Whether the main loop starves without the handoff is the scheduler's
# choice (a woken waiter may preempt the converting thread before it takes
# the lock again): about one run in three gets the lock in time anyway, so
# the test runs up to 8 times.
mutant "the lock released between chunks but not handed over" $OBJ $T_OBJ 8 \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("""        if (start > c->first) {
            ram_block_attributes_let_main_in(attr);
        }
""", "")
sub("static void ram_block_attributes_let_main_in(",
    "static void G_GNUC_UNUSED ram_block_attributes_let_main_in(")
PY

mutant "the chunks before a refused one not undone" $OBJ $T_OBJ 1 \
    /ram-block-attributes/rollback \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("        if (ret && start > c->first) {", "        if (0 && ret) {")
PY

mutant "a change between the chunks of another" $OBJ $T_OBJ 1 \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("            if (!attr->changing) {", "            if (1) {")
PY

# ------------------------------------------------------------------------
# KVM's conversion path

mutant "no restore of the KVM attribute" $KVM $T_KVM 1 \
    /kvm-convert/refused /kvm-convert/kvm-fails <<'PY'
sub("""        if (p->rb && kvm_convert_sync_attributes(p)) {
            goto fatal;""", """        if (0) {
            goto fatal;""")
PY

mutant "no undo of the parts already converted" $KVM $T_KVM 1 \
    /kvm-convert/refused <<'PY'
sub("        if (p->rb && kvm_convert_undo_state(p, to_private)) {",
    "        if (0 && kvm_convert_undo_state(p, to_private)) {")
PY

mutant "a refused conversion leaves what it faulted in" $KVM $T_KVM 1 \
    /kvm-convert/refused <<'PY'
sub("""        if (!to_private) {
            kvm_convert_free_undone(p, p->offset + b * bs, (e - b) * bs);""",
    """        if (0) {
            kvm_convert_free_undone(p, p->offset + b * bs, (e - b) * bs);""")
PY

mutant "a failed undo ignored" $KVM $T_KVM 1 /kvm-convert/undo-fails <<'PY'
sub("""                 p->start, p->size, to_private ? "private" : "shared");
    return -ENOTRECOVERABLE;""",
    """                 p->start, p->size, to_private ? "private" : "shared");
    return err;""")
PY

mutant "slot (re)creation makes memory private" $KVM $T_KVM 1 \
    /kvm-convert/slots <<'PY'
sub("""    return kvm_convert_sync_attributes(&p);
}""", """    (void)p;
    return kvm_set_memory_attributes_private(start, size);
}""")
PY

mutant "no new attributes after slots were re-created meanwhile" $KVM $T_KVM 1 \
    /kvm-convert/slots <<'PY'
sub("    if (qatomic_read(&kvm_convert_slot_gen) == gen) {", "    if (1) {")
PY

mutant "guest errors printed as host errors" $KVM $T_KVM 1 \
    /kvm-convert/bad-flood <<'PY'
sub("""        qemu_log_mask(LOG_GUEST_ERROR, "cannot convert [0x%" HWADDR_PRIx
                      ", +0x%" HWADDR_PRIx ") to %s: %s\\n", start, size, to,""",
    """        error_report("cannot convert [0x%" HWADDR_PRIx
                      ", +0x%" HWADDR_PRIx ") to %s: %s", start, size, to,""")
PY

mutant "a repeated freeing failure reported each time" $KVM $T_KVM 1 \
    /kvm-convert/free-failure <<'PY'
sub("    if (ret && error_ratelimit_pass(&kvm_convert_free_limit,",
    "    if (ret && (1 || error_ratelimit_pass(&kvm_convert_free_limit,")
sub("KVM_CONVERT_REPORT_PERIOD)) {\n        error_reportf_err(err, \"converted",
    "KVM_CONVERT_REPORT_PERIOD))) {\n        error_reportf_err(err, \"converted")
PY

mutant "a freeing failure fails the conversion" $KVM $T_KVM 1 \
    /kvm-convert/free-failure <<'PY'
sub("""        if (p->rb) {
            kvm_convert_free_part(p, to_private);
        }""", """        if (p->rb) {
            kvm_convert_free_part(p, to_private);
            if (fake_freeing_failed) {
                ret = -EIO;
            }
        }""")
sub("static void kvm_convert_free_part(const KVMConvertPart *p, bool to_private)\n{",
    "static bool fake_freeing_failed;\n"
    "static void kvm_convert_free_part(const KVMConvertPart *p, bool to_private)\n{")
sub("""    if (ret && error_ratelimit_pass(&kvm_convert_free_limit,""",
    """    fake_freeing_failed = ret;
    if (ret && error_ratelimit_pass(&kvm_convert_free_limit,""")
PY

# The lock order: a converting thread holds kvm_convert_lock across its KVM
# ioctl, which waits for the commit path.
mutant "the commit path waits for a converting thread" $KVM $T_KVM 1 \
    /kvm-convert/lock-order <<'PY'
sub("""    /* A full barrier: counted before the state is read */
    qatomic_inc(&kvm_convert_slot_gen);""",
    """    QEMU_LOCK_GUARD(&kvm_convert_lock);
    /* A full barrier: counted before the state is read */
    qatomic_inc(&kvm_convert_slot_gen);""")
sub("static unsigned int kvm_convert_slot_gen;",
    "static unsigned int kvm_convert_slot_gen;\nstatic QemuMutex kvm_convert_lock;")
sub("static QemuMutex kvm_convert_lock;\n\nstatic void __attribute__",
    "static void __attribute__")
PY

# ------------------------------------------------------------------------
# An SEV guest's termination request

mutant "a termination request is a shutdown" $SEV $T_SEV 1 \
    /guest-fatal/sev-msr <<'PY'
sub("    qemu_system_guest_panicked(info);",
    "    qapi_free_GuestPanicInformation(info);\n"
    "    qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);")
PY

mutant "the GHCB's address taken for a reason" $SEV $T_SEV 1 \
    /guest-fatal/sev-ghcb <<'PY'
sub("    } else if ((ghcb & GHCB_MSR_INFO_MASK) == GHCB_MSR_TERM_REQ) {",
    "    } else if (1) {")
PY

mutant "an event without data taken for a GHCB request" $SEV $T_SEV 1 \
    /guest-fatal/sev-ghcb <<'PY'
sub("    if (!run->system_event.ndata) {", "    if (0) {")
PY

mutant "a guest panicked without the BQL" $SEV $T_SEV 1 \
    /guest-fatal/sev-msr <<'PY'
sub("""    bql_lock();
    qemu_system_guest_panicked(info);
    bql_unlock();""", "    qemu_system_guest_panicked(info);")
PY

mutant "a repeated termination request reported each time" $SEV $T_SEV 1 \
    /guest-fatal/sev-repeated <<'PY'
sub("    if (error_ratelimit_pass(&limit, 60)) {",
    "    if (1 || error_ratelimit_pass(&limit, 60)) {")
PY

# ------------------------------------------------------------------------
# The 10.2 series' own: the object

mutant "a state change past the end of the block" $OBJ $T_OBJ 1 \
    /ram-block-attributes/bad-input <<'PY'
sub("""    } else if (offset + size > memory_region_size(attr->ram_block->mr) ||
               offset + size > bitmap_bytes) {""",
    """    } else if (0 && bitmap_bytes) {""")
PY

mutant "a populate refused by a later listener left to the earlier ones" \
    $OBJ $T_OBJ 1 /ram-block-attributes/rollback <<'PY'
sub("""        if (done == rdl) {
            break;
        }
        ram_block_attributes_notify_change(c, done, ULONG_MAX, false, NULL);""",
    """        break;""")
PY

mutant "a refused replay not undone" $OBJ $T_OBJ 1 \
    /ram-block-attributes/register-fails <<'PY'
sub("""        ram_block_attributes_for_each_populated_section(attr, section, &reg,
                                    ram_block_attributes_replay_undo_cb);""",
    "")
sub("static int ram_block_attributes_replay_undo_cb(",
    "static int G_GNUC_UNUSED ram_block_attributes_replay_undo_cb(")
PY

mutant "the chunks before a refused one undone for one listener only" $OBJ $T_OBJ 1 \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("""            QLIST_FOREACH(rdl, &attr->rdl_list, next) {
                ram_block_attributes_notify_change(&done, rdl, ULONG_MAX,
                                                   false, NULL);
            }""", """            QLIST_FOREACH(rdl, &attr->rdl_list, next) {
                ram_block_attributes_notify_change(&done, rdl, ULONG_MAX,
                                                   false, NULL);
                break;
            }""")
PY

mutant "a conversion from a listener's notification not refused" $OBJ $T_OBJ 1 \
    /ram-block-attributes/callback-converts <<'PY'
sub("""        return -EINVAL;
    }
    g_assert(!ram_block_attributes_notifying);""", """        return -EINVAL;
    }""")
PY

# KVM's conversion path, 10.2's own

mutant "hugetlb shared memory freed" $KVM $T_KVM 1 /kvm-convert/hugetlb <<'PY'
sub("        if (p->rb->page_size != qemu_real_host_page_size()) {",
    "        if (0) {")
PY

mutant "a repeated failure to free what did not happen reported each time" \
    $KVM $T_KVM 1 /kvm-convert/refused-free-failure <<'PY'
sub("""    if (ram_block_discard_range_err(p->rb, offset, size, &err) &&
        error_ratelimit_pass(&kvm_convert_free_limit,
                             KVM_CONVERT_REPORT_PERIOD)) {""",
    """    if (ram_block_discard_range_err(p->rb, offset, size, &err)) {""")
PY


mutant "the refused part's shared memory left resident" $KVM $T_KVM 1 \
    /kvm-convert/refused <<'PY'
sub("""            if (!to_private) {
                kvm_convert_free_refused(p);
            }
""", "")
sub("static void kvm_convert_free_refused(",
    "static void G_GNUC_UNUSED kvm_convert_free_refused(")
PY

mutant "the whole refused part freed, shared blocks too" $KVM $T_KVM 1 \
    /kvm-convert/refused <<'PY'
sub("""        kvm_convert_free_undone(p, p->offset + b * bs, (e - b) * bs);
    }
}""", """        kvm_convert_free_undone(p, p->offset + b * bs, (e - b) * bs);
    }
    kvm_convert_free_undone(p, p->offset, p->size);
}""")
PY

mutant "hugetlb shared memory freed after a refusal" $KVM $T_KVM 1 \
    /kvm-convert/hugetlb <<'PY'
sub("""    if (p->rb->page_size != qemu_real_host_page_size()) {
        return;
    }
    if (ram_block_discard_range_err(""",
    """    if (ram_block_discard_range_err(""")
PY

mutant "a conversion across regions taken as the first region" $KVM $T_KVM 1 \
    /kvm-convert/across-regions <<'PY'
sub("        part.size = MIN(int128_get64(section.size), end - addr);",
    "        part.size = end - addr;")
PY

mutant "MMIO made private" $KVM $T_KVM 1 /kvm-convert/mmio-and-holes <<'PY'
sub("        } else if (to_private || !kvm_convert_mr_is_mmio(part.mr)) {",
    "        } else if (!kvm_convert_mr_is_mmio(part.mr)) {")
PY

mutant "conversions not serialized" $KVM $T_KVM 3 /kvm-convert/concurrency <<'PY'
sub("""    QEMU_LOCK_GUARD(&kvm_convert_lock);
    return kvm_convert_locked(start, size, to_private);""",
    """    return kvm_convert_locked(start, size, to_private);""")
PY

mutant "a refused conversion reported each time" $KVM $T_KVM 1 \
    /kvm-convert/refused-flood <<'PY'
sub("            if (error_ratelimit_pass(&kvm_convert_refusal_limit,",
    "            if (1 || error_ratelimit_pass(&kvm_convert_refusal_limit,")
PY

# A TD's fatal error

mutant "a TD panicked without the BQL" $TDX $T_SEV 1 /guest-fatal/tdx <<'PY'
sub("""    bql_lock();
    qemu_system_guest_panicked(info);
    bql_unlock();""", "    qemu_system_guest_panicked(info);")
PY

mutant "a TD's fatal error is a shutdown" $TDX $T_SEV 1 /guest-fatal/tdx <<'PY'
sub("    qemu_system_guest_panicked(info);",
    "    qapi_free_GuestPanicInformation(info);\n"
    "    qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);")
PY

mutant "a TD's message lost" $TDX $T_SEV 1 /guest-fatal/tdx <<'PY'
sub("    info->u.tdx.message = g_string_free(msg, false);",
    "    g_string_free(msg, true);\n    info->u.tdx.message = g_strdup(\"\");")
PY

mutant "a TD's message passed on unsanitized" $TDX $T_SEV 1 /guest-fatal/tdx <<'PY'
sub("g_ascii_isprint(c) ? c : '?'", "c")
PY

mutant "a TD's register read although not in its mask" $TDX $T_SEV 1 \
    /guest-fatal/tdx <<'PY'
sub("        if (!(reg_mask & BIT_ULL(tdx_fatal_message_regs[i]))) {",
    "        if (0 && !(reg_mask & BIT_ULL(tdx_fatal_message_regs[i]))) {")
PY

mutant "a TD's GPA taken without its valid bit" $TDX $T_SEV 1 \
    /guest-fatal/tdx <<'PY'
sub("    if (error_code & TDX_FATAL_GPA_VALID) {", "    if (1) {")
PY

mutant "a TD exit without registers read as one with them" $TDX $T_SEV 1 \
    /guest-fatal/tdx-no-registers <<'PY'
sub("    if (run->system_event.ndata <= TDX_FATAL_R15) {", "    if (0) {")
PY

mutant "a repeated TD fatal error reported each time" $TDX $T_SEV 1 \
    /guest-fatal/tdx-repeated <<'PY'
sub("    if (error_ratelimit_pass(&limit, 60)) {",
    "    if (1 || error_ratelimit_pass(&limit, 60)) {")
PY

# The rate limit of error reports

mutant "a rate limit that lets every report through" $ERR $T_ERR 1 \
    /error-report/ratelimit <<'PY'
sub("""    if (next && (int)(now - next) < 0) {
        return false;
    }""", "")
PY

mutant "a rate limit that lets racing reports through" $ERR $T_ERR 8 \
    /error-report/ratelimit-threads <<'PY'
sub("    return qatomic_cmpxchg(&limit->next, next, (now + period_s) ?: 1) == next;",
    "    qatomic_set(&limit->next, (now + period_s) ?: 1);\n    return true;")
PY
