"""Receivers that spin before they sleep (``Receiver(spin_us=...)``) and the wakes a sender
skips (``SenderStats.wakes_skipped``), C API version 5, with a host sender in this
process: no GPU needed."""

import threading
import time

import pytest

import geyser

pytestmark = pytest.mark.usefixtures("library")

W, H = 48, 32


def connect(sender, name, **options):
    """A host receiver of `name`, while a thread polls `sender` to answer its Hello."""
    stop = threading.Event()

    def answer():
        while not stop.is_set():
            sender.poll(timeout=0.002)

    pump = threading.Thread(target=answer)
    pump.start()
    try:
        return geyser.Receiver(name, api="host", timeout=10.0, **options)
    finally:
        stop.set()
        pump.join(timeout=10)


def write(sender):
    """Writes the test pattern of the number the write gets; returns it."""
    number = sender.stats.frames + 1
    assert sender.write(geyser.test_pattern(W, H, number), timeout=1.0) == number
    return number


def check_frame(receiver, number):
    with receiver.acquire(timeout=2.0) as frame:
        assert frame.frame == number
        assert geyser.check_test_pattern(frame.numpy(), frame.frame) is None


@pytest.mark.parametrize("spin_us", [0, 50])
def test_spinning_receiver_gets_every_frame(channel_name, spin_us):
    """Frames written before acquire, and one written while acquire waits (spinning for
    `spin_us`, then asleep), arrive whole."""
    with geyser.Sender(channel_name, W, H, format="rgba8", api="host") as sender:
        with connect(sender, channel_name, spin_us=spin_us) as receiver:
            for _ in range(3):
                check_frame(receiver, write(sender))
            written = []
            later = threading.Timer(0.03, lambda: written.append(write(sender)))
            later.start()
            try:
                with receiver.acquire(timeout=2.0) as frame:
                    image = frame.numpy()
                    number = frame.frame
                    assert geyser.check_test_pattern(image, number) is None
            finally:
                later.join(timeout=10)
            assert written == [number]


@pytest.mark.parametrize("spin_us", [-1, -2, 1_000_001, 2**32 + 5, 1.5, True, "20"])
def test_spin_out_of_range_is_validation(channel_name, spin_us):
    with pytest.raises(geyser.ValidationError) as caught:
        geyser.Receiver(channel_name, api="host", timeout=0.1, spin_us=spin_us)
    assert caught.value.code == "Validation"
    assert "spin_us" in str(caught.value) and "1000000" in str(caught.value)


def test_spin_bounds_are_accepted(channel_name):
    """0 and the maximum (1,000,000 us) reach the library, which takes them."""
    with geyser.Sender(channel_name, W, H, format="rgba8", api="host") as sender:
        for spin_us in (0, 1_000_000):
            with connect(sender, channel_name, spin_us=spin_us) as receiver:
                check_frame(receiver, write(sender))


def test_sender_counts_the_wakes_it_skipped(channel_name):
    """No receiver, or one that is not inside acquire: every present skips its wake. A
    receiver whose fileno() was asked for waits on the board all along: none skips."""
    with geyser.Sender(channel_name, W, H, format="rgba8", api="host") as sender:
        assert sender.stats.wakes_skipped == 0
        for _ in range(3):
            write(sender)
        assert sender.stats.wakes_skipped == 3
        with connect(sender, channel_name) as receiver:
            deadline = time.monotonic() + 5.0
            while sender.stats.receivers != 1 and time.monotonic() < deadline:
                sender.poll(timeout=0.01)
            assert sender.stats.receivers == 1
            before = sender.stats.wakes_skipped
            for _ in range(5):
                last = write(sender)
            stats = sender.stats
            assert stats.wakes_skipped == before + 5 and stats.frames == last
            check_frame(receiver, last)
            assert receiver.fileno() >= 0
            before = sender.stats.wakes_skipped
            for _ in range(4):
                last = write(sender)
            assert sender.stats.wakes_skipped == before
            check_frame(receiver, last)
