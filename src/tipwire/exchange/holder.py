"""Who holds a lease: a process identity that can tell, on the same host, if that process died."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Holder:
    """A process that may hold leases: host, pid, where that pid is meaningful, and its start."""

    host: str
    pid: int
    namespace: str
    """Boot id and pid namespace; another process sees the same pid only if these match."""
    started: str
    """The process's start time in clock ticks after boot: tells a reused pid apart."""
    token: str

    @classmethod
    def current(cls) -> Holder:
        """A new identity for this process (a fresh token each time)."""
        pid = os.getpid()
        return cls(
            host=socket.gethostname() or "localhost",
            pid=pid,
            namespace=_namespace(),
            started=_start_time(pid) or "",
            token=uuid.uuid4().hex[:12],
        )

    def __str__(self) -> str:
        """The form stored in the database."""
        namespace, started = self.namespace or "-", self.started or "-"
        return f"{self.host} pid={self.pid} ns={namespace} start={started} id={self.token}"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        """Read a stored holder back; None if it is not in this form."""
        host, _, rest = text.partition(" ")
        fields = dict(part.partition("=")[::2] for part in rest.split(" "))
        try:
            pid = int(fields["pid"])
            namespace, started, token = fields["ns"], fields["start"], fields["id"]
        except (KeyError, ValueError):
            return None
        return cls(host, pid, namespace.strip("-"), started.strip("-"), token)

    def is_dead_here(self) -> bool:
        """True only when certain: the holder ran in this pid namespace and its process is gone."""
        if not self.namespace or not self.started or self.namespace != _namespace():
            return False
        current = _start_time(self.pid)
        return current is None or current != self.started


def _namespace() -> str:
    """This boot's id and this pid namespace, or '' where the system does not tell."""
    try:
        boot = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
        pid_ns = os.readlink(_PROC / "self/ns/pid")
    except OSError:
        return ""
    return f"{boot}:{pid_ns.strip('pid:[]')}"


def _start_time(pid: int) -> str | None:
    """The start time of a live process, or None if there is none (or only a zombie)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which may itself hold spaces and parentheses.
    fields = stat.rpartition(")")[2].split()
    if not fields or fields[0] in ("Z", "X"):
        return None
    return fields[19]
