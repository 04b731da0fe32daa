"""Senders in Python: frames written from numpy (and DLPack), checked by `geyser recv
--verify` and by a receiver in this process."""

import ctypes
import gc
import sys
import threading
import time

import numpy as np
import pytest

import geyser
from helpers import acquire_next

pytestmark = pytest.mark.usefixtures("library")

W, H = 64, 48


def wait_for_receivers(sender, count, process=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    while sender.stats.receivers < count:
        if process is not None and process.poll() is not None:
            pytest.fail("the receiver exited early: " + process.describe())
        if time.monotonic() > deadline:
            pytest.fail("no receiver connected within %.0f s" % timeout)
        sender.poll(timeout=0.05)


def write_pattern(sender, timeout=0.25):
    """Writes the pattern of the frame number the next write gets; returns it (None when
    no slot was free)."""
    number = sender.stats.frames + 1
    texel = geyser.format_info(sender.format).texel_size
    image = geyser.test_pattern(sender.width, sender.height, number, texel)
    try:
        got = sender.write(image, timeout=timeout)
    except geyser.TimeoutError:
        return None
    assert got == number
    return got


@pytest.mark.parametrize("recv_api", ["vulkan", "host"])
def test_numpy_sender_passes_geyser_recv_verify(processes, channel_name, recv_api):
    frames = 30
    with geyser.Sender(channel_name, W, H, format="rgba8", api="vulkan") as sender:
        assert sender.format == "Rgba8Unorm" and sender.shape == (H, W, 4)
        recv = processes.recv(
            channel_name, "--api", recv_api, "--frames", str(frames), "--verify", "--timeout", "10"
        )
        wait_for_receivers(sender, 1, recv)
        written = []
        deadline = time.monotonic() + 60
        # recv counts the frames it acquires: keep writing (frames 1..N, then on) until
        # it has its N, polling between writes so that it keeps up.
        while recv.poll() is None and time.monotonic() < deadline:
            number = write_pattern(sender)
            if number is not None:
                written.append(number)
            sender.poll(timeout=0.005)
        assert recv.wait(timeout=10) == 0, recv.describe()
        assert written[:frames] == list(range(1, frames + 1))
        out, _ = recv.output()
        assert "%d frames from '%s'" % (frames, channel_name) in out, out
        assert "0 bad" in out, out
        stats = sender.stats
        assert stats.frames == len(written)


class DLPackOnly:
    """Hands out a numpy array through DLPack only (as a torch CPU tensor would)."""

    def __init__(self, array):
        self._array = array

    def __dlpack__(self, stream=None):
        assert stream is None  # CPU: no stream
        return self._array.__dlpack__()

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()


class InterfaceOnly:
    """An object numpy reads through __array_interface__ (as PIL images are)."""

    def __init__(self, array):
        self.__array_interface__ = array.__array_interface__
        self._keep = array


@pytest.mark.parametrize("api", ["vulkan", "host"])
def test_sender_and_receiver_in_one_process(channel_name, api):
    """A sender thread (a Vulkan one, or a host one with no GPU) writes frames from numpy,
    DLPack and an array interface; a host receiver here checks each one."""
    sources = ["numpy", "dlpack", "interface", "strided"]
    stop = threading.Event()
    errors = []
    sender = geyser.Sender(channel_name, W, H, format="rgba8", api=api)

    def run():
        try:
            i = 0
            while not stop.is_set():
                sender.poll(timeout=0.002)
                if sender.stats.receivers == 0:
                    continue
                number = sender.stats.frames + 1
                image = geyser.test_pattern(W, H, number)
                kind = sources[i % len(sources)]
                if kind == "dlpack":
                    source = DLPackOnly(image)
                elif kind == "interface":
                    source = InterfaceOnly(image)
                elif kind == "strided":  # a row pitch beyond the row
                    padded = np.zeros((H, W + 8, 4), dtype=np.uint8)
                    padded[:, :W] = image
                    source = padded[:, :W]
                else:
                    source = image
                try:
                    got = sender.write(source, timeout=0.1)
                except geyser.TimeoutError:
                    continue
                assert got == number, (got, number)
                i += 1
                time.sleep(0.004)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
            seen = []
            while len(seen) < 24:
                assert not errors, errors
                frame = acquire_next(receiver)
                assert geyser.check_test_pattern(frame.numpy(), frame.frame) is None
                seen.append(frame.frame)
                frame.release()
            assert seen == sorted(seen) and len(set(seen)) == len(seen)
    finally:
        stop.set()
        thread.join(timeout=10)
        sender.close()
    assert not errors, errors


def test_host_sender_slots_are_written_in_place(channel_name):
    """A host sender's acquired slot is host memory (host_data, host_row_pitch): frames
    copied into it and presented reach a host receiver here, every byte checked."""
    with geyser.Sender(channel_name, W, H, format="rgba8", api="host") as sender:
        stop = threading.Event()

        def answer():  # the sender answers the receiver's Hello while it connects
            while not stop.is_set():
                sender.poll(timeout=0.002)

        pump = threading.Thread(target=answer)
        pump.start()
        try:
            receiver = geyser.Receiver(channel_name, api="host", timeout=10.0)
        finally:
            stop.set()
            pump.join(timeout=10)
        with receiver:
            for _ in range(10):
                slot = sender.acquire(timeout=1.0)
                assert slot.host_data != 0 and slot.host_row_pitch == W * 4
                image = np.ascontiguousarray(geyser.test_pattern(W, H, slot.frame))
                ctypes.memmove(slot.host_data, image.ctypes.data, image.nbytes)
                sender.present(slot)
                frame = acquire_next(receiver)
                assert frame.frame == slot.frame
                assert geyser.check_test_pattern(frame.numpy(), frame.frame) is None
                frame.release()


def test_dlpack_write_hands_the_tensor_to_the_library(channel_name):
    """A DLPack tensor the C side refuses still has its deleter run, once."""
    with geyser.Sender(channel_name, W, H, format="rgba8", api="vulkan") as sender:
        wrong = np.zeros((H, W + 1, 4), dtype=np.uint8)
        before = sys.getrefcount(wrong)
        with pytest.raises(geyser.ValidationError) as caught:
            sender.write(DLPackOnly(wrong), timeout=0.1)
        assert caught.value.code == "Validation"
        assert "shape" in str(caught.value)  # the library's own check
        del caught  # its traceback holds the wrapper
        gc.collect()
        assert sys.getrefcount(wrong) == before  # numpy's deleter ran: no reference left
        right = geyser.test_pattern(W, H, 1)
        before = sys.getrefcount(right)
        assert sender.write(DLPackOnly(right), timeout=1.0) == 1
        assert sys.getrefcount(right) == before


def test_sender_formats_and_shapes(channel_name):
    # Rgba16Float: (h, w, 4) float16 or (h, w, 8) uint8.
    with geyser.Sender(channel_name, 16, 8, format="rgba16float", api="vulkan") as sender:
        assert sender.format == "Rgba16Float" and sender.shape == (8, 16, 4)
        raw = geyser.test_pattern(16, 8, 1, texel_size=8)
        assert sender.write(raw) == 1
        assert sender.write(geyser.test_pattern(16, 8, 2, texel_size=8).view(np.float16)) == 2
        with pytest.raises(geyser.ValidationError):
            sender.write(np.zeros((8, 16, 4), dtype=np.float32))
        with pytest.raises(geyser.ValidationError):
            sender.write(np.zeros((8, 16, 4), dtype=np.uint8))  # 4 bytes a texel, not 8
    # Packed: Rgb10a2Unorm takes (h, w) of uint32.
    with geyser.Sender(channel_name + "p", 16, 8, format="Rgb10a2Unorm", api="vulkan") as sender:
        assert sender.shape == (8, 16)
        assert sender.write(np.zeros((8, 16), dtype=np.uint32)) == 1
        assert sender.write(np.zeros((8, 16, 4), dtype=np.uint8)) == 2


def test_sender_stats_poll_and_fd(channel_name):
    with geyser.Sender(channel_name, W, H, api="vulkan", slots=4) as sender:
        assert sender.name == channel_name
        assert isinstance(sender.fileno(), int) and sender.fileno() >= 0
        assert sender.poll(timeout=0.01) is None
        stats = sender.stats
        assert stats.frames == 0 and stats.receivers == 0
        for n in range(1, 4):
            assert write_pattern(sender) == n
        assert sender.stats.frames == 3
        info = [c for c in geyser.list_channels(timeout=1.0) if c.name == channel_name]
        # Listers are answered in poll: list from here while nobody polls gives a stale
        # or slow answer, so only the name is certain.
        assert len(info) == 1
    assert sender.closed
    with pytest.raises(geyser.ValidationError):
        sender.write(geyser.test_pattern(W, H, 1))


def test_slots_present_metadata(processes, channel_name):
    with geyser.Sender(channel_name, W, H, api="vulkan") as sender:
        slot = sender.acquire(timeout=1.0)
        assert slot.frame == 1 and slot.vk_image != 0
        sender.cancel(slot)  # back unwritten: the next slot is frame 1 again
        recv = processes.recv(channel_name, "--frames", "1", "--show-metadata", "--timeout", "10")
        wait_for_receivers(sender, 1, recv)
        deadline = time.monotonic() + 30
        while recv.poll() is None and time.monotonic() < deadline:
            try:
                slot = sender.acquire(timeout=0.1)
            except geyser.TimeoutError:
                sender.poll(timeout=0.01)
                continue
            sender.present(slot, metadata=b"frame %d from python" % slot.frame)
            sender.poll(timeout=0.02)
        assert recv.wait(timeout=10) == 0, recv.describe()
        out, _ = recv.output()
        assert "frame 1 from python" in out, recv.describe()
        with pytest.raises(geyser.ValidationError):
            sender.present(slot)  # presented already


def test_resize_starts_a_new_generation_receivers_follow(channel_name):
    """A sender resizes from 64x48 RGBA8 to 40x30 RGBA16 while a host receiver reads: the
    receiver's frames change shape and generation, and every frame matches its pattern."""
    resize_now = threading.Event()
    stop = threading.Event()
    errors = []
    sender = geyser.Sender(channel_name, W, H, format="rgba8", api="vulkan")

    def run():
        try:
            resized = False
            while not stop.is_set():
                sender.poll(timeout=0.002)
                if resize_now.is_set() and not resized:
                    slot = sender.acquire(timeout=1.0)
                    with pytest.raises(geyser.ValidationError, match="neither presented"):
                        sender.resize(40, 30, "rgba16unorm")
                    sender.cancel(slot)
                    sender.resize(40, 30, "rgba16unorm")
                    resized = True
                if sender.stats.receivers > 0:
                    write_pattern(sender, timeout=0.1)
                time.sleep(0.004)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
            first = acquire_next(receiver)
            assert (first.width, first.height, first.format) == (W, H, "Rgba8Unorm")
            assert geyser.check_test_pattern(first.numpy(), first.frame) is None
            first.release()
            resize_now.set()
            deadline = time.monotonic() + 10.0
            while True:
                assert not errors, errors
                frame = acquire_next(receiver, deadline_s=1.0)
                if frame.width == 40:
                    break
                assert time.monotonic() < deadline, "no resized frame within 10 s"
            assert (frame.height, frame.format) == (30, "Rgba16Unorm")
            assert frame.generation > first.generation
            assert geyser.check_test_pattern(frame.numpy(), frame.frame) is None
    finally:
        stop.set()
        thread.join(timeout=10)
        sender.close()
    assert not errors, errors
    with pytest.raises(geyser.ValidationError):
        sender.resize(8, 8)
