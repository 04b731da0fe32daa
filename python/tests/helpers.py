"""Helpers of the Python package's tests (imported by conftest.py and the tests)."""

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
try:  # the package under test: PYTHONPATH or an install, else the source tree
    import geyser
except ImportError:
    sys.path.insert(0, str(REPO / "python"))
    import geyser


class Process:
    """A `geyser` subprocess whose output goes to files (no pipe can fill up)."""

    def __init__(self, args, workdir):
        self.args = [str(a) for a in args]
        self._out = tempfile.NamedTemporaryFile(prefix="out-", dir=workdir, delete=False)
        self._err = tempfile.NamedTemporaryFile(prefix="err-", dir=workdir, delete=False)
        self.popen = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err
        )

    @property
    def pid(self):
        return self.popen.pid

    def poll(self):
        return self.popen.poll()

    def wait(self, timeout):
        return self.popen.wait(timeout=timeout)

    def kill(self, sig=signal.SIGKILL):
        if self.popen.poll() is None:
            try:
                self.popen.send_signal(sig)
            except ProcessLookupError:
                pass

    def stop(self):
        """Kills it (SIGKILL) if it still runs, and waits for it."""
        self.kill()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        self._out.close()
        self._err.close()

    def output(self):
        """(stdout, stderr) written so far, as text."""
        self._out.flush()
        self._err.flush()
        with open(self._out.name, "rb") as f:
            out = f.read().decode("utf-8", "replace")
        with open(self._err.name, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        return out, err

    def describe(self):
        out, err = self.output()
        return "%s (exit %s)\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.args),
            self.popen.poll(),
            out[-4000:],
            err[-4000:],
        )


def wait_for_channel(name, timeout=10.0, runtime_dir=None):
    """The alive ChannelInfo of `name` once a sender publishes it (None after `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for info in geyser.list_channels(runtime_dir, timeout=0.5):
            if info.name == name and info.alive:
                return info
        time.sleep(0.05)
    return None


def acquire_next(receiver, deadline_s=10.0, tolerate=(geyser.TimeoutError,)):
    """The next frame, retrying acquire on the errors in `tolerate` until `deadline_s`."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return receiver.acquire(timeout=0.25)
        except tolerate:
            if time.monotonic() > deadline:
                raise
            if receiver.state == "disconnected":
                time.sleep(0.02)


def cuda_torch():
    """torch with a CUDA device and libgeyser's CUDA, or pytest.skip saying what is
    missing."""
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not installed")
    if not torch.cuda.is_available():
        pytest.skip("torch sees no CUDA device")
    reason = geyser.api_unavailable_reason("cuda")
    if reason is not None:
        pytest.skip("libgeyser cannot use CUDA here: %s" % reason)
    return torch


def cuda_cupy():
    """cupy with a CUDA device and libgeyser's CUDA, or pytest.skip."""
    try:
        import cupy
    except ImportError:
        pytest.skip("cupy is not installed")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("cupy sees no CUDA device")
    except Exception as e:  # no driver
        pytest.skip("cupy cannot use CUDA: %s" % e)
    reason = geyser.api_unavailable_reason("cuda")
    if reason is not None:
        pytest.skip("libgeyser cannot use CUDA here: %s" % reason)
    return cupy
