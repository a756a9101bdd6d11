"""Drive the service as it runs in production: processes started as the README says, HTTP as a browser sends it.

Used by the deploy test (tests/deploy) and the live benchmarks (bench/bench_load.py, bench_first_request.py,
bench_pdf.py). Standard library only. Everything listens on 127.0.0.1 and talks to nothing else.

The service runs with its production security settings: behind a TLS proxy (BEHIND_TLS_PROXY), so each request
carries `X-Forwarded-Proto: https` as the proxy would add, and the client keeps the session and CSRF cookies
although they are marked Secure.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent

# Settings of the test or bench run itself, which a production process must not inherit.
NOT_INHERITED = ("DEBUG", "SECRET_KEY", "SECURE_", "STATIC_", "DJANGO_", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(*, database_url: str, redis_url: str, port: int, **extra: str) -> dict[str, str]:
    """The README's production environment: DEBUG off, a fresh SECRET_KEY, the host, the database and Redis, behind a
    TLS proxy; gunicorn bound to 127.0.0.1:port (GUNICORN_CMD_ARGS, as the README says for another address)."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith(NOT_INHERITED)}
    return {
        **inherited,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BEHIND_TLS_PROXY": "true",
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}",
        **extra,
    }


def wait_for_port(port: int, *, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode} before listening on port {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(process: subprocess.Popen, *, timeout: float = 45) -> bool:
    """Stop a process started in its own session (start_new_session) and all its children, as Ctrl-C in its
    terminal would (SIGINT to the whole group). Returns whether they all stopped in time; kills what remains."""
    pgid = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    stopped = not group_alive(pgid) and process.poll() is not None
    if not stopped:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
    return stopped


@contextlib.contextmanager
def redis_server(port: int | None = None) -> Iterator[RedisServer]:
    """A Redis of our own on a free port (never the shared one), in memory only."""
    server = RedisServer(port or free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen | None = None
    workdir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix="buddying-redis-"))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [server, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for_port(self.port, process=self.process, timeout=10)

    def stop(self) -> None:
        """Kill it outright, as an outage would (SIGKILL: no goodbye to clients)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def postgres_database(base_url: str, suffix: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database named after `base_url`'s plus `suffix` (so parallel runs never share one);
    dropped afterwards. Yields its URL."""
    import psycopg2

    server, name = base_url.rsplit("/", 1)
    name = f"{name}_{suffix}"[:63]
    admin = psycopg2.connect(f"{server}/postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield f"{server}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class Browser:
    """One person's browser: keeps cookies, sends CSRF tokens back, follows nothing unless asked."""

    def __init__(self, port: int, *, timeout: float = 60) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.timeout = timeout

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        sent = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",  # as the TLS proxy in front of gunicorn adds
            "Accept-Encoding": "identity",
            **(headers or {}),
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=sent)
            reply = connection.getresponse()
            content = reply.read()
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        for raw in reply.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(raw)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, content, seconds)

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: Mapping[str, str] | list[tuple[str, str]], *, referer: str = "") -> Response:
        """POST a form with the CSRF token from the cookie, as the page's hidden input would."""
        fields = list(data.items()) if isinstance(data, Mapping) else list(data)
        fields.append(("csrfmiddlewaretoken", self.cookies.get("csrftoken", "")))
        return self.request(
            "POST",
            path,
            body=urllib.parse.urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + (referer or path),
            },
        )

    def sign_in(self, username: str, password: str) -> Response:
        page = self.get("/sign-in/")
        if page.status != 200:
            raise AssertionError(f"the sign-in page answered {page.status}")
        answer = self.post("/sign-in/", {"username": username, "password": password})
        if answer.status != 302:
            raise AssertionError(f"signing in as {username} answered {answer.status}, not a redirect")
        return answer


class _Forms(HTMLParser):
    """Every form of a page: its action, its fields with the values a browser would send, and its buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._select_first: tuple[str, str] | None = None
        self._chosen = False
        self._textarea: str | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": [], "buttons": []})
        elif not self.forms:
            return
        form = self.forms[-1]
        if tag == "input" and a.get("name") and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    form["fields"].append((a["name"], a.get("value", "on")))
            elif kind == "submit":
                form["buttons"].append({"name": a["name"], "value": a.get("value", ""), "text": a.get("value", "")})
            elif kind not in {"button", "reset", "file", "image"}:
                form["fields"].append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select, self._select_first, self._chosen = a["name"], None, False
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = (self._select, a.get("value", ""))
            if "selected" in a:
                form["fields"].append((self._select, a.get("value", "")))
                self._chosen = True
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            form["fields"].append((a["name"], ""))
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button = {"name": a.get("name", ""), "value": a.get("value", ""), "text": ""}
            form["buttons"].append(self._button)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            # A single choice with nothing marked selected: a browser sends the first option.
            if not self._chosen and self._select_first is not None and self.forms:
                self.forms[-1]["fields"].append(self._select_first)
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "button":
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            name, value = self.forms[-1]["fields"][-1]
            if not value and data.startswith("\n"):  # a browser drops the newline right after <textarea>
                data = data[1:]
            self.forms[-1]["fields"][-1] = (name, value + data)
        if self._button is not None:
            self._button["text"] += data.strip()


def form_submission(page: str, button: str) -> tuple[str, list[tuple[str, str]]]:
    """What a browser posts when the button labelled `button` is pressed: (action, fields), with the page's own
    values (defaults, checked boxes, selected options) and the button's name and value. No CSRF token: post adds it."""
    parser = _Forms()
    parser.feed(page)
    for form in parser.forms:
        pressed = next((b for b in form["buttons"] if b["text"] == button), None)
        if pressed is not None:
            fields = [(name, value) for name, value in form["fields"] if name != "csrfmiddlewaretoken"]
            if pressed["name"]:
                fields.append((pressed["name"], pressed["value"]))
            return form["action"], fields
    raise AssertionError(f"no form on the page has a button {button!r}")


def seeded_accounts(seed_demo_output: str) -> dict[str, str]:
    """The demo accounts `manage.py seed_demo` prints: {username: password}."""
    return dict(re.findall(r"username (\S+), password (\S+)", seed_demo_output))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/buddying"


def manage(env: Mapping[str, str], *args: str, timeout: float = 600) -> str:
    """Run a management command in `env`; returns its output, raises with its error if it fails."""
    done = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


@dataclass
class DemoService:
    """A production-configured service's environment on a fresh demo database, and its demo accounts."""

    env: dict[str, str]
    accounts: dict[str, str]
    port: int


@contextlib.contextmanager
def demo_service(suffix: str, *, extra_users: int = 0) -> Iterator[DemoService]:
    """A fresh database named after DATABASE_URL's plus `suffix`, migrated and seeded with the demo data (and
    `extra_users` more signed-in people, half regulator staff, half executives), with a Redis of its own and
    production settings (static files served from their folders: no collectstatic). Nothing is started yet."""
    base = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    port = free_port()
    with postgres_database(base, suffix) as database_url, redis_server() as redis:
        env = production_env(database_url=database_url, redis_url=redis.url, port=port, STATIC_MANIFEST="false")
        manage(env, "migrate", "--noinput")
        accounts = seeded_accounts(manage(env, "seed_demo"))
        if extra_users:
            accounts |= _create_people(env, extra_users)
        yield DemoService(env=env, accounts=accounts, port=port)


def _create_people(env: Mapping[str, str], count: int) -> dict[str, str]:
    password = secrets.token_urlsafe(12)
    script = f"""
from buddying.models import Trust, User
trusts = list(Trust.objects.order_by("ods_code")[:{count}])
for n in range({count}):
    executive = n % 2 == 1
    User.objects.create_user(
        username=f"bench-{{n}}", password={password!r}, first_name="Bench", last_name=f"Person {{n}}",
        email=f"bench-{{n}}@example.nhs.uk", role=User.Role.TRUST_EXECUTIVE if executive else User.Role.REGULATOR,
        trust=trusts[n] if executive else None,
    )
"""
    manage(env, "shell", "--no-imports", "-c", script)
    return {f"bench-{n}": password for n in range(count)}


def session_for(env: Mapping[str, str], username: str) -> str:
    """A signed-in session key for `username`, made in the database, so a measured first request is not a sign-in."""
    script = f"""
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from buddying.models import User
user = User.objects.get(username={username!r})
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.save()
print(session.session_key)
"""
    return manage(env, "shell", "--no-imports", "-c", script).strip().splitlines()[-1]


@contextlib.contextmanager
def gunicorn(env: Mapping[str, str], port: int, *, warm: bool = True, workers: int | None = None) -> Iterator[Path]:
    """gunicorn on 127.0.0.1:port as `make serve` starts it (gunicorn.conf.py: Django loaded and warmed before the
    workers fork), or with warm=False as before that: gunicorn's defaults, each worker importing Django itself.
    Yields the path of its log."""
    env = dict(env)
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if warm:
        command = [str(VENV_BIN / "gunicorn")]
    else:
        command = [
            str(VENV_BIN / "gunicorn"),
            "-c",
            "/dev/null",
            "buddying.wsgi",
            "--workers",
            env.get("WEB_CONCURRENCY", "1"),
        ]
    log = Path(tempfile.mkdtemp(prefix="buddying-gunicorn-")) / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_port(port, process=process, timeout=90)
        # The port opens before the workers have loaded the application: a static file answers only once one has.
        probe, deadline = Browser(port, timeout=30), time.monotonic() + 90
        while probe.get("/static/buddying/favicon.svg").status != 200:
            if time.monotonic() > deadline:
                raise TimeoutError(f"gunicorn served no static file within 90 s: see {log}")
            time.sleep(0.2)
        yield log
    except BaseException:
        print(f"gunicorn's log: {log}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(log.parent, ignore_errors=True)
    finally:
        stop(process)


def summary(samples: list[float]) -> str:
    """p50 / p95 / p99 in milliseconds."""
    return " / ".join(f"{percentile(samples, q) * 1000:.0f}" for q in (0.5, 0.95, 0.99))


def machine_load() -> str:
    """The machine's load, printed beside the figures: other work on the same CPUs moves every latency."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.1f} (1 min), {five:.1f} (5 min)"
