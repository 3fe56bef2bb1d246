#!/usr/bin/python3
"""Check the device assignment guides against the tree they document.

  check-guide.py TREE [QEMU]

TREE is a QEMU tree with the series; QEMU its qemu-system-x86_64 (default
TREE/build/qemu-system-x86_64).  The guide has a section per kind of
confidential guest, each checked on its own:

- "Assigning host devices to a SEV-SNP guest" (or "... to an SEV-SNP
  guest") in docs/system/i386/amd-memory-encryption.rst, always;
- "Assigning host devices to a TD" in docs/system/i386/tdx.rst, whenever
  TREE has that file (QEMU 10.1 and later have TDX, 10.0 does not).

Each section must:

1. render without a warning (docutils, its whole file, with the
   substitutions of docs/defs.rst.inc that Sphinx's rst_epilog adds);
2. hold the table scripts/guide-numbers.py computes, itself: its file has
   exactly one table between the guide-numbers markers, inside the section
   (a reader of one section needs the numbers; the script keeps the copies
   equal);
3. have command lines (literal blocks starting "# ${QEMU}") that QEMU
   accepts: the machine, the objects and the options parse, and QEMU stops
   only where a host without SEV-SNP or TDX must stop (the accelerator's
   set-up: every line QEMU prints must be one of those the section's
   accelerator prints there); every -device property exists
   (DRIVER,help: devices are created after the accelerator), and so does
   the -cpu model;
4. quote QEMU's messages (literal lines "qemu-system-x86_64: ...", HMP
   "Error: ...") as QEMU prints them: each line must be a chain of the
   format strings of TREE's sources, joined by ": " (error_prepend()); a
   line without a prefix right after a quoted message (a hint, printed by
   error_append_hint() or error_printf()) must be a format string too.

Prints one line per check, naming its section; exits 1 if any failed.
"""

import os
import re
import shlex
import subprocess
import sys

import docutils.core
import docutils.utils

# Where the quoted messages come from.
SOURCE_DIRS = ["hw/vfio", "hw/core", "hw/pci", "hw/i386", "accel", "backends",
               "target/i386", "system", "monitor", "qom", "qapi", "util",
               "include/hw/vfio"]

# The only ways such a command line may fail on a host without SEV-SNP: the
# accelerator cannot create the VM (no SNP, or no /dev/kvm at all).
SNP_STOP = [r"qemu-system-x86_64: -accel kvm: .*"]
# A TD's, on a host whose KVM has no TDX: QEMU 10.2 stops at the
# accelerator's set-up (kvm_arch_get_default_type()) with this line alone.
TDX_STOP = [r"qemu-system-x86_64: -accel kvm: vm-type TDX not supported by"
            r" KVM"]


class Guide:
    def __init__(self, name, doc, titles, always, stop):
        self.name = name
        self.doc = doc
        self.titles = titles
        self.always = always
        self.stop = [re.compile(s + r"\Z") for s in stop]


GUIDES = [
    Guide("SEV-SNP section", "docs/system/i386/amd-memory-encryption.rst",
          ["Assigning host devices to a SEV-SNP guest",
           "Assigning host devices to an SEV-SNP guest"], True, SNP_STOP),
    Guide("TDX section", "docs/system/i386/tdx.rst",
          ["Assigning host devices to a TD"], False, TDX_STOP),
]

BEGIN = ".. guide-numbers: begin"
END = ".. guide-numbers: end"

failed = 0


def result(guide, ok, what):
    global failed
    print("%s  %s: %s" % ("PASS" if ok else "FAIL", guide.name, what))
    if not ok:
        failed += 1


def section(text, titles):
    """The section titled one of @titles (title, "-" underline) in @text,
    up to the next section of the same level, or None."""
    for title in titles:
        m = re.search(r"^%s\n-{%d,}\n" % (re.escape(title), len(title)),
                      text, re.M)
        if m:
            start = m.start()
            n = re.search(r"\n[^\n]+\n-{3,}\n", text[m.end():])
            end = m.end() + n.start() if n else len(text)
            return text[start:end]
    return None


def literal_blocks(text):
    """The literal blocks ("::" then indented lines) of @text."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].rstrip().endswith("::"):
            i += 1
            while i < len(lines) and not lines[i].strip():
                i += 1
            block = []
            while i < len(lines) and (not lines[i].strip() or
                                      lines[i].startswith(" ")):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            if not block:
                continue
            indent = min(len(b) - len(b.lstrip()) for b in block if b.strip())
            yield [b[indent:] for b in block]
        else:
            i += 1


def check_render(guide, tree, path):
    src = open(path, encoding="utf-8").read()
    # docs/conf.py's rst_epilog: |CONFDIR| and docs/defs.rst.inc
    epilog = "\n\n.. |CONFDIR| replace:: ``/etc/qemu``\n"
    defs = os.path.join(tree, "docs", "defs.rst.inc")
    if os.path.exists(defs):
        epilog += open(defs, encoding="utf-8").read()
    try:
        docutils.core.publish_string(
            src + epilog, source_path=path, writer_name="html",
            settings_overrides={"report_level": 2, "halt_level": 2,
                                "warning_stream": False})
        result(guide, True, "renders without warnings (docutils %s): %s"
               % (docutils.__version__, guide.doc))
    except docutils.utils.SystemMessage as e:
        result(guide, False, "%s does not render cleanly: %s" % (guide.doc, e))


def check_numbers(guide, path, text, sec):
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        result(guide, False, "%s has %d table(s) between the guide-numbers"
               " markers, not one" % (guide.doc, text.count(BEGIN)))
        return
    if BEGIN not in sec or END not in sec:
        result(guide, False, "the table of %s is not in the section"
               % guide.doc)
        return
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "guide-numbers.py")
    p = subprocess.run([sys.executable, script, "--check", path],
                       capture_output=True, text=True)
    result(guide, p.returncode == 0, "the table is the one"
           " scripts/guide-numbers.py computes" +
           ("" if p.returncode == 0 else ":\n" + p.stdout + p.stderr))


def qemu_help(qemu, *args):
    p = subprocess.run([qemu] + list(args), capture_output=True, text=True,
                       timeout=60)
    return p.stdout + p.stderr


def check_command(guide, qemu, words, n):
    opts = words[1:]
    bad = []
    i = 0
    while i < len(opts) - 1:
        o, v = opts[i], opts[i + 1]
        if o == "-device":
            drv, _, props = v.partition(",")
            if drv.startswith("driver="):
                drv = drv[len("driver="):]
            listed = qemu_help(qemu, o, drv + ",help")
            for prop in props.split(","):
                key = prop.split("=")[0]
                if key and key != "id" and not re.search(
                        r"^\s*%s=" % re.escape(key), listed, re.M):
                    bad.append("%s %s has no property '%s'" % (o, drv, key))
        elif o == "-cpu":
            model = v.split(",")[0]
            if not re.search(r"\b%s\b" % re.escape(model),
                             qemu_help(qemu, "-cpu", "help")):
                bad.append("no CPU model %s" % model)
        i += 2 if opts[i].startswith("-") else 1
    # The whole line: QEMU must get as far as creating the VM, and stop
    # there only as the accelerator does on a host without it.
    p = subprocess.run([qemu] + opts + ["-display", "none", "-S"],
                       capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    lines = p.stderr.strip().split("\n")
    if p.returncode == 0 or not p.stderr.strip() or not all(
            any(s.match(line) for s in guide.stop) for line in lines):
        bad.append("QEMU stopped before the accelerator's set-up, or not as"
                   " it does without the hardware: %s" % p.stderr.strip())
    devices = [v for o, v in zip(opts, opts[1:]) if o == "-device"]
    what = "command line %d (-device %s) parses" % (n, " -device ".join(
        devices))
    result(guide, not bad, what + ("" if not bad else ": " + "; ".join(bad)))


def check_commands(guide, qemu, sec):
    n = 0
    for block in literal_blocks(sec):
        if not block[0].startswith("# ${QEMU}"):
            continue
        n += 1
        line = " ".join(b.rstrip("\\").strip() for b in block)
        words = shlex.split(line[2:].replace("${QEMU}", qemu))
        check_command(guide, qemu, words, n)
    result(guide, n >= 2, "%d command line(s) found in the section" % n)


C_STRINGS = re.compile(
    r'"((?:[^"\\\n]|\\.)*)"((?:\s*(?:PRI\w+|HWADDR_PRI\w|TARGET_FMT_\w+)?'
    r'\s*"(?:[^"\\\n]|\\.)*")*)')
MACRO_CONV = {"PRId": "d", "PRIi": "i", "PRIu": "u", "PRIx": "x",
              "PRIX": "X", "HWADDR_PRIx": "x", "HWADDR_PRId": "d"}


def formats(tree):
    """Regexes of every string literal (adjacent ones joined) of the
    sources, with at least 4 characters that are not conversions."""
    out = {}
    conv = re.compile(r"%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?"
                      r"([diouxXscp%])")
    for d in SOURCE_DIRS:
        for root, _, files in os.walk(os.path.join(tree, d)):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, f)
                text = open(path, encoding="utf-8", errors="replace").read()
                for m in C_STRINGS.finditer(text):
                    s = m.group(1)
                    for part in re.finditer(
                            r'\s*(PRI\w+|HWADDR_PRI\w|TARGET_FMT_\w+)?\s*'
                            r'"((?:[^"\\\n]|\\.)*)"', m.group(2)):
                        mac = part.group(1) or ""
                        c = next((v for k, v in MACRO_CONV.items()
                                  if mac.startswith(k)), "")
                        s += c + part.group(2)
                    s = s.replace('\\"', '"').replace("\\n", "")
                    # error_prepend()'s "...: ", and a format ending in
                    # ": %s", join the next part of the chain.
                    s = re.sub(r":\s*(?:%s)?$", "", s)
                    if len(conv.sub("", s).strip()) < 4 or s in out:
                        continue
                    rx, pos = "", 0
                    for c in conv.finditer(s):
                        rx += re.escape(s[pos:c.start()])
                        # A %s inside a format never holds ": ": that
                        # would let it swallow the rest of the chain; one
                        # between double quotes ends at the quote.
                        quoted = (c.group(1) == "s" and s[c.start() - 1:
                                  c.start()] == '"' and s[c.end():
                                  c.end() + 1] == '"')
                        rx += '[^"]*' if quoted else {
                            "s": "(?:(?!: ).)+?", "%": "%", "c": "."}.get(
                            c.group(1), "[-0-9a-fA-Fx]+")
                        pos = c.end()
                    rx += re.escape(s[pos:])
                    out[s] = (re.compile(rx + r"\Z", re.S),
                              os.path.relpath(path, tree))
    return out


# What strerror() prints, for the parts made by error_setg_errno() & co.
STRERROR = {os.strerror(e) for e in range(1, 134)}


def explain(msg, fmts):
    """The chain of formats (or strerror() texts), joined by ": ", that
    makes @msg, or None."""
    ends = [m.start() for m in re.finditer(": ", msg)] + [len(msg)]
    memo = {}

    def at(p):
        if p == len(msg):
            return []
        if p in memo:
            return memo[p]
        memo[p] = None
        for e in ends:
            if e <= p:
                continue
            if msg[p:e] in STRERROR:
                rest = at(e + 2 if e < len(msg) else e)
                if rest is not None:
                    memo[p] = ["strerror()"] + rest
                    return memo[p]
            for s, (rx, where) in fmts.items():
                if rx.match(msg[p:e]):
                    rest = at(e + 2 if e < len(msg) else e)
                    if rest is not None:
                        memo[p] = [where] + rest
                        return memo[p]
        return None
    return at(0)


# "qemu-system-x86_64: [-option value: ][warning: ]MESSAGE", or the
# monitor's "[warning: ]MESSAGE" and "Error: MESSAGE".
MESSAGE = re.compile(r"(?:qemu-system-x86_64: (?:-[a-z]+ \S+: )?"
                     r"(?:warning: )?|warning: |Error: )(.*)")


def check_messages(guide, fmts, sec):
    n = 0
    for block in literal_blocks(sec):
        after_message = False
        for line in block:
            m = MESSAGE.match(line)
            if m and line.startswith("qemu-system-x86_64: -accel"):
                after_message = False
                continue
            if m:
                what, msg = "message", m.group(1)
            elif after_message and line.strip() and \
                    not line.startswith(("(qemu)", "{", "#", " ")):
                what, msg = "hint", line
            else:
                after_message = False
                continue
            after_message = True
            n += what == "message"
            where = explain(msg, fmts)
            result(guide, where is not None, "%s quoted as QEMU prints it"
                   " (%s): %.70s..." % (what, ", ".join(sorted(
                       set(where or []))) or "no format matches", msg))
    result(guide, n >= 4, "%d QEMU message(s) quoted in the section" % n)


def check_guide(guide, tree, qemu, fmts):
    path = os.path.join(tree, guide.doc)
    if not os.path.exists(path):
        if guide.always:
            result(guide, False, "%s is not in %s" % (guide.doc, tree))
        else:
            print("note: no %s in %s: no %s to check" % (guide.doc, tree,
                                                        guide.name))
        return
    text = open(path, encoding="utf-8").read()
    sec = section(text, guide.titles)
    if sec is None:
        result(guide, False, "%s has no section \"%s\"" % (
            guide.doc, "\" or \"".join(guide.titles)))
        return
    check_render(guide, tree, path)
    check_numbers(guide, path, text, sec)
    check_commands(guide, qemu, sec)
    check_messages(guide, fmts, sec)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tree = sys.argv[1]
    qemu = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        tree, "build", "qemu-system-x86_64")
    fmts = formats(tree)
    for guide in GUIDES:
        check_guide(guide, tree, qemu, fmts)
    print("check-guide: %d check(s) failed" % failed if failed else
          "check-guide: the guide is consistent with %s" % tree)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
