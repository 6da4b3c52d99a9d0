"""A TCP fault proxy on loopback for fault tests (toxiproxy is not available here): the app talks to the proxy, the
proxy to the real server, and the test switches what the network does at run time.

    proxy = FaultProxy("127.0.0.1", 5432).start()   # proxy.port is where the app connects
    proxy.set_mode("reset")      # every open connection and every new one is closed with RST (SO_LINGER 0)
    proxy.set_mode("blackhole")  # connections are accepted and kept, but no byte is forwarded either way
    proxy.set_mode("pass")       # forwarding again; connections held in the blackhole carry on where they stopped
    proxy.stop()

A blackhole holds bytes back rather than dropping them, as a partitioned network does (TCP retransmits once it heals):
dropping bytes mid-stream would corrupt the protocol, which no real network does to a TCP connection.
"""

import contextlib
import select
import socket
import struct
import threading
import time

MODES = ("pass", "reset", "blackhole")
_TICK = 0.05  # seconds: how soon a pump notices a mode change


def _reset(sock):
    """Close with RST instead of FIN: the peer's next call fails with ECONNRESET."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Link:
    """One client connection and its upstream connection, pumped by two threads."""

    def __init__(self, proxy, client, upstream):
        self.proxy, self.client, self.upstream = proxy, client, upstream
        self.lock, self.closed = threading.Lock(), False

    def start(self):
        for source, target in ((self.client, self.upstream), (self.upstream, self.client)):
            threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def close(self, abruptly):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for sock in (self.client, self.upstream):
            if abruptly:
                _reset(sock)
            else:
                with contextlib.suppress(OSError):
                    sock.close()
        self.proxy._forget(self)

    def _pump(self, source, target):
        try:
            while not self.closed:
                if self.proxy.mode == "blackhole":
                    time.sleep(_TICK)  # hold the bytes back: nothing is read, so nothing is lost
                    continue
                readable, _, _ = select.select([source], [], [], _TICK)
                if not readable or self.proxy.mode != "pass":
                    continue
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except (OSError, ValueError):
            pass  # the other pump or a reset closed the sockets
        self.close(abruptly=False)


class FaultProxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.mode = "pass"
        self.links, self.lock = set(), threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0  # accepted so far: a test can check the app really goes through the proxy
        self.running = False

    def start(self):
        self.listener.listen(128)
        self.listener.settimeout(_TICK)
        self.running = True
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()
        return self

    def set_mode(self, mode):
        assert mode in MODES, mode
        self.mode = mode
        if mode == "reset":
            with self.lock:
                links = list(self.links)
            for link in links:
                link.close(abruptly=True)

    def stop(self):
        self.running = False
        with self.lock:
            links = list(self.links)
        for link in links:
            link.close(abruptly=False)
        self.listener.close()

    def _forget(self, link):
        with self.lock:
            self.links.discard(link)

    def _accept(self):
        while self.running:
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # stopped
            client.settimeout(None)
            self.connections += 1
            if self.mode == "reset":
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)  # the real server is not there: the client sees what it would see
                continue
            link = _Link(self, client, upstream)
            with self.lock:
                self.links.add(link)
            if self.mode == "reset":  # switched while connecting
                link.close(abruptly=True)
                continue
            link.start()
