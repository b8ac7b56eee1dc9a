"""scripts/secret-scan.sh (what ./dev test runs): a planted secret fails it, an allow-listed fake does not.

The fake secrets are assembled at run time so this file itself never holds one.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCAN = REPO / "scripts" / "secret-scan.sh"
FAKE_AWS_KEY = "AK" + "IA" + "QYLPMN5HFIQR7XMA"
FAKE_AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzEXAMPLEKEY9"  # pragma: allowlist secret
PRIVATE_KEY = (
    "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\n-----END " + "RSA PRIVATE KEY-----\n"
)


def _scan(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCAN), *map(str, files)], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_planted_aws_key_and_private_key_fail_the_scan(tmp_path: Path) -> None:
    config = tmp_path / "settings.py"
    config.write_text(f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\naws_secret_access_key = "{FAKE_AWS_SECRET}"\n')
    key = tmp_path / "deploy_key.pem"
    key.write_text(PRIVATE_KEY)
    done = _scan(config, key)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "AWS Access Key" in done.stdout and "Private Key" in done.stdout
    assert "settings.py" in done.stdout and "deploy_key.pem" in done.stdout


def test_an_inline_allow_listed_fake_passes_and_the_baseline_is_left_alone(tmp_path: Path) -> None:
    fixture = tmp_path / "fixture.py"
    fixture.write_text(f'KEY = "{FAKE_AWS_KEY}"  # pragma: allowlist secret\n')
    before = (REPO / ".secrets.baseline").read_bytes()
    done = _scan(fixture)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no new secrets in 1 file(s)" in done.stdout
    assert (REPO / ".secrets.baseline").read_bytes() == before
