#!/usr/bin/env python3
"""Receive one frame of a channel as host memory (numpy, no GPU needed) and save it as a
PNG, written with zlib and struct only.

    python3 examples/python/receive_png.py NAME out.png [--timeout 5] [--skip 0]

Takes 8-bit colour formats: Rgba8Unorm / Rgba8Srgb, Bgra8Unorm / Bgra8Srgb (swizzled to
RGBA), R8Unorm (grey). Needs libgeyser (GEYSER_LIBRARY, or installed) and numpy.
"""

import argparse
import struct
import sys
import zlib

import numpy as np

import geyser


def png_bytes(image):
    """A PNG of `image`: (height, width, 4) uint8 RGBA, or (height, width) uint8 grey."""
    image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    color_type = 6 if image.ndim == 3 else 0
    # Each row: filter type 0 (none), then its bytes.
    rows = image.reshape(height, -1)
    raw = np.empty((height, rows.shape[1] + 1), dtype=np.uint8)
    raw[:, 0] = 0
    raw[:, 1:] = rows

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def as_png_image(frame, pixels):
    """The frame's texels as RGBA or grey for the PNG (a copy: the frame is released)."""
    if frame.format in ("Rgba8Unorm", "Rgba8Srgb"):
        return pixels.copy()
    if frame.format in ("Bgra8Unorm", "Bgra8Srgb"):
        return pixels[:, :, [2, 1, 0, 3]].copy()
    if frame.format == "R8Unorm":
        return pixels[:, :, 0].copy()
    raise SystemExit("receive_png: a %s channel; PNG output takes Rgba8, Bgra8 or R8Unorm" % frame.format)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the channel")
    parser.add_argument("png", help="the PNG file to write")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the sender and a frame")
    parser.add_argument("--skip", type=int, default=0, help="frames to skip before the one saved")
    parser.add_argument("--runtime-dir", default=None, help="where channels live (default: $GEYSER_RUNTIME_DIR)")
    args = parser.parse_args()

    try:
        with geyser.Receiver(args.name, api="host", timeout=args.timeout, runtime_dir=args.runtime_dir) as receiver:
            for _ in range(args.skip):
                receiver.acquire(timeout=args.timeout).release()
            # The frame (and its zero-copy, read-only view) is valid until the release at
            # the end of the with block: copy what is kept.
            with receiver.acquire(timeout=args.timeout) as frame:
                image = as_png_image(frame, frame.numpy())
                number, size = frame.frame, (frame.width, frame.height)
    except geyser.Error as e:
        print("receive_png: %s" % e, file=sys.stderr)
        return 1
    with open(args.png, "wb") as f:
        f.write(png_bytes(image))
    print("receive_png: frame %d (%dx%d) of '%s' written to %s" % (number, size[0], size[1], args.name, args.png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
