"""``pip install .`` (not editable) gives a package that finds its shipped policies, reports, templates
and migrations from any working directory."""

from __future__ import annotations

import email.parser
import subprocess
import sys
import zipfile
from pathlib import Path

from auditor.policy.loader import RESERVED_FILES

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_data_and_works_from_anywhere(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("auditor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped_rules = sorted(p.name for p in (ROOT / "policies").glob("*.yaml"))
    assert sorted(Path(n).name for n in names if n.startswith("auditor/_shipped/policies/")) == shipped_rules
    assert any(n.startswith("auditor/storage/migrations/versions/0001") for n in names)
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    check_metadata(zipfile.ZipFile(wheel))

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import auditor.config as c, auditor.policy.loader as l;"
        "d = c.shipped_dir('policies'); print(d); print(len(l.load_policies(d)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env={"PYTHONPATH": str(target)},
                         check=True, capture_output=True, text=True, timeout=120).stdout.split()
    assert out[0].startswith(str(target)) and out[0].endswith("_shipped/policies")
    assert int(out[1]) == len([n for n in shipped_rules if n not in RESERVED_FILES])  # data files are no rules


def check_metadata(wheel: zipfile.ZipFile) -> None:
    """The wheel's METADATA is complete: license, classifiers, keywords, dependencies and extras (no invented URLs)."""
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    metadata = email.parser.Parser().parsestr(wheel.read(name).decode("utf-8"))
    assert metadata["Name"] == "auditor" and metadata["Requires-Python"] == ">=3.11"
    assert "Apache-2.0" in (metadata.get("License") or metadata.get("License-Expression") or "")
    classifiers = metadata.get_all("Classifier")
    for wanted in ("License :: OSI Approved :: Apache Software License", "Programming Language :: Python :: 3.11",
                   "Topic :: Security"):
        assert wanted in classifiers
    assert metadata.get_all("Project-URL") is None  # no public address yet: none is invented
    assert "security" in metadata["Keywords"]
    requires = metadata.get_all("Requires-Dist")
    assert any(r.startswith("prometheus-client") for r in requires)
    assert any(r.startswith("gunicorn") and "extra == 'server'" in r.replace('"', "'") for r in requires)
    assert {"postgres", "server", "test"} <= set(metadata.get_all("Provides-Extra"))
