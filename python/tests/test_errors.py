"""Errors: each status its exception class, raised where the C API says."""

import builtins
import time

import numpy as np
import pytest

import geyser
from geyser import errors
from helpers import acquire_next

pytestmark = pytest.mark.usefixtures("library")


def test_error_classes_by_status():
    expected = {
        1: (geyser.ValidationError, "Validation"),
        2: (geyser.UnsupportedError, "Unsupported"),
        3: (geyser.OutOfMemoryError, "OutOfMemory"),
        4: (geyser.DeviceLostError, "DeviceLost"),
        5: (geyser.DeviceMismatchError, "DeviceMismatch"),
        6: (geyser.DisconnectedError, "Disconnected"),
        7: (geyser.TimeoutError, "Timeout"),
        8: (geyser.PermissionDeniedError, "PermissionDenied"),
        9: (geyser.ProtocolError, "Protocol"),
        10: (geyser.InternalError, "Internal"),
    }
    lib = geyser._lib.lib()
    for status, (cls, code) in expected.items():
        error = errors.make_error(status, "%s: a test" % code)
        assert type(error) is cls and isinstance(error, geyser.Error)
        assert (error.code, error.status, str(error)) == (code, status, "%s: a test" % code)
        assert lib.geyser_status_name(status).decode() == code  # the library agrees
    assert issubclass(geyser.TimeoutError, builtins.TimeoutError)
    unknown = errors.make_error(42, "odd")
    assert type(unknown) is geyser.Error and unknown.code == "Unknown"
    assert errors.check(0) is None


def test_check_raises_with_the_library_message():
    with pytest.raises(geyser.ValidationError) as caught:
        geyser.format_info("no-such-format")
    assert caught.value.code == "Validation" and caught.value.status == 1
    assert "no-such-format" in str(caught.value)


def test_missing_channel_is_disconnected():
    start = time.monotonic()
    with pytest.raises(geyser.DisconnectedError) as caught:
        geyser.Receiver("py-nobody-here", api="host", timeout=0.3)
    assert time.monotonic() - start >= 0.25
    assert isinstance(caught.value, geyser.Error)
    assert caught.value.code == "Disconnected"
    assert caught.value.status == 6
    assert str(caught.value)


def test_acquire_on_quiet_sender_times_out(processes, channel_name):
    processes.send(channel_name, fps=0.2)  # frame 1 at once, frame 2 after 5 s
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        try:
            receiver.acquire(timeout=1.0)  # frame 1, if it is still news
        except geyser.TimeoutError:
            pass
        start = time.monotonic()
        with pytest.raises(geyser.TimeoutError) as caught:
            receiver.acquire(timeout=0.3)
        elapsed = time.monotonic() - start
        assert 0.25 <= elapsed < 3.0, elapsed
        assert isinstance(caught.value, builtins.TimeoutError)
        assert caught.value.code == "Timeout"
        assert receiver.state == "connected"


@pytest.mark.parametrize("name", ["bad name!", "", "x" * 65, "a/b"])
def test_sender_bad_name(name):
    with pytest.raises(geyser.ValidationError) as caught:
        geyser.Sender(name, 64, 48, api="vulkan")
    assert caught.value.code == "Validation"


def test_receiver_bad_name():
    with pytest.raises(geyser.ValidationError):
        geyser.Receiver("bad name!", api="host", timeout=0.1)


def test_second_sender_on_a_name(channel_name):
    with geyser.Sender(channel_name, 64, 48, api="vulkan"):
        with pytest.raises(geyser.ValidationError) as caught:
            geyser.Sender(channel_name, 64, 48, api="vulkan")
        assert caught.value.code == "Validation"
    # Once the first one is gone, the name is free again.
    with geyser.Sender(channel_name, 64, 48, api="vulkan") as again:
        assert again.stats.frames == 0


def test_write_wrong_shape_or_type(channel_name):
    with geyser.Sender(channel_name, 64, 48, format="rgba8", api="vulkan") as sender:
        for bad in (
            np.zeros((48, 64, 3), dtype=np.uint8),
            np.zeros((64, 48, 4), dtype=np.uint8),
            np.zeros((48, 64), dtype=np.uint8),
            np.zeros((48, 64, 4), dtype=np.float32),
            np.zeros((48, 64, 4, 1), dtype=np.uint8),
            np.zeros(10, dtype=np.uint8),
        ):
            with pytest.raises(geyser.ValidationError) as caught:
                sender.write(bad, timeout=0.1)
            assert caught.value.code == "Validation"
            assert "48" in str(caught.value) and "64" in str(caught.value)
        # A good one still goes through; a column-major one is made contiguous.
        assert sender.write(np.asfortranarray(geyser.test_pattern(64, 48, 1))) == 1
        assert sender.stats.frames == 1


def test_bad_arguments():
    with pytest.raises(geyser.ValidationError):
        geyser.Receiver("x", api="metal")
    with pytest.raises(geyser.ValidationError):
        geyser.Receiver("x", api="host", transfer="sideways")
    with pytest.raises(geyser.ValidationError):
        geyser.Sender("x", 64, 48, api="metal")
    with pytest.raises(geyser.ValidationError):
        geyser.Sender("x", 64, 48, format="rgb9000")
    with pytest.raises(geyser.ValidationError):
        geyser.Sender("x", 64, 48, tiling="diagonal")


def test_cuda_without_driver_is_unsupported(channel_name):
    if geyser.api_available("cuda"):
        pytest.skip("a CUDA driver is present: %s" % geyser.library_path())
    reason = geyser.api_unavailable_reason("cuda")
    assert reason
    with pytest.raises(geyser.UnsupportedError) as caught:
        geyser.Sender(channel_name, 64, 48, api="cuda")
    assert caught.value.code == "Unsupported"
    with pytest.raises(geyser.UnsupportedError):
        geyser.Receiver(channel_name, api="cuda", timeout=0.2)


def test_closed_handles(processes, channel_name):
    processes.send(channel_name, fps=200)
    receiver = geyser.Receiver(channel_name, api="host", timeout=10.0)
    frame = acquire_next(receiver)
    receiver.close()
    assert not frame.valid
    with pytest.raises(geyser.ValidationError):
        receiver.acquire(timeout=0.1)
    with pytest.raises(geyser.ValidationError):
        frame.numpy()
    frame.release()  # nothing to release: fine
    receiver.release()
