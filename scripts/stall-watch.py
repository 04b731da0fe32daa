#!/usr/bin/env python3
"""Dumps the threads of a benchmark that stall (docs/BENCHMARKS.md, "Sleepers").

Watches every thread of the processes whose name (/proc/PID/comm) is NAME. When one sits
in the same system call with no CPU time for 0.4 s, writes once to OUT: its system call
line (/proc/PID/task/TID/syscall: number, six arguments, stack pointer, program counter),
its wchan and kernel stack (root only), the mapping its first argument points into (for
a futex: a Geyser board, or the driver's memory), the program counter's mapping, and the
return-address candidates of a scan of 16 KiB of its user stack, each as mapping + file
offset (resolve them with `addr2line -e` against the unstripped file). Then, when the
thread moves again, how long it was stuck. A thread that stays runnable (state R) for 0.4 s
while its own run time (/proc/PID/task/TID/schedstat) moves by under 5% of it is written as
STARVED, with its CPU's interrupt, softirq and steal time meanwhile (/proc/stat): such a
thread reads `running` and is never "stuck". A pass of the watcher that took over 0.25 s is
noted (`!!!`): its reads of maps and mem wait on the target's memory-map lock. Stops when
STOPFILE exists.

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
starve = {}  # tid -> [since, run_ns, wait_ns, cpu times of its CPU then, dumped]


def cpu_lines():
    """/proc/stat's per-CPU irq, softirq and steal, in ms: {cpu: (irq, softirq, steal)}."""
    ms = 1e3 / os.sysconf("SC_CLK_TCK")
    rows = {}
    for line in (read("/proc/stat") or "").splitlines():
        f = line.split()
        if f and f[0].startswith("cpu") and f[0] != "cpu" and len(f) > 8:
            rows[int(f[0][3:])] = tuple(int(x) * ms for x in f[6:9])
    return rows


def watch_starved(pid, tid, fields, now, cpus):
    """A thread that stays runnable (state R) while its own run time hardly moves: kept off
    a CPU by the scheduler, or the current task of a CPU busy with interrupts or stolen by
    the hypervisor (docs/BENCHMARKS.md, "Sleepers", run 8). Dumped once an episode."""
    key = (pid, tid)
    sched = (read(f"/proc/{pid}/task/{tid}/schedstat") or "0 0").split()
    run_ns, wait_ns = int(sched[0]), int(sched[1])
    cpu = int(fields[36])
    s = starve.get(key)
    if fields[0] != "R" or s is None or s[3][0] != cpu:
        if s and s[4]:
            out.write(f"--- pid {pid} tid {tid} ran again at {now:.3f}, "
                      f"starved {now - s[0]:.3f} s\n")
        starve[key] = [now, run_ns, wait_ns, (cpu, cpus.get(cpu, (0, 0, 0))), False]
        if fields[0] != "R":
            del starve[key]
        return
    wall = now - s[0]
    ran = (run_ns - s[1]) / 1e6
    if s[4] or wall < STUCK or ran > 0.05 * wall * 1e3:
        return
    before = s[3][1]
    after = cpus.get(cpu, before)
    lost = ", ".join(f"{n} {a - b:.0f} ms" for n, a, b in zip(("irq", "softirq", "steal"),
                                                                after, before))
    comm = (read(f"/proc/{pid}/task/{tid}/comm") or "?").strip()
    out.write(f"=== STARVED pid {pid} tid {tid} comm {comm} on CPU {cpu} since {s[0]:.3f}: "
              f"ran {ran:.1f} ms of {wall * 1e3:.0f} ms, runnable but waiting "
              f"{(wait_ns - s[2]) / 1e6:.0f} ms; CPU {cpu} meanwhile: {lost}\n")
    out.write("kstack:\n" + (read(f"/proc/{pid}/task/{tid}/stack") or "(unreadable)\n"))
    s[4] = True


t0 = time.time()
last_pass = 0.0
while not os.path.exists(stop_file):
    now = time.time() - t0
    if last_pass and now - last_pass > 0.25:
        # The watcher itself was held up (a /proc read that waits on the target's locks).
        out.write(f"!!! watcher pass took {now - last_pass:.3f} s, until {now:.3f}\n")
    last_pass = now
    cpus = cpu_lines()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or (read(f"/proc/{pid}/comm") or "").strip() != name:
            continue
        for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
            stat = read(f"/proc/{pid}/task/{tid}/stat")
            line = (read(f"/proc/{pid}/task/{tid}/syscall") or "").strip()
            if not stat:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            watch_starved(pid, tid, fields, now, cpus)
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
