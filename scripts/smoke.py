#!/usr/bin/python3
"""Smoke run of a built qemu-system-x86_64.

Prints -version, starts a q35 VM (KVM when /dev/kvm works, else the qtest
accelerator), queries it over QMP (status, accelerator, a memory device
list), and quits it over QMP.  Exit status 0 only if all of that happened.

With the series applied, it also checks that an ordinary guest (no
guest_memfd) gets no RamBlockAttributes: the VM runs with the series'
creation trace event enabled, which must stay silent, while the shutdown
event proves tracing works.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def qmp_session(sock_path, proc):
    deadline = time.time() + 30
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock_path)
            break
        except OSError:
            s.close()
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("QEMU did not open its QMP socket")
            time.sleep(0.1)
    s.settimeout(30)
    f = s.makefile("rw")

    def read():
        while True:
            line = f.readline()
            if not line:
                raise RuntimeError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def cmd(name, **args):
        f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        f.flush()
        reply = read()
        if "error" in reply:
            raise RuntimeError(f"{name}: {reply['error']}")
        return reply["return"]

    greeting = read()
    assert "QMP" in greeting, greeting
    cmd("qmp_capabilities")
    return s, cmd


def run(binary, accel):
    with tempfile.TemporaryDirectory() as tmp:
        sock_path = os.path.join(tmp, "qmp.sock")
        argv = [binary, "-machine", "q35", "-accel", accel, "-m", "256",
                "-display", "none", "-nodefaults", "-serial", "none",
                "-qmp", f"unix:{sock_path},server=on,wait=off",
                "-trace", "qemu_system_shutdown_request"]
        if has_series_trace(binary):
            argv += ["-trace", "ram_block_attributes_*"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            s, cmd = qmp_session(sock_path, proc)
            status = cmd("query-status")
            kvm = cmd("query-kvm")
            blocks = cmd("query-memdev")
            cmd("quit")
            s.close()
            out, _ = proc.communicate(timeout=30)
        except Exception:
            proc.kill()
            out, _ = proc.communicate()
            print(out, end="")
            raise
        if proc.returncode != 0:
            print(out, end="")
            raise RuntimeError(f"QEMU exited with {proc.returncode}")
        print(f"smoke: {' '.join(argv[:5])}: status={status['status']} "
              f"kvm={kvm} memdevs={len(blocks)}; quit over QMP, exit 0")
        said = [line for line in out.strip().splitlines()
                if "qemu_system_shutdown_request" not in line]
        if said:
            print("smoke: QEMU said: " + "\n       ".join(said))
        if accel == "kvm" and not kvm.get("enabled"):
            raise RuntimeError("started with -accel kvm but KVM is not enabled")
        if "qemu_system_shutdown_request" not in out:
            raise RuntimeError("tracing does not work: no shutdown event")
        if "ram_block_attributes_" in out:
            raise RuntimeError("an ordinary guest got RamBlockAttributes")
        if has_series_trace(binary):
            print("smoke: no RamBlockAttributes for a guest without "
                  "guest_memfd (trace silent)")


def has_series_trace(binary):
    """Does this binary know the series' trace events?"""
    events = subprocess.run([binary, "-trace", "help"], check=True,
                            capture_output=True, text=True).stdout
    return "ram_block_attributes_create" in events


def kvm_usable():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


def main():
    binary = sys.argv[1]
    version = subprocess.run([binary, "-version"], check=True,
                             capture_output=True, text=True).stdout
    print("smoke: " + version.splitlines()[0])
    accel = "kvm" if kvm_usable() else "qtest"
    if accel == "qtest":
        print("smoke: /dev/kvm is not usable here; using -accel qtest")
    run(binary, accel)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line, then a non-zero exit
        print(f"smoke: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
