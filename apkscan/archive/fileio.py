"""Read-only positional access to the APK file (pread), the only place that touches the fd."""
from __future__ import annotations

import os
import stat

from apkscan.archive.errors import ArchiveError


class FileReader:
    def __init__(self, path: str) -> None:
        self.path = os.fspath(path)
        try:
            self.fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
        except (OSError, ValueError, TypeError) as exc:
            raise ArchiveError("IO_ERROR", f"cannot open {self.path!r}: {exc}") from None
        try:
            st = os.fstat(self.fd)
            if stat.S_ISDIR(st.st_mode):
                raise ArchiveError("IO_ERROR", f"{self.path!r} is a directory")
            self.size = st.st_size if stat.S_ISREG(st.st_mode) else os.lseek(self.fd, 0, os.SEEK_END)
        except ArchiveError:
            self.close()
            raise
        except OSError as exc:
            self.close()
            raise ArchiveError("IO_ERROR", f"cannot stat {self.path!r}: {exc}") from None

    def pread(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset``; shorter only at end of file."""
        if n <= 0 or offset < 0 or offset >= self.size:
            return b""
        n = min(n, self.size - offset)
        try:
            data = os.pread(self.fd, n, offset)
            if len(data) < n:  # pread may return short reads on some filesystems
                parts = [data]
                got = len(data)
                while got < n:
                    more = os.pread(self.fd, n - got, offset + got)
                    if not more:
                        break
                    parts.append(more)
                    got += len(more)
                data = b"".join(parts)
            return data
        except OSError as exc:
            raise ArchiveError("IO_ERROR", f"read of {n} bytes at {offset} failed: {exc}") from None

    def readinto(self, buf: bytearray | memoryview, offset: int) -> int:
        """Fill ``buf`` (reused by the caller) from ``offset``; returns the bytes read, fewer than
        ``len(buf)`` only at end of file, so chunk boundaries are deterministic."""
        view = memoryview(buf)
        filled = 0
        try:
            while filled < len(view):
                if hasattr(os, "preadv"):
                    n = os.preadv(self.fd, [view[filled:]], offset + filled)
                else:
                    os.lseek(self.fd, offset + filled, os.SEEK_SET)
                    n = os.readv(self.fd, [view[filled:]])
                if n <= 0:
                    break
                filled += n
        except OSError as exc:
            raise ArchiveError("IO_ERROR", f"read at {offset + filled} failed: {exc}") from None
        finally:
            view.release()
        return filled

    def advise_sequential(self) -> None:
        if hasattr(os, "posix_fadvise"):
            try:
                os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            except OSError:
                pass

    def close(self) -> None:
        fd, self.fd = getattr(self, "fd", -1), -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
