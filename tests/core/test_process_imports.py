"""What each of ``gateway serve``'s processes imports: every module is resident in every process
that imports it, and the benchmark sums peak RSS over the gunicorn master, its workers and the
``gateway worker`` process. Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def loaded_after(code: str, tmp_path: Path) -> set[str]:
    """Top-level packages in ``sys.modules`` after running ``code`` in a new interpreter."""
    script = (
        f"{code}\n"
        "import json, sys\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={"GATEWAY_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_gunicorn_master_holds_no_application_stack(tmp_path: Path) -> None:
    # What `gateway serve` imports before gunicorn forks its workers (gateway.cli prepares the
    # database in a short-lived child).
    loaded = loaded_after("import gateway.cli, gateway.server", tmp_path)
    heavy = {"sqlalchemy", "flask", "werkzeug", "marshmallow", "cryptography", "requests"}
    assert loaded.isdisjoint(heavy | {"apscheduler", "clients"}), loaded & heavy


def test_a_web_worker_loads_neither_the_scheduler_nor_ipn_delivery(tmp_path: Path) -> None:
    code = (
        "import socket\n"
        "from gateway.server import GatewayServer\n"
        "from gateway.config import load_settings\n"
        "GatewayServer(load_settings(), socket.socket()).load()\n"
    )
    loaded = loaded_after(code, tmp_path)
    assert {"flask", "sqlalchemy"} <= loaded
    assert loaded.isdisjoint({"apscheduler", "requests", "cryptography"})


def test_serving_the_ipn_certificate_loads_no_cryptography(tmp_path: Path) -> None:
    from gateway.ipn.keys import ensure_signing_key

    expected = ensure_signing_key(tmp_path).certificate_pem  # made as `gateway serve` makes it
    out = tmp_path / "served.pem"
    code = (
        "from gateway.app import create_app\n"
        "from gateway.config import load_settings\n"
        "app = create_app(settings=load_settings(), initialize=False)\n"
        "answer = app.test_client().get('/sandbox/ipn/certificate.pem')\n"
        "assert answer.status_code == 200\n"
        f"open({str(out)!r}, 'wb').write(answer.data)\n"
    )
    loaded = loaded_after(code, tmp_path)
    assert out.read_bytes() == expected
    assert "cryptography" not in loaded


@pytest.mark.parametrize("module", ["gateway.worker.scheduler", "gateway.ipn.outbox"])
def test_the_worker_process_loads_no_web_stack(module: str, tmp_path: Path) -> None:
    loaded = loaded_after(f"import gateway.cli, {module}", tmp_path)
    assert loaded.isdisjoint({"flask", "werkzeug", "jinja2", "marshmallow", "gunicorn"})
