"""The README's production section, run as written on a clean environment, then used as each persona would.

The commands are read from the README itself: the code blocks marked `<!-- deploy-test: steps -->` (the
deployment) and `<!-- deploy-test: demo -->` (demo data for a trial) in its Production section are run line by
line, in order, by bash, in the production environment the README's table describes: DEBUG off, a fresh
SECRET_KEY, ALLOWED_HOSTS, a new empty PostgreSQL database, a Redis of our own, behind a TLS proxy, STATIC_ROOT and
MEDIA_ROOT in a temporary directory. The last command of the steps (`make serve`) keeps running: gunicorn, a Celery
worker and beat. Then, over HTTP as a browser: every main page for each demo persona, the static files with
far-future caching, a shortlist (in the web process) and a wave run (done by the real worker), and Ctrl-C stops all.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.conf import settings

from bench import live

README = Path(settings.BASE_DIR) / "README.md"
LONG_RUNNING = "make serve"
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")


def readme_commands(marker: str) -> list[str]:
    """The commands of the README's code block marked `<!-- deploy-test: {marker} -->`, comments removed."""
    production = README.read_text().split("\n## Production", 1)[1].split("\n## ", 1)[0]
    block = re.search(rf"<!-- deploy-test: {marker}\b[^>]*-->\s*```sh\n(.*?)```", production, flags=re.DOTALL)
    assert block, f"README's Production section has no code block marked deploy-test: {marker}"
    commands = [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines()]
    return [command for command in commands if command and not command.startswith("#")]


def installed_already() -> bool:
    """Whether make's stamps say the Python and npm packages are installed (the Makefile's rules), so that
    `make venv assets` at most rebuilds the stylesheet: the test runs that line as written, but never lets it
    reinstall packages in a checkout that other test runs may be using."""
    root = Path(settings.BASE_DIR)

    def newer(target: str, *sources: str) -> bool:
        return (root / target).exists() and all(
            (root / target).stat().st_mtime >= (root / source).stat().st_mtime for source in sources
        )

    # Rebuilding the stylesheet is harmless; reinstalling what others are importing is not.
    return newer(".venv/.installed", "requirements.txt") and newer(
        "node_modules/.installed", "package.json", "package-lock.json"
    )


def links(page: str, pattern: str) -> list[str]:
    return list(dict.fromkeys(re.findall(rf'href="({pattern})"', page)))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """The service deployed by the README's steps; yields (port, accounts, serve process, its log path)."""
    base = tmp_path_factory.mktemp("deploy")
    port = live.free_port()
    log_path = base / "serve.log"
    with (
        live.postgres_database(os.environ["DATABASE_URL"], f"deploy_{os.getpid()}") as database_url,
        live.redis_server() as redis,
    ):
        env = live.production_env(
            database_url=database_url,
            redis_url=redis.url,
            port=port,
            STATIC_ROOT=str(base / "static"),
            MEDIA_ROOT=str(base / "media"),
            CELERY_BEAT_SCHEDULE_FILE=str(base / "celerybeat-schedule"),
            WEB_CONCURRENCY="2",
            # Beat sends what a Redis outage held back every 60 s by default; the outage test waits less.
            OUTBOX_SEND_SECONDS="3",
        )
        steps = readme_commands("steps")
        assert steps[-1] == LONG_RUNNING, "the README's deployment ends by starting the service"
        for command in steps[:-1]:
            if command.startswith("make ") and not installed_already():
                pytest.fail(
                    f"`{command}` would install packages into this checkout's .venv or node_modules while other "
                    "test runs may be using them: run it first (make test does)"
                )
            started = time.monotonic()
            done = subprocess.run(
                ["bash", "-c", command], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, f"`{command}` failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            print(f"\n{command}: {time.monotonic() - started:.1f} s", end="")
        with log_path.open("w") as log:
            serve = subprocess.Popen(
                ["bash", "-c", steps[-1]],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            live.wait_for_port(port, process=serve, timeout=90)
            output = ""
            for command in readme_commands("demo"):
                done = subprocess.run(
                    ["bash", "-c", command], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
                )
                assert done.returncode == 0, f"`{command}` failed:\n{done.stderr[-3000:]}"
                output += done.stdout
            accounts = live.seeded_accounts(output)
            assert {"regulator", "executive", "admin"} <= set(accounts), output
            yield {
                "port": port,
                "accounts": accounts,
                "serve": serve,
                "log": log_path,
                "database_url": database_url,
                "redis": redis,
            }
        finally:
            stopped = live.stop(serve)
            print(log_path.read_text()[-5000:] if not stopped else "")


def signed_in(deployment, username: str) -> live.Browser:
    browser = live.Browser(deployment["port"])
    browser.sign_in(username, deployment["accounts"][username])
    return browser


def get_ok(browser: live.Browser, path: str, deployment) -> str:
    response = browser.get(path)
    if response.status == 302 and response.header("location").startswith("/"):  # e.g. an executive's home
        response = browser.get(response.header("location"))
    assert response.status == 200, (
        f"{path}: {response.status}\n{response.text[:500]}\n{deployment['log'].read_text()[-3000:]}"
    )
    return response.text


def main_pages(browser: live.Browser, deployment, *, regulator: bool) -> dict[str, str]:
    """Every main page this person can use, found by following the service's own links; each must answer 200."""
    pages = {"home": get_ok(browser, "/", deployment)}
    pages["directory"] = get_ok(browser, "/trusts/", deployment)
    pages["map"] = get_ok(browser, "/trusts/map/", deployment)
    trust = links(pages["directory"], r"/trusts/[A-Z0-9]+/")[0]
    pages["trust"] = get_ok(browser, trust, deployment)
    pages["arrangements"] = get_ok(browser, "/arrangements/", deployment)
    arrangement = links(pages["arrangements"], r"/arrangements/\d+/")
    assert arrangement, "the demo data has arrangements to list"
    pages["arrangement"] = get_ok(browser, arrangement[0], deployment)
    pages["notifications"] = get_ok(browser, "/arrangements/notifications/", deployment)
    pages["reports"] = get_ok(browser, "/reports/", deployment)
    pages["frameworks"] = get_ok(browser, "/matching/frameworks/", deployment)
    if regulator:
        pages["dashboard"] = get_ok(browser, "/reports/dashboard/", deployment)
        pages["matching"] = get_ok(browser, "/matching/", deployment)
        explorer = links(pages["matching"], r"/matching/trusts/[A-Z0-9]+/")[0]
        pages["explorer"] = get_ok(browser, explorer, deployment)
        framework = links(pages["frameworks"], r"/matching/frameworks/\d+/")[0]
        pages["pool"] = get_ok(browser, framework + "pool/", deployment)
    return pages


def test_the_readme_deployment_serves_every_main_page_to_each_persona(deployment):
    for username in ("regulator", "admin", "executive"):
        browser = signed_in(deployment, username)
        pages = main_pages(browser, deployment, regulator=username != "executive")
        for name, page in pages.items():
            assert "Sorry, there is a problem" not in page, f"{username}: {name}"
            assert "Signed in as" in page, f"{username}: {name} is not a signed-in page"


def test_static_files_are_hashed_compressed_and_cached_for_ever(deployment):
    browser = signed_in(deployment, "regulator")
    page = get_ok(browser, "/trusts/map/", deployment)
    assets = sorted(set(re.findall(r'(?:href|src|data-[a-z-]+)="(/static/[^"]+)"', page)))
    stylesheet = next(path for path in assets if path.startswith("/static/build/app."))
    css = browser.get(stylesheet).text
    # Images and fonts the stylesheet points at (the GOV.UK and MOJ assets that broke collectstatic once).
    referenced = re.findall(r"url\([\"']?([^)\"']+)[\"']?\)", css)
    assets += sorted({urljoin(stylesheet, url) for url in referenced if not url.startswith("data:")})
    assert len(assets) >= 8, assets
    for path in assets:
        assert HASHED.search(path.split("?")[0].split("#")[0]), f"{path} is not a hashed name"
        response = browser.get(path.split("#")[0])
        assert response.status == 200, path
        assert response.header("cache-control") == "max-age=315360000, public, immutable", path
    compressed = browser.get(stylesheet, headers={"Accept-Encoding": "br, gzip"})
    assert compressed.header("content-encoding") in {"br", "gzip"}


def test_a_shortlist_runs_in_the_web_process_and_a_wave_is_run_by_the_real_worker(deployment):
    browser = signed_in(deployment, "regulator")
    matching = get_ok(browser, "/matching/", deployment)
    explorer = links(matching, r"/matching/trusts/[A-Z0-9]+/")[0]
    action, fields = live.form_submission(get_ok(browser, explorer, deployment), "Run shortlist")
    shortlist = browser.post(action or explorer, fields, referer=explorer)
    assert shortlist.status == 302, shortlist.text[:2000]
    run_page = get_ok(browser, shortlist.header("location"), deployment)
    assert "Shortlist" in run_page

    action, fields = live.form_submission(get_ok(browser, "/matching/wave/", deployment), "Allocate buddies")
    assert any(name == "trusts" for name, _ in fields), "the wave form offers the trusts in special measures"
    wave = browser.post(action or "/matching/wave/", fields, referer="/matching/wave/")
    assert wave.status == 302, wave.text[:2000]
    run_url = wave.header("location")
    deadline = time.monotonic() + 90
    status = {}
    while time.monotonic() < deadline:
        status = json.loads(browser.get(run_url + "status/").body)
        if status["finished"]:
            break
        time.sleep(0.5)
    assert status.get("status") == "done", f"{status}\n{deployment['log'].read_text()[-5000:]}"
    assert "Allocation" in get_ok(browser, run_url, deployment) or "allocat" in get_ok(browser, run_url, deployment)


def wave_post(browser: live.Browser) -> tuple[live.Response, float]:
    action, fields = live.form_submission(browser.get("/matching/wave/").text, "Allocate buddies")
    response = browser.post(action or "/matching/wave/", fields, referer="/matching/wave/")
    assert response.status == 302, response.text[:2000]
    return response, response.seconds


def wave_status(browser: live.Browser, run_url: str) -> dict:
    return json.loads(browser.get(run_url + "status/").body)


def outbox_rows(deployment, task_name: str) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(deployment["database_url"]) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT args, sent_at IS NOT NULL, attempts FROM buddying_outboxmessage WHERE task_name = %s ORDER BY id",
            [task_name],
        )
        return cursor.fetchall()


def test_with_redis_down_a_save_is_as_fast_and_its_task_runs_once_redis_returns(deployment):
    """Kill the deployment's Redis mid-way: a save (a wave run asked for) returns as fast as with Redis up; its
    task waits in the outbox; once Redis is back, beat's send_outbox hands it to the worker, which runs it once."""
    browser = signed_in(deployment, "regulator")
    redis = deployment["redis"]

    def timed_saves(count: int, *, wait_for_the_worker: bool) -> tuple[list[str], list[float]]:
        urls, seconds = [], []
        for _ in range(count):
            response, took = wave_post(browser)
            urls.append(response.header("location"))
            seconds.append(took)
            # With Redis up the worker runs each wave at once: let it finish so it does not slow the next save.
            while wait_for_the_worker and not wave_status(browser, urls[-1])["finished"]:
                time.sleep(0.1)
        return urls, seconds

    timed_saves(2, wait_for_the_worker=True)  # both web workers have served a wave post
    done_before, up = timed_saves(5, wait_for_the_worker=True)
    redis.stop()
    try:
        waiting, down = timed_saves(5, wait_for_the_worker=False)
    finally:
        redis.start()
    median_up, median_down = statistics.median(up), statistics.median(down)
    print(
        f"\nsave (POST a wave run), 5 each: Redis up median {median_up * 1000:.0f} ms (max {max(up) * 1000:.0f} ms); "
        f"Redis down median {median_down * 1000:.0f} ms (max {max(down) * 1000:.0f} ms)"
    )
    assert max(down) < 1.0, down
    assert median_down < median_up + 0.1, (up, down)
    assert all(wave_status(browser, url)["status"] == "pending" for url in waiting), "nothing ran while Redis was down"

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not all(wave_status(browser, url)["finished"] for url in waiting):
        time.sleep(0.5)
    statuses = [wave_status(browser, url)["status"] for url in waiting + done_before]
    assert statuses == ["done"] * 10, deployment["log"].read_text()[-5000:]
    # Never twice: one outbox row per run, sent; those held back had failed once; the worker received the task
    # once per row.
    rows = outbox_rows(deployment, "matching.tasks.run_wave_allocation")
    runs = [args[0] for args, _, _ in rows]
    assert len(runs) == len(set(runs)) and all(sent for _, sent, _ in rows), rows
    held_back = {int(url.rstrip("/").split("/")[-1]) for url in waiting}
    assert all(attempts >= 2 for args, _, attempts in rows if args[0] in held_back), rows
    log = deployment["log"].read_text()
    received = [line for line in log.splitlines() if "run_wave_allocation[" in line and "received" in line]
    assert len(received) == len(rows), "\n".join(received)


def test_ctrl_c_stops_the_web_the_worker_and_beat_together(deployment):
    """Last in this module: stops the deployment the others used."""
    serve = deployment["serve"]
    log = deployment["log"].read_text()
    for started in ("Listening at: http://127.0.0.1", "celery@", "beat: Starting..."):
        assert started in log, f"{started!r} not in the log:\n{log[-3000:]}"
    assert live.stop(serve, timeout=60), "a process of `make serve` was still running a minute after Ctrl-C"
