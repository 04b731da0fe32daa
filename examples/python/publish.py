#!/usr/bin/env python3
"""Publish a channel from Python: frames of the test pattern made in numpy (host memory,
any sender API) or in torch on the GPU (a CUDA sender), so that `geyser recv NAME --verify`
can check every one.

    python3 examples/python/publish.py out --size 640x360 --fps 60 --frames 600
    geyser recv out --verify --frames 100

    python3 examples/python/publish.py out --source torch --api cuda   # CUDA: tensors in
"""

import argparse
import sys
import time

import geyser


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the channel to publish")
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    parser.add_argument("--format", default="rgba8", help="the texture format")
    parser.add_argument("--fps", type=float, default=60.0, help="frames per second; 0: as fast as possible")
    parser.add_argument("--frames", type=int, default=0, help="frames to send, then exit; 0: until Ctrl-C")
    parser.add_argument("--source", choices=["numpy", "torch"], default="numpy", help="what makes the frames")
    parser.add_argument("--api", choices=["vulkan", "cuda", "opengl"], default=None,
                        help="the sender's API (default: vulkan for numpy, cuda for torch)")
    parser.add_argument("--tiling", choices=["optimal", "linear"], default="optimal")
    args = parser.parse_args()

    width, height = (int(v) for v in args.size.lower().split("x"))
    api = args.api or ("cuda" if args.source == "torch" else "vulkan")
    texel_size = geyser.format_info(args.format).texel_size
    if args.source == "torch":
        from geyser.pattern import TorchPatternChecker

        pattern = TorchPatternChecker(width, height, "cuda", texel_size)

        def make(number):
            return pattern.expected(number)  # a CUDA tensor, written through DLPack
    else:

        def make(number):
            return geyser.test_pattern(width, height, number, texel_size)  # numpy

    period = 1.0 / args.fps if args.fps > 0 else 0.0
    with geyser.Sender(args.name, width, height, format=args.format, api=api, tiling=args.tiling) as sender:
        print("publish: '%s' %dx%d %s via %s from %s; Ctrl-C to stop" % (args.name, width, height, sender.format, api, args.source))
        next_at = time.monotonic()
        sent = 0
        try:
            while args.frames == 0 or sent < args.frames:
                # Receivers connect and listers are answered in poll: keep calling it.
                while time.monotonic() < next_at:
                    sender.poll(timeout=min(0.05, max(0.0, next_at - time.monotonic())))
                number = sender.stats.frames + 1  # the number the next write gets
                try:
                    sender.write(make(number), timeout=0.25)
                except geyser.TimeoutError:
                    continue  # receivers hold every slot
                sent += 1
                next_at = max(next_at + period, time.monotonic() - period)
        except KeyboardInterrupt:
            pass
        print("publish: %d frames sent" % sender.stats.frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
