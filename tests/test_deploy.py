"""The deployment files agree with the README and the code: the Dockerfile installs what the README's "Deploy"
section installs (same pip target, same Debian packages for WeasyPrint), runs as a non-root user and checks a
route that exists; compose and the systemd units run the web UI and the scheduler; the lock file satisfies
pyproject's dependencies. (Image builders cannot reach an image registry here, so nothing is built.)"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from types import SimpleNamespace

import yaml
from flask import Flask
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from auditor.config import Settings
from auditor.web import app as web_app
from auditor.web import ops

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEPLOY_DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in DOCKERFILE.splitlines() if not line.startswith("#")))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in text.splitlines() if line.strip()]


def _after(words: list[str], *command: str) -> list[str]:
    """The arguments after ``command`` in a word list, up to the next ``&&``, without option flags."""
    n = len(command)
    for i in range(len(words) - n + 1):
        if tuple(words[i:i + n]) == command:
            rest = []
            for word in words[i + n:]:
                if word in ("&&", ";", "\\"):
                    break
                rest.append(word)
            return rest
    return []


def _docker_words(verb: str = "RUN") -> list[str]:
    return [w for kind, args in _instructions() if kind == verb for w in shlex.split(args)]


def _readme_deploy_words() -> list[str]:
    section = README.split("## Deploy", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return _shell_words(blocks)


def _shell_words(blocks: list[str]) -> list[str]:
    """The words of shell blocks, ``;`` between lines."""
    return [w for block in blocks for line in block.splitlines() for w in [*shlex.split(line, comments=True), ";"]]


def _packages(words: list[str]) -> list[str]:
    return sorted(w for w in _after(words, "apt-get", "install") if not w.startswith("-"))


def test_the_dockerfile_installs_what_the_readme_installs():
    docker, readme = _docker_words(), _readme_deploy_words()
    pip_target = [w for w in _after(docker, "pip", "install") if w != "--no-cache-dir"]
    readme_target = _after(readme, "/opt/auditor/.venv/bin/pip", "install")
    assert pip_target == readme_target == ["-c", "requirements.lock", ".[server]"]
    assert _packages(docker) == _packages(readme)
    assert {"libpango-1.0-0", "libpangoft2-1.0-0"} <= set(_packages(docker))  # WeasyPrint's libraries
    deploy_doc = _shell_words(re.findall(r"```sh\n(.*?)```", DEPLOY_DOC, re.S))
    assert _packages(deploy_doc) == _packages(docker)


def test_the_image_runs_as_a_non_root_user_with_data_on_a_volume():
    users = [args.strip() for kind, args in _instructions() if kind == "USER"]
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith("0:")
    assert any(kind == "VOLUME" and "/data" in args for kind, args in _instructions())
    assert "useradd" in _docker_words() and users[-1] in _docker_words()


def test_the_healthcheck_calls_a_route_that_exists_and_answers():
    (check,) = [args for kind, args in _instructions() if kind == "HEALTHCHECK"]
    path = re.search(r"http://127\.0\.0\.1:8000(/\w+)", check).group(1)
    assert "auditor.web.ops" in web_app.AREAS
    app = Flask("probe")
    app.extensions["auditor"] = SimpleNamespace(settings=Settings(), db=None, clock=None)
    app.register_blueprint(ops.bp)
    assert path in {rule.rule for rule in app.url_map.iter_rules()}
    assert app.test_client().get(path).status_code == 200
    command = [args for kind, args in _instructions() if kind == "CMD"][-1]
    assert "auditor.web.ops:wsgi_app()" in command and "0.0.0.0:8000" in command
    assert callable(ops.wsgi_app)


def test_compose_runs_postgres_the_web_ui_and_the_scheduler():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "web", "scheduler"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["scheduler"]["command"] == ["auditor", "scheduler"]
    for name in ("web", "scheduler"):
        service = services[name]
        assert service["read_only"] is True and service["volumes"] == ["./data:/data"]
        assert service["environment"]["AUDITOR_STORAGE_URL"].startswith("postgresql+psycopg://")
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert all(not p.startswith("8000") for p in services["web"]["ports"])  # loopback only: a TLS proxy in front


def test_systemd_units_run_the_same_two_processes():
    web = (ROOT / "deploy" / "auditor-web.service").read_text(encoding="utf-8")
    scheduler = (ROOT / "deploy" / "auditor-scheduler.service").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=/opt/auditor/\.venv/bin/gunicorn .*auditor\.web\.ops:wsgi_app\(\)$", web, re.M)
    assert re.search(r"^ExecStart=/opt/auditor/\.venv/bin/auditor scheduler$", scheduler, re.M)
    for unit in (web, scheduler):
        assert "User=auditor" in unit and "AUDITOR_CONFIG=" in unit and "NoNewPrivileges=yes" in unit


def test_the_lock_file_satisfies_every_dependency_and_extra():
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version and " " not in version, f"not pinned: {line}"
            pins[canonicalize_name(name)] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"]) + [r for extra in project["optional-dependencies"].values() for r in extra]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{text}: locked {pins[name]}"
    assert "prometheus-client" in pins and "gunicorn" in pins
