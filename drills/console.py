"""Line-by-line terminal input and wrapped output, shared by every terminal drill.

Answers end with an empty line, so a file of answers can be piped in; the console remembers
when the input has ended, so a drill can stop cleanly instead of waiting for ever.

    >>> import io
    >>> c = Console(io.StringIO("first line\\nsecond\\n\\ngood\\n"), io.StringIO())
    >>> c.answer(), c.line(), c.ended
    ('first line\\nsecond', 'good', False)
"""
from __future__ import annotations

import shutil
import textwrap
from typing import TextIO


def width() -> int:
    """The terminal's width (80 when it cannot be told, as in a pipe), kept between 60 and 110."""
    return max(60, min(110, shutil.get_terminal_size((80, 24)).columns))


def wrap(text: str, indent: str = "  ", columns: int | None = None) -> str:
    """Wrap each paragraph of ``text`` to the terminal, keeping blank lines between paragraphs."""
    columns = columns or width()
    paragraphs = [p for p in text.split("\n\n")]
    return "\n\n".join(textwrap.fill(" ".join(p.split()), columns, initial_indent=indent,
                                     subsequent_indent=indent) for p in paragraphs)


def bullet(text: str, columns: int | None = None) -> str:
    """One list item, wrapped with a hanging indent so the dash stands out.

    >>> print(bullet("a long item " * 3, columns=24))
      - a long item a long
        item a long item
    """
    return textwrap.fill(" ".join(text.split()), columns or width(), initial_indent="  - ", subsequent_indent="    ")


class Console:
    """Reads answers and ratings line by line; remembers when the input has ended."""

    def __init__(self, stdin: TextIO, stdout: TextIO):
        self.stdin, self.stdout, self.ended = stdin, stdout, False

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def line(self) -> str:
        raw = self.stdin.readline()
        if raw == "":
            self.ended = True
        return raw.rstrip("\n")

    def answer(self) -> str:
        """Lines up to the first empty line (or the end of input), joined."""
        lines = []
        while not self.ended:
            text = self.line()
            if not text.strip():
                break
            lines.append(text)
        return "\n".join(lines)
