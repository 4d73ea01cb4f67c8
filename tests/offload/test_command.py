"""The command consumer running real programs, on an in-memory layer, plus the view side's
argument checks."""

from __future__ import annotations

import asyncio
import os
import select
import sys
from typing import Any

import pytest

from channels.offload import COMMAND_CHANNEL
from channels.offload.command import command_payload
from channels.offload.process import command_consumer

from .conftest import handed_over, next_reply, whole_response

PYTHON = sys.executable


def command_message(layer: Any, args: list[str], **options: Any) -> tuple[Any, str]:
    return handed_over(layer, COMMAND_CHANNEL, **command_payload(args, **options))


async def run(layer: Any, args: list[str], **options: Any) -> tuple[int, dict, bytes, int]:
    message, reply = command_message(layer, args, **options)
    await asyncio.wait_for(command_consumer(message), 20)
    return await whole_response(layer, reply)


async def test_exit_status_0_answers_200_with_stdout(layer: Any) -> None:
    status, headers, body, count = await run(
        layer, [PYTHON, "-c", "import sys; print('out'); print('noise', file=sys.stderr)"]
    )
    assert (status, body, count) == (200, b"out\n", 1)
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert headers[b"content-length"] == b"4"


async def test_a_nonzero_exit_answers_500_with_stderr(layer: Any) -> None:
    code = "import sys; print('partial'); sys.exit('it broke')"
    status, headers, body, _ = await run(layer, [PYTHON, "-c", code])
    assert status == 500
    assert body == b"it broke\n"
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"


async def test_exit_codes_map_to_the_statuses_given(layer: Any) -> None:
    code = "import sys; sys.exit(int(sys.argv[1]))"
    status, _, body, _ = await run(layer, [PYTHON, "-c", code, "3"], statuses={3: 404})
    assert (status, body) == (404, b"exit status 3")
    status, _, _, _ = await run(layer, [PYTHON, "-c", code, "4"], statuses={3: 404})
    assert status == 500


async def test_stdin_cwd_env_and_content_type_reach_the_program(layer: Any, tmp_path: Any) -> None:
    code = "import os, sys; print(sys.stdin.read(), os.getcwd(), os.environ['GREETING'])"
    status, headers, body, _ = await run(
        layer,
        [PYTHON, "-c", code],
        stdin="data",
        cwd=tmp_path,
        env={"GREETING": "hi"},
        content_type="text/csv",
    )
    assert status == 200
    assert body == f"data {tmp_path} hi\n".encode()
    assert headers[b"content-type"] == b"text/csv"


async def test_a_command_past_its_timeout_is_killed_with_504(layer: Any, tmp_path: Any) -> None:
    # The program starts a grandchild that would keep the pipes open: the whole group dies.
    pid_file = tmp_path / "grandchild.pid"
    code = (
        "import subprocess, sys, time\n"
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(60)\n"
    )
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, _, body, _ = await run(layer, [PYTHON, "-c", code], timeout=1)
    assert loop.time() - started < 8
    assert status == 504
    assert b"did not finish within 1 seconds" in body
    grandchild = int(pid_file.read_text())
    assert not _alive(grandchild), "the program's own children are killed too"


def _alive(pid: int) -> bool:
    """Whether ``pid`` is still running 5 s from now (a pidfd becomes readable when the
    process ends)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        readable, _, _ = select.select([fd], [], [], 5)
        return not readable
    finally:
        os.close(fd)


async def test_long_output_streams_before_the_program_ends(layer: Any, tmp_path: Any) -> None:
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    code = (
        "import sys\n"
        "sys.stdout.write('x' * 100); sys.stdout.flush()\n"
        f"open({str(gate)!r}).read()\n"  # blocks until the test writes to the FIFO
        "sys.stdout.write('done')\n"
    )
    message, reply = command_message(layer, [PYTHON, "-c", code], buffer_size=10, timeout=20)
    task = asyncio.ensure_future(command_consumer(message))
    try:
        first = await next_reply(layer, reply)
        # The program is still waiting for the gate: this part was streamed.
        assert first["status"] == 200
        assert first["content"] == b"x" * 100
        assert first["more_content"] is True
        gate.write_text("go")
        rest = [await next_reply(layer, reply)]
        while rest[-1]["more_content"]:
            rest.append(await next_reply(layer, reply))
        assert b"".join(r["content"] for r in rest) == b"done"
        await asyncio.wait_for(task, 10)
    finally:
        task.cancel()


async def test_a_missing_program_answers_500(layer: Any) -> None:
    status, _, body, _ = await run(layer, ["/no/such/program-here"])
    assert status == 500
    assert b"could not start the command '/no/such/program-here'" in body


async def test_a_bad_command_message_gets_a_500(layer: Any) -> None:
    message, reply = handed_over(layer, COMMAND_CHANNEL, args="rm -rf /")
    await asyncio.wait_for(command_consumer(message), 10)
    status, _, body, _ = await whole_response(layer, reply)
    assert (status, body) == (500, b"Internal Server Error: bad command request.")


def test_a_shell_string_is_refused_with_type_error() -> None:
    with pytest.raises(TypeError, match=r"never a shell string.*\['ls', '-l'\]"):
        command_payload("ls -l")


@pytest.mark.parametrize(
    ("options", "error", "text"),
    [
        ({"args": []}, TypeError, "non-empty list"),
        ({"args": ["ls", 3]}, TypeError, "must be str"),
        ({"args": ["ls", "a\0b"]}, ValueError, "NUL"),
        ({"args": ["ls"], "timeout": -1}, ValueError, "positive"),
        ({"args": ["ls"], "statuses": {1: 99}}, ValueError, "HTTP status"),
        ({"args": ["ls"], "statuses": {"1": 404}}, TypeError, "int exit codes"),
        ({"args": ["ls"], "env": {"A": 1}}, TypeError, "env must map"),
        ({"args": ["ls"], "buffer_size": -1}, ValueError, "buffer_size"),
    ],
)
def test_run_command_rejects_bad_arguments(options: dict[str, Any], error: type, text: str) -> None:
    with pytest.raises(error, match=text):
        command_payload(**options)
