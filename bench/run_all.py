"""`make bench`: every benchmark, each printing its figures and its baseline from the same run."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

failed = 0
for script in (
    "bench_matching.py",
    "bench_readiness.py",
    "bench_pages.py",
    "bench_exports.py",
    "bench_load.py",
    "bench_first_request.py",
):
    print(f"==> {script}", flush=True)
    failed += subprocess.call([sys.executable, str(HERE / script), *sys.argv[1:]]) != 0
    print(flush=True)
sys.exit(1 if failed else 0)
