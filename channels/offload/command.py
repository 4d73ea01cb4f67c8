"""``run_command``: a view has an async consumer run an external program and send its
output.

::

    from channels.offload import run_command

    def report(request):
        return run_command(request, ["/usr/local/bin/make-report", "--month", "2024-05"],
                           timeout=20, statuses={2: 404})

Arguments are a list, passed to the program as they are: no shell ever sees them, so
request data in an argument cannot run anything else. The ``channels.offload.command``
consumer (:mod:`channels.offload.process`) runs it and answers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from .fetch import check_timeout
from .handoff import offload

#: The channel the command consumer listens on.
COMMAND_CHANNEL = "channels.offload.command"
#: Seconds a command may run by default.
DEFAULT_COMMAND_TIMEOUT = 30.0
#: Output held back (to pick the status from the exit code) before streaming starts.
DEFAULT_BUFFER_SIZE = 64 * 1024


def _check_args(args: Any) -> list[str]:
    if isinstance(args, str | bytes):
        raise TypeError(
            f"run_command takes the arguments as a list, never a shell string: got {args!r}; "
            f"write e.g. {args.split() if isinstance(args, str) else ['program', 'arg']!r}"
        )
    if not isinstance(args, list | tuple) or not args:
        raise TypeError(f"run_command needs a non-empty list of arguments, got {args!r}")
    checked = []
    for arg in args:
        if isinstance(arg, os.PathLike):
            arg = os.fspath(arg)
        if not isinstance(arg, str):
            raise TypeError(f"command arguments must be str (or paths), got {arg!r} in {args!r}")
        if "\0" in arg:
            raise ValueError(f"command argument {arg!r} contains a NUL character")
        checked.append(arg)
    return checked


def _check_statuses(statuses: Any) -> dict[str, int]:
    if statuses is None:
        return {}
    if not isinstance(statuses, Mapping):
        raise TypeError(f"statuses must map exit codes to HTTP statuses, got {statuses!r}")
    checked = {}
    for code, status in statuses.items():
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"statuses keys must be int exit codes, got {code!r}")
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ValueError(f"statuses[{code}] must be an HTTP status (100-599), got {status!r}")
        # Message keys must be str (msgpack maps with str keys).
        checked[str(code)] = status
    return checked


def command_payload(
    args: Any,
    timeout: float = DEFAULT_COMMAND_TIMEOUT,
    stdin: bytes | str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    statuses: Mapping[int, int] | None = None,
    content_type: str = "text/plain; charset=utf-8",
    buffer_size: int = DEFAULT_BUFFER_SIZE,
) -> dict[str, Any]:
    """The checked message :func:`run_command` sends (without ``reply_channel``); the
    consumer checks it again, as anything may send to its channel."""
    if isinstance(stdin, str):
        stdin = stdin.encode("utf-8")
    if stdin is not None and not isinstance(stdin, bytes):
        raise TypeError(f"stdin must be bytes, str or None, got {type(stdin).__name__}")
    if env is not None:
        if not isinstance(env, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in env.items()
        ):
            raise TypeError(f"env must map str names to str values, got {env!r}")
        env = dict(env)
    if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size < 0:
        raise ValueError(f"buffer_size must be a byte count >= 0, got {buffer_size!r}")
    if not isinstance(content_type, str):
        raise TypeError(f"content_type must be a str, got {content_type!r}")
    return {
        "args": _check_args(args),
        "timeout": check_timeout(timeout, "command"),
        "stdin": stdin,
        "cwd": os.fspath(cwd) if cwd is not None else None,
        "env": env,
        "statuses": _check_statuses(statuses),
        "content_type": content_type,
        "buffer_size": buffer_size,
    }


def run_command(
    request: Any,
    args: list[str],
    timeout: float = DEFAULT_COMMAND_TIMEOUT,
    stdin: bytes | str | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    statuses: Mapping[int, int] | None = None,
    content_type: str = "text/plain; charset=utf-8",
    buffer_size: int = DEFAULT_BUFFER_SIZE,
) -> None:
    """Answer ``request`` with the output of the program ``args`` (a list; a str is a
    ``TypeError``), run by an async consumer.

    Exit status 0 answers 200 with stdout as ``content_type``; any other exit status
    answers ``statuses.get(code, 500)`` with stderr as plain text (or ``exit status N`` when
    stderr is empty). After ``timeout`` seconds the program (and every process it started)
    is killed and the answer is 504. ``stdin`` is written to the program; ``cwd`` and
    ``env`` (the whole environment; default: the worker's) as for ``subprocess``.

    stdout is streamed: up to ``buffer_size`` bytes are held back so that a program that
    finishes within them gets the status its exit code calls for; past that the 200 is sent
    and the output follows as it is written (a later failure then ends the body and is
    logged). ``buffer_size=0`` streams from the first byte.

    In a view this never returns (it raises ``ResponseLater``); with the ``Message`` of an
    ``http.request`` consumer it returns once the work is handed over.
    """
    offload(
        request,
        COMMAND_CHANNEL,
        command_payload(args, timeout, stdin, cwd, env, statuses, content_type, buffer_size),
    )


__all__ = [
    "COMMAND_CHANNEL",
    "DEFAULT_BUFFER_SIZE",
    "DEFAULT_COMMAND_TIMEOUT",
    "command_payload",
    "run_command",
]
