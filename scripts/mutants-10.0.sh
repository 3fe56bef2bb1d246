#!/bin/bash
# mutants.sh TREE: prove that the series' unit tests can fail.  Each mutant
# breaks system/ram-block-attributes.c, accel/kvm/kvm-convert.c or
# target/i386/kvm/sev-termination.c of TREE in one way the design forbids; the unit test concerned is rebuilt and must
# fail in the tests named.  The sources are restored afterwards, whatever
# happens.  Prints one PASS/FAIL line per mutant.  MUTANTS="a b" runs only
# the mutants whose names contain one of the words.
. "$(dirname "$0")/common.sh"

tree=${1:-$CHECK_DIR/qemu}
bdir=$tree/build
OBJ=system/ram-block-attributes.c
KVM=accel/kvm/kvm-convert.c
SEV=target/i386/kvm/sev-termination.c
T_OBJ=tests/unit/test-ram-block-attributes
T_KVM=tests/unit/test-kvm-convert
T_SEV=tests/unit/test-sev-termination

backup=$(mktemp -d)
cp "$tree/$OBJ" "$backup/obj.c"
cp "$tree/$KVM" "$backup/kvm.c"
cp "$tree/$SEV" "$backup/sev.c"
restore_sources() {
    cp "$backup/obj.c" "$tree/$OBJ"
    cp "$backup/kvm.c" "$tree/$KVM"
    cp "$backup/sev.c" "$tree/$SEV"
}
restore() {
    restore_sources
    ninja -C "$bdir" "$T_OBJ" "$T_KVM" "$T_SEV" >/dev/null 2>&1 || true
    rm -rf "$backup"
}
trap restore EXIT

# mutate FILE: restore both sources, then edit FILE; the Python snippet on
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
    local name=$1 test=$2 tries=$3 out try caught= path
    shift 3
    if ! ninja -C "$bdir" "$test" >/dev/null 2>&1; then
        echo "FAIL  mutant '$name': the mutated source does not build"
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

# The object (RamBlockAttributes)

mutant "no undo of a rejected populate" $OBJ $T_OBJ 1 \
    /ram-block-attributes/rollback/exhaustive \
    /ram-block-attributes/rollback/entry-limit <<'PY'
sub("""        rba_store(attr, rec, true, false);
        rba_walk_change(rec, n.rdl,""", """        rba_walk_change(rec, n.rdl,""")
sub("""        rba_discard_change(attr, rec, n.rdl);
    }
    return ret;""", """    }
    return ret;""")
PY

mutant "no lock" $OBJ $T_OBJ 3 /ram-block-attributes/concurrency <<'PY'
sub("QEMU_LOCK_GUARD(&attr->lock);", "(void)0;")
s = s.replace("QEMU_LOCK_GUARD(&attr->lock);", "(void)0;")
s = s.replace("qemu_spin_lock(&attr->state_lock);", "(void)0;")
s = s.replace("qemu_spin_unlock(&attr->state_lock);", "(void)0;")
s = s.replace("WITH_QEMU_LOCK_GUARD(&attr->state_lock)", "if (1)")
PY

mutant "changes without listeners' lock although they listen" $OBJ $T_OBJ 3 \
    /ram-block-attributes/concurrency/late-listener <<'PY'
sub("    if (unlistened && (!QLIST_EMPTY(&attr->listeners) || attr->changing)) {",
    "    if (0 && unlistened) {")
PY

mutant "a listener listed only after its replay" $OBJ $T_OBJ 3 \
    /ram-block-attributes/concurrency/come-and-go <<'PY'
sub("""    /* Listed first: from now on, state changes wait for @lock. */
    WITH_QEMU_LOCK_GUARD(&attr->state_lock) {
        QLIST_INSERT_HEAD_RCU(&attr->listeners, rdl, next);
    }
""", "")
sub("""    if (!ret) {
        return 0;
    }""", """    if (!ret) {
        WITH_QEMU_LOCK_GUARD(&attr->state_lock) {
            QLIST_INSERT_HEAD_RCU(&attr->listeners, rdl, next);
        }
        return 0;
    }
    WITH_QEMU_LOCK_GUARD(&attr->state_lock) {
        QLIST_INSERT_HEAD_RCU(&attr->listeners, rdl, next);
    }""")
PY

mutant "one notification per page" $OBJ $T_OBJ 1 \
    /ram-block-attributes/coalescing <<'PY'
sub("""        end = find_next_bit_value_atomic(map, last - base, start + 1, !value);""",
    """        end = start + 1;""")
PY

mutant "listeners notified before the state changes" $OBJ $T_OBJ 1 \
    /ram-block-attributes/ordering <<'PY'
sub("""    rba_store(attr, &chunk, false, false);
    if (chunk.changed) {
        c->changed = true;
        ret = rba_notify_locked(attr, &chunk);
    }""", """    rba_store(attr, &chunk, false, false);
    rba_store(attr, &chunk, true, false);
    if (chunk.changed) {
        c->changed = true;
        ret = rba_notify_locked(attr, &chunk);
    }
    if (!ret) {
        bool changed = chunk.changed;

        rba_store(attr, &chunk, false, false);
        chunk.changed = changed;
    }""")
PY

mutant "a refused registration stays registered" $OBJ $T_OBJ 1 \
    /ram-block-attributes/register-failure <<'PY'
sub("""    WITH_QEMU_LOCK_GUARD(&attr->state_lock) {
        QLIST_REMOVE_RCU(rdl, next);
    }
    trace_ram_block_attributes_register_listener_failed""",
    """    trace_ram_block_attributes_register_listener_failed""")
sub("""    memory_region_section_free_copy(rdl->section);
    rdl->section = NULL;
    return ret;""", """    return ret;""")
PY

mutant "freed while RCU readers may use it" $OBJ $T_OBJ 1 \
    /ram-block-attributes/rcu-lifetime <<'PY'
sub("    call_rcu1(&attr->rcu, rba_free_rcu);", "    rba_free_rcu(&attr->rcu);")
PY

mutant "the object's lock held across a whole change" $OBJ $T_OBJ 1 \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("""    for (start = c->first; start < c->last && !ret; start = end) {
        end = MIN(QEMU_ALIGN_DOWN(start, chunk) + chunk, c->last);
        if (start > c->first) {
            rba_let_main_in(attr);
        }
        QEMU_LOCK_GUARD(&attr->lock);""", """    QEMU_LOCK_GUARD(&attr->lock);
    for (start = c->first; start < c->last && !ret; start = end) {
        end = MIN(QEMU_ALIGN_DOWN(start, chunk) + chunk, c->last);""")
sub("static void rba_let_main_in(", "static void G_GNUC_UNUSED rba_let_main_in(")
PY

# Whether the main loop starves without the handoff is the scheduler's
# choice (a woken waiter may preempt the converting thread before it takes
# the lock again): about one run in three gets the lock in time anyway, so
# the test runs up to 8 times.
mutant "the lock released between chunks but not handed over" $OBJ $T_OBJ 8 \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("""        if (start > c->first) {
            rba_let_main_in(attr);
        }
""", "")
sub("static void rba_let_main_in(", "static void G_GNUC_UNUSED rba_let_main_in(")
PY

mutant "the chunks before a refused one not undone" $OBJ $T_OBJ 1 \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("        if (ret && start > c->first) {", "        if (0 && ret) {")
PY

mutant "a change between the chunks of another" $OBJ $T_OBJ 1 \
    /ram-block-attributes/concurrency/bounded-hold <<'PY'
sub("    if (qatomic_read(&attr->changing)) {", "    if (0) {")
PY

# KVM's conversion path

mutant "no restore of the KVM attribute" $KVM $T_KVM 1 \
    /kvm-convert/restore <<'PY'
sub("""        if (parts->part[i].attributes_set) {
            ret = kvm_set_attributes_of_runs(""",
    """        if (0) {
            ret = kvm_set_attributes_of_runs(""")
PY

mutant "no undo of the parts already converted" $KVM $T_KVM 1 \
    /kvm-convert/all-or-nothing <<'PY'
sub("        if (p->state_changed && p->undo) {", "        if (0) {")
PY

mutant "a refused conversion leaves what it faulted in" $KVM $T_KVM 1 \
    /kvm-convert/restore /kvm-convert/all-or-nothing <<'PY'
sub("        if (!to_private && p->state_tried) {", "        if (0) {")
PY

mutant "a failed undo ignored" $KVM $T_KVM 1 /kvm-convert/restore <<'PY'
sub("        if (kvm_convert_undo(parts, to_private) ||",
    "        if ((kvm_convert_undo(parts, to_private), 0) ||")
PY

mutant "slot (re)creation makes memory private" $KVM $T_KVM 1 \
    /kvm-convert/slot-recreation <<'PY'
sub("""    qatomic_inc(&kvm_convert_slot_updates);
    return kvm_set_attributes_from_state(start, rb, offset, size);""",
    """    qatomic_inc(&kvm_convert_slot_updates);
    return kvm_set_attributes(start, size, true);""")
PY

mutant "no new attributes after slots were re-created meanwhile" $KVM $T_KVM 1 \
    /kvm-convert/remap /kvm-convert/slot-recreation-window <<'PY'
sub("    if (qatomic_read(&kvm_convert_slot_updates) == seen) {",
    "    if (1) {")
PY

mutant "guest errors printed as host errors" $KVM $T_KVM 1 \
    /kvm-convert/bad-flood <<'PY'
sub('        qemu_log_mask(LOG_GUEST_ERROR, "%s\\n", error_get_pretty(err));',
    '        error_report("%s", error_get_pretty(err));')
PY

mutant "a repeated freeing failure reported each time" $KVM $T_KVM 1 \
    /kvm-convert/free-failure <<'PY'
sub("    if (error_ratelimit_pass(&kvm_convert_free_limit, 60)) {",
    "    if (1 || error_ratelimit_pass(&kvm_convert_free_limit, 60)) {")
PY

mutant "a freeing failure fails the conversion" $KVM $T_KVM 1 \
    /kvm-convert/free-failure <<'PY'
sub("""    for (i = 0; i < parts->nr; i++) {
        kvm_convert_free(&parts->part[i], to_private);
    }
    return 0;""", """    for (i = 0; i < parts->nr; i++) {
        kvm_convert_free(&parts->part[i], to_private);
    }
    return fake_freeing_failed ? -EIO : 0;""")
sub("static void kvm_convert_free(KVMConvertPart *p, bool to_private)\n{",
    "static bool fake_freeing_failed;\n"
    "static void kvm_convert_free(KVMConvertPart *p, bool to_private)\n{")
sub("""    if (ret) {
        kvm_convert_free_failed(err, rb,""", """    fake_freeing_failed = ret;
    if (ret) {
        kvm_convert_free_failed(err, rb,""")
PY

# The lock order of the integration issue: a converting thread holds what
# the commit path needs across its KVM ioctl.
mutant "the commit path waits for a converting thread" $KVM $T_KVM 1 \
    /kvm-convert/lock-order <<'PY'
sub("""    qatomic_inc(&kvm_convert_slot_updates);
    return kvm_set_attributes_from_state(start, rb, offset, size);""",
    """    QEMU_LOCK_GUARD(&kvm_convert_lock);
    qatomic_inc(&kvm_convert_slot_updates);
    return kvm_set_attributes_from_state(start, rb, offset, size);""")
PY

# An SEV guest's termination request

mutant "a termination request is a shutdown" $SEV $T_SEV 1 \
    /sev-termination/linux-psc <<'PY'
sub("    qemu_system_guest_panicked(info);",
    "    qapi_free_GuestPanicInformation(info);\n"
    "    qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);")
PY

mutant "the GHCB's address taken for a reason" $SEV $T_SEV 1 \
    /sev-termination/ghcb <<'PY'
sub("    } else if ((ghcb & GHCB_MSR_INFO_MASK) == GHCB_MSR_TERM_REQ) {",
    "    } else if (1) {")
PY

mutant "an event without data taken for a GHCB request" $SEV $T_SEV 1 \
    /sev-termination/no-data <<'PY'
sub("    if (!run->system_event.ndata) {", "    if (0) {")
PY

mutant "a guest panicked without the BQL" $SEV $T_SEV 1 \
    /sev-termination/general <<'PY'
sub("""    bql_lock();
    qemu_system_guest_panicked(info);
    bql_unlock();""", "    qemu_system_guest_panicked(info);")
PY

mutant "a repeated termination request reported each time" $SEV $T_SEV 1 \
    /sev-termination/repeated <<'PY'
sub("    if (error_ratelimit_pass(&limit, 60)) {",
    "    if (1 || error_ratelimit_pass(&limit, 60)) {")
PY
