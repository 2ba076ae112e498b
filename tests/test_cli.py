"""The `quire` command line, run as a real process against a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

QUIRE = [sys.executable, "-m", "quire.cli"]


def run(args: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QUIRE_DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(QUIRE + args, env=env, capture_output=True, text=True, timeout=60)


def test_migrate_then_accounts_create_prints_one_json_object(tmp_path: Path) -> None:
    db = tmp_path / "quire.db"
    assert run(["migrate"], db).returncode == 0
    done = run(["accounts", "create", "--name", "Acme", "--merchant-settings",
                json.dumps({"legalCompanyName": "Acme Ltd", "invoiceNumberPrefix": "AC-"})], db)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    created = json.loads(lines[0])
    assert set(created) == {"sequenceAccountId", "clientId", "clientSecret"}
    assert len(created["clientSecret"]) >= 40


def test_bad_merchant_settings_are_refused_before_anything_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "quire.db"
    run(["migrate"], db)
    for bad in ('{"paymentTermsDays": 1000}', '{"primaryColour": "teal"}', "[1]", "{not json"):
        done = run(["accounts", "create", "--name", "Bad", "--merchant-settings", bad], db)
        assert done.returncode == 2, (bad, done.stdout, done.stderr)
        assert done.stdout == ""
        assert done.stderr.strip()
