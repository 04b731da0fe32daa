"""Listing the channels published in a runtime directory (``geyser_list_channels``)."""

import ctypes
from dataclasses import dataclass
from typing import Optional

from . import _lib, formats
from .errors import check


@dataclass(frozen=True)
class ChannelInfo:
    """One channel of :func:`list_channels` (``geyser_channel_info``).

    A channel that is not ``alive`` (a stale socket, or a sender that did not answer in
    time) has only ``name`` and ``error``; its other fields are 0 / None."""

    name: str
    alive: bool
    width: int
    height: int
    format: Optional[str]  #: the format's name ("Rgba8Unorm"); None when not alive
    frames: int  #: frames presented so far
    receivers: int
    #: "optimal" or "linear" where the library reports it; the C API version 1's
    #: geyser_channel_info has no tiling field, so None there.
    tiling: Optional[str]
    error: str  #: why not alive ("" when alive)
    fps: float = 0.0  #: the sender's frame rate
    host_receivers: int = 0  #: of the receivers, those that take host frames
    gpu_sync: bool = False  #: timeline semaphores (True) or CPU-fenced (False)
    sender_pid: int = 0


def _info_of(entry):
    alive = bool(entry.alive)
    format_name = None
    if alive:
        try:
            format_name = formats.name(entry.format)
        except Exception:  # a format this package's library build does not list
            format_name = "Unknown(%d)" % entry.format
    tiling = None
    if hasattr(entry, "tiling"):  # a later C API version's field
        tiling = _lib.TILING_NAMES.get(entry.tiling)
    return ChannelInfo(
        name=entry.name.decode("utf-8", "replace"),
        alive=alive,
        width=entry.width,
        height=entry.height,
        format=format_name,
        frames=entry.frames,
        receivers=entry.receivers,
        tiling=tiling,
        error=entry.error.decode("utf-8", "replace"),
        fps=entry.fps,
        host_receivers=entry.host_receivers,
        gpu_sync=bool(entry.gpu_sync),
        sender_pid=entry.sender_pid,
    )


def list_channels(runtime_dir=None, timeout=0.5):
    """The channels this user publishes in `runtime_dir` (None: ``$GEYSER_RUNTIME_DIR``,
    else ``$XDG_RUNTIME_DIR/geyser``), each sender asked to describe itself within
    `timeout` seconds. Returns a list of :class:`ChannelInfo`, in the library's order.

    Raises :class:`geyser.Error` when the directory cannot be used (PermissionDenied for
    one with group or other permissions, ...)."""
    lib = _lib.lib()
    directory = _lib.encode_path(runtime_dir)
    ms = _lib.timeout_ms(timeout)
    capacity = 16
    for _ in range(8):  # the number of channels may change between the calls
        entries = (_lib.geyser_channel_info * capacity)()
        entries[0].struct_size = ctypes.sizeof(_lib.geyser_channel_info)
        count = ctypes.c_size_t(0)
        check(lib.geyser_list_channels(directory, ms, entries, capacity, ctypes.byref(count)))
        if count.value <= capacity:
            return [_info_of(entries[i]) for i in range(count.value)]
        capacity = count.value + 8
    return [_info_of(entries[i]) for i in range(capacity)]
