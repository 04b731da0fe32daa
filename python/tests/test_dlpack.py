"""DLPack capsules: the destructor of capsules handed out, and tensors taken in (with
hand-made DLManagedTensors, so no GPU is needed)."""

import ctypes
import gc

import numpy as np
import pytest

import geyser
from geyser import _lib, dlpack


class FakeTensor:
    """A DLManagedTensor over a small host buffer whose deleter counts its calls; it says
    it lives on `device_type` (1 CPU, 2 CUDA) and has the element type `code`/`bits`."""

    def __init__(self, shape, device_type=1, code=1, bits=8):
        self.deleted = []
        self.managed = _lib.DLManagedTensor()
        count = int(np.prod(shape))
        self.buffer = (ctypes.c_uint8 * (count * bits // 8))()
        self.shape = (ctypes.c_int64 * len(shape))(*shape)
        t = self.managed.dl_tensor
        t.data = ctypes.addressof(self.buffer)
        t.device.device_type = device_type
        t.ndim = len(shape)
        t.dtype.code, t.dtype.bits, t.dtype.lanes = code, bits, 1
        t.shape = self.shape
        self._deleter = _lib.DLPACK_DELETER(lambda p: self.deleted.append(p))
        self.managed.deleter = ctypes.cast(self._deleter, ctypes.c_void_p).value

    @property
    def address(self):
        return ctypes.addressof(self.managed)


class Producer:
    """Hands out a FakeTensor through the DLPack protocol, recording the streams asked."""

    def __init__(self, fake):
        self.fake = fake
        self.streams = []

    def __dlpack__(self, stream=None):
        self.streams.append(stream)
        return dlpack.capsule_from_tensor(self.fake.address)

    def __dlpack_device__(self):
        return (self.fake.managed.dl_tensor.device.device_type, 0)


def test_capsule_consumed_by_numpy_runs_deleter_once():
    fake = FakeTensor((16,))
    array = np.from_dlpack(Producer(fake))
    assert array.shape == (16,) and fake.deleted == []
    del array
    gc.collect()
    assert fake.deleted == [fake.address]


def test_capsule_dropped_unconsumed_runs_deleter():
    fake = FakeTensor((4,))
    capsule = Producer(fake).__dlpack__()
    assert fake.deleted == []
    del capsule
    gc.collect()
    assert fake.deleted == [fake.address]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_capsule_dropped_by_a_failing_consumer_runs_deleter_once():
    """numpy refuses the element type after taking the capsule, and drops it while its
    exception is being raised: the deleter still runs exactly once (the consumer's error
    reaches the caller as some exception; see dlpack._destroy_capsule)."""
    fake = FakeTensor((4,), code=99)  # no such DLPack type code
    with pytest.raises(Exception):
        np.from_dlpack(Producer(fake))
    gc.collect()
    assert fake.deleted == [fake.address]


def test_take_tensor_marks_the_capsule_used():
    fake = FakeTensor((2, 3))
    producer = Producer(fake)
    tensor, device, stream = dlpack.take_tensor(producer)
    assert tensor == fake.address and device == (1, 0) and stream is None
    assert producer.streams == [None]  # CPU: no stream asked for
    gc.collect()
    assert fake.deleted == []  # the capsule was marked used: the deleter is ours to run
    dlpack.run_deleter(tensor)
    assert fake.deleted == [fake.address]


def test_take_tensor_asks_cuda_producers_for_a_stream():
    for given, expected in ((None, 1), (2, 2), (12345, 12345)):
        fake = FakeTensor((2, 3), device_type=2)
        producer = Producer(fake)
        tensor, device, stream = dlpack.take_tensor(producer, given)
        assert device == (2, 0) and stream == expected and producer.streams == [expected]
        dlpack.run_deleter(tensor)


def test_stream_argument():
    assert dlpack.stream_argument(None) is None
    assert dlpack.stream_argument(-1) is None
    assert dlpack.stream_argument(1).value == 1
    assert dlpack.stream_argument(2).value == 2

    class Stream:
        cuda_stream = 777

    assert dlpack.stream_argument(Stream()).value == 777
    with pytest.raises(geyser.ValidationError):
        dlpack.stream_argument("fast")


def test_used_capsule_is_refused():
    fake = FakeTensor((4,))
    capsule = Producer(fake).__dlpack__()
    dlpack.tensor_of_capsule(capsule)
    with pytest.raises(geyser.ValidationError):
        dlpack.tensor_of_capsule(capsule)
    del capsule
    gc.collect()
    assert fake.deleted == []
    dlpack.run_deleter(fake.address)


@pytest.mark.usefixtures("library")
def test_cuda_tensor_on_a_vulkan_sender(channel_name):
    """A kDLCUDA tensor goes to the library with the stream the producer was asked for;
    a Vulkan sender refuses it (Unsupported) and still runs the deleter, once."""
    fake = FakeTensor((48, 64, 4), device_type=2)
    producer = Producer(fake)
    with geyser.Sender(channel_name, 64, 48, api="vulkan") as sender:
        with pytest.raises(geyser.UnsupportedError):
            sender.write(producer, timeout=0.1)
    assert producer.streams == [1]
    assert fake.deleted == [fake.address]
