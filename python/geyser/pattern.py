"""The verifiable test pattern of ``geyser send`` / ``geyser recv --verify``
(include/geyser/test_pattern.hpp), in numpy and in torch.

Byte `k` of texel (x, y) of frame `f` (``geyser::pattern_byte``), with
``offset = 31 * (k // 4)``:

- k % 4 == 0: (x + f + offset) mod 256
- k % 4 == 1: (y + 2 f + offset) mod 256
- k % 4 == 2: (f + offset) mod 256
- k % 4 == 3: (255 - offset) mod 256

For RGBA8 formats that is R = x + f, G = y + 2f, B = f, A = 255. Any consumer can check any
frame of any format bit for bit without being told what to expect.
"""


def _lanes(texel_size, frame):
    """Per byte k of a texel: (constant, whether x is added, whether y is added)."""
    f = int(frame)
    constants, add_x, add_y = [], [], []
    for k in range(int(texel_size)):
        offset = 31 * (k // 4)
        lane = k % 4
        if lane == 0:
            constants.append((f + offset) % 256)
        elif lane == 1:
            constants.append((2 * f + offset) % 256)
        elif lane == 2:
            constants.append((f + offset) % 256)
        else:
            constants.append((255 - offset) % 256)
        add_x.append(1 if lane == 0 else 0)
        add_y.append(1 if lane == 1 else 0)
    return constants, add_x, add_y


def pattern_byte(x, y, k, frame):
    """One byte of the pattern (``geyser::pattern_byte``), in plain Python."""
    offset = 31 * (k // 4)
    lane = k % 4
    if lane == 0:
        return (x + frame + offset) % 256
    if lane == 1:
        return (y + 2 * frame + offset) % 256
    if lane == 2:
        return (frame + offset) % 256
    return (255 - offset) % 256


def test_pattern(width, height, frame, texel_size=4):
    """Frame `frame` of the pattern as a numpy uint8 array of shape (height, width,
    texel_size), C-contiguous: what ``geyser::fill_test_pattern`` writes. Needs numpy."""
    import numpy as np

    width, height, texel_size = int(width), int(height), int(texel_size)
    if width < 0 or height < 0 or texel_size <= 0:
        raise ValueError("test_pattern: a size of %dx%d x %d bytes" % (width, height, texel_size))
    constants, add_x, add_y = _lanes(texel_size, frame)
    x = (np.arange(width, dtype=np.int64) % 256).astype(np.uint8)
    y = (np.arange(height, dtype=np.int64) % 256).astype(np.uint8)
    # uint8 arithmetic wraps mod 256, as the C++ casts do.
    row = np.asarray(constants, dtype=np.uint8)[None, :] + x[:, None] * np.asarray(add_x, dtype=np.uint8)[None, :]
    column = y[:, None] * np.asarray(add_y, dtype=np.uint8)[None, :]
    out = np.empty((height, width, texel_size), dtype=np.uint8)
    np.add(row[None, :, :], column[:, None, :], out=out)
    return out


test_pattern.__test__ = False  # not a pytest test, whatever imports it


def _as_texel_bytes(array):
    """`array` as a (height, width, texel bytes) uint8 array (a view where it can be)."""
    import numpy as np

    a = np.asarray(array)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError("check_test_pattern: an image is (height, width[, channels]), not shape %s" % (a.shape,))
    if a.dtype != np.uint8:
        itemsize = a.dtype.itemsize
        if a.strides[2] != itemsize and a.shape[2] != 1:
            a = np.ascontiguousarray(a)
        try:
            a = a.view(np.uint8)
        except ValueError:
            a = np.ascontiguousarray(a).view(np.uint8)
    return a


def check_test_pattern(array, frame):
    """None when `array` is frame `frame` of the pattern bit for bit; else a description
    of the first byte that differs, as ``geyser::PatternMismatch::to_string`` writes it
    ("texel (x, y) byte k: expected E, found A (N bytes differ)").

    `array` is (height, width, channels) or (height, width) of any element type (its bytes
    are checked, in memory order per texel), e.g. a frame's :meth:`Frame.numpy`; rows may
    be strided. Needs numpy."""
    import numpy as np

    a = _as_texel_bytes(array)
    height, width, texel_size = a.shape
    expected = test_pattern(width, height, frame, texel_size)
    differ = a != expected
    if not differ.any():
        return None
    count = int(np.count_nonzero(differ))
    y, x, k = (int(v) for v in np.argwhere(differ)[0])
    return "texel (%d, %d) byte %d: expected %d, found %d (%d bytes differ)" % (
        x,
        y,
        k,
        int(expected[y, x, k]),
        int(a[y, x, k]),
        count,
    )


def pattern_frame_of(array):
    """For an RGBA8 image whose frame number is unknown: the frame (mod 256) texel (0, 0)
    claims (its B byte)."""
    a = _as_texel_bytes(array)
    return int(a[0, 0, 2]) if a.shape[2] >= 3 and a.shape[0] and a.shape[1] else 0


def torch_test_pattern(width, height, frame, device=None, texel_size=4):
    """Frame `frame` of the pattern as a torch uint8 tensor of shape (height, width,
    texel_size) on `device` (e.g. ``"cuda"``), made there with a few element-wise
    kernels. Imports torch."""
    return TorchPatternChecker(width, height, device, texel_size).expected(frame)


class TorchPatternChecker:
    """Checks frames of one size against the pattern where they lie (torch, e.g. on the
    GPU), without per-frame host-to-device copies: frame f is frame 0 plus f times a
    per-byte factor (1 for the x and B bytes, 2 for the y bytes, 0 for alpha), mod 256.
    Imports torch."""

    def __init__(self, width, height, device=None, texel_size=4):
        import torch

        self.torch = torch
        self.width, self.height, self.texel_size = int(width), int(height), int(texel_size)
        constants, add_x, add_y = _lanes(self.texel_size, 0)
        factors = [(k % 4 != 3) * (2 if k % 4 == 1 else 1) for k in range(self.texel_size)]
        as_tensor = lambda values: torch.tensor(values, dtype=torch.int32, device=device)  # noqa: E731
        x = torch.arange(self.width, dtype=torch.int32, device=device) % 256
        y = torch.arange(self.height, dtype=torch.int32, device=device) % 256
        self.base = (
            as_tensor(constants)[None, None, :]
            + x[None, :, None] * as_tensor(add_x)[None, None, :]
            + y[:, None, None] * as_tensor(add_y)[None, None, :]
        )
        self.factors = as_tensor(factors)[None, None, :]

    def expected(self, frame):
        """Frame `frame` as a (height, width, texel_size) uint8 tensor."""
        f = int(frame) % 256
        return self.torch.bitwise_and(self.base + self.factors * f, 255).to(self.torch.uint8)

    def count(self, tensor, frame):
        """How many bytes of `tensor` ((height, width, channels) or (height, width) of any
        element type) differ from frame `frame`: a 0-d int64 tensor where it lies, queued
        on the current stream (``int()`` of it synchronizes)."""
        t = tensor
        if t.dim() == 2:
            t = t.unsqueeze(2)
        if t.dtype != self.torch.uint8:
            t = t.contiguous().view(self.torch.uint8).reshape(t.shape[0], t.shape[1], -1)
        if tuple(t.shape) != (self.height, self.width, self.texel_size):
            raise ValueError(
                "a tensor of shape %s is not a %dx%d image of %d-byte texels"
                % (tuple(tensor.shape), self.width, self.height, self.texel_size)
            )
        return (t != self.expected(frame)).sum()


def torch_count_mismatches(tensor, frame):
    """How many bytes of `tensor` ((height, width, channels) or (height, width), any
    element type, on any device) differ from frame `frame` of the pattern, counted where
    the tensor lies; returns a 0-d int64 tensor there (``int()`` of it synchronizes).
    Imports torch."""
    t = tensor if tensor.dim() == 3 else tensor.unsqueeze(2)
    texel_size = t.shape[2] * t.element_size()
    return TorchPatternChecker(t.shape[1], t.shape[0], t.device, texel_size).count(tensor, frame)
