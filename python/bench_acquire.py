#!/usr/bin/env python3
"""The Python layer's cost per frame: from the ``receiver.acquire()`` call to a torch
tensor from ``torch.from_dlpack(frame)``, on a CUDA receiver (or a host one with
``--api host``).

Each measured acquire starts when a frame is already there (the receiver's event fd is
readable), so the time is the cost of the call path (ctypes, libgeyser's acquire, the
DLPack export, torch's import), not the wait for the sender. Prints JSON: p50 / p90 / mean
in microseconds of the whole, and of its two parts (acquire; from_dlpack).

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
        total, acquire_part, dlpack_part = [], [], []
        numbers = []
        shape = None
        fd = receiver.fileno()
        n = 0
        deadline = time.monotonic() + args.timeout + args.frames / max(args.fps, 1.0) * 4 + 30
        while n < args.warmup + args.frames and time.monotonic() < deadline:
            readable, _, _ = select.select([fd], [], [], 1.0)
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
                total.append(t2 - t0)
                acquire_part.append(t1 - t0)
                dlpack_part.append(t2 - t1)
                numbers.append(frame.frame)
            n += 1
            shape = tuple(tensor.shape)
            del tensor
        if args.api == "cuda":
            torch.cuda.synchronize()
        stats = receiver.stats
        receiver.close()
        if not total:
            print(json.dumps({"error": "no frames measured"}))
            return 1
        result = {
            "what": "Python: receiver.acquire() call to torch.from_dlpack(frame) tensor",
            "api": args.api,
            "tiling": stats.tiling,
            "frames": len(total),
            "frames_skipped": stats.frames_skipped,
            "shape": shape,
            "size": args.size if args.start_sender else None,
            "sender_tiling": args.tiling if args.start_sender else None,
            "total": summary(total),
            "acquire": summary(acquire_part),
            "from_dlpack": summary(dlpack_part),
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "library": geyser.library_path(),
        }
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
