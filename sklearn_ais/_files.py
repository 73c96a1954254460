"""Files: input digests, and report folders written whole or not at all.

The digests serve data integrity and the report's manifest; the report folder
is written beside its destination and moved into place, under a lock.
"""

import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

_CHUNK = 1 << 16


def file_sha256(path):
    """SHA-256 of a file's bytes, as hex, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- A report folder, whole or absent -------------------------------------
#
# A report is written into a new folder beside its destination (same parent,
# so that the final rename is atomic) and moved into place at the end. A lock
# file beside the destination keeps two runs from writing it at once.

REPORT_TOOL = "sklearn_ais"
MANIFEST = "manifest.json"
# Test-only hook: before the finished folder is moved into place, touch this
# file and wait while it exists (a test signals the process meanwhile).
PAUSE_BEFORE_MOVE = "SKLEARN_AIS_TEST_PAUSE_BEFORE_MOVE"
_PAUSE_LIMIT_S = 120
# Lock files held by this process (resolved path -> depth), so that the
# command line's lock, taken before any work, is re-entered by write_report.
_HELD = {}


class ReportFolderError(ValueError):
    """The report's destination cannot take a report (one-line message)."""


def lock_path(out):
    """The lock file of the report folder ``out``: ``<out>.lock`` beside it."""
    out = Path(out)
    return out.with_name(out.name + ".lock")


def is_report(folder):
    """Whether ``folder`` holds a report this package wrote (its manifest)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict):
        return False
    packages = manifest.get("packages")
    return manifest.get("tool") == REPORT_TOOL or (
        isinstance(packages, dict) and REPORT_TOOL in packages
    )


def _nearest_existing(path):
    for folder in (path, *path.parents):
        if folder.exists():
            return folder
    return Path.cwd()  # pragma: no cover - the root always exists


def check_report_folder(out, *, forbidden=()):
    """Refuse a destination that cannot take a report, before any work.

    Parameters
    ----------
    out : str or path-like
        The report folder: missing, an empty folder, or a report this
        package wrote (replaced whole).
    forbidden : iterable of (str, path-like)
        ``(what, folder)`` pairs the report must be neither nor inside
        (the input images, the subjects' matrices).

    Raises
    ------
    ReportFolderError
        With a one-line message naming the folder and why.
    """
    out = Path(out)
    where = Path(os.path.abspath(out))
    for what, folder in forbidden:
        if folder is None:
            continue
        inputs = Path(os.path.abspath(folder))
        if where == inputs or inputs in where.parents:
            raise ReportFolderError(
                f"the report folder {os.fspath(out)!r} is {what} or inside it; "
                "choose another folder (the report would mix with the inputs)"
            )
    if out.exists() and not out.is_dir():
        raise ReportFolderError(
            f"the report folder {os.fspath(out)!r} exists and is not a folder"
        )
    if out.is_dir() and any(out.iterdir()) and not is_report(out):
        raise ReportFolderError(
            f"the report folder {os.fspath(out)!r} holds files that are not a "
            f"report of {REPORT_TOOL} (no {MANIFEST} of it); choose a new or "
            "empty folder, nothing there is replaced"
        )
    parent = _nearest_existing(where.parent)
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ReportFolderError(
            f"cannot write the report folder {os.fspath(out)!r}: "
            f"{os.fspath(parent)!r} is not a writable folder"
        )


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(path):
    """Whether the lock at ``path`` is left by a process that has ended."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not text.isdigit():
        # Being written by its owner, or garbage: stale only when old.
        try:
            return time.time() - path.stat().st_mtime > 60
        except FileNotFoundError:
            return True
    return not _pid_alive(int(text))


@contextlib.contextmanager
def report_lock(out):
    """Hold ``<out>.lock`` while writing the report folder ``out``.

    The lock holds the pid of its owner. A lock of a process that has ended is
    taken over; the lock of a running process is an error at once. A process
    that holds the lock may take it again (the command line takes it before
    any work, then :func:`~sklearn_ais.report.write_report` does).

    Raises
    ------
    ReportFolderError
        When another running process holds the lock.
    """
    path = lock_path(out)
    key = os.path.abspath(path)
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield path
        finally:
            _HELD[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            if attempt == 0 and _stale(path):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                continue
            try:
                owner = path.read_text().strip() or "unknown"
            except OSError:
                owner = "unknown"
            raise ReportFolderError(
                f"another run (pid {owner}) is writing the report folder "
                f"{os.fspath(out)!r} (lock {os.fspath(path)!r}); wait for it "
                "to end or choose another folder"
            ) from None
    try:
        os.write(fd, f"{os.getpid()}\n".encode())
    finally:
        os.close(fd)
    _HELD[key] = 1
    try:
        yield path
    finally:
        del _HELD[key]
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _pause_before_move():
    flag = os.environ.get(PAUSE_BEFORE_MOVE)
    if not flag:
        return
    flag = Path(flag)
    flag.touch()
    deadline = time.monotonic() + _PAUSE_LIMIT_S
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


@contextlib.contextmanager
def _sigint_deferred():
    """Hold a Ctrl-C back until the block ends (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda *_: received.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _move_into_place(staging, out):
    """Replace ``out`` (missing, empty, or a report) by ``staging``."""
    with _sigint_deferred():
        if not out.exists():
            os.rename(staging, out)
            return
        # Set the old report aside, move the new one in, then delete the old
        # one; the old one comes back if the move fails.
        old = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent)
        )
        os.rename(out, old / "report")
        try:
            os.rename(staging, out)
        except BaseException:
            os.rename(old / "report", out)
            raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def report_folder(out, *, forbidden=()):
    """Write a report into a new folder and move it into place at the end.

    The files are written into a temporary folder beside ``out`` (same
    parent), which replaces ``out`` only once complete: a report is whole or
    absent. ``out`` may be missing, an empty folder or a report this package
    wrote (replaced whole: none of its files survives); anything else is
    refused before any work (:func:`check_report_folder`). The lock
    ``<out>.lock`` is held throughout (:func:`report_lock`). On an error or
    a Ctrl-C the temporary folder is removed and ``out`` is left as it was.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.
    """
    out = Path(out)
    check_report_folder(out, forbidden=forbidden)
    with report_lock(out):
        check_report_folder(out, forbidden=forbidden)
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        )
        try:
            yield staging
            _pause_before_move()
            # Another process may have written files there meanwhile without
            # the lock: check again, just before the move.
            check_report_folder(out, forbidden=forbidden)
            _move_into_place(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def writes_report_folder(function):
    """Decorate ``function(out_dir, ...)`` to write into a temporary folder.

    The wrapped function receives the temporary folder of
    :func:`report_folder` in place of ``out_dir`` and returns a path inside
    it; the wrapper returns the same path inside ``out_dir``, once the folder
    is in place.
    """

    @functools.wraps(function)
    def wrapper(out_dir, *args, **kwargs):
        out = Path(out_dir)
        with report_folder(out) as staging:
            written = Path(function(staging, *args, **kwargs))
        return out / written.relative_to(staging)

    return wrapper
