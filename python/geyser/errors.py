"""Geyser's errors: one exception class per ``geyser_status``, and :func:`check`.

Every failing C call becomes a :class:`Error` whose ``code`` is the status name
(``"Timeout"``, ``"DeviceMismatch"``, ...), ``status`` its integer and whose message is
the C library's ``geyser_last_error()`` ("Timeout: acquire: no new frame within 100 ms").
Catch :class:`Error` for any of them, or a subclass for one::

    try:
        frame = receiver.acquire(timeout=0.1)
    except geyser.TimeoutError:
        ...  # no new frame yet
    except geyser.DisconnectedError:
        ...  # the sender went away; the next acquire reconnects
"""

import builtins

from . import _lib


class Error(Exception):
    """A Geyser call failed.

    Attributes:
        code: the status name, e.g. ``"Validation"``.
        status: the ``geyser_status`` value (1..10).
        message: what went wrong (the C library's message, or the package's own).
    """

    code = "Unknown"
    status = -1

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = int(status)
            if 0 <= self.status < len(_lib.STATUS_NAMES):
                self.code = _lib.STATUS_NAMES[self.status]
            else:
                self.code = "Unknown"

    def __str__(self):
        return self.message


class ValidationError(Error, ValueError):
    """An argument or handle is malformed or out of range (GEYSER_ERROR_VALIDATION)."""

    code, status = "Validation", 1


class UnsupportedError(Error):
    """The device, driver or build cannot do it (GEYSER_ERROR_UNSUPPORTED)."""

    code, status = "Unsupported", 2


class OutOfMemoryError(Error, MemoryError):
    """Host or device memory ran out (GEYSER_ERROR_OUT_OF_MEMORY)."""

    code, status = "OutOfMemory", 3


class DeviceLostError(Error):
    """The GPU device was lost (GEYSER_ERROR_DEVICE_LOST)."""

    code, status = "DeviceLost", 4


class DeviceMismatchError(Error):
    """The sender's memory lives on another device (GEYSER_ERROR_DEVICE_MISMATCH)."""

    code, status = "DeviceMismatch", 5


class DisconnectedError(Error, ConnectionError):
    """The peer went away, or no sender published the channel in time
    (GEYSER_ERROR_DISCONNECTED). A receiver reconnects on a later acquire."""

    code, status = "Disconnected", 6


class TimeoutError(Error, builtins.TimeoutError):
    """Nothing came in time: no new frame, no free slot (GEYSER_ERROR_TIMEOUT).

    Also a builtin ``TimeoutError``."""

    code, status = "Timeout", 7


class PermissionDeniedError(Error, PermissionError):
    """The OS or a peer check refused (another user) (GEYSER_ERROR_PERMISSION_DENIED)."""

    code, status = "PermissionDenied", 8


class ProtocolError(Error):
    """A peer sent a malformed or unexpected message (GEYSER_ERROR_PROTOCOL)."""

    code, status = "Protocol", 9


class InternalError(Error):
    """A driver error or a bug (GEYSER_ERROR_INTERNAL)."""

    code, status = "Internal", 10


_BY_STATUS = {
    cls.status: cls
    for cls in (
        ValidationError,
        UnsupportedError,
        OutOfMemoryError,
        DeviceLostError,
        DeviceMismatchError,
        DisconnectedError,
        TimeoutError,
        PermissionDeniedError,
        ProtocolError,
        InternalError,
    )
}


def error_class(status):
    """The exception class of a ``geyser_status`` (:class:`Error` for an unknown one)."""
    return _BY_STATUS.get(int(status), Error)


def make_error(status, message):
    """An exception of the class of `status` with `message`."""
    cls = error_class(status)
    return cls(message, status) if cls is Error else cls(message)


def raise_error(status, message):
    """Raises the exception of `status` with `message`."""
    raise make_error(status, message)


def check(status, what=None):
    """Returns None when `status` is GEYSER_OK; else raises its exception, with this
    thread's ``geyser_last_error()`` as the message (prefixed with `what` when given).

    Call it right after the C call, on the same thread: the message is per thread and
    valid until the thread's next Geyser call."""
    status = int(status)
    if status == _lib.OK:
        return
    raw = _lib.lib().geyser_last_error()
    message = raw.decode("utf-8", "replace") if raw else ""
    if not message:
        name = _lib.STATUS_NAMES[status] if 0 <= status < len(_lib.STATUS_NAMES) else "Unknown"
        message = "%s (no message)" % name
    if what:
        message = "%s: %s" % (what, message)
    raise_error(status, message)


def validation(message):
    """A :class:`ValidationError` raised by the package itself (before any C call)."""
    return ValidationError("Validation: " + message)


def unsupported(message):
    """An :class:`UnsupportedError` raised by the package itself."""
    return UnsupportedError("Unsupported: " + message)
