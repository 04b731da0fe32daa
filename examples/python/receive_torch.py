#!/usr/bin/env python3
"""Receive a channel on the GPU as torch tensors (DLPack, zero-copy on linear streams) and
run a model-shaped computation on each frame: normalise to float, a 3x3 convolution with a
fixed kernel, a mean.

    geyser send cam --tiling linear &          # linear: tensors without a copy
    python3 examples/python/receive_torch.py cam --frames 300

Each frame's tensor is valid until the frame is released (here: the next acquire, or the
end of the with block); the work is queued on torch's current stream, which DLPack hands to
Geyser, so the release waits for it on the GPU without a host sync. Needs libgeyser built
with CUDA, torch with CUDA, and a CUDA device.
"""

import argparse
import sys
import time

import torch
import torch.nn.functional as F

import geyser


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the channel")
    parser.add_argument("--frames", type=int, default=300, help="frames to process")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the sender and each frame")
    args = parser.parse_args()

    device = torch.device("cuda")
    # A fixed edge-detection kernel applied to each of R, G, B (groups=3).
    laplace = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], device=device)
    weight = laplace.expand(3, 1, 3, 3).contiguous()
    means = []
    start = time.monotonic()
    with geyser.Receiver(args.name, api="cuda", timeout=args.timeout) as receiver:
        for _ in range(args.frames):
            try:
                frame = receiver.acquire(timeout=args.timeout)
            except geyser.TimeoutError:
                print("receive_torch: no frame within %.1f s" % args.timeout, file=sys.stderr)
                return 1
            with frame:
                pixels = torch.from_dlpack(frame)  # (height, width, 4) uint8 on the GPU
                # NCHW float in [0, 1], RGB only.
                x = pixels[..., :3].permute(2, 0, 1).unsqueeze(0).float().div_(255.0)
                edges = F.conv2d(x, weight, padding=1, groups=3)
                means.append(edges.abs().mean())  # stays on the GPU: no sync per frame
            # The release at the end of the with block is ordered after the work above.
        stats = receiver.stats
    values = torch.stack(means).cpu()
    elapsed = time.monotonic() - start
    print(
        "receive_torch: %d frames (%s stream, %d skipped) in %.2f s; mean |laplacian| %.5f (min %.5f, max %.5f)"
        % (len(means), stats.tiling, stats.frames_skipped, elapsed, values.mean(), values.min(), values.max())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
