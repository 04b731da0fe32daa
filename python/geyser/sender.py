"""Publishing a channel (``geyser_sender_*``)."""

import ctypes
import sys
from dataclasses import dataclass

from . import _lib, dlpack, formats
from ._owned import OwnedHandle
from .errors import check, validation


@dataclass(frozen=True)
class SenderStats:
    """What a sender has done (``geyser_sender_stats``)."""

    frames: int  #: frames presented
    fps: float
    receivers: int
    host_receivers: int  #: of them, those that take host frames
    generation: int
    gpu_sync: bool  #: timeline semaphores (True) or CPU-fenced (False)
    dropped_connections: int
    #: presents that woke nobody: no receiver could be asleep on the board (none was
    #: connected, or each was looking at it or spinning: ``Receiver(spin_us=...)``)
    wakes_skipped: int


@dataclass(frozen=True)
class Slot:
    """A free slot of the ring (``geyser_slot``) from :meth:`Sender.acquire`, to write
    with the sender's API and hand to :meth:`Sender.present` or :meth:`Sender.cancel`."""

    frame: int  #: the number it will be presented as
    slot: int
    generation: int
    vk_image: int  #: Vulkan senders: the VkImage
    gl_texture: int  #: OpenGL senders: the texture name
    cuda_array: int  #: CUDA senders: the CUarray
    cuda_surface: int  #: CUDA senders: the CUsurfObject
    cuda_stream: int  #: CUDA senders: the CUstream to write on (0: legacy default)
    host_data: int = 0  #: host senders: the address of the slot's texels (tightly packed)
    host_row_pitch: int = 0  #: host senders: bytes from one row to the next

    def _raw(self):
        raw = _lib.geyser_slot()
        raw.frame = self.frame
        raw.slot = self.slot
        raw.generation = self.generation
        raw.vk_image = self.vk_image
        raw.gl_texture = self.gl_texture
        raw.cuda_array = self.cuda_array or None
        raw.cuda_surface = self.cuda_surface
        raw.cuda_stream = self.cuda_stream or None
        raw.host_data = self.host_data or None
        raw.host_row_pitch = self.host_row_pitch
        return raw


_SENDER_APIS = ("vulkan", "cuda", "opengl", "host")


def _destroy_sender(handle):
    _lib.lib().geyser_sender_destroy(handle)


def _parse_typestr(typestr):
    """(kind, itemsize) of an array-interface typestr ("|u1", "<f2"); big-endian ones are
    refused."""
    if not isinstance(typestr, str) or len(typestr) < 3 or typestr[0] not in "<>|=":
        raise validation("typestr %r is not an array-interface type" % (typestr,))
    if typestr[0] == ">" and typestr[2:] != "1":
        raise validation("typestr %r: big-endian data is not taken" % (typestr,))
    return typestr[1], int(typestr[2:])


class Sender(OwnedHandle):
    """Publishes channel `name` (``geyser_sender_publish``) with `width` x `height`
    textures of `format`, written with `api`.

    Args:
        name: letters, digits, '.', '_', '-'; at most 64.
        width, height: the texture size.
        format: a format name (``"rgba8"``, ``"Bgra8Srgb"``, ``"rgba16float"``, ...) or
            a :class:`geyser.formats.FormatInfo`.
        api: ``"vulkan"`` (a headless Vulkan device is made, or `device`), ``"cuda"``
            (CUDA device 0, or `device`), ``"opengl"`` (the GL context current on this
            thread) or ``"host"`` (no GPU: frames in host memory, which every receiver
            takes as host frames; an acquired slot's ``host_data`` is the address of
            its texels, ``host_row_pitch`` bytes a row).
        slots: ring slots at first, 2..16.
        tiling: ``"optimal"`` or ``"linear"`` (rows at a pitch, so CUDA receivers get
            plain device pointers; Vulkan senders only).
        runtime_dir: where channels live; None: the default.
        device: a :class:`geyser.Device` of the api; None: one is made.
        max_receivers: 0: 16.
        gpu_timeout: seconds; None: the library's default (10 s).

    Raises:
        geyser.ValidationError: a bad name, size, format or argument, or a live sender
            holds the name.
        geyser.UnsupportedError: the api cannot be used here (no CUDA driver, ...).

    Call :meth:`poll` (or :meth:`write`) regularly: receivers connect and listers are
    answered there. A sender is used from one thread at a time. :meth:`close` (or a
    ``with`` block's end, or garbage collection) unpublishes the channel: receivers see
    Disconnected.
    """

    def __init__(
        self,
        name,
        width,
        height,
        format="rgba8",
        api="vulkan",
        slots=3,
        tiling="optimal",
        runtime_dir=None,
        device=None,
        max_receivers=0,
        gpu_timeout=None,
    ):
        lib = _lib.lib()
        if api not in _lib.API_BY_NAME:
            raise validation(
                "Sender: api %r is not one of %s" % (api, ", ".join(_SENDER_APIS))
            )
        if tiling not in _lib.TILING_BY_NAME:
            raise validation("Sender: tiling %r is not optimal or linear" % (tiling,))
        self.name = name
        self.api = api
        self.width = int(width)
        self.height = int(height)
        self.format_value = formats.format_value(format)
        self.format = formats.name(self.format_value)
        self.tiling = tiling
        options = _lib.geyser_sender_options()
        # the mirror's size: the library writes no byte past it (C API version 6)
        check(lib.geyser_sender_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)))
        options.runtime_dir = _lib.encode_path(runtime_dir)
        options.device = device._handle_for(api) if device is not None else None
        options.slots = int(slots)
        options.tiling = _lib.TILING_BY_NAME[tiling]
        options.max_receivers = int(max_receivers)
        if gpu_timeout is not None:
            options.gpu_timeout_ms = _lib.timeout_ms(gpu_timeout)
        if not (0 <= self.width <= 0xFFFFFFFF and 0 <= self.height <= 0xFFFFFFFF):
            raise validation("Sender: a size of %dx%d is out of range" % (self.width, self.height))
        handle = ctypes.c_void_p()
        check(
            lib.geyser_sender_publish(
                _lib.encode_name(name),
                _lib.API_BY_NAME[api],
                self.width,
                self.height,
                self.format_value,
                ctypes.byref(options),
                ctypes.byref(handle),
            )
        )
        self._own(handle.value, _destroy_sender)
        self._device = device
        info = formats.info(self.format_value)
        self._texel_size = info.texel_size
        self._element = formats.element_type(self.format_value)

    def _require_open(self, what):
        if self._handle is None:
            raise validation("%s: the sender of %r is closed" % (what, self.name))
        return self._handle

    # ---- writing -------------------------------------------------------------------

    @property
    def shape(self):
        """The array shape :meth:`write` takes in the format's element type: (height,
        width, channels), or (height, width) for packed formats."""
        return formats.array_shape(self.format_value, self.width, self.height)

    def _describe_expected(self):
        e = self._element
        own = "%s%d" % ({"u": "uint", "i": "int", "f": "float"}[e.kind], e.bits)
        return "shape %s of %s, or (%d, %d, %d) of uint8" % (
            self.shape,
            own,
            self.height,
            self.width,
            self._texel_size,
        )

    def _row_layout(self, shape, kind, itemsize, strides, what):
        """The row pitch of rows of texels laid out as `shape` / `strides` (bytes; None:
        C-contiguous), after checking them against the channel's size and format.
        Returns (row_pitch, contiguous_rows)."""
        e = self._element
        uint8 = kind == "u" and itemsize == 1
        own = kind == e.kind and itemsize == e.itemsize
        if not (uint8 or own):
            raise validation(
                "%s: elements of %s%d are neither uint8 nor %s's (%s)"
                % (what, kind, itemsize * 8, self.format, self._describe_expected())
            )
        per_texel = self._texel_size // itemsize  # elements per texel
        shape = tuple(int(n) for n in shape)
        ok = len(shape) in (2, 3) and shape[0] == self.height and shape[1] == self.width
        if ok and len(shape) == 3:
            ok = shape[2] == per_texel
        elif ok:
            ok = per_texel == 1
        if not ok:
            raise validation(
                "%s: an array of shape %s is not a %dx%d frame of %s (%s)"
                % (what, shape, self.width, self.height, self.format, self._describe_expected())
            )
        row_bytes = self.width * self._texel_size
        if strides is None:
            return row_bytes, True
        strides = tuple(int(s) for s in strides)
        inner_ok = len(shape) == 2 or strides[2] == itemsize or shape[2] == 1
        texel_ok = strides[1] == self._texel_size or shape[1] == 1
        if self.height == 1:
            return row_bytes, inner_ok and texel_ok
        rows_ok = strides[0] >= row_bytes and strides[0] % itemsize == 0
        return strides[0], inner_ok and texel_ok and rows_ok

    def write(self, array, timeout=1.0, stream=None):
        """Copies `array` into a free slot and presents it; returns its frame number.

        `array` is the frame: ``Sender.shape`` of the format's element type, or
        (height, width, texel size) of uint8, rows' texels contiguous. Taken as:

        - a numpy array (or anything numpy turns into one: lists, objects with
          ``__array_interface__``): host memory, ``geyser_sender_write``;
        - an object with ``__dlpack__`` (a torch tensor, a CuPy array, a JAX array):
          ``geyser_sender_write_dlpack``; CPU tensors for any sender, CUDA tensors for
          CUDA senders; for a CUDA tensor `stream` is the CUstream the copy runs on,
          handed to the producer (None: the legacy default stream);
        - an object with only ``__cuda_array_interface__``: ``geyser_sender_write_cuda``
          on `stream`, else the interface's own stream.

        Waits at most `timeout` seconds for a free slot (receivers hold the others).

        Raises:
            geyser.TimeoutError: no slot became free in time.
            geyser.ValidationError: a wrong shape or element type, rows that are not
                contiguous, a device tensor for a sender that cannot take it.
            geyser.Error: anything else the library reports.
        """
        handle = self._require_open("write")
        ms = _lib.timeout_ms(timeout)
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(array, numpy.ndarray):
            return self._write_host(handle, array, ms)
        if hasattr(array, "__dlpack__"):
            return self._write_dlpack(handle, array, ms, stream)
        if hasattr(array, "__cuda_array_interface__"):
            return self._write_cai(handle, array, ms, stream)
        import numpy

        return self._write_host(handle, numpy.asarray(array), ms)

    def _write_host(self, handle, array, ms):
        import numpy

        what = "write"
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        if array.dtype.kind not in "uif" or array.dtype.fields is not None:
            raise validation(
                "%s: an array of %s is not a frame of %s (%s)"
                % (what, array.dtype, self.format, self._describe_expected())
            )
        pitch, contiguous = self._row_layout(
            array.shape, array.dtype.kind, array.dtype.itemsize, array.strides, what
        )
        if not contiguous or not array.flags.aligned:
            array = numpy.ascontiguousarray(array)
            pitch = self.width * self._texel_size
        frame = ctypes.c_uint64(0)
        address = array.ctypes.data if array.size else None
        check(
            _lib.lib().geyser_sender_write(handle, address, pitch, ms, ctypes.byref(frame))
        )
        return frame.value

    def _write_dlpack(self, handle, array, ms, stream):
        tensor, device, given = dlpack.take_tensor(array, stream)
        # From here the C call owns the tensor: it runs the deleter, also on failure.
        c_stream = dlpack.stream_argument(given) if device[0] == dlpack.kDLCUDA else None
        frame = ctypes.c_uint64(0)
        check(
            _lib.lib().geyser_sender_write_dlpack(handle, tensor, c_stream, ms, ctypes.byref(frame))
        )
        return frame.value

    def _write_cai(self, handle, array, ms, stream):
        what = "write"
        cai = array.__cuda_array_interface__
        if cai.get("mask") is not None:
            raise validation("%s: masked CUDA arrays are not taken" % what)
        kind, itemsize = _parse_typestr(cai["typestr"])
        pitch, contiguous = self._row_layout(cai["shape"], kind, itemsize, cai.get("strides"), what)
        if not contiguous:
            raise validation("%s: the CUDA array's rows are not contiguous (make it contiguous first)" % what)
        data = int(cai["data"][0])
        if stream is None:
            stream = cai.get("stream")
        frame = ctypes.c_uint64(0)
        check(
            _lib.lib().geyser_sender_write_cuda(
                handle, data, pitch, dlpack.stream_argument(stream), ms, ctypes.byref(frame)
            )
        )
        return frame.value

    # ---- slots (for writing with the sender's own API) ----------------------------

    def acquire(self, timeout=1.0):
        """A free :class:`Slot` to write the next frame into with the sender's API
        (Vulkan: its VkImage, owned by VK_QUEUE_FAMILY_EXTERNAL; GL: a texture; CUDA: an
        array and surface on its stream), waiting at most `timeout` seconds.

        Raises :class:`geyser.TimeoutError` when receivers hold every slot."""
        handle = self._require_open("acquire")
        raw = _lib.geyser_slot()
        check(_lib.lib().geyser_sender_acquire(handle, _lib.timeout_ms(timeout), ctypes.byref(raw)))
        return Slot(
            frame=raw.frame,
            slot=raw.slot,
            generation=raw.generation,
            vk_image=raw.vk_image,
            gl_texture=raw.gl_texture,
            cuda_array=raw.cuda_array or 0,
            cuda_surface=raw.cuda_surface,
            cuda_stream=raw.cuda_stream or 0,
            host_data=raw.host_data or 0,
            host_row_pitch=raw.host_row_pitch,
        )

    def present(self, slot, metadata=b""):
        """Announces the frame written into `slot` (after the work that writes it was
        submitted / issued / queued), with up to 256 bytes of `metadata` delivered with
        it. On a failure the slot goes back to the ring."""
        handle = self._require_open("present")
        metadata = bytes(metadata)
        raw = slot._raw()
        check(
            _lib.lib().geyser_sender_present(handle, ctypes.byref(raw), metadata or None, len(metadata))
        )

    def cancel(self, slot):
        """Gives an acquired slot back unwritten."""
        handle = self._require_open("cancel")
        raw = slot._raw()
        _lib.lib().geyser_sender_cancel(handle, ctypes.byref(raw))

    def resize(self, width, height, format=None):
        """Starts a new generation of `width` x `height` textures of `format` (the current
        one when None): receivers re-import, and their next frames have the new shape.
        Raises :class:`geyser.ValidationError` while a slot is acquired and neither
        presented nor cancelled; on a failure the stream stays as it was."""
        handle = self._require_open("resize")
        value = self.format_value if format is None else formats.format_value(format)
        if not (0 <= int(width) <= 0xFFFFFFFF and 0 <= int(height) <= 0xFFFFFFFF):
            raise validation("resize: a size of %dx%d is out of range" % (width, height))
        check(_lib.lib().geyser_sender_resize(handle, int(width), int(height), value))
        self.width, self.height = int(width), int(height)
        self.format_value = value
        self.format = formats.name(value)
        info = formats.info(value)
        self._texel_size = info.texel_size
        self._element = formats.element_type(value)

    # ---- the rest ------------------------------------------------------------------

    def poll(self, timeout=0):
        """Accepts receivers, answers listers, reads what receivers sent; waits at most
        `timeout` seconds for something to happen. Call it whenever the sender is not
        writing (or when :meth:`fileno` is readable): a sender that never polls is never
        connected to. Returns None; raises :class:`geyser.Error` for a failure."""
        handle = self._require_open("poll")
        check(_lib.lib().geyser_sender_poll(handle, _lib.timeout_ms(timeout)))

    @property
    def stats(self):
        """A :class:`SenderStats`."""
        handle = self._require_open("stats")
        raw = _lib.geyser_sender_stats()
        check(_lib.lib().geyser_sender_get_stats(handle, ctypes.byref(raw)))
        return SenderStats(
            frames=raw.frames,
            fps=raw.fps,
            receivers=raw.receivers,
            host_receivers=raw.host_receivers,
            generation=raw.generation,
            gpu_sync=bool(raw.gpu_sync),
            dropped_connections=raw.dropped_connections,
            wakes_skipped=raw.wakes_skipped,
        )

    def fileno(self):
        """The sender's event fd: readable while there is work for :meth:`poll`. Owned by
        the sender."""
        handle = self._require_open("fileno")
        return _lib.lib().geyser_sender_event_fd(handle)

    def __repr__(self):
        state = "closed" if self._handle is None else "open"
        return "<geyser.Sender %r %dx%d %s api=%s %s>" % (
            self.name,
            self.width,
            self.height,
            self.format,
            self.api,
            state,
        )
