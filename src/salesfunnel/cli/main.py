"""The ``salesfunnel`` command line (private: the entry point is ``salesfunnel.__main__:main``).

Every user mistake (a missing file, a bad cell, a bad option) ends as one line
``salesfunnel: error: <file>, row N, column 'x': ...`` on stderr and exit
status 2; never a traceback. Rows are numbered as a spreadsheet shows them:
the header is row 1.

Exit statuses: 0 done; 2 a user mistake (one line); 1 the system failed while
the command ran (one line: a full disk, an I/O error); 130 interrupted. Any
other exception is a bug in salesfunnel and keeps its traceback (exit 1), so
it can be reported and fixed rather than hidden behind a vague line.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from .._time import PlaceholderTimesWarning, SubsecondTimesWarning
from ..chart import HiddenLabelsWarning
from ..errors import FunnelDataError
from ..render.text import MissingGlyphsWarning
from .args import build_parser
from .commands import COMMANDS
from .text import PROG, CliError, echo, one_line

# An OSError of these kinds names a path the user gave: a mistake, exit 2. Others
# (a full disk, an I/O error) are the system failing: exit 1, still one line.
_PATH_MISTAKES = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)


def _input(args: object) -> str:
    """The file the command reads, for messages that cannot name it themselves."""
    return str(getattr(args, "log", None) or getattr(args, "counts", None) or "input")


def _error(message: str) -> None:
    echo(f"{PROG}: error: {one_line(message)}", sys.stderr)


def _os_error(exc: OSError) -> int:
    what = exc.strerror or str(exc)
    _error(f"{exc.filename}: {what}" if exc.filename is not None else what)
    return 2 if isinstance(exc, _PATH_MISTAKES) else 1


def _broken_pipe() -> int:
    # The reader of our output went away (`salesfunnel metrics ... | head`): nothing
    # more to say to anyone. Point stdout at devnull so the exit flush cannot fail.
    # In-process callers may have a stdout without a file descriptor: nothing to redirect.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 1


_NOTES = (SubsecondTimesWarning, PlaceholderTimesWarning, MissingGlyphsWarning, HiddenLabelsWarning)
_NOTE_TERMS = (
    ("(see FunnelChart.label_notes; a larger canvas or columns= shows them)",
     "(a larger canvas shows them: render's --width, --height or --columns)"),
    ("(to_svg() leaves text to", "(an .svg output leaves text to"),
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``salesfunnel`` command line; returns the exit status."""
    with warnings.catch_warnings():  # restores showwarning on the way out
        shown = warnings.showwarning

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            # A note about the data or the picture as one line, like errors, in the
            # command line's terms (not a Python warning with a file and line of ours).
            if issubclass(category, _NOTES):
                text = one_line(str(message))
                for python, cli in _NOTE_TERMS:
                    text = text.replace(python, cli)
                echo(f"{PROG}: note: {text}", sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (CliError, FunnelDataError) as exc:
        _error(str(exc))
    except UnicodeDecodeError as exc:
        _error(f"{_input(args)}: not {exc.encoding} text at byte {exc.start} (set --encoding)")
    except UnicodeEncodeError as exc:
        # A lone surrogate: bytes of an argument (or a JSON escape) that were not text.
        bad = exc.object[exc.start : exc.end]
        detail = f"{exc.reason}; is an argument not text?"
        _error(f"{bad!r} cannot be written as {exc.encoding} ({detail})")
    except (UnicodeError, csv.Error) as exc:
        _error(f"{_input(args)}: {exc}")
    except BrokenPipeError:
        return _broken_pipe()
    except OSError as exc:
        return _os_error(exc)
    except ValueError as exc:  # a value the library refused without naming its field
        _error(f"{_input(args)}: {exc}")
    except KeyboardInterrupt:
        echo(f"{PROG}: interrupted", sys.stderr)
        return 130
    return 2
