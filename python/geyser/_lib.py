"""Loading libgeyser and its C API (include/geyser/geyser.h, version 6) through ctypes.

Everything the rest of the package calls in C is declared here: the structs as
``ctypes.Structure`` mirrors of geyser.h (field for field, in order), the enums as
integers, and every function with its ``argtypes`` and ``restype``.

The library is loaded on first use, not on import, so ``import geyser`` works on a machine
without it; :func:`lib` then raises :class:`geyser.Error` (code ``Unsupported``) naming
every place it looked. Where it looks, in order:

1. ``$GEYSER_LIBRARY``, a path to ``libgeyser.so``;
2. a ``libgeyser.so*`` next to this package's files;
3. ``libgeyser.so.0`` through the dynamic loader (``LD_LIBRARY_PATH``, the ld.so cache).
"""

import ctypes
import glob
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_double,
    c_int,
    c_int32,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)

#: The C API version this package was written against (GEYSER_C_API_VERSION).
C_API_VERSION = 6

#: The most geyser_receiver_options.spin_us takes (GEYSER_RECEIVER_MAX_SPIN_US).
RECEIVER_MAX_SPIN_US = 1000000

# ---- Enums (C enums are int-sized) ---------------------------------------------------

c_enum = c_int

OK = 0
STATUS_NAMES = (
    "Ok",
    "Validation",
    "Unsupported",
    "OutOfMemory",
    "DeviceLost",
    "DeviceMismatch",
    "Disconnected",
    "Timeout",
    "PermissionDenied",
    "Protocol",
    "Internal",
)
STATUS_VALIDATION = 1
STATUS_UNSUPPORTED = 2
STATUS_TIMEOUT = 7

API_HOST = 0
API_VULKAN = 1
API_OPENGL = 2
API_CUDA = 3
API_BY_NAME = {"host": API_HOST, "vulkan": API_VULKAN, "opengl": API_OPENGL, "cuda": API_CUDA}
API_NAMES = {value: name for name, value in API_BY_NAME.items()}

TRANSFER_BY_NAME = {"auto": 0, "device": 1, "host": 2}

RECEIVER_STATE_NAMES = {0: "connected", 1: "waiting", 2: "disconnected"}

TILING_OPTIMAL = 0
TILING_LINEAR = 1
TILING_BY_NAME = {"optimal": TILING_OPTIMAL, "linear": TILING_LINEAR}
TILING_NAMES = {value: name for name, value in TILING_BY_NAME.items()}

# ---- Structs -------------------------------------------------------------------------


class _Sized(Structure):
    """A C struct that begins with its own size: ``struct_size`` is set on creation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.struct_size = ctypes.sizeof(self)


class geyser_format_info(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char_p),
        ("texel_size", c_uint32),
        ("channels", c_uint32),
        ("vk_format", c_uint32),
        ("gl_internal_format", c_uint32),
    ]


class geyser_device_options(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("index", c_int32),
        ("name_contains", c_char_p),
        ("validation", c_int32),
        ("uuid", c_void_p),  # 16 bytes; since C API version 2
    ]


class geyser_vulkan_adopt_info(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("instance", c_void_p),
        ("physical_device", c_void_p),
        ("device", c_void_p),
        ("queue", c_void_p),
        ("queue_family_index", c_uint32),
        ("device_extensions", POINTER(c_char_p)),
        ("device_extension_count", c_uint32),
    ]


class geyser_device_info(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("api", c_enum),
        ("name", c_char * 256),
        ("uuid", c_uint8 * 16),
        ("vk_instance", c_void_p),
        ("vk_physical_device", c_void_p),
        ("vk_device", c_void_p),
        ("vk_queue", c_void_p),
        ("vk_queue_family_index", c_uint32),
        ("cuda_context", c_void_p),
        ("cuda_ordinal", c_int32),
    ]


class geyser_channel_info(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("name", c_char * 128),
        ("alive", c_int32),
        ("width", c_uint32),
        ("height", c_uint32),
        ("format", c_enum),
        ("fps", c_double),
        ("frames", c_uint64),
        ("receivers", c_uint32),
        ("host_receivers", c_uint32),
        ("gpu_sync", c_int32),
        ("sender_pid", c_uint32),
        ("error", c_char * 256),
    ]


class geyser_receiver_options(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("runtime_dir", c_char_p),
        ("device", c_void_p),
        ("transfer", c_enum),
        ("handshake_timeout_ms", c_int32),
        ("gpu_timeout_ms", c_int32),
        ("spin_us", c_int32),  # version 5; -1: the default (20 us)
    ]


class geyser_frame(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("frame", c_uint64),
        ("generation", c_uint64),
        ("timestamp_ns", c_uint64),
        ("connection", c_uint64),
        ("width", c_uint32),
        ("height", c_uint32),
        ("format", c_enum),
        ("tiling", c_enum),
        ("row_pitch", c_uint32),
        ("metadata", POINTER(c_uint8)),
        ("metadata_size", c_uint32),
        ("host_data", c_void_p),
        ("vk_image", c_uint64),
        ("gl_texture", c_uint32),
        ("cuda_array", c_void_p),
        ("cuda_data", c_uint64),
        ("cuda_stream", c_void_p),
        ("cuda_ordinal", c_int32),
    ]


class geyser_receiver_stats(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("frames_acquired", c_uint64),
        ("frames_skipped", c_uint64),
        ("reconnects", c_uint64),
        ("imports", c_uint64),
        ("gpu_sync", c_int32),
        ("host_frames", c_int32),
        ("tiling", c_enum),
        ("row_pitch", c_uint32),
    ]


class geyser_sender_options(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("runtime_dir", c_char_p),
        ("device", c_void_p),
        ("slots", c_uint32),
        ("tiling", c_enum),
        ("max_receivers", c_uint32),
        ("gpu_timeout_ms", c_int32),
    ]


class geyser_slot(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("frame", c_uint64),
        ("slot", c_uint32),
        ("generation", c_uint64),
        ("vk_image", c_uint64),
        ("gl_texture", c_uint32),
        ("cuda_array", c_void_p),
        ("cuda_surface", c_uint64),
        ("cuda_stream", c_void_p),
        ("host_data", c_void_p),  # version 3
        ("host_row_pitch", c_size_t),
    ]


class geyser_sender_stats(_Sized):
    _fields_ = [
        ("struct_size", c_uint32),
        ("frames", c_uint64),
        ("fps", c_double),
        ("receivers", c_uint32),
        ("host_receivers", c_uint32),
        ("generation", c_uint64),
        ("gpu_sync", c_int32),
        ("dropped_connections", c_uint64),
        ("wakes_skipped", c_uint64),  # version 5
    ]


# ---- DLPack (dlpack.h 0.x), as geyser_receiver_dlpack and _sender_write_dlpack see it ----

kDLCPU = 1
kDLCUDA = 2


class DLDevice(Structure):
    _fields_ = [("device_type", c_int32), ("device_id", c_int32)]


class DLDataType(Structure):
    _fields_ = [("code", c_uint8), ("bits", c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(Structure):
    _fields_ = [
        ("data", c_void_p),
        ("device", DLDevice),
        ("ndim", c_int32),
        ("dtype", DLDataType),
        ("shape", POINTER(ctypes.c_int64)),
        ("strides", POINTER(ctypes.c_int64)),
        ("byte_offset", c_uint64),
    ]


class DLManagedTensor(Structure):
    _fields_ = [
        ("dl_tensor", DLTensor),
        ("manager_ctx", c_void_p),
        ("deleter", c_void_p),  # void (*)(DLManagedTensor*); called through DLPACK_DELETER
    ]


#: The type of DLManagedTensor::deleter.
DLPACK_DELETER = CFUNCTYPE(None, c_void_p)

# ---- Functions -----------------------------------------------------------------------

_status = c_enum
_p = c_void_p  # opaque handles and native pointers


def _prototypes():
    """(name, restype, argtypes) of every function of geyser.h."""
    return [
        ("geyser_c_api_version", c_uint32, []),
        # Errors
        ("geyser_status_name", c_char_p, [_status]),
        ("geyser_last_error", c_char_p, []),
        ("geyser_last_status", _status, []),
        # Formats and APIs
        ("geyser_format_get_info", _status, [c_enum, POINTER(geyser_format_info)]),
        ("geyser_format_from_name", _status, [c_char_p, POINTER(c_enum)]),
        ("geyser_api_available", _status, [c_enum]),
        # Devices
        ("geyser_device_options_init_sized", _status, [POINTER(geyser_device_options), c_size_t]),
        ("geyser_device_create", _status, [c_enum, POINTER(geyser_device_options), POINTER(_p)]),
        ("geyser_device_adopt_vulkan", _status, [POINTER(geyser_vulkan_adopt_info), POINTER(_p)]),
        ("geyser_device_get_info", _status, [_p, POINTER(geyser_device_info)]),
        ("geyser_device_destroy", None, [_p]),
        # Channels
        (
            "geyser_list_channels",
            _status,
            [c_char_p, c_int32, POINTER(geyser_channel_info), c_size_t, POINTER(c_size_t)],
        ),
        # Receivers
        (
            "geyser_receiver_options_init_sized",
            _status,
            [POINTER(geyser_receiver_options), c_size_t],
        ),
        (
            "geyser_receiver_connect",
            _status,
            [c_char_p, c_enum, POINTER(geyser_receiver_options), c_int32, POINTER(_p)],
        ),
        ("geyser_receiver_destroy", None, [_p]),
        ("geyser_receiver_acquire", _status, [_p, c_int32, POINTER(geyser_frame)]),
        ("geyser_receiver_release", _status, [_p]),
        ("geyser_receiver_get_state", c_enum, [_p]),
        ("geyser_receiver_event_fd", c_int, [_p]),
        ("geyser_receiver_get_stats", _status, [_p, POINTER(geyser_receiver_stats)]),
        ("geyser_receiver_cuda_wait", _status, [_p, _p]),
        ("geyser_receiver_cuda_rows", _status, [_p, POINTER(c_uint64), POINTER(c_uint64)]),
        ("geyser_receiver_retain_memory", _status, [_p, POINTER(_p)]),
        ("geyser_memory_ref_free", None, [_p]),
        ("geyser_receiver_dlpack", _status, [_p, _p, POINTER(_p)]),
        # Senders
        ("geyser_sender_options_init_sized", _status, [POINTER(geyser_sender_options), c_size_t]),
        (
            "geyser_sender_publish",
            _status,
            [c_char_p, c_enum, c_uint32, c_uint32, c_enum, POINTER(geyser_sender_options), POINTER(_p)],
        ),
        ("geyser_sender_destroy", None, [_p]),
        ("geyser_sender_acquire", _status, [_p, c_int32, POINTER(geyser_slot)]),
        ("geyser_sender_present", _status, [_p, POINTER(geyser_slot), c_void_p, c_size_t]),
        (
            "geyser_sender_vk_present_signals",
            _status,
            [_p, POINTER(geyser_slot), POINTER(c_void_p), POINTER(c_uint32)],
        ),
        ("geyser_sender_cancel", None, [_p, POINTER(geyser_slot)]),
        ("geyser_sender_write", _status, [_p, c_void_p, c_size_t, c_int32, POINTER(c_uint64)]),
        (
            "geyser_sender_write_cuda",
            _status,
            [_p, c_uint64, c_size_t, _p, c_int32, POINTER(c_uint64)],
        ),
        ("geyser_sender_write_dlpack", _status, [_p, _p, _p, c_int32, POINTER(c_uint64)]),
        ("geyser_sender_poll", _status, [_p, c_int32]),
        ("geyser_sender_resize", _status, [_p, c_uint32, c_uint32, c_enum]),
        ("geyser_sender_event_fd", c_int, [_p]),
        ("geyser_sender_get_stats", _status, [_p, POINTER(geyser_sender_stats)]),
    ]


# ---- Loading -------------------------------------------------------------------------

_lock = threading.Lock()
_loaded = None  # the CDLL once loaded
_failure = None  # the message of a failed load (it is not retried)


def _candidates():
    """(description, path or soname) to try, in order."""
    out = []
    env = os.environ.get("GEYSER_LIBRARY")
    if env:
        out.append(("$GEYSER_LIBRARY", env))
    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "libgeyser.so*"))):
        out.append(("next to the package", path))
    out.append(("the dynamic loader", "libgeyser.so.0"))
    return out


def _load():
    tried = []
    for where, path in _candidates():
        try:
            handle = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s): %s" % (path, where, e))
            continue
        missing = [name for name, _, _ in _prototypes() if not hasattr(handle, name)]
        if missing:
            tried.append(
                "%s (%s): not a libgeyser of C API %d (no %s)"
                % (path, where, C_API_VERSION, ", ".join(missing[:3]))
            )
            continue
        for name, restype, argtypes in _prototypes():
            function = getattr(handle, name)
            function.restype = restype
            function.argtypes = argtypes
        version = handle.geyser_c_api_version()
        if version < C_API_VERSION:
            tried.append(
                "%s (%s): C API version %d, this package needs %d or newer"
                % (path, where, version, C_API_VERSION)
            )
            continue
        return handle, None
    if not os.environ.get("GEYSER_LIBRARY"):
        tried.append("$GEYSER_LIBRARY is not set")
    return None, "cannot load libgeyser; tried: " + "; ".join(tried)


def lib():
    """The loaded libgeyser (a ``ctypes.CDLL`` with every prototype set).

    Raises :class:`geyser.UnsupportedError` when no usable library is found, saying where
    it looked (the search is done once per process).
    """
    global _loaded, _failure
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None and _failure is None:
            _loaded, _failure = _load()
    if _loaded is None:
        from .errors import raise_error

        raise_error(STATUS_UNSUPPORTED, "Unsupported: " + _failure)
    return _loaded


def path():
    """The file libgeyser was loaded from (loads it first); None when ctypes cannot say."""
    return getattr(lib(), "_name", None)


def timeout_ms(seconds):
    """A timeout in seconds (float; None: as long as C allows) as int32 milliseconds."""
    if seconds is None:
        return 0x7FFFFFFF
    ms = int(round(float(seconds) * 1000.0))
    return max(0, min(ms, 0x7FFFFFFF))


def encode_path(value):
    """A str / bytes / os.PathLike as bytes for a ``const char*`` (None stays None)."""
    if value is None:
        return None
    return os.fsencode(value)


def encode_name(name):
    if isinstance(name, bytes):
        return name
    if not isinstance(name, str):
        raise TypeError("a channel name is a str, not %s" % type(name).__name__)
    return name.encode("utf-8")
