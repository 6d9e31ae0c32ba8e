"""A change journal for the corpus folder: which files changed since the index last caught up,
so that a long-running process (the Slack bot, `remix-assistant watch`) brings the index up to
date with a one-file change without walking the corpus.

Why a journal: a walk must stat every file, since an edit in place changes no folder (folder
marks, folder_marks.py, spare it everything else). At 20,000 files that is 0.1-0.15 s of stat
calls whatever changed. The kernel already knows what changed: inotify queues an event, within
the very system call that changed a name, on the watch of the folder holding it. So an ingest
that drains the queue first sees every change made before it started.

What the journal vouches for, and when it stands down (the ingest then walks, as before):

* It holds every event since it was armed or last taken. It is armed (a new inotify
  descriptor with a watch on every visible folder) just before a walk scans, so the walk sees
  everything that happened before the watches existed, and the journal everything after.
* It is relative to one index version, its base: the one the ingest that took it left
  current (`confirm`). An index written by anyone else (another process, `remove`) is not its
  base, so the next ingest walks. An upload in this process moves the base along (`advance`):
  its change is one the journal will show anyway.
* Folder-level changes (a folder made, removed, renamed, its permissions changed), the access
  file, a full event queue (IN_Q_OVERFLOW), a watch lost, or more changed names than a walk
  costs: the next ingest walks and re-arms.
* Hidden names are not watched: a walk never indexes them unless a link reaches them, and an
  index holding files reached through links never uses the journal.
* Network file systems (NFS, SMB, FUSE, ...) do not report changes made on other machines to
  inotify: on a corpus that is or holds such a mount the journal is never armed.
* A changed file with other hard links is left to a walk (its other names saw no event).
  What the kernel never reports (a write through a memory map, an edit through a hard link
  made from outside the corpus) is found by the watch loop's periodic full walk.

Only names go into the journal: the ingest stats each one and decides as a walk would.
"""

from __future__ import annotations

import errno
import os
import select
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

try:  # Linux only; elsewhere every ingest walks
    from inotify_simple import INotify
    from inotify_simple import flags as _f
except (ImportError, OSError):  # pragma: no cover - not Linux
    INotify = None  # type: ignore[assignment,misc]

# Events on names in a watched folder that can change what the index holds.
if INotify is not None:
    WATCHED = (_f.CREATE | _f.DELETE | _f.MODIFY | _f.CLOSE_WRITE | _f.ATTRIB | _f.MOVED_FROM
               | _f.MOVED_TO | _f.DELETE_SELF | _f.MOVE_SELF | _f.ONLYDIR | _f.DONT_FOLLOW)
    _LOST = _f.IGNORED | _f.DELETE_SELF | _f.MOVE_SELF | _f.UNMOUNT
    _OVERFLOW, _ISDIR = int(_f.Q_OVERFLOW), int(_f.ISDIR)

# File systems whose changes made elsewhere (on the server, by another client) never reach
# this machine's inotify: the journal would silently miss them.
REMOTE_FILE_SYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "ceph", "glusterfs", "afs", "lustre", "gpfs",
    "davfs", "ncpfs", "coda", "ocfs2", "gfs2", "beegfs", "orangefs", "virtiofs"})

# Past this many changed names a walk (one stat per file, folder marks) is the cheaper way.
MAX_PENDING = 20_000


@dataclass(frozen=True, slots=True)
class JournalBatch:
    """The names that saw a change since the journal was last taken (real paths of the
    corpus), relative to the index version `base`."""

    paths: frozenset[str]
    base: str


def mounts(mountinfo: str) -> list[tuple[str, str]]:
    """(mount point, file system type) of each line of /proc/self/mountinfo's text."""
    found = []
    for line in mountinfo.splitlines():
        fields = line.split(" ")
        try:
            found.append((_unescape(fields[4]), fields[fields.index("-") + 1]))
        except (IndexError, ValueError):
            continue
    return found


def mount_fstype(path: str, mountinfo: str) -> str | None:
    """The file system type of the mount holding `path` (a resolved path): that of the
    longest mount point that contains it."""
    best, fstype = "", None
    for point, kind in mounts(mountinfo):
        if _within(path, point) and len(point) >= len(best):
            best, fstype = point, kind
    return fstype


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash in paths as octal escapes."""
    for code in ("\\040", "\\011", "\\012", "\\134"):
        field = field.replace(code, chr(int(code[1:], 8)))
    return field


def _remote(fstype: str) -> bool:
    return fstype in REMOTE_FILE_SYSTEMS or fstype.startswith("fuse")


def remote_reason(root: str, mountinfo: str | None = None) -> str | None:
    """Why inotify cannot be trusted for the corpus at `root`, if it cannot: it is, or holds,
    a network or FUSE mount (changes made on other machines are not reported)."""
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text("utf-8", errors="replace")
        except OSError:
            return None
    kinds = [mount_fstype(root, mountinfo) or ""]
    kinds += [kind for point, kind in mounts(mountinfo) if _within(point, root) and point != root]
    remote = next((kind for kind in kinds if _remote(kind)), None)
    if remote is None:
        return None
    return (f"the corpus is on (or holds) a {remote} mount, where changes made on other "
            "machines are not reported")


class CorpusJournal:
    """The change journal of one corpus folder (see the module docstring). Thread-safe:
    the watch loop pumps events while ingests take and confirm."""

    def __init__(self, *, root: Path, access_file: str,
                 log: Callable[[str], None] = lambda line: None) -> None:
        self.root = str(Path(root).resolve())
        self.access_path = os.path.normpath(os.path.join(self.root, access_file))
        self.log = log
        self._lock = threading.RLock()
        self._inotify: INotify | None = None
        self._folders: dict[int, str] = {}  # watch descriptor -> real folder path
        self._access_only: int | None = None  # the watch of a hidden access file's folder
        self._pending: set[str] = set()
        self._walk_reason: str | None = "not armed yet"  # why the next ingest must walk
        self._base: str | None = None
        self._said: str | None = None  # the last "cannot watch" line, said once
        self.unavailable: str | None = None if INotify is not None else "inotify is Linux-only"

    # -- arming: just before a walk scans ------------------------------------------------------

    def arm(self) -> bool:
        """A new inotify descriptor watching every visible folder of the corpus; what was
        pending is dropped (the walk about to scan sees it). False: cannot watch here (said
        once, in a log line); every ingest then walks."""
        with self._lock:
            self._close()
            self._pending.clear()
            self._base = None
            reason = self.unavailable or remote_reason(self.root)
            if reason is None:
                try:
                    self._watch_all()
                    self._walk_reason = None
                    return True
                except OSError as err:
                    self._close()
                    reason = _watch_error(err)
            self._walk_reason = reason
            if reason != self._said:
                self.log(f"corpus changes are found by walking the corpus: {reason}")
                self._said = reason
            return False

    def _watch_all(self) -> None:
        inotify = INotify()  # type: ignore[misc]
        self._inotify, self._folders, self._access_only = inotify, {}, None
        stack = [self.root]
        while stack:
            folder = stack.pop()
            try:
                wd = inotify.add_watch(folder, WATCHED)
            except OSError as err:
                if folder != self.root and err.errno in (errno.EACCES, errno.ENOENT,
                                                         errno.ENOTDIR):
                    continue  # unreadable or gone: the walk reports it; a change to it is an event
                raise
            if wd in self._folders:  # a bind mount: one folder by two paths; a walk keeps one
                raise OSError(errno.ELOOP, f"{folder} is {self._folders[wd]} again (a bind mount)")
            self._folders[wd] = folder
            try:
                with os.scandir(folder) as entries:
                    stack += [e.path for e in entries if not e.name.startswith(".")
                              and e.is_dir(follow_symlinks=False)]
            except OSError:
                continue
        access_folder = os.path.dirname(self.access_path)
        if access_folder not in self._folders.values() and os.path.isdir(access_folder):
            self._access_only = inotify.add_watch(access_folder, WATCHED)  # a hidden folder
            self._folders[self._access_only] = access_folder

    # -- what an ingest does with it -------------------------------------------------------------

    def take(self) -> JournalBatch | None:
        """Every change since the last take, or None when the next ingest must walk (the
        journal then waits to be armed again)."""
        with self._lock:
            self._pump()
            if self._walk_reason is not None or self._base is None:
                return None
            batch = JournalBatch(frozenset(self._pending), self._base)
            self._pending.clear()
            return batch

    def confirm(self, version: str | None, *, linked: bool = False) -> None:
        """The index is now `version`, and it reflects the corpus as the last take (or arm)
        found it. `linked`: it holds files reached through a link (a change to the target, in
        a hidden or other folder, would not show as the link's): the next ingest walks."""
        with self._lock:
            self._base = None if linked else version

    def advance(self, before: str | None, after: str | None) -> None:
        """An ingest of given files (an upload) turned `before` into `after`: if `before` was
        the base, so is `after` (the journal holds those files' events anyway)."""
        with self._lock:
            if before is not None and before == self._base:
                self._base = after

    def invalidate(self, reason: str = "a full walk was asked for") -> None:
        """The next ingest walks (an ingest failed after taking the journal; the periodic
        full walk)."""
        with self._lock:
            self._walk_reason = self._walk_reason or reason

    @property
    def armed(self) -> bool:
        """Whether changes are being recorded (false before the first walk and where the
        corpus cannot be watched)."""
        return self._inotify is not None

    @property
    def walk_reason(self) -> str | None:
        with self._lock:
            return self._walk_reason

    # -- the watch loop ------------------------------------------------------------------------

    def wait(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for events; True if any arrived (read into the
        journal). Returns at once, False, when nothing is watched."""
        inotify = self._inotify
        if inotify is None:
            return False
        try:
            ready, _, _ = select.select([inotify.fileno()], [], [], timeout)
        except (OSError, ValueError):  # closed by a re-arm meanwhile
            return False
        if not ready:
            return False
        with self._lock:
            return self._pump() > 0

    def close(self) -> None:
        with self._lock:
            self._close()
            self._walk_reason = "closed"

    def _close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
        self._inotify, self._folders = None, {}

    def _pump(self) -> int:
        """Read every queued event into the journal; the number read. Called under the lock."""
        if self._inotify is None:
            return 0
        try:
            events = self._inotify.read(timeout=0)
        except OSError as err:
            self._walk_reason = f"reading changes failed ({err.strerror})"
            return 0
        for event in events:
            self._record(event.wd, event.mask, event.name)
        if len(self._pending) > MAX_PENDING:
            self._walk_reason = f"more than {MAX_PENDING} names changed"
            self._pending.clear()
        return len(events)

    def _record(self, wd: int, mask: int, name: str) -> None:
        if mask & _OVERFLOW:
            self._walk_reason = "more changes than the kernel's event queue holds"
            return
        folder = self._folders.get(wd)
        if folder is None:
            return  # a watch of an earlier descriptor, or one already lost
        if mask & _LOST:
            self._walk_reason = f"the watch of {folder} was lost (moved, removed or unmounted)"
            self._folders.pop(wd, None)
            return
        path = os.path.join(folder, name) if name else folder
        if path == self.access_path:
            self._walk_reason = "the access file changed"
        elif name.startswith(".") or wd == self._access_only:
            return  # hidden names, and other names beside a hidden access file
        elif not name or mask & _ISDIR:
            self._walk_reason = f"a folder changed ({path})"
        else:
            self._pending.add(path)


def _watch_error(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return ("the system's limit of inotify watches is reached (raise "
                "fs.inotify.max_user_watches)")
    if err.errno == errno.EMFILE:
        return "the system's limit of inotify instances is reached (fs.inotify.max_user_instances)"
    return f"cannot watch the corpus ({err.strerror or err})"
