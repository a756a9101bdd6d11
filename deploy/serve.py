"""`make serve`: the whole service on one machine: the web (gunicorn), a Celery worker and the one beat.

Run from the repository with the production environment set (README: Production). Ctrl-C, or SIGTERM from a
process manager, stops all three; if one of them stops by itself, the others are stopped too and this exits 1,
so a supervisor (systemd, a container runtime) restarts the set. Name some of them to start only those:
`deploy/serve.py web worker` runs no beat (for a second machine; exactly one beat per deployment).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COMMANDS = {
    # gunicorn.conf.py holds the web settings (bind address, workers, warm start).
    "web": [str(BIN / "gunicorn")],
    # No gossip or mingle: the workers share nothing but the queue, and they start a second sooner.
    "worker": [
        str(BIN / "celery"),
        "-A",
        "buddying",
        "worker",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
    ],
    "beat": [str(BIN / "celery"), "-A", "buddying", "beat", "--loglevel=INFO"],
}
STOP_WITHIN_SECONDS = 45


def main(names: list[str]) -> int:
    unknown = [name for name in names if name not in COMMANDS]
    if unknown:
        print(f"serve: unknown process {', '.join(unknown)}: choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    running = {name: subprocess.Popen(COMMANDS[name], cwd=ROOT) for name in names or list(COMMANDS)}  # noqa: S603 - fixed commands
    print(f"serve: started {', '.join(f'{name} (pid {p.pid})' for name, p in running.items())}", flush=True)

    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exited = ""
    while not stopping and not exited:
        exited = next((name for name, process in running.items() if process.poll() is not None), "")
        time.sleep(0.2)
    if exited:
        print(f"serve: {exited} stopped (exit code {running[exited].returncode}); stopping the others", flush=True)
    for process in running.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_WITHIN_SECONDS
    for name, process in running.items():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"serve: {name} did not stop within {STOP_WITHIN_SECONDS} s: killed", flush=True)
            process.kill()
            process.wait()
    print("serve: stopped", flush=True)
    return 1 if exited else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
