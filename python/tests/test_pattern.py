"""The test pattern in numpy, against geyser::pattern_byte (no library needed)."""

import numpy as np
import pytest

import geyser
from geyser.pattern import pattern_byte, pattern_frame_of


def reference(width, height, frame, texel_size):
    """geyser::pattern_byte byte by byte (slow, plain Python)."""
    out = np.empty((height, width, texel_size), dtype=np.uint8)
    for y in range(height):
        for x in range(width):
            for k in range(texel_size):
                out[y, x, k] = pattern_byte(x, y, k, frame)
    return out


@pytest.mark.parametrize("texel_size", [1, 2, 4, 8, 16])
@pytest.mark.parametrize("frame", [0, 1, 77, 255, 256, 1000, 2**40 + 3])
def test_pattern_matches_pattern_byte(texel_size, frame):
    got = geyser.test_pattern(19, 7, frame, texel_size)
    assert got.dtype == np.uint8
    assert got.shape == (7, 19, texel_size)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, reference(19, 7, frame, texel_size))


def test_pattern_rgba8_rule_and_wrap():
    # R = x + f, G = y + 2f, B = f, A = 255 (mod 256), across the 256 wrap.
    image = geyser.test_pattern(300, 260, 5)
    assert tuple(image[0, 0]) == (5, 10, 5, 255)
    assert tuple(image[259, 299]) == ((299 + 5) % 256, (259 + 10) % 256, 5, 255)
    assert pattern_frame_of(image) == 5
    # Wider texels: the rules again, offset by 31 per group of four bytes.
    wide = geyser.test_pattern(2, 2, 3, texel_size=8)
    assert tuple(wide[1, 1]) == (1 + 3, 1 + 6, 3, 255, 1 + 3 + 31, 1 + 6 + 31, 3 + 31, 255 - 31)


def test_check_test_pattern_reports_first_mismatch():
    image = geyser.test_pattern(32, 16, 42)
    assert geyser.check_test_pattern(image, 42) is None
    broken = image.copy()
    broken[3, 5, 1] ^= 0xFF
    broken[10, 2, 0] += 1
    message = geyser.check_test_pattern(broken, 42)
    expected = int(image[3, 5, 1])
    assert message == "texel (5, 3) byte 1: expected %d, found %d (2 bytes differ)" % (
        expected,
        expected ^ 0xFF,
    )
    # Another frame number: everything that depends on f differs.
    assert geyser.check_test_pattern(image, 43).startswith("texel (0, 0) byte 0")


def test_check_test_pattern_takes_strided_and_wide_arrays():
    # A strided view (a row pitch beyond the row), as host frames have.
    padded = np.zeros((16, 40, 4), dtype=np.uint8)
    padded[:, :32] = geyser.test_pattern(32, 16, 9)
    assert geyser.check_test_pattern(padded[:, :32], 9) is None
    # float16 x 4 (8-byte texels) and a packed uint32 (h, w) image: checked as bytes.
    wide = geyser.test_pattern(8, 4, 2, texel_size=8).view(np.float16).reshape(4, 8, 4)
    assert geyser.check_test_pattern(wide, 2) is None
    packed = geyser.test_pattern(8, 4, 2).view(np.uint32).reshape(4, 8)
    assert geyser.check_test_pattern(packed, 2) is None
    assert geyser.check_test_pattern(packed, 3) is not None
