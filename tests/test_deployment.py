"""The compose file users deploy with, checked by docker-compose itself, and the image."""
import os
import shutil
import subprocess

import pytest
import yaml

from minyi_common import config

from .system import ROOT

SERVICES = ("intake", "review", "scoring", "notify", "gateway")


CREDENTIALS = {"MINYI_ADMIN_PASSWORD": "from-the-test", "MINYI_BROKER_PASSWORD": "broker-secret",
               "MINYI_DB_PASSWORD": "db-secret", "MINYI_PRINCIPAL_KEY": "k" * 64,
               "MINYI_DATA_KEY": "d" * 64, "MINYI_BLOB_PASSWORD": "blob-secret"}


@pytest.fixture(scope="module")
def compose():
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.fail("docker-compose is not installed (Debian package docker-compose; "
                    "`make test` installs it when run as root)", pytrace=False)
    answer = subprocess.run([tool, "-f", os.path.join(ROOT, "docker-compose.yml"), "config"],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, **CREDENTIALS})
    assert answer.returncode == 0, answer.stderr
    return yaml.safe_load(answer.stdout)


def test_every_service_and_its_infrastructure_is_there(compose):
    assert set(compose["services"]) == {*SERVICES, "rabbitmq", "postgres", "minio"}
    assert compose["services"]["minio"]["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]
    gateway = compose["services"]["gateway"]
    assert gateway["environment"]["MINYI_BLOB_URL"].startswith("s3://")
    assert gateway["depends_on"]["minio"]["condition"] == "service_healthy"
    for name in SERVICES:
        service = compose["services"][name]
        assert service["command"] == [name]
        env = service["environment"]
        assert env["AMQP_URI"].startswith("amqp://") and "@rabbitmq:5672" in env["AMQP_URI"]
        assert env[f"{name.upper()}_DB_URL"].endswith(f"/{name}")
        # Restarted when it exits; `docker compose ps` shows whether this process beats.
        assert service["restart"] == "unless-stopped"
        assert service["healthcheck"]["test"] == ["CMD", "python", "-m", "minyi_common.health",
                                                  name]


def test_services_can_be_scaled(compose):
    for name in SERVICES:
        service = compose["services"][name]
        assert "container_name" not in service
        for port in service.get("ports", []):
            published = str(port.get("published", "")) if isinstance(port, dict) else port
            assert name == "gateway" and "-" in published, f"{name} fixes a host port"


def test_each_service_has_its_own_database():
    with open(os.path.join(ROOT, "deploy", "postgres-init.sql")) as init:
        created = {line.split()[2].rstrip(";") for line in init if line.startswith("CREATE")}
    assert created == set(SERVICES)


def test_the_image_runs_every_service():
    with open(os.path.join(ROOT, "Dockerfile")) as dockerfile:
        text = dockerfile.read()
    assert 'ENTRYPOINT ["python", "-m", "minyi_common.serve"]' in text
    for folder in ("minyi_common", "services", "gateway"):
        assert f"COPY {folder} " in text
    # The web app is built in a Node stage (20.19+ for Vite) and only its files are kept.
    assert "FROM node:20" in text and "RUN npm ci" in text and "RUN npm run build" in text
    assert "COPY --from=web /web/dist ./web/dist" in text
    assert set(config.SERVICES) == set(SERVICES)


def test_the_image_can_back_up_compose_s_database(compose):
    """pg_dump refuses a server newer than itself: the image's client is the server's."""
    with open(os.path.join(ROOT, "Dockerfile")) as dockerfile:
        text = dockerfile.read()
    server_major = compose["services"]["postgres"]["image"].split(":")[1].split(".")[0]
    assert f"ARG POSTGRES_MAJOR={server_major}\n" in text
    assert "postgresql-client-${POSTGRES_MAJOR}" in text
    assert "COPY tools/backup.py ./tools/backup.py" in text


@pytest.mark.parametrize("missing", sorted(CREDENTIALS))
def test_every_compose_credential_comes_from_the_environment(missing):
    answer = subprocess.run(["docker-compose", "-f", os.path.join(ROOT, "docker-compose.yml"),
                             "config", "-q"], capture_output=True, text=True, timeout=60,
                            env={**{k: v for k, v in os.environ.items() if k != missing},
                                 **{k: v for k, v in CREDENTIALS.items() if k != missing}})
    assert answer.returncode != 0 and missing in answer.stderr
    with open(os.path.join(ROOT, "docker-compose.yml")) as compose_file:
        assert "minyi:minyi" not in compose_file.read()  # no password written in the file
    with open(os.path.join(ROOT, ".env.example")) as example:
        assert f"{missing}=" in example.read()
