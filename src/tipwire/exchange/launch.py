"""Starting ``tipwire run`` in a child process, as the scheduler and "run now" do."""

from __future__ import annotations

import subprocess
import sys
import threading

# The child runs this same interpreter and TipWire version, whatever PATH says.
_CHILD = "import sys; sys.argv[0] = 'tipwire'; from tipwire.cli import main; main()"
COMMAND = (sys.executable, "-c", _CHILD)


def start_run(name: str) -> subprocess.Popen[bytes]:
    """Start one run of ``name`` in the background; the lease keeps it to one at a time."""
    child = subprocess.Popen(
        [*COMMAND, "run", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # A thread waits for it, so it is reaped when it ends and never lingers as a zombie.
    threading.Thread(target=child.wait, name=f"reap {name}", daemon=True).start()
    return child
