#!/bin/bash
# Re-derive scripts/qtest-base-failures-$QEMU: build the unpatched base in
# $CHECK_DIR/base and run its x86_64 qtests; print the failing ones.  Slow
# (a full build and up to 10 minutes of qtests); run it when the base changes.
. "$(dirname "$0")/common.sh"

"$TOP/scripts/fetch-base.sh"
dir=$CHECK_DIR/base
if [ -d "$dir/.git" ]; then
    git -C "$dir" checkout -q -f base
else
    git clone -q "$BASE_REPO" "$dir"
    git -C "$dir" checkout -q base
fi
"$TOP/scripts/configure.sh" "$dir"
make -C "$dir/build" -j"$(nproc)" check-build >/dev/null
"$TOP/scripts/firmware.sh" "$dir"
"$dir/build/pyvenv/bin/meson" test -C "$dir/build" --no-rebuild -t 1 \
    --num-processes "$(nproc)" --suite qtest-x86_64 --logbase base-qtest || true
"$PYTHON" - "$dir/build/meson-logs/base-qtest.json" <<'PY'
import json, sys
print("# Failing on the unpatched base; copy into scripts/qtest-base-failures-<base>")
print("# with the observed failure of each (meson-logs/base-qtest.txt):")
for raw in open(sys.argv[1]):
    t = json.loads(raw)
    if t["result"] not in ("OK", "SKIP", "EXPECTEDFAIL"):
        print(f"{t['name']}  {t['result']} after {t['duration']:.0f} s")
PY
