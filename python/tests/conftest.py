"""Fixtures of the Python package's tests: the `geyser` command, a private runtime
directory per test, and `geyser send` / `geyser recv` run as processes.

Environment:
    GEYSER_LIBRARY  the libgeyser.so to test (else the package's own search).
    GEYSER_CLI      the `geyser` command (default: <repo>/build/tools/geyser/geyser).
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from helpers import REPO, Process

import geyser

DEFAULT_CLI = REPO / "build" / "tools" / "geyser" / "geyser"


def cli_path():
    return Path(os.environ.get("GEYSER_CLI") or DEFAULT_CLI)


@pytest.fixture(scope="session")
def cli():
    """The `geyser` command; the test fails (not skips) when it is missing."""
    path = cli_path()
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail("the geyser command is not at %s (build it, or set GEYSER_CLI)" % path)
    return str(path)


@pytest.fixture(scope="session")
def library():
    """libgeyser, loaded; the test fails when it cannot be (the message says where the
    package looked)."""
    try:
        geyser.c_api_version()
    except geyser.Error as e:
        pytest.fail(str(e))
    return geyser.library_path()


@pytest.fixture(autouse=True)
def runtime_dir(monkeypatch):
    """A private GEYSER_RUNTIME_DIR (mode 0700) for each test, removed after it."""
    path = tempfile.mkdtemp(prefix="geyser-py-")
    os.chmod(path, 0o700)
    monkeypatch.setenv("GEYSER_RUNTIME_DIR", path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def channel_name(request):
    """A channel name made from the test's name (letters, digits, '.', '_', '-')."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", request.node.name).strip("-")
    return ("py-%s" % base)[:56] + "-%d" % (os.getpid() % 10000)


@pytest.fixture
def processes(cli, tmp_path):
    """Starts `geyser` subprocesses; every one is killed and waited for at the end."""
    started = []

    class Starter:
        def run(self, *args):
            """`geyser ARGS...` as a :class:`Process`."""
            process = Process([cli] + list(args), tmp_path)
            started.append(process)
            return process

        def send(self, name, frames=0, fps=240.0, size="64x48", extra=()):
            """`geyser send NAME --frames N --fps F --size WxH --quiet EXTRA...`."""
            return self.run(
                "send",
                name,
                "--frames",
                str(frames),
                "--fps",
                str(fps),
                "--size",
                size,
                "--quiet",
                *extra,
            )

        def recv(self, name, *args):
            """`geyser recv NAME ARGS...`."""
            return self.run("recv", name, *args)

    try:
        yield Starter()
    finally:
        for process in started:
            process.stop()
