"""A frame a :class:`geyser.Receiver` holds, and its views: numpy, DLPack, CUDA Array
Interface.

A frame is valid until :meth:`Frame.release` or the receiver's next ``acquire`` (whatever
that acquire's outcome), or until the receiver is closed. Its plain attributes (numbers,
size, metadata) stay readable after that; its views cannot be made any more
(:class:`geyser.ValidationError`).

Views made while it was valid keep the frame's memory mapped (a ``geyser_memory_ref``)
as long as they live, so reading them never crashes; but after the release the sender may
write the next frame into the same memory. Copy what you keep (``frame.numpy().copy()``).
"""

import ctypes
import weakref

from . import _lib, dlpack, formats
from .errors import check, unsupported, validation


class _HostView:
    """The base object of a host frame's numpy view: its ``__array_interface__`` is the
    read-only mapping, and it frees its memory reference when it goes (with the last array
    made from it)."""

    __slots__ = ("__array_interface__", "_finalizer", "__weakref__")

    def __init__(self, interface, memory_ref):
        self.__array_interface__ = interface
        self._finalizer = weakref.finalize(self, _free_memory_ref, memory_ref)
        self._finalizer.atexit = False  # the process is ending: the mapping goes with it


def _free_memory_ref(memory_ref):
    _lib.lib().geyser_memory_ref_free(memory_ref)


class Frame:
    """The receiver's held frame (``geyser_frame``).

    Attributes:
        frame: the sender's frame number (1, 2, ...; it starts again at 1 with a new
            sender).
        generation: the ring's generation.
        connection: which connection (1, 2, ... across reconnects).
        timestamp_ns: the sender's CLOCK_MONOTONIC at present.
        width, height: the texture size.
        format: the format's name, e.g. ``"Rgba8Unorm"``; ``format_value`` its enum value.
        tiling: ``"optimal"`` or ``"linear"``.
        row_pitch: bytes between rows of a host or linear frame; 0 otherwise.
        metadata: the bytes the sender gave with the frame (a copy).
        vk_image: a Vulkan receiver's VkImage (an int), else 0.
        gl_texture: an OpenGL receiver's texture name, else 0.
        cuda_array: a CUDA receiver's CUarray (optimal streams), else 0.
        cuda_data: a CUDA receiver's device pointer (linear streams), else 0.
        cuda_stream: the CUstream (an int; 0 is the legacy default stream) the frame is
            ready on for a CUDA receiver.
        cuda_ordinal: the CUDA device a CUDA receiver's frame is on (DLPack's device_id).
        host_data: a host frame's address (an int), else 0.

    Valid until :meth:`release` or the receiver's next acquire; use it as a context
    manager to release it at the end of a block::

        with receiver.acquire() as frame:
            image = frame.numpy()
            ...
    """

    def __init__(self, receiver, token, raw):
        self._receiver = receiver
        self._token = token
        self.frame = raw.frame
        self.generation = raw.generation
        self.timestamp_ns = raw.timestamp_ns
        self.connection = raw.connection
        self.width = raw.width
        self.height = raw.height
        self.format_value = raw.format
        self.format = formats.name(raw.format)
        self.tiling = _lib.TILING_NAMES.get(raw.tiling, "optimal")
        self.row_pitch = raw.row_pitch
        if raw.metadata and raw.metadata_size:
            self.metadata = ctypes.string_at(raw.metadata, raw.metadata_size)
        else:
            self.metadata = b""
        self.host_data = raw.host_data or 0
        self.vk_image = raw.vk_image
        self.gl_texture = raw.gl_texture
        self.cuda_array = raw.cuda_array or 0
        self.cuda_data = raw.cuda_data
        self.cuda_stream = raw.cuda_stream or 0
        self.cuda_ordinal = raw.cuda_ordinal
        self._cai = None  # the CUDA Array Interface dict, made once
        self._cai_finalizer = None

    # ---- state ---------------------------------------------------------------------

    @property
    def valid(self):
        """Whether this is still the receiver's held frame (not released, no acquire
        since, receiver open)."""
        return self._receiver._holds(self._token)

    def _require_valid(self, what):
        if not self.valid:
            raise validation(
                "%s: frame %d is no longer held (released, another acquire, or the receiver "
                "closed); a frame is valid until release() or the next acquire()"
                % (what, self.frame)
            )
        return self._receiver._handle

    @property
    def is_host_frame(self):
        """Whether the frame is a host frame (host memory, mapped read-only)."""
        return bool(self.host_data)

    @property
    def element_type(self):
        """How a texel reads as array elements (:class:`geyser.formats.ElementType`)."""
        return formats.element_type(self.format_value)

    @property
    def shape(self):
        """(height, width, channels), or (height, width) for packed formats."""
        return formats.array_shape(self.format_value, self.width, self.height)

    def _strides(self, row_pitch):
        element = self.element_type
        texel = formats.info(self.format_value).texel_size
        if element.packed:
            return (int(row_pitch), texel)
        return (int(row_pitch), texel, element.itemsize)

    def release(self):
        """Gives the frame back to the sender, if it is still the receiver's held frame
        (else nothing). Views made of it keep working but may show a later frame."""
        if self.valid:
            self._receiver.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()
        return False

    def __repr__(self):
        return "<geyser.Frame %d %dx%d %s %s%s>" % (
            self.frame,
            self.width,
            self.height,
            self.format,
            self.tiling,
            "" if self.valid else " (released)",
        )

    # ---- numpy ---------------------------------------------------------------------

    def numpy(self):
        """The host frame as a read-only numpy array over its mapping (no copy).

        Shape (height, width, channels) of the format's element type (uint8 for 8-bit
        formats; uint16, int16, float16, float32, uint32, int32 as the format says), or
        (height, width) of uint32 for packed formats (Rgb10a2Unorm, Rg11b10Float); the row
        stride is ``row_pitch``. The array keeps the memory mapped while it lives, after
        release and after the receiver is closed; after release the sender may write the
        slot again, so copy what you keep.

        Raises :class:`geyser.UnsupportedError` for a frame that is not a host frame (a
        Vulkan, OpenGL or CUDA receiver's: use its native handles, DLPack or
        ``__cuda_array_interface__``), :class:`geyser.ValidationError` once the frame is
        no longer held. Needs numpy."""
        import numpy

        handle = self._require_valid("numpy()")
        if not self.host_data:
            raise unsupported(
                "numpy(): frame %d is not a host frame (a %s receiver's); receive with "
                "api=\"host\", or use DLPack / __cuda_array_interface__ on a CUDA receiver"
                % (self.frame, self._receiver.api)
            )
        ref = ctypes.c_void_p()
        check(_lib.lib().geyser_receiver_retain_memory(handle, ctypes.byref(ref)))
        try:
            element = self.element_type
            interface = {
                "version": 3,
                "shape": self.shape,
                "typestr": element.typestr,
                "data": (self.host_data, True),  # read-only: the mapping is PROT_READ
                "strides": self._strides(self.row_pitch),
            }
            holder = _HostView(interface, ref.value)
        except BaseException:
            _free_memory_ref(ref.value)
            raise
        array = numpy.asarray(holder)
        array.flags.writeable = False
        return array

    # ---- DLPack --------------------------------------------------------------------

    def __dlpack_device__(self):
        """(device_type, device_id): (kDLCPU = 1, 0) for a host frame, (kDLCUDA = 2,
        the receiver's CUDA ordinal) for a CUDA receiver's. Raises :class:`geyser.UnsupportedError` for Vulkan and
        OpenGL frames."""
        if self.host_data:
            return (dlpack.kDLCPU, 0)
        if self._receiver.api == "cuda":
            return (dlpack.kDLCUDA, self.cuda_ordinal)
        raise unsupported(
            "DLPack: a %s receiver's frames are not tensors (receive with api=\"cuda\" or "
            "\"host\")" % self._receiver.api
        )

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        """The frame as a DLPack capsule (``geyser_receiver_dlpack``): uint8 or the
        format's element type, shape (height, width, channels), strides from the row
        pitch; no copy for host frames and linear CUDA streams, one device copy into a
        receiver-owned buffer for optimal CUDA streams.

        `stream` is the consumer's CUstream, as the DLPack protocol passes it: None
        (NULL, the legacy default stream), 1 (legacy default), 2 (per-thread default) or
        a ``cudaStream_t`` as an int; the frame is made ready on it, and its release
        waits for the work queued there until then. The tensor keeps the memory while it
        lives; after release the sender may rewrite it. Host frames' tensors are on
        kDLCPU and must not be written (DLPack 0.x cannot say read-only).

        `max_version`, `dl_device` and `copy` are the newer protocol's: the capsule is
        always an unversioned "dltensor"; a `dl_device` other than the frame's, or
        ``copy=True``, raise BufferError.

        Raises :class:`geyser.ValidationError` once the frame is no longer held,
        :class:`geyser.UnsupportedError` for Vulkan and OpenGL frames."""
        device = self.__dlpack_device__()
        if dl_device is not None and tuple(int(v) for v in dl_device) != device:
            raise BufferError("geyser: the frame is on DLPack device %r, not %r" % (device, dl_device))
        if copy:
            raise BufferError("geyser: frames are exported without a copy (copy=True asked)")
        handle = self._require_valid("__dlpack__")
        c_stream = dlpack.stream_argument(stream) if device[0] == dlpack.kDLCUDA else None
        tensor = ctypes.c_void_p()
        check(
            _lib.lib().geyser_receiver_dlpack(handle, c_stream, ctypes.byref(tensor))
        )
        return dlpack.capsule_from_tensor(tensor.value)

    # ---- CUDA Array Interface ------------------------------------------------------

    @property
    def __cuda_array_interface__(self):
        """The CUDA Array Interface (version 3) of a CUDA receiver's frame: shape,
        typestr, data (pointer, read-only), strides from the row pitch, and ``stream``,
        the receiver's CUstream the frame is ready on (a consumer orders its reads after
        it). Linear streams: the frame's own memory; optimal streams: one device copy into
        a receiver-owned buffer (``geyser_receiver_cuda_rows``). The frame object keeps
        that memory while it lives.

        The interface cannot tell Geyser which stream the consumer reads on, so a
        release does not wait for those reads: finish them (synchronize) before
        ``release()`` or the next acquire, or use DLPack, which passes the stream.

        Raises AttributeError for frames that are not a CUDA receiver's, and
        :class:`geyser.ValidationError` once the frame is no longer held."""
        if self._receiver.api != "cuda" or self.host_data:
            raise AttributeError(
                "__cuda_array_interface__: only a CUDA receiver's frames have one (this "
                "is a %s frame)" % ("host" if self.host_data else self._receiver.api)
            )
        if self._cai is not None:
            if not self.valid:
                self._require_valid("__cuda_array_interface__")
            return dict(self._cai)
        handle = self._require_valid("__cuda_array_interface__")
        lib = _lib.lib()
        data = ctypes.c_uint64()
        pitch = ctypes.c_uint64()
        check(
            lib.geyser_receiver_cuda_rows(handle, ctypes.byref(data), ctypes.byref(pitch))
        )
        ref = ctypes.c_void_p()
        check(lib.geyser_receiver_retain_memory(handle, ctypes.byref(ref)))
        self._cai_finalizer = weakref.finalize(self, _free_memory_ref, ref.value)
        self._cai_finalizer.atexit = False
        element = self.element_type
        self._cai = {
            "version": 3,
            "shape": self.shape,
            "typestr": element.typestr,
            "data": (int(data.value), True),
            "strides": self._strides(pitch.value),
            "descr": [("", element.typestr)],
            # CAI v3: 1 is the legacy default stream (0 is not allowed).
            "stream": int(self.cuda_stream) if self.cuda_stream else 1,
        }
        return dict(self._cai)
