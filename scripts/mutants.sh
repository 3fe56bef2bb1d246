#!/bin/bash
# mutants.sh TREE: prove that the series' unit tests can fail.  Each mutant
# breaks system/ram-block-attributes.c of TREE in one way the design forbids
# (no undo, no lock, one notification per page, listeners notified before
# the state changes, no restore of the accelerator's attribute); the unit
# test is rebuilt and must fail in the tests named.  The source is restored
# afterwards, whatever happens.  Prints one PASS/FAIL line per mutant.
. "$(dirname "$0")/common.sh"

tree=${1:-$CHECK_DIR/qemu}
src=$tree/system/ram-block-attributes.c
test=tests/unit/test-ram-block-attributes
bdir=$tree/build
backup=$(mktemp)
cp "$src" "$backup"
restore() {
    cp "$backup" "$src"
    ninja -C "$bdir" "$test" >/dev/null 2>&1 || true
    rm -f "$backup"
}
trap restore EXIT

# mutate NAME: edit $src; the Python snippet on stdin gets the text as s.
mutate() {
    cp "$backup" "$src"
    "$PYTHON" - "$src" <<PY
import sys
p = sys.argv[1]
s = open(p).read()
orig = s
$(cat)
if s == orig:
    sys.exit("mutation did not apply: the code changed?")
open(p, "w").write(s)
PY
}

# run_mutant NAME TRIES TESTPATH...: rebuild, run, expect a failure.
run_mutant() {
    local name=$1 tries=$2 out try caught=
    shift 2
    if ! ninja -C "$bdir" "$test" >/dev/null 2>&1; then
        echo "FAIL  mutant '$name': the mutated source does not build"
        return
    fi
    for ((try = 1; try <= tries; try++)); do
        for path in "$@"; do
            out=$(timeout 300 "$bdir/$test" -p "$path" 2>&1) && continue
            caught="$path: $(grep -m1 -E 'ERROR|Bail out' <<<"$out" | cut -c1-160)"
            break 2
        done
    done
    if [ -n "$caught" ]; then
        echo "PASS  mutant '$name' is caught by $caught"
    else
        echo "FAIL  mutant '$name' survives: $* pass with it"
    fi
}

mutate <<'PY'
old = """    ram_block_attributes_set_runs(attr, runs, false);
    ram_block_attributes_notify_discard(rdl, runs, failed_run);"""
s = s.replace(old, "    (void)failed_run;")
s = s.replace("""        ram_block_attributes_notify_discard(undo, runs, runs->len);""",
              "        (void)undo;")
PY
run_mutant "no undo of a rejected populate" 1 \
    /ram-block-attributes/rollback/exhaustive /ram-block-attributes/rollback/entry-limit

mutate <<'PY'
s = s.replace("QEMU_LOCK_GUARD(&attr->lock);", "(void)0;")
PY
run_mutant "no lock" 3 /ram-block-attributes/concurrency

mutate <<'PY'
old = """    range_init_nofail(&run, section->offset_within_region,
                      int128_get64(section->size));
    g_array_append_val(runs, run);"""
new = """    for (uint64_t o = 0; o < int128_get64(section->size);
         o += ram_block_attributes_block_size()) {
        range_init_nofail(&run, section->offset_within_region + o,
                          ram_block_attributes_block_size());
        g_array_append_val(runs, run);
    }"""
s = s.replace(old, new)
PY
run_mutant "one notification per page" 1 /ram-block-attributes/coalescing

mutate <<'PY'
old = """    ram_block_attributes_set_runs(attr, runs, !to_discard);

    if (to_discard) {"""
new = """    if (to_discard) {"""
s = s.replace(old, new)
s = s.replace("""    if (!ret) {
        return 0;
    }

    /*
     * @rdl rejected""", """    if (!ret) {
        ram_block_attributes_set_runs(attr, runs, true);
        return 0;
    }

    /*
     * @rdl rejected""")
s = s.replace("""            ram_block_attributes_notify_discard(rdl, runs, runs->len);
        }
        return 0;""", """            ram_block_attributes_notify_discard(rdl, runs, runs->len);
        }
        ram_block_attributes_set_runs(attr, runs, false);
        return 0;""")
PY
run_mutant "listeners notified before the state changes" 1 /ram-block-attributes/ordering

mutate <<'PY'
old = "    ret = restore->set_attributes(start, size, !restore->to_private);"
s = s.replace(old, "    ret = 0;")
PY
run_mutant "no restore of the accelerator's attribute" 1 /ram-block-attributes/convert/restore
