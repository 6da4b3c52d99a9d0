"""Bounded request bodies through a real gunicorn and a real socket: a 1 GB upload is refused from its
Content-Length in well under a second, a chunked one as the stream passes the limit, a file as it passes its own
limit, and no temporary file is left behind. Bodies are generated lazily, never held in memory."""

import contextlib
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from rest_framework.authtoken.models import Token

from incidents.models import Incident, IncidentAttachment
from tests.conftest import _test_database_url

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BOUNDARY = "----itsm-stream-boundary"
MB = 1024 * 1024


@pytest.fixture
def server(transactional_db, tmp_path):
    """gunicorn (one sync worker) on the test database, its temporary files in a folder of the test's own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "DB_CONN_MAX_AGE": "0", "TMPDIR": str(temp),
           "MEDIA_ROOT": str(tmp_path / "media"), "ATTACHMENT_MAX_BYTES": str(MB),
           "UPLOAD_REQUEST_MAX_BYTES": str(64 * MB), "CREATE_RATE_LIMIT": ""}
    log = (tmp_path / "gunicorn.log").open("w+b")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "itsm.wsgi:application", "--bind", f"127.0.0.1:{port}",
                             "--workers", "1", "--timeout", "60", "--log-level", "warning",
                             "--worker-tmp-dir", str(tmp_path)],  # its heartbeat file is not an upload
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.seek(0) or log.read().decode()[-2000:]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    # Warm up (the first request imports the views): the timings below are of the refusal alone.
    with socket.create_connection(("127.0.0.1", port), timeout=30) as warm:
        warm.sendall(b"POST /api/v1/incidents/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        assert warm.recv(100).startswith(b"HTTP/1.1 401")
    server = type("Server", (), {"port": port, "temp": temp, "media": tmp_path / "media",
                                 "pid": proc.pid})
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:  # a worker still waiting on a test's upload
            proc.kill()
            proc.wait(10)
        log.close()


@pytest.fixture
def token(cast):
    return Token.objects.create(user=cast.end_user).key


def _file_part(name="huge.log"):
    return (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nBig upload\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename="{name}"\r\n'
            f"Content-Type: text/plain\r\n\r\n").encode()


def _closing():
    return f"\r\n--{BOUNDARY}--\r\n".encode()


def _headers(token, extra):
    return (f"POST /api/v1/incidents/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{extra}\r\n").encode()


def _zeros(total, chunk=64 * 1024):
    """`total` bytes of file content, 64 KB at a time, made as they are sent."""
    block = b"x" * chunk
    whole, rest = divmod(total, chunk)
    yield from itertools.repeat(block, whole)
    if rest:
        yield block[:rest]


def _chunked(pieces):
    for piece in pieces:
        yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def exchange(port, headers, body, pause=None):
    """Send the headers, then pump `body` from a thread while reading the answer here. Returns (status, text,
    seconds from the end of the headers to the answer, bytes of body sent). `pause` = (after_bytes, event): the pump
    stops after that many bytes until the event is set."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(headers)
    started = time.monotonic()
    sent = [0]
    done = threading.Event()

    def pump():
        try:
            for piece in body:
                if done.is_set():
                    return
                if pause and sent[0] >= pause[0]:
                    pause[1].wait(30)
                sock.sendall(piece)
                sent[0] += len(piece)
        except OSError:  # the server answered and closed: the rest is never sent
            pass

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    sock.settimeout(30)
    answer = b""
    try:
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        elapsed = time.monotonic() - started
        sock.settimeout(1)
        while data := sock.recv(65536):
            answer += data
    except (TimeoutError, ConnectionResetError):
        elapsed = time.monotonic() - started
    done.set()
    sock.close()
    thread.join(10)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else None
    return status, answer.decode(errors="replace"), elapsed, sent[0]


def _json(answer):
    return json.loads(answer.split("\r\n\r\n", 1)[1])


def _no_temp_files(folder):
    deadline = time.monotonic() + 5
    while any(folder.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return list(folder.iterdir())


def test_a_1_gb_upload_is_refused_from_its_length_in_under_a_second(server, token):
    size = 1024 * MB
    length = len(_file_part()) + size + len(_closing())
    body = itertools.chain([_file_part()], _zeros(size), [_closing()])
    status, answer, elapsed, sent = exchange(server.port, _headers(token, f"Content-Length: {length}\r\n"), body)
    assert status == 413, answer
    assert _json(answer) == {"detail": "The request body is 1.0\xa0GB; the limit here is 64.0\xa0MB."}
    assert elapsed < 1.0 and sent < 100 * MB
    assert _no_temp_files(server.temp) == [] and not Incident.objects.exists()


def test_a_chunked_upload_is_refused_as_the_stream_passes_the_limit(server, token):
    body = _chunked(itertools.chain([_file_part()], _zeros(1024 * MB)))
    status, answer, elapsed, sent = exchange(server.port, _headers(token, "Transfer-Encoding: chunked\r\n"), body)
    assert status == 413, answer
    assert _json(answer) == {"detail": "The request body is larger than the limit here (64.0\xa0MB)."}
    assert sent < 200 * MB and elapsed < 10
    assert _no_temp_files(server.temp) == [] and not Incident.objects.exists()


def test_a_chunked_upload_under_the_limit_is_saved_whole(server, token):
    body = _chunked([_file_part("small.log"), b"paper jam in tray 2", _closing()])
    status, answer, _elapsed, _sent = exchange(server.port, _headers(token, "Transfer-Encoding: chunked\r\n"), body)
    assert status == 201, answer
    stored = server.media / IncidentAttachment.objects.get().file.name
    assert stored.read_bytes() == b"paper jam in tray 2"


def _upload_in_background(server, token, size, pause_after):
    """Start an upload of a `size`-byte file that stops after `pause_after` bytes until the returned event is set."""
    length = len(_file_part()) + size + len(_closing())
    go_on, result = threading.Event(), {}
    body = itertools.chain([_file_part()], _zeros(size), [_closing()])
    thread = threading.Thread(target=lambda: result.update(answer=exchange(
        server.port, _headers(token, f"Content-Length: {length}\r\n"), body, pause=(pause_after, go_on))))
    thread.start()
    return go_on, thread, result


def _spooled_upload_files(server):
    """The temporary files gunicorn's worker holds open in our folder (named or already unlinked)."""
    worker = psutil.Process(server.pid).children()[0]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        links = []
        for fd in Path(f"/proc/{worker.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                links.append(os.readlink(fd))
        held = [link for link in links if link.startswith(str(server.temp))]
        if held:
            return worker, held
        time.sleep(0.05)
    return worker, []


def test_a_file_over_its_limit_is_refused_as_it_passes_it_and_nothing_is_left(server, token):
    go_on, thread, result = _upload_in_background(server, token, 20 * MB, MB // 2)  # over the 1 MB file limit
    _worker, held = _spooled_upload_files(server)
    assert held, "half a megabyte in, the upload was expected to wait in a temporary file"
    go_on.set()
    thread.join(30)
    status, answer, _elapsed, sent = result["answer"]
    assert status == 413, answer
    assert _json(answer) == {"detail": "The file huge.log is larger than the limit of 1.0\xa0MB.",
                             "field": "attachments"}
    assert sent < 10 * MB
    assert _no_temp_files(server.temp) == [] and not Incident.objects.exists()


def test_an_upload_cut_off_by_a_killed_worker_leaves_no_temporary_file(server, token):
    go_on, thread, _result = _upload_in_background(server, token, 20 * MB, 600 * 1024)  # paused below the limit
    worker, held = _spooled_upload_files(server)
    assert held and all(path.endswith("(deleted)") for path in held), held  # no name on disk, even now
    worker.kill()  # what gunicorn does to a worker past its timeout
    worker.wait(10)
    go_on.set()
    thread.join(30)
    assert _no_temp_files(server.temp) == [] and not Incident.objects.exists()
