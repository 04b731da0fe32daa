"""Receiving a channel (``geyser_receiver_*``)."""

import ctypes
import itertools
import operator
from dataclasses import dataclass

from . import _lib
from ._owned import OwnedHandle
from .errors import check, validation
from .frame import Frame


@dataclass(frozen=True)
class ReceiverStats:
    """What a receiver has done (``geyser_receiver_stats``)."""

    frames_acquired: int
    frames_skipped: int  #: presented but superseded before an acquire
    reconnects: int
    imports: int
    gpu_sync: bool  #: timeline semaphores on the GPU (True) or CPU-fenced (False)
    host_frames: bool  #: host frames (True) or zero-copy (False)
    tiling: str  #: "optimal" or "linear"
    row_pitch: int


def _api_value(api, allowed, what):
    if api not in allowed:
        raise validation("%s: api %r is not one of %s" % (what, api, ", ".join(sorted(allowed))))
    return _lib.API_BY_NAME[api]


def _spin_us(spin_us):
    """geyser_receiver_options.spin_us of the `spin_us` argument (None: -1, the default)."""
    if spin_us is None:
        return -1
    try:
        value = operator.index(spin_us)
    except TypeError:
        value = None
    if isinstance(spin_us, bool) or value is None or not 0 <= value <= _lib.RECEIVER_MAX_SPIN_US:
        raise validation(
            "Receiver: spin_us %r is not a whole number of microseconds from 0 (off) to %d "
            "(None: the default, 20)" % (spin_us, _lib.RECEIVER_MAX_SPIN_US)
        )
    return value


def _destroy_receiver(handle):
    _lib.lib().geyser_receiver_destroy(handle)


class Receiver(OwnedHandle):
    """A receiver of channel `name` (``geyser_receiver_connect``).

    Args:
        name: the channel's name.
        api: how frames are read: ``"host"`` (host frames in shared memory, read-only;
            no GPU; :meth:`Frame.numpy`), ``"cuda"`` (device memory on the CUDA device:
            DLPack, ``__cuda_array_interface__``), ``"vulkan"`` (a VkImage on a device
            made for the receiver, ``Frame.vk_image``) or ``"opengl"`` (a texture name in
            the GL context current on this thread, ``Frame.gl_texture``).
        timeout: seconds to wait for a sender to publish the channel and answer.
        runtime_dir: where channels live; None: ``$GEYSER_RUNTIME_DIR``, else
            ``$XDG_RUNTIME_DIR/geyser``.
        transfer: ``"auto"`` (zero-copy on the sender's device, host frames otherwise),
            ``"device"`` (zero-copy only: another device is DeviceMismatch) or ``"host"``
            (host frames always). Host receivers always take host frames.
        device: a :class:`geyser.Device` of the api (Vulkan or CUDA) to work on; None: one
            is made (a headless Vulkan device; CUDA device 0).
        handshake_timeout, gpu_timeout: seconds; None: the library's defaults (2 s, 10 s).
        spin_us: how long :meth:`acquire` watches for the next frame before it sleeps, in
            microseconds (an int, 0 to 1,000,000), while the last wait for a frame was
            that short and the machine has two CPUs or more: such a receiver and its
            sender pay no kernel wake-up per frame. 0: never spin; None: the library's
            default (20 us).

    Raises:
        geyser.DisconnectedError: no sender published `name` within `timeout`.
        geyser.DeviceMismatchError, geyser.UnsupportedError: the frames cannot be taken
            this way (another device; no CUDA driver; ...).
        geyser.ValidationError: a bad name or argument (a `spin_us` out of range).

    A receiver is used from one thread at a time. Close it with :meth:`close` or a
    ``with`` block; it is also closed when garbage-collected.
    """

    def __init__(
        self,
        name,
        api="host",
        timeout=2.0,
        runtime_dir=None,
        transfer="auto",
        device=None,
        handshake_timeout=None,
        gpu_timeout=None,
        spin_us=None,
    ):
        lib = _lib.lib()
        self.name = name
        self.api = api
        api_value = _api_value(api, _lib.API_BY_NAME, "Receiver")
        if transfer not in _lib.TRANSFER_BY_NAME:
            raise validation(
                "Receiver: transfer %r is not one of auto, device, host" % (transfer,)
            )
        self.transfer = transfer
        options = _lib.geyser_receiver_options()
        # the mirror's size: the library writes no byte past it (C API version 6)
        check(lib.geyser_receiver_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)))
        options.runtime_dir = _lib.encode_path(runtime_dir)
        options.device = device._handle_for(api) if device is not None else None
        options.transfer = _lib.TRANSFER_BY_NAME[transfer]
        if handshake_timeout is not None:
            options.handshake_timeout_ms = _lib.timeout_ms(handshake_timeout)
        if gpu_timeout is not None:
            options.gpu_timeout_ms = _lib.timeout_ms(gpu_timeout)
        options.spin_us = _spin_us(spin_us)
        handle = ctypes.c_void_p()
        check(
            lib.geyser_receiver_connect(
                _lib.encode_name(name),
                api_value,
                ctypes.byref(options),
                _lib.timeout_ms(timeout),
                ctypes.byref(handle),
            )
        )
        self._own(handle.value, _destroy_receiver)
        self._device = device  # kept while the receiver lives (the C side keeps its own)
        self._tokens = itertools.count(1)
        self._held = 0  # the token of the held frame; 0: none

    # ---- frames --------------------------------------------------------------------

    def _holds(self, token):
        return self._handle is not None and token != 0 and self._held == token

    def _require_open(self, what):
        if self._handle is None:
            raise validation("%s: the receiver of %r is closed" % (what, self.name))
        return self._handle

    def acquire(self, timeout=1.0):
        """The newest frame since the last acquire, waiting at most `timeout` seconds
        (None: without end). Releases the frame held before: that frame, and every
        :class:`Frame` from an earlier acquire, is no longer valid (its views keep the
        memory mapped, but the sender may rewrite it).

        Returns a :class:`Frame`, valid until :meth:`release` or the next acquire.

        Raises:
            geyser.TimeoutError: no new frame came in time.
            geyser.DisconnectedError: the sender is gone; later calls reconnect (when a
                sender publishes the name again).
            geyser.Error: anything else the library reports.
        """
        handle = self._require_open("acquire")
        # Earlier frames are invalid from here on, whatever the outcome (on Disconnected the
        # C side keeps its held frame valid, but this package hands out only new frames).
        self._held = 0
        raw = _lib.geyser_frame()
        check(
            _lib.lib().geyser_receiver_acquire(handle, _lib.timeout_ms(timeout), ctypes.byref(raw))
        )
        token = next(self._tokens)
        self._held = token
        return Frame(self, token, raw)

    def release(self):
        """Gives the held frame back to the sender after the work that reads it (CUDA:
        queued on the frame's stream or on the streams given through DLPack). Nothing to
        do when none is held. The frame's views keep the memory mapped, but the sender
        may write the slot again."""
        if self._handle is None:
            return
        self._held = 0
        check(_lib.lib().geyser_receiver_release(self._handle))

    def cuda_wait(self, stream=None):
        """CUDA receivers: makes `stream` (a CUstream as an int, or a torch / cupy stream;
        None or 1: the legacy default stream, 2: the per-thread one) wait for the held
        frame, and the frame's release wait for the work queued on `stream` until then.
        DLPack does this for the consumer's stream by itself.

        Raises :class:`geyser.ValidationError` when no frame is held or the receiver is
        not a CUDA one."""
        from .dlpack import stream_argument

        handle = self._require_open("cuda_wait")
        check(_lib.lib().geyser_receiver_cuda_wait(handle, stream_argument(stream)))

    # ---- state ---------------------------------------------------------------------

    @property
    def state(self):
        """``"connected"``, ``"waiting"`` (connected, no stream description yet) or
        ``"disconnected"`` (the sender is gone; acquire reconnects); ``"disconnected"``
        once closed."""
        if self._handle is None:
            return "disconnected"
        value = _lib.lib().geyser_receiver_get_state(self._handle)
        return _lib.RECEIVER_STATE_NAMES.get(value, "disconnected")

    @property
    def stats(self):
        """A :class:`ReceiverStats`."""
        handle = self._require_open("stats")
        raw = _lib.geyser_receiver_stats()
        check(_lib.lib().geyser_receiver_get_stats(handle, ctypes.byref(raw)))
        return ReceiverStats(
            frames_acquired=raw.frames_acquired,
            frames_skipped=raw.frames_skipped,
            reconnects=raw.reconnects,
            imports=raw.imports,
            gpu_sync=bool(raw.gpu_sync),
            host_frames=bool(raw.host_frames),
            tiling=_lib.TILING_NAMES.get(raw.tiling, "optimal"),
            row_pitch=raw.row_pitch,
        )

    def fileno(self):
        """The receiver's event fd: readable when the sender has sent something (a
        frame, its close); call ``acquire(0)`` then. Owned by the receiver (do not close
        it); usable with select / selectors / asyncio's add_reader."""
        handle = self._require_open("fileno")
        return _lib.lib().geyser_receiver_event_fd(handle)

    def _closing(self):
        # close(): releases the held frame and disconnects. Views of frames keep their
        # memory mapped; frames themselves are no longer valid.
        self._held = 0

    def __repr__(self):
        return "<geyser.Receiver %r api=%s %s>" % (self.name, self.api, self.state)
