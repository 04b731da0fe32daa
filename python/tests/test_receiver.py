"""Host receivers in numpy, fed by `geyser send` processes."""

import gc
import select
import signal
import time

import numpy as np
import pytest

import geyser
from helpers import acquire_next, wait_for_channel

pytestmark = pytest.mark.usefixtures("library")


def test_host_receiver_checks_200_frames(processes, channel_name):
    sender = processes.send(channel_name, fps=1000)
    numbers = []
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        assert receiver.state in ("connected", "waiting")
        while len(numbers) < 200:
            frame = acquire_next(receiver, deadline_s=10.0)
            assert (frame.width, frame.height, frame.format) == (64, 48, "Rgba8Unorm")
            assert frame.is_host_frame and frame.host_data != 0
            assert frame.row_pitch >= 64 * 4
            image = frame.numpy()
            assert image.shape == (48, 64, 4) and image.dtype == np.uint8
            assert image.strides == (frame.row_pitch, 4, 1)
            assert not image.flags.writeable
            mismatch = geyser.check_test_pattern(image, frame.frame)
            assert mismatch is None, "frame %d: %s" % (frame.frame, mismatch)
            numbers.append(frame.frame)
            frame.release()
            assert not frame.valid
        stats = receiver.stats
        assert stats.host_frames is True
        assert stats.frames_acquired >= 200
        assert receiver.state == "connected"
    assert all(b > a for a, b in zip(numbers, numbers[1:])), numbers
    assert sender.poll() is None, sender.describe()


def test_host_view_is_read_only(processes, channel_name):
    processes.send(channel_name, fps=200)
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        with acquire_next(receiver) as frame:
            image = frame.numpy()
            assert not image.flags.writeable
            with pytest.raises(ValueError):
                image[0, 0, 0] = 1
            with pytest.raises(ValueError):
                image.flags.writeable = True
            # Views of the view are read-only as well; a copy is the caller's.
            assert not image[1:, ::2].flags.writeable
            copy = image.copy()
            copy[0, 0, 0] ^= 1
            assert geyser.check_test_pattern(image, frame.frame) is None
        assert not frame.valid  # released by the with block
        with pytest.raises(geyser.ValidationError):
            frame.numpy()


def test_view_outlives_release_and_close(processes, channel_name):
    processes.send(channel_name, fps=500)
    receiver = geyser.Receiver(channel_name, api="host", timeout=10.0)
    frame = acquire_next(receiver)
    image = frame.numpy()
    kept = image.copy()
    first = frame.frame
    frame.release()
    _ = int(image.sum())  # after release: still mapped (the sender may rewrite it)
    for _ in range(5):
        acquire_next(receiver).release()
    receiver.close()
    receiver.close()  # twice is fine
    assert receiver.state == "disconnected"
    del receiver, frame
    gc.collect()
    # After the receiver is gone the memory reference still keeps the mapping.
    total = int(image.astype(np.uint64).sum())
    assert total > 0
    assert image.shape == kept.shape
    assert geyser.check_test_pattern(kept, first) is None
    del image
    gc.collect()


def test_frames_are_invalid_after_next_acquire(processes, channel_name):
    processes.send(channel_name, fps=500)
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        first = acquire_next(receiver)
        assert first.valid
        second = acquire_next(receiver)
        assert second.valid and not first.valid
        assert second.frame > first.frame
        with pytest.raises(geyser.ValidationError):
            first.numpy()
        first.release()  # not the held frame: nothing happens
        assert second.valid
        assert geyser.check_test_pattern(second.numpy(), second.frame) is None
        receiver.release()
        assert not second.valid
        receiver.release()  # nothing held: fine


def test_event_fd_and_stats(processes, channel_name):
    processes.send(channel_name, fps=100)
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        fd = receiver.fileno()
        assert isinstance(fd, int) and fd >= 0
        got = 0
        deadline = time.monotonic() + 10
        while got < 5 and time.monotonic() < deadline:
            readable, _, _ = select.select([receiver], [], [], 1.0)
            if not readable:
                continue
            try:
                frame = receiver.acquire(timeout=0)
            except geyser.TimeoutError:
                continue  # woken by something that was not a frame
            assert geyser.check_test_pattern(frame.numpy(), frame.frame) is None
            got += 1
        assert got == 5
        stats = receiver.stats
        assert stats.frames_acquired >= 5
        assert stats.tiling == "optimal" or stats.tiling == "linear"
        assert stats.row_pitch >= 64 * 4


def test_host_frame_through_numpy_dlpack(processes, channel_name):
    processes.send(channel_name, fps=200)
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        frame = acquire_next(receiver)
        assert frame.__dlpack_device__() == (1, 0)
        array = np.from_dlpack(frame)
        assert array.shape == (48, 64, 4) and array.dtype == np.uint8
        assert array.strides == (frame.row_pitch, 4, 1)
        assert array.ctypes.data == frame.host_data  # the mapping itself
        assert geyser.check_test_pattern(array, frame.frame) is None
        # A capsule dropped unconsumed runs the tensor's deleter (no leak, no crash).
        for _ in range(10):
            capsule = frame.__dlpack__()
            del capsule
        gc.collect()
        frame.release()
        with pytest.raises(geyser.ValidationError):
            frame.__dlpack__()
        assert int(array.sum()) > 0  # still mapped by the tensor's memory reference
        del array
        gc.collect()


def test_vulkan_frame_has_no_host_views(processes, channel_name):
    processes.send(channel_name, fps=200)
    with geyser.Receiver(channel_name, api="vulkan", timeout=10.0) as receiver:
        with acquire_next(receiver) as frame:
            assert frame.vk_image != 0
            assert frame.host_data == 0
            with pytest.raises(geyser.UnsupportedError):
                frame.numpy()
            with pytest.raises(geyser.UnsupportedError):
                frame.__dlpack_device__()
            assert not hasattr(frame, "__cuda_array_interface__")


def test_receiver_survives_sender_kill(processes, channel_name):
    first = processes.send(channel_name, fps=200)
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        frame = acquire_next(receiver)
        assert geyser.check_test_pattern(frame.numpy(), frame.frame) is None
        connection = frame.connection
        kept = frame.numpy()

        first.kill(signal.SIGKILL)
        first.wait(timeout=10)
        caught = None
        deadline = time.monotonic() + 10
        while caught is None and time.monotonic() < deadline:
            try:
                receiver.acquire(timeout=0.25)  # frames still in flight, then Disconnected
            except geyser.TimeoutError:
                continue
            except geyser.DisconnectedError as e:
                caught = e
        assert caught is not None, "no Disconnected within 10 s of the SIGKILL"
        assert isinstance(caught, geyser.Error) and caught.code == "Disconnected"
        assert receiver.state == "disconnected"
        _ = int(kept.sum())  # the old frame's view still reads

        processes.send(channel_name, fps=200)
        frame = acquire_next(
            receiver,
            deadline_s=15.0,
            tolerate=(geyser.TimeoutError, geyser.DisconnectedError),
        )
        assert frame.connection != connection
        for _ in range(10):
            assert geyser.check_test_pattern(frame.numpy(), frame.frame) is None
            frame = acquire_next(receiver)
        assert receiver.state == "connected"
        assert receiver.stats.reconnects >= 1


def test_list_channels_shows_sender(processes, channel_name):
    processes.send(channel_name, fps=60, size="80x60", extra=("--format", "Bgra8Unorm"))
    info = wait_for_channel(channel_name)
    assert info is not None, "the channel never showed up alive"
    assert isinstance(info, geyser.ChannelInfo)
    assert (info.width, info.height, info.format) == (80, 60, "Bgra8Unorm")
    assert info.alive and info.error == ""
    assert info.sender_pid > 0
    deadline = time.monotonic() + 5
    while info.frames == 0 and time.monotonic() < deadline:
        info = wait_for_channel(channel_name)
    assert info.frames > 0
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        acquire_next(receiver).release()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            info = wait_for_channel(channel_name)
            if info.receivers >= 1:
                break
        assert info.receivers >= 1 and info.host_receivers >= 1
    assert [c.name for c in geyser.list_channels(timeout=0.5)] == [channel_name]


def test_list_channels_empty_and_explicit_dir(runtime_dir, tmp_path):
    assert geyser.list_channels() == []
    assert geyser.list_channels(runtime_dir=runtime_dir, timeout=0.1) == []


@pytest.mark.parametrize(
    "format_name, dtype, shape_tail, texel",
    [
        ("R8Unorm", np.uint8, (1,), 1),
        ("Rgba16Float", np.float16, (4,), 8),
        ("Rg32Float", np.float32, (2,), 8),
        ("Rgb10a2Unorm", np.uint32, (), 4),
    ],
)
def test_host_views_by_format(processes, channel_name, format_name, dtype, shape_tail, texel):
    processes.send(channel_name, fps=200, size="24x10", extra=("--format", format_name))
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        with acquire_next(receiver) as frame:
            assert frame.format == format_name
            image = frame.numpy()
            assert image.dtype == dtype
            assert image.shape == (10, 24) + shape_tail
            assert image.strides[0] == frame.row_pitch and image.strides[1] == texel
            assert not image.flags.writeable
            assert geyser.check_test_pattern(image, frame.frame) is None
