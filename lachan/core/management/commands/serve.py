"""The embedded/demo server: the web application (gunicorn) plus a background worker child process.

One gunicorn worker process with a few threads keeps the whole demo under ~300 MB. The worker child
(`manage.py worker`) is stopped when serve stops, also on SIGTERM/SIGINT.

`--server granian` serves the same WSGI application with Granian (HTTP parsed in Rust): for hosts that
mostly answer the check-in API it spends a quarter less CPU per request than gunicorn and answered about
twice as many single check-ins a second on two cores (docs/benchmarks.md, ADR 0002).
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections


class Command(BaseCommand):
    help = "Serve the platform (gunicorn) with a background worker, for the embedded set-up and demos."
    requires_system_checks = []  # nothing here touches the database before forking

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=4, help="request threads of each web process")
        parser.add_argument("--workers", type=int, default=1,
                            help="web processes (1 keeps the demo small; about one per core for production-like loads)")
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")
        parser.add_argument("--server", choices=["gunicorn", "granian"], default="gunicorn",
                            help="the HTTP server (granian for hosts that mostly answer the check-in API)")

    def handle(self, *, host, port, threads, workers, no_worker, server="gunicorn", **options):
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535")
        if threads < 1:
            raise CommandError("--threads must be at least 1")
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
        worker = None if no_worker else self._start_worker()
        parent = os.getpid()
        connections.close_all()  # never share a database connection with forked processes

        stdout = self.stdout

        def when_ready(server):
            stdout.write(self.style.SUCCESS(f"Lá Chắn is running on {url}  (Ctrl+C to stop)"))
            stdout.flush()

        def on_exit(server):
            _stop(worker)

        if server == "granian":
            try:
                self.stdout.write(self.style.SUCCESS(f"Lá Chắn is running on {url}  (Ctrl+C to stop)"))
                self.stdout.flush()
                _granian(host=host, port=port, workers=workers, threads=threads).serve()
            finally:
                if os.getpid() == parent:
                    _stop(worker)
            return

        app = _GunicornApp({
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 120,
            "graceful_timeout": 10,
            "accesslog": "-" if settings.DEBUG else None,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "lachan",
            "control_socket_disable": True,  # gunicorn ≥ 24: no shared ~/.gunicorn socket between instances
            "when_ready": when_ready,
            "on_exit": on_exit,
        })
        try:
            app.run()
        finally:
            # gunicorn's forked web worker unwinds through here too: only the parent owns the child.
            if os.getpid() == parent:
                _stop(worker)

    def _start_worker(self) -> subprocess.Popen:
        manage = Path(settings.BASE_DIR) / "manage.py"
        cmd = [sys.executable, str(manage)] if manage.exists() else [sys.executable, "-m", "django"]
        cmd += ["worker", "--parent-pid", str(os.getpid())]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "lachan.settings")}
        # Its own session: Ctrl+C reaches serve only, which then stops the worker once, gracefully.
        child = subprocess.Popen(cmd, env=env, start_new_session=True)
        self.stdout.write(f"Background worker started (pid {child.pid})")
        return child


def _stop(child: subprocess.Popen | None) -> None:
    if child is None or child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _granian(*, host: str, port: int, workers: int, threads: int):
    from granian import Granian
    from granian.constants import Interfaces

    # settings.WSGI_APPLICATION by name ("lachan.wsgi.application" → "lachan.wsgi:application"), as below.
    module, _dot, attribute = settings.WSGI_APPLICATION.rpartition(".")
    return Granian(f"{module}:{attribute}", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
                   blocking_threads=threads, websockets=False, log_access=settings.DEBUG,
                   respawn_failed_workers=True, working_dir=Path(settings.BASE_DIR))


def _GunicornApp(options: dict):  # noqa: N802  (a class built lazily: gunicorn is imported only here)
    from gunicorn.app.base import BaseApplication

    class GunicornApp(BaseApplication):
        def __init__(self, opts):
            self.options = opts
            super().__init__()

        def load_config(self):
            for key, value in self.options.items():
                if value is not None and key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            # settings.WSGI_APPLICATION (lachan.wsgi, with the check-in fast path), loaded by name as Django's
            # runserver does: core stays below the domain apps that module wraps in.
            from django.core.servers.basehttp import get_internal_wsgi_application

            return get_internal_wsgi_application()

    return GunicornApp(options)
