#!/usr/bin/env python3
"""The Python layer's cost per frame: from the ``receiver.acquire()`` call to a torch
tensor from ``torch.from_dlpack(frame)``, on a CUDA receiver (or a host one with
``--api host``).

Each measured acquire starts when a frame is already there (the receiver's event fd is
readable), so the time is the cost of the call path (ctypes, libgeyser's acquire, the
DLPack export, torch's import), not the wait for the sender. Prints JSON: p50 / p90 / mean
in microseconds of the whole, and of its two parts (acquire; from_dlpack), for a thread
that sleeps in select until the frame comes ("woken": its core wakes cold, which on a VM
costs more than the calls) and for one that polls the fd without sleeping ("spinning":
the calls alone).

Runs against a channel that is being published (``--name``), or starts
``geyser send NAME --fps F --tiling T`` itself (``--start-sender``, with ``--cli`` or
``$GEYSER_CLI``). For example, on a GPU machine::

    GEYSER_LIBRARY=build/src/capi/libgeyser.so PYTHONPATH=python \\
        python3 python/bench_acquire.py --start-sender --tiling linear --frames 2000
"""

import argparse
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

try:
    import geyser
except ImportError:  # run from the source tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import geyser


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * p / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(samples_ns):
    us = [s / 1000.0 for s in samples_ns]
    return {
        "p50_us": round(percentile(us, 50), 2),
        "p90_us": round(percentile(us, 90), 2),
        "mean_us": round(statistics.fmean(us), 2),
        "min_us": round(min(us), 2),
    }


def measure(torch, receiver, args, spin, deadline):
    """Times `args.frames` acquires (after `args.warmup`), each started once the event fd
    is readable: waited for in select (``spin`` False: the thread sleeps, as a consumer
    that blocks does, and wakes on a cold core) or polled without sleeping (``spin``
    True: the cost of the calls alone, on a core kept busy)."""
    samples = {"total": [], "acquire": [], "from_dlpack": [], "shape": None}
    fd = receiver.fileno()
    wait = 0 if spin else 1.0
    n = 0
    while n < args.warmup + args.frames and time.monotonic() < deadline:
        readable, _, _ = select.select([fd], [], [], wait)
        if not readable:
            continue
        t0 = time.perf_counter_ns()
        try:
            frame = receiver.acquire(timeout=0)
        except geyser.TimeoutError:
            continue  # the fd woke for something else
        t1 = time.perf_counter_ns()
        tensor = torch.from_dlpack(frame)
        t2 = time.perf_counter_ns()
        if n >= args.warmup:
            samples["total"].append(t2 - t0)
            samples["acquire"].append(t1 - t0)
            samples["from_dlpack"].append(t2 - t1)
        n += 1
        samples["shape"] = tuple(tensor.shape)
        del tensor
    return samples


def measure_calls(torch, receiver, args, deadline):
    """The same frames without the package's Python: libgeyser's acquire and DLPack export
    called through ctypes directly (about 0.2 us of ctypes each), the capsule made, and
    torch's import of it; polled like ``spin``. (Its total less the spinning one is no
    measure of the package: the two runs see different frames and noise; measure_package
    times the package's Python itself.)"""
    import ctypes

    from geyser import _lib, dlpack

    receiver.release()  # from here on the raw calls hold the frames, not the package
    lib = _lib.lib()
    handle = receiver._handle
    stream = dlpack.stream_argument(1) if args.api == "cuda" else None  # torch's legacy default
    parts = {"total": [], "libgeyser_acquire": [], "libgeyser_dlpack": [], "capsule": [],
             "torch_import": []}
    fd = receiver.fileno()
    raw = _lib.geyser_frame()
    n = 0
    while n < args.warmup + args.frames and time.monotonic() < deadline:
        readable, _, _ = select.select([fd], [], [], 0)
        if not readable:
            continue
        raw.struct_size = ctypes.sizeof(raw)
        out = ctypes.c_void_p()
        t0 = time.perf_counter_ns()
        status = lib.geyser_receiver_acquire(handle, 0, ctypes.byref(raw))
        if status == _lib.STATUS_TIMEOUT:
            continue  # the fd woke for something else
        geyser.check(status, "geyser_receiver_acquire")
        t1 = time.perf_counter_ns()
        if lib.geyser_receiver_dlpack(handle, stream, ctypes.byref(out)) != _lib.OK:
            raise geyser.Error(lib.geyser_last_error().decode())
        t2 = time.perf_counter_ns()
        capsule = dlpack.capsule_from_tensor(out.value)
        t3 = time.perf_counter_ns()
        tensor = torch.from_dlpack(capsule)
        t4 = time.perf_counter_ns()
        if n >= args.warmup:
            for part, a, b in (("total", t0, t4), ("libgeyser_acquire", t0, t1),
                               ("libgeyser_dlpack", t1, t2), ("capsule", t2, t3),
                               ("torch_import", t3, t4)):
                parts[part].append(b - a)
        n += 1
        del tensor, capsule
    lib.geyser_receiver_release(handle)
    return parts


def measure_package(receiver, repeats=20000):
    """The package's own Python on a held frame, repeated on a hot core (no sender wait;
    a CUDA frame's export still queues its stream order each time): the Frame it builds per acquire, and what ``frame.__dlpack__()`` adds to
    libgeyser's export and the capsule. Medians in microseconds."""
    import ctypes

    from geyser import _lib, dlpack

    frame = receiver.acquire(timeout=5.0)
    lib = _lib.lib()
    handle = receiver._handle
    raw = _lib.geyser_frame()
    raw.struct_size = ctypes.sizeof(raw)
    stream = 1 if frame.__dlpack_device__()[0] == dlpack.kDLCUDA else None

    def median(call):
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter_ns()
            call()
            samples.append(time.perf_counter_ns() - t0)
        return round(statistics.median(samples) / 1000.0, 3)

    def raw_export():
        out = ctypes.c_void_p()
        lib.geyser_receiver_dlpack(handle, dlpack.stream_argument(stream), ctypes.byref(out))
        return dlpack.capsule_from_tensor(out.value)

    result = {
        "frame_object_us": median(lambda: geyser.Frame(receiver, 0, raw)),
        "dlpack_method_us": median(lambda: frame.__dlpack__(stream=stream)),
        "raw_export_us": median(raw_export),
    }
    result["dlpack_method_adds_us"] = round(result["dlpack_method_us"] - result["raw_export_us"], 3)
    frame.release()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default="bench-acquire-%d" % os.getpid(), help="channel name")
    parser.add_argument("--api", default="cuda", choices=["cuda", "host"], help="the receiver's API")
    parser.add_argument("--frames", type=int, default=1000, help="frames measured")
    parser.add_argument("--warmup", type=int, default=50, help="frames not measured at first")
    parser.add_argument("--start-sender", action="store_true", help="start `geyser send` for the channel")
    parser.add_argument("--cli", default=os.environ.get("GEYSER_CLI", "build/tools/geyser/geyser"))
    parser.add_argument("--size", default="1920x1080", help="WxH of the sender started")
    parser.add_argument("--fps", type=float, default=240.0, help="frame rate of the sender started")
    parser.add_argument("--tiling", default="linear", choices=["linear", "optimal"])
    parser.add_argument("--wait", default="both", choices=["sleep", "spin", "both"],
                        help="how the fd is waited for: select sleeping, polled, or both in turn")
    parser.add_argument("--no-calls", dest="calls", action="store_false",
                        help="skip the run of the raw libgeyser calls (measure_calls)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a sender")
    args = parser.parse_args()

    import torch

    sender = None
    runtime_dir = None
    if args.start_sender:
        if "GEYSER_RUNTIME_DIR" not in os.environ:
            runtime_dir = tempfile.mkdtemp(prefix="geyser-bench-")
            os.chmod(runtime_dir, 0o700)
            os.environ["GEYSER_RUNTIME_DIR"] = runtime_dir
        sender = subprocess.Popen(
            [args.cli, "send", args.name, "--size", args.size, "--fps", str(args.fps),
             "--tiling", args.tiling, "--quiet"],
            stdin=subprocess.DEVNULL,
        )
    try:
        receiver = geyser.Receiver(args.name, api=args.api, timeout=args.timeout)
        waits = ("sleep", "spin") if args.wait == "both" else (args.wait,)
        deadline = time.monotonic() + args.timeout + args.frames / max(args.fps, 1.0) * 8 + 30
        runs = {w: measure(torch, receiver, args, w == "spin", deadline) for w in waits}
        calls = measure_calls(torch, receiver, args, deadline) if args.calls else None
        package = measure_package(receiver) if args.calls else None
        if args.api == "cuda":
            torch.cuda.synchronize()
        stats = receiver.stats
        receiver.close()
        if not all(run["total"] for run in runs.values()):
            print(json.dumps({"error": "no frames measured"}))
            return 1
        result = {
            "what": "Python: receiver.acquire() call to torch.from_dlpack(frame) tensor",
            "api": args.api,
            "tiling": stats.tiling,
            "gpu_sync": stats.gpu_sync,
            "frames": {w: len(run["total"]) for w, run in runs.items()},
            "frames_skipped": stats.frames_skipped,
            "shape": runs[waits[0]]["shape"],
            "size": args.size if args.start_sender else None,
            "sender_tiling": args.tiling if args.start_sender else None,
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "library": geyser.library_path(),
        }
        for w, run in runs.items():
            key = "woken" if w == "sleep" else "spinning"
            result[key] = {part: summary(run[part]) for part in ("total", "acquire", "from_dlpack")}
        if package:
            result["package"] = package
        if calls and calls["total"]:
            result["calls"] = {part: summary(v) for part, v in calls.items()}
        if args.api == "cuda":
            result["device"] = torch.cuda.get_device_name(0)
        print(json.dumps(result, indent=2))
        return 0
    finally:
        if sender is not None:
            sender.kill()
            sender.wait()
        if runtime_dir is not None:
            shutil.rmtree(runtime_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
