"""Geyser: zero-copy GPU texture sharing between processes, in Python.

A pure-Python package over libgeyser's C API (include/geyser/geyser.h) through ctypes;
docs/python.md has the whole story. In short::

    import geyser

    for channel in geyser.list_channels():
        print(channel.name, channel.width, channel.height, channel.format)

    with geyser.Receiver("camera", api="host") as receiver:
        with receiver.acquire(timeout=1.0) as frame:
            image = frame.numpy()          # read-only, zero-copy, valid until release
            keep = image.copy()

    with geyser.Sender("out", 640, 480, format="rgba8") as sender:
        sender.write(geyser.test_pattern(640, 480, frame=1))

The library is found through ``$GEYSER_LIBRARY``, a ``libgeyser.so*`` next to this
package, or ``libgeyser.so.0`` on the loader's path; it is loaded on first use, so this
import works without it and the first call raises :class:`Error` (Unsupported) saying
where it looked. numpy is imported only by the calls that need it; torch only by
:func:`geyser.pattern.torch_test_pattern`.
"""

from . import _lib
from .channels import ChannelInfo, list_channels
from .device import Device, DeviceInfo
from .errors import (
    DeviceLostError,
    DeviceMismatchError,
    DisconnectedError,
    Error,
    InternalError,
    OutOfMemoryError,
    PermissionDeniedError,
    ProtocolError,
    TimeoutError,
    UnsupportedError,
    ValidationError,
    check,
)
from .formats import ElementType, FormatInfo, all_formats, element_type
from .formats import info as format_info
from .frame import Frame
from .pattern import check_test_pattern, test_pattern
from .receiver import Receiver, ReceiverStats
from .sender import Sender, SenderStats, Slot

__version__ = "0.1.0"

#: The C API version this package was written for (GEYSER_C_API_VERSION).
C_API_VERSION = _lib.C_API_VERSION


def c_api_version():
    """The loaded libgeyser's C API version (``geyser_c_api_version()``; loads it).

    Raises :class:`UnsupportedError` when no usable libgeyser is found."""
    return int(_lib.lib().geyser_c_api_version())


def library_path():
    """The path libgeyser was loaded from (loads it)."""
    return _lib.path()


def api_available(api):
    """Whether this libgeyser was built with `api` (``"host"``, ``"vulkan"``,
    ``"opengl"``, ``"cuda"``) and can use it on this machine now
    (``geyser_api_available``)."""
    return api_unavailable_reason(api) is None


def api_unavailable_reason(api):
    """None when `api` can be used here; else why not (the library's message)."""
    if api not in _lib.API_BY_NAME:
        raise ValidationError("Validation: api %r is not one of %s" % (api, ", ".join(_lib.API_BY_NAME)))
    lib = _lib.lib()
    status = lib.geyser_api_available(_lib.API_BY_NAME[api])
    if status == _lib.OK:
        return None
    message = lib.geyser_last_error()
    return message.decode("utf-8", "replace") if message else "status %d" % status


__all__ = [
    "C_API_VERSION",
    "ChannelInfo",
    "Device",
    "DeviceInfo",
    "DeviceLostError",
    "DeviceMismatchError",
    "DisconnectedError",
    "ElementType",
    "Error",
    "FormatInfo",
    "Frame",
    "InternalError",
    "OutOfMemoryError",
    "PermissionDeniedError",
    "ProtocolError",
    "Receiver",
    "ReceiverStats",
    "Sender",
    "SenderStats",
    "Slot",
    "TimeoutError",
    "UnsupportedError",
    "ValidationError",
    "all_formats",
    "api_available",
    "api_unavailable_reason",
    "c_api_version",
    "check",
    "check_test_pattern",
    "element_type",
    "format_info",
    "library_path",
    "list_channels",
    "test_pattern",
]
