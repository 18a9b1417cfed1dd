"""Benchmark: the cost of the access check. Serves a private material page to an entitled participant and a
public page of similar size (the continuing-education listing) through the same gunicorn server on loopback;
prints requests per second for each and their ratio.

    .venv/bin/python bench/materials.py [REQUESTS] [CONCURRENCY]

It runs on a scratch SQLite database under a temporary folder (or on DATABASE_URL's PostgreSQL server, in a
scratch database `resus_bench_materials` that is dropped afterwards), with the demo content and DEBUG off.
"""

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_database  # noqa: E402

SCRATCH = "resus_bench_materials"


def signed_in_session(base: str) -> requests.Session:
    from home.demo import DEMO_PASSWORD

    session = requests.Session()
    session.get(f"{base}/accounts/login/")
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": "ben@example.com",
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": f"{base}/accounts/login/"},
    )
    response.raise_for_status()
    return session


def rate(session: requests.Session, url: str, total: int, concurrency: int) -> tuple[float, int]:
    def fetch(_):
        response = session.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(response.content)

    fetch(0)
    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        sizes = list(pool.map(fetch, range(total)))
    return total / (time.perf_counter() - began), sizes[0]


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    server_url = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "PORTAL_VAR_DIR": folder,
            "DEBUG": "true",
            "DEMO_CONTENT_ALLOWED": "true",
            "LOG_LEVEL": "WARNING",
            "AXES_ENABLED": "false",
        }
        if server_url.startswith("postgres"):
            env["DATABASE_URL"] = scratch_database(server_url, SCRATCH, create=True)
        else:
            env.pop("DATABASE_URL", None)
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run(
            [python, "manage.py", "load_demo", "--quiet-accounts"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = 8765
        server = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "2",
                "--threads",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(50):
                try:
                    requests.get(base + "/", timeout=5)
                    break
                except requests.RequestException:
                    time.sleep(0.2)
            os.environ.update(env)
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
            import django

            django.setup()
            session = signed_in_session(base)
            private_rate, private_size = rate(session, f"{base}/materials/als2-advanced-manual/", total, concurrency)
            public_rate, public_size = rate(session, f"{base}/continuing-education/", total, concurrency)
            print(f"private material page ({private_size:,} bytes): {private_rate:7.1f} requests/s")
            print(f"public page           ({public_size:,} bytes): {public_rate:7.1f} requests/s")
            print(
                f"ratio private / public: {private_rate / public_rate:.2f}  "
                f"({total} requests each, {concurrency} at a time, gunicorn 2 workers x 2 threads)"
            )
        finally:
            server.terminate()
            server.wait(timeout=20)
            if server_url.startswith("postgres"):
                scratch_database(server_url, SCRATCH, create=False)


if __name__ == "__main__":
    main()
