"""The executors' side of ``logrill.spark``'s gathering pipelines: a task's slice of pieces
run by the engine, one partial state per part.

Two routes run this, and both share :func:`parts`:

* the **pipe route** (the default): Spark runs :func:`command` (``PYTHON -S -c …``, which
  imports this module and calls :func:`serve`) as the command of a JVM ``PipedRDD``
  (``JavaRDD.pipe``), one process per task, with no Python worker. The process reads one
  task per line on its standard input (JSON, see :func:`main`) and writes one line per
  part on its standard output; it imports only ``logrill._native`` and the standard
  library, so it starts in about 20 ms, where Spark's Python workers need its daemon and
  ``pyspark`` imported first (about a second of the first job of a session);
* the **Python-worker route** (``route="python"``): ``mapPartitionsWithIndex`` in Spark's
  Python workers calls :func:`parts` directly.

Everything on the pipe is ASCII (JSON with ``\\u`` escapes, partial states compressed
with zlib and in base64):
the JVM reads and writes it in its default charset, which need not be UTF-8.
"""

from __future__ import annotations

import binascii
import json
import os
import sys
import zlib
from typing import Any, Iterator, List, Optional, Tuple

from . import _native

# The version of the lines this module reads and writes; the driver checks it, so that an
# executor with another logrill says so instead of answering something else.
PROTOCOL = 1

Part = Tuple[int, bytes, list, Optional[Tuple[str, bytes]]]


def parts(pieces: List[tuple], text: str, options: dict) -> Iterator[Part]:
    """``(n, partial bytes, input problems, gzip checks or None)`` for ``pieces`` in order.

    Whole files in a row make one part; a byte range, or a run of gzip chunks, a part of
    its own (the driver merges them all in this order)."""
    paths: List[str] = []
    n = 0
    for piece in list(pieces) + [("end",)]:
        if piece[0] == "path":
            paths.append(piece[1])
            continue
        if paths:
            data, errs = _native.partial(paths, text, **options)
            yield (n, data, list(errs), None)
            n, paths = n + 1, []
        if piece[0] == "range":
            _, path, start, end = piece
            # The engine finds the lines of the range (each line in one range).
            data, errs = _native.partial_range(path, start, end, text, **options)
            yield (n, data, list(errs), None)
            n += 1
        elif piece[0] == "gzip":
            _, path, first, last, dir_ = piece
            data, errs, checks = _native.partial_gzip(path, first, last, text, dir_, **options)
            yield (n, data, list(errs), (path, checks))
            n += 1


def task_line(task: int, pieces: List[tuple], text: str, options: dict) -> str:
    """The line that asks an executor's ``logrill._pipe`` for ``pieces`` of task ``task``."""
    return json.dumps({"protocol": PROTOCOL, "task": task, "pipeline": text,
                       "options": options, "pieces": pieces})


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def part_line(task: int, part: Part) -> str:
    """One part as the line the pipe writes."""
    n, data, errs, checks = part
    # Compressed (zlib, fastest level) before base64: a state of many groups (4.7 MB for
    # 33 000 hosts) shrinks about 8 times for 15 ms, and every byte saved is a character
    # the JVM need not decode and encode again on its way to the driver.
    return json.dumps({"protocol": PROTOCOL, "task": task, "n": n,
                       "part": _b64(zlib.compress(data, 1)),
                       "errors": errs,
                       "checks": None if checks is None else [checks[0], _b64(checks[1])]})


def read_part(line: str) -> Tuple[int, int, bytes, list, Optional[Tuple[str, bytes]]]:
    """``(task, n, bytes, errors, checks)`` of a line written by :func:`part_line`; a
    failure the executor reported (:func:`fail_line`) is raised as
    :class:`logrill.LogrillError`."""
    try:
        got = json.loads(line)
    except ValueError:
        got = None
    if not isinstance(got, dict) or got.get("protocol") != PROTOCOL:
        raise _native.LogrillError(
            f"logrill on a Spark executor answered a line this driver cannot read (another "
            f"logrill version there?): {line[:200]!r}")
    if "failed" in got:
        raise _native.LogrillError(f"logrill on a Spark executor: {got['failed']}")
    try:
        checks = got["checks"]
        return (got["task"], got["n"], zlib.decompress(binascii.a2b_base64(got["part"])),
                got["errors"],
                None if checks is None else (checks[0], binascii.a2b_base64(checks[1])))
    except (KeyError, TypeError, IndexError, ValueError, zlib.error) as e:
        # binascii.Error is a ValueError.
        raise _native.LogrillError(
            f"logrill on a Spark executor answered a part this driver cannot read "
            f"({type(e).__name__}: {e}): {line[:200]!r}") from e


def fail_line(task: Optional[int], error: BaseException) -> str:
    """A failure of a task (not an input problem: a wrong pipeline, a state over its
    limit) as the line the pipe writes; the driver raises it."""
    return json.dumps({"protocol": PROTOCOL, "task": task,
                       "failed": f"{type(error).__name__}: {error}"})


# The program of a task's process (``python -S -c _START WHERE``). ``-S``: Python's `site`
# is not run at start: it reads every ``.pth`` file of site-packages, and one common
# ``.pth`` (certifi's) imports pathlib, zipfile and tempfile: 25 ms of the process's 45,
# paid by every task. Instead the directory the driver's logrill was imported from
# (WHERE) is put at the end of the path; where that does not give logrill (an executor
# on another machine, another Python: any failure to import it from there), `site` runs
# after all and logrill is imported as it is installed there.
_START = """import sys
sys.path.append(sys.argv[1])
try:
    from logrill import _pipe
except Exception:  # not there, or a logrill this Python cannot load
    for m in [m for m in sys.modules if m.split(".")[0] == "logrill"]:
        del sys.modules[m]
    sys.path.remove(sys.argv[1])
    import site
    site.main()
    from logrill import _pipe
_pipe.serve()
"""


def command(python: str) -> List[str]:
    """The command line a task of the pipe route runs, with ``python`` the executors'
    interpreter (see ``_START`` for why not ``python -m logrill._pipe``, which is the
    same program)."""
    package = os.path.dirname(os.path.abspath(__file__))
    return [python, "-S", "-c", _START, os.path.dirname(package)]


def serve() -> None:
    """:func:`main` on the standard streams, then the process ends without the
    interpreter's clean-up (the JVM waits for the process to end before it finishes the
    task; every part is written and flushed by then)."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(stdin: Any = None, stdout: Any = None) -> int:
    """Read tasks (lines of :func:`task_line`) from ``stdin``, write their parts."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    for line in stdin:
        if not line.strip():
            continue
        task = None
        try:
            job = json.loads(line)
            if job.get("protocol") != PROTOCOL:
                raise ValueError(f"protocol {job.get('protocol')!r}, this logrill reads "
                                 f"{PROTOCOL} (the driver's logrill differs)")
            task = job["task"]
            pieces = [tuple(p) for p in job["pieces"]]
            for part in parts(pieces, job["pipeline"], job["options"]):
                stdout.write(part_line(task, part) + "\n")
        except Exception as e:  # the driver raises it, with its message
            stdout.write(fail_line(task, e) + "\n")
        stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
