"""The base of the classes that own one libgeyser handle (Device, Receiver, Sender)."""

import weakref


class OwnedHandle:
    """Owns ``_handle``: :meth:`close`, or garbage collection, destroys it once, and a
    ``with`` block closes it at its end."""

    _handle = None

    def _own(self, handle, destroy):
        """Takes `handle` (an int), destroyed by `destroy(handle)` when this closes."""
        self._handle = handle
        self._finalizer = weakref.finalize(self, destroy, handle)

    @property
    def closed(self):
        """Whether :meth:`close` has run."""
        return self._handle is None

    def close(self):
        """Destroys the handle (see the class for what that means); calling it again does
        nothing."""
        if self._handle is None:
            return
        self._closing()
        self._handle = None
        self._finalizer()

    def _closing(self):
        """What a subclass does right before its handle goes."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
