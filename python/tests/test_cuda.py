"""CUDA receivers and senders with torch and CuPy. Each test skips, saying why, where
torch / cupy, a CUDA device or libgeyser's CUDA support is missing; the torch tests on the
CPU (host frames through DLPack) need only torch."""

import os
import time

import numpy as np
import pytest

import geyser
from geyser.pattern import TorchPatternChecker
from helpers import acquire_next, cuda_cupy, cuda_torch

pytestmark = [pytest.mark.usefixtures("library"), pytest.mark.cuda]


def check_stream_on_gpu(torch, receiver, frames, width, height, zero_copy):
    """Acquires `frames` frames as torch tensors (torch.from_dlpack on the current
    stream) and checks each against its pattern on the GPU. The counts stay on the GPU
    until the end: the frames' releases must wait for the checks queued on the stream."""
    checker = TorchPatternChecker(width, height, "cuda")
    counts = torch.zeros(frames, dtype=torch.int64, device="cuda")
    numbers = []
    pointers = set()
    for i in range(frames):
        frame = acquire_next(receiver, deadline_s=10.0)
        tensor = torch.from_dlpack(frame)
        assert tensor.is_cuda and tensor.dtype == torch.uint8
        assert tuple(tensor.shape) == (height, width, 4)
        if zero_copy:
            assert frame.tiling == "linear"
            assert tensor.data_ptr() == frame.cuda_data  # the sender's memory itself
            assert tensor.stride() == (frame.row_pitch, 4, 1)
        else:
            assert frame.tiling == "optimal" and frame.cuda_array != 0
            pointers.add(tensor.data_ptr())  # the receiver's own buffer, reused
        counts[i] = checker.count(tensor, frame.frame)
        numbers.append(frame.frame)
        del tensor
    receiver.release()
    torch.cuda.synchronize()
    bad = [(numbers[i], int(counts[i])) for i in torch.nonzero(counts).flatten().tolist()]
    assert not bad, "frames with bytes that differ (frame, bytes): %s" % bad[:10]
    assert all(b > a for a, b in zip(numbers, numbers[1:])), "frame numbers must increase"
    if not zero_copy:
        assert len(pointers) == 1, "an optimal stream is copied into one receiver-owned buffer"


def test_torch_from_dlpack_linear_stream(processes, channel_name):
    torch = cuda_torch()
    width, height = 256, 144
    processes.send(channel_name, fps=0, size="%dx%d" % (width, height), extra=("--tiling", "linear"))
    with geyser.Receiver(channel_name, api="cuda", timeout=10.0) as receiver:
        check_stream_on_gpu(torch, receiver, 1000, width, height, zero_copy=True)
        stats = receiver.stats
        assert stats.tiling == "linear" and not stats.host_frames
        check_forced_sync(stats)


def check_forced_sync(stats):
    """With GEYSER_SYNC=gpu (scripts/gpu-python.sh runs these tests so once more) the
    frames must have come with GPU semaphores, not the CPU-fenced fallback."""
    if os.environ.get("GEYSER_SYNC") == "gpu":
        assert stats.gpu_sync, "GEYSER_SYNC=gpu, yet the receiver is in cpu mode"


def test_torch_from_dlpack_optimal_stream(processes, channel_name):
    """An optimal stream's frames come through one device copy into a receiver-owned
    buffer."""
    torch = cuda_torch()
    width, height = 320, 180
    processes.send(channel_name, fps=0, size="%dx%d" % (width, height))
    with geyser.Receiver(channel_name, api="cuda", timeout=10.0) as receiver:
        check_stream_on_gpu(torch, receiver, 300, width, height, zero_copy=False)


def test_torch_tensor_kept_after_release(processes, channel_name):
    torch = cuda_torch()
    processes.send(channel_name, fps=200, size="64x48", extra=("--tiling", "linear"))
    with geyser.Receiver(channel_name, api="cuda", timeout=10.0) as receiver:
        frame = acquire_next(receiver)
        tensor = torch.from_dlpack(frame)
        copy = tensor.clone()
        number = frame.frame
        frame.release()
    # The receiver is closed: the tensor's memory reference keeps the import alive.
    torch.cuda.synchronize()
    assert int(tensor.to(torch.int64).sum()) >= 0
    assert int(TorchPatternChecker(64, 48, "cuda").count(copy, number)) == 0


def test_cupy_cuda_array_interface(processes, channel_name):
    cupy = cuda_cupy()
    width, height = 128, 72
    processes.send(channel_name, fps=0, size="%dx%d" % (width, height), extra=("--tiling", "linear"))
    with geyser.Receiver(channel_name, api="cuda", timeout=10.0) as receiver:
        previous = 0
        for _ in range(1000):
            frame = acquire_next(receiver)
            cai = frame.__cuda_array_interface__
            assert cai["version"] == 3 and cai["data"][1] is True
            assert cai["shape"] == (height, width, 4) and cai["typestr"] == "|u1"
            assert cai["strides"] == (frame.row_pitch, 4, 1)
            assert cai["stream"] != 0
            array = cupy.asarray(frame)
            assert array.data.ptr == frame.cuda_data  # no copy
            expected = cupy.asarray(geyser.test_pattern(width, height, frame.frame))
            bad = int((array != expected).sum())  # synchronizes before the release
            assert bad == 0, "frame %d: %d bytes differ" % (frame.frame, bad)
            assert frame.frame > previous
            previous = frame.frame
            frame.release()
        check_forced_sync(receiver.stats)


def test_cupy_optimal_stream(processes, channel_name):
    cupy = cuda_cupy()
    processes.send(channel_name, fps=0, size="96x64")
    with geyser.Receiver(channel_name, api="cuda", timeout=10.0) as receiver:
        for _ in range(50):
            with acquire_next(receiver) as frame:
                array = cupy.asarray(frame)
                expected = cupy.asarray(geyser.test_pattern(96, 64, frame.frame))
                assert int((array != expected).sum()) == 0


def test_torch_sender_passes_geyser_recv_verify_cuda(processes, channel_name):
    cuda_torch()
    width, height, frames = 128, 96, 60
    checker = TorchPatternChecker(width, height, "cuda")
    with geyser.Sender(channel_name, width, height, format="rgba8", api="cuda") as sender:
        recv = processes.recv(
            channel_name, "--api", "cuda", "--frames", str(frames), "--verify", "--timeout", "15"
        )
        deadline = time.monotonic() + 15
        while sender.stats.receivers == 0:
            assert recv.poll() is None, recv.describe()
            assert time.monotonic() < deadline, "no receiver connected"
            sender.poll(timeout=0.05)
        written = []
        deadline = time.monotonic() + 60
        while recv.poll() is None and time.monotonic() < deadline:
            number = sender.stats.frames + 1
            tensor = checker.expected(number)  # made on torch's current stream
            try:
                got = sender.write(tensor, timeout=0.25)
            except geyser.TimeoutError:
                continue
            assert got == number
            written.append(got)
            sender.poll(timeout=0.002)
        assert recv.wait(timeout=15) == 0, recv.describe()
        out, _ = recv.output()
        assert "%d frames from" % frames in out and "0 bad" in out, out
        assert written[:frames] == list(range(1, frames + 1))


def test_cuda_array_interface_sender(processes, channel_name):
    """An object with only __cuda_array_interface__ (here a CuPy array's, wrapped) goes
    through geyser_sender_write_cuda."""
    cupy = cuda_cupy()

    class InterfaceOnly:
        def __init__(self, array):
            self.__cuda_array_interface__ = array.__cuda_array_interface__
            self._keep = array

    width, height = 64, 48
    with geyser.Sender(channel_name, width, height, api="cuda") as sender:
        recv = processes.recv(
            channel_name, "--api", "cuda", "--frames", "10", "--verify", "--timeout", "15"
        )
        deadline = time.monotonic() + 60
        while recv.poll() is None and time.monotonic() < deadline:
            sender.poll(timeout=0.005)
            if sender.stats.receivers == 0:
                continue
            number = sender.stats.frames + 1
            image = cupy.asarray(geyser.test_pattern(width, height, number))
            try:
                assert sender.write(InterfaceOnly(image), timeout=0.25) == number
            except geyser.TimeoutError:
                continue
        assert recv.wait(timeout=15) == 0, recv.describe()


# ---- torch on the CPU: host frames through DLPack (no CUDA needed) -------------------


def _torch_or_skip():
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not installed")
    return torch


def test_torch_host_frames_and_cpu_tensors(processes, channel_name):
    torch = _torch_or_skip()
    processes.send(channel_name, fps=200)
    with geyser.Receiver(channel_name, api="host", timeout=10.0) as receiver:
        for _ in range(20):
            with acquire_next(receiver) as frame:
                tensor = torch.from_dlpack(frame)
                assert tensor.device.type == "cpu" and tensor.dtype == torch.uint8
                assert tuple(tensor.shape) == (48, 64, 4)
                assert tensor.data_ptr() == frame.host_data
                assert int(TorchPatternChecker(64, 48).count(tensor, frame.frame)) == 0
    # torch CPU tensors as a sender's input (DLPack on kDLCPU).
    with geyser.Sender(channel_name + "-out", 64, 48, api="vulkan") as sender:
        pattern = TorchPatternChecker(64, 48)
        assert sender.write(pattern.expected(1)) == 1
        assert sender.write(torch.from_numpy(geyser.test_pattern(64, 48, 2))) == 2
        with pytest.raises(geyser.ValidationError):
            sender.write(torch.zeros((48, 64, 3), dtype=torch.uint8))


def test_torch_pattern_matches_numpy():
    torch = _torch_or_skip()
    for texel_size in (1, 4, 8, 16):
        for frame in (0, 1, 200, 1000):
            got = geyser.pattern.torch_test_pattern(13, 5, frame, "cpu", texel_size).numpy()
            np.testing.assert_array_equal(got, geyser.test_pattern(13, 5, frame, texel_size))
    image = torch.from_numpy(geyser.test_pattern(13, 5, 7))
    assert int(geyser.pattern.torch_count_mismatches(image, 7)) == 0
    assert int(geyser.pattern.torch_count_mismatches(image, 8)) > 0
