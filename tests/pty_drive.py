"""Drive a terminal program through a real pseudo-terminal, the way a person at a keyboard would.

Standard library only: the child gets a pty as its stdin, stdout and stderr, so it sees a
terminal (``isatty()`` is true, the width is the pty's) and line buffering is what a person
gets. ``expect`` waits for text to appear; ``send`` types a line.

    with Terminal([sys.executable, "-m", "drills", "topics"]) as term:
        term.expect("sharding")
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


class Terminal:
    def __init__(self, argv: list[str], env: dict | None = None, cwd=None, columns: int = 100):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                                     close_fds=True, start_new_session=True)
        os.close(slave)
        self.output = ""
        self._seen = 0  # expect() searches after the previous match

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        if not chunk:
            return False
        self.output += _ANSI.sub("", chunk.decode("utf-8", "replace"))
        return True

    def expect(self, text: str, timeout: float = 60.0) -> str:
        """Wait until ``text`` appears after the previous match; returns everything up to it."""
        deadline = time.monotonic() + timeout
        while True:
            at = self.output.find(text, self._seen)
            if at >= 0:
                before, self._seen = self.output[self._seen:at], at + len(text)
                return before
            left = deadline - time.monotonic()
            if left <= 0 or (not self._read(min(left, 0.5)) and self.proc.poll() is not None
                             and not self._read(0.1)):
                raise AssertionError(f"{text!r} did not appear; the terminal shows:\n{self.output[-3000:]}")

    def send(self, line: str = "") -> None:
        os.write(self.master, (line + "\n").encode())

    def wait(self, timeout: float = 60.0) -> int:
        """Read until the program exits; its exit code."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while self._read(0.1):
            pass
        return self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
