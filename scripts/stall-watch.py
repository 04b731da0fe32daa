#!/usr/bin/env python3
"""Dumps the threads of a benchmark that stall (docs/BENCHMARKS.md, "Sleepers").

Watches every thread of the processes whose name (/proc/PID/comm) is NAME. When one sits
in the same system call with no CPU time for 0.4 s, writes once to OUT: its system call
line (/proc/PID/task/TID/syscall: number, six arguments, stack pointer, program counter),
its wchan and kernel stack (root only), the mapping its first argument points into (for
a futex: a Geyser board, or the driver's memory), the program counter's mapping, and the
return-address candidates of a scan of 16 KiB of its user stack, each as mapping + file
offset (resolve them with `addr2line -e` against the unstripped file). Then, when the
thread moves again, how long it was stuck. Stops when STOPFILE exists.

Usage: scripts/stall-watch.py NAME OUT STOPFILE
  e.g. scripts/stall-watch.py geyser stalls.txt /tmp/stop & geyser bench --quick; touch /tmp/stop
"""
import os
import sys
import time

if len(sys.argv) != 4:
    sys.exit(__doc__)
name, out_path, stop_file = sys.argv[1], sys.argv[2], sys.argv[3]
STUCK = 0.4
out = open(out_path, "w", buffering=1)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def maps_of(pid):
    rows = []
    for line in (read(f"/proc/{pid}/maps") or "").splitlines():
        parts = line.split(None, 5)
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        rows.append((lo, hi, parts[1], int(parts[2], 16), parts[5] if len(parts) > 5 else ""))
    return rows


def where(maps, addr):
    for lo, hi, perm, off, path in maps:
        if lo <= addr < hi:
            return perm, path, addr - lo + off
    return None


def dump(pid, tid, line, since):
    maps = maps_of(pid)
    comm = (read(f"/proc/{pid}/task/{tid}/comm") or "?").strip()
    cmd = (read(f"/proc/{pid}/cmdline") or "").replace("\0", " ")[:120]
    out.write(f"=== STUCK pid {pid} tid {tid} comm {comm} since {since:.3f} cmd [{cmd}]\n")
    out.write(f"syscall: {line}\n")
    out.write(f"wchan: {read(f'/proc/{pid}/task/{tid}/wchan')}\n")
    out.write("kstack:\n" + (read(f"/proc/{pid}/task/{tid}/stack") or "(unreadable)\n"))
    f = line.split()
    if len(f) >= 9 and f[0] not in ("running", "-1"):
        arg0 = int(f[1], 16)
        sp, pc = int(f[7], 16), int(f[8], 16)
        out.write(f"arg0 -> {where(maps, arg0)}\n")
        out.write(f"pc -> {where(maps, pc)}\n")
        try:
            fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
            data = b""
            try:
                addr = sp
                while len(data) < 16384:
                    end = (addr | 0xFFF) + 1
                    try:
                        chunk = os.pread(fd, end - addr, addr)
                    except OSError:
                        break
                    if not chunk:
                        break
                    data += chunk
                    addr += len(chunk)
            finally:
                os.close(fd)
            hits = 0
            for i in range(0, len(data) - 7, 8):
                v = int.from_bytes(data[i:i + 8], "little")
                w = where(maps, v)
                if w and "x" in w[0]:
                    out.write(f"  sp+{i:#06x}: {os.path.basename(w[1])} +{w[2]:#x}\n")
                    hits += 1
                    if hits >= 60:
                        break
        except OSError as e:
            out.write(f"  stack unreadable: {e}\n")


state = {}  # tid -> [cpu, line, since, dumped]
t0 = time.time()
while not os.path.exists(stop_file):
    now = time.time() - t0
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or (read(f"/proc/{pid}/comm") or "").strip() != name:
            continue
        for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
            stat = read(f"/proc/{pid}/task/{tid}/stat")
            line = (read(f"/proc/{pid}/task/{tid}/syscall") or "").strip()
            if not stat:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            cpu = int(fields[11]) + int(fields[12])
            key = (pid, tid)
            s = state.get(key)
            if s is None or s[0] != cpu or s[1] != line or line.startswith("running"):
                if s and s[3]:
                    out.write(f"--- pid {pid} tid {tid} going again at {now:.3f}, "
                              f"stuck {now - s[2]:.3f} s\n")
                state[key] = [cpu, line, now, False]
            elif not s[3] and now - s[2] >= STUCK:
                dump(pid, tid, line, s[2])
                s[3] = True
    time.sleep(0.05)
out.write(f"watch ended at {time.time() - t0:.3f}\n")
