"""The example deployment files in deploy/ are valid for the tools that read them."""

import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from booking import create_app

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())


def tool(name: str) -> str:
    """A program the check needs; CI (REQUIRE_TOOLS=1) must have it, elsewhere it may skip."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        if os.environ.get("REQUIRE_TOOLS") == "1":
            pytest.fail(f"{name} is not installed")
        pytest.skip(f"{name} is not installed")
    return found


def self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    """A throwaway key and certificate for ``name``."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subject = ["-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)]
    subprocess.run([tool("openssl"), *request, *subject], check=True, capture_output=True)
    return key, cert


@pytest.mark.parametrize("app_servers", ["on this host", "on other hosts, over TLS"])
def test_nginx_accepts_the_example_server(tmp_path, app_servers):
    nginx = tool("nginx")
    key, cert = self_signed(tmp_path, "booking.example.jp")
    server = (DEPLOY / "nginx.conf").read_text()
    server = server.replace("/etc/ssl/certs/booking.example.jp.pem", str(cert))
    server = server.replace("/etc/ssl/private/booking.example.jp.key", str(key))
    if app_servers != "on this host":  # as the comment in nginx.conf says
        server = server.replace("http://booking", "https://booking")
        server = re.sub(r"^    # (proxy_ssl_\w+ )", r"    \1", server, flags=re.M)
        server = server.replace("/etc/ssl/certs/city-internal-ca.pem", str(cert))
        assert server.count("proxy_ssl_") == 3 and "http://booking" not in server
    (tmp_path / "booking.conf").write_text(server)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n  access_log {tmp_path}/access.log;\n  include {tmp_path}/booking.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_keeps_feed_tokens_out_of_its_log_and_compresses_calendars():
    server = (DEPLOY / "nginx.conf").read_text()
    feeds = re.search(r"location /feeds/ \{(.*?)\}", server, re.S)
    assert feeds and "access_log off;" in feeds.group(1)
    assert re.search(r"gzip_types[^;]*text/calendar", server)
    assert "X-Forwarded-For" in server and "X-Forwarded-Proto" in server
    plain = server.split("listen 443")[0]  # the port 80 server: a feed token is refused there
    assert re.search(r"location /feeds/ \{[^}]*return 404;", plain)
    assert "ssl_ciphers ECDHE" in server


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".service"], ids=lambda p: p.name)
def test_each_service_unit_is_complete(path):
    parsed = unit(path)
    assert parsed["Unit"]["Description"]
    service = parsed["Service"]
    assert service["ExecStart"].strip()
    assert service.get("User") == "booking" or "pg_dump" in service["ExecStart"]
    assert service.get("EnvironmentFile") == "/etc/booking/booking.env"


@pytest.mark.parametrize("path", [p for p in UNITS if p.suffix == ".timer"], ids=lambda p: p.name)
def test_each_timer_starts_a_service_at_a_time_systemd_understands(path):
    assert path.with_suffix(".service").exists(), f"{path.name} has no service to start"
    when = unit(path)["Timer"]["OnCalendar"]
    analyze = tool("systemd-analyze")
    result = subprocess.run([analyze, "calendar", when], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


FLASK_UNITS = [p for p in UNITS if "flask --app booking" in p.read_text()]


@pytest.mark.parametrize("path", FLASK_UNITS, ids=lambda p: p.name)
def test_the_flask_commands_the_units_run_exist(path, database_url):
    command = shlex.split(unit(path)["Service"]["ExecStart"])
    arguments = command[command.index("booking") + 1 :]
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x" * 32})
    result = app.test_cli_runner().invoke(args=[*arguments, "--help"])
    assert result.exit_code == 0, result.output


def test_gunicorn_loads_the_example_configuration(database_url):
    environment = {
        **os.environ,
        "SECRET_KEY": "a-production-secret-of-sufficient-length-0123456789",
        "DATABASE_URL": database_url,
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    result = subprocess.run(
        [gunicorn, "--check-config", "-c", str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secrets_can_come_as_systemd_credentials(tmp_path):
    import importlib

    import config

    dropin = (DEPLOY / "systemd" / "booking-secrets.conf").read_text()
    named = dict(re.findall(r"^Environment=(\w+)_FILE=%d/(\w+)$", dropin, re.M))
    loaded = set(re.findall(r"^LoadCredentialEncrypted=(\w+):", dropin, re.M))
    assert set(named.values()) == loaded
    settings = {
        "SECRET_KEY": "SECRET_KEY",
        "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
        "MAIL_PASSWORD": "MAIL_PASSWORD",
        "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
        "FEED_CACHE_URL": "FEED_CACHE_URL",
    }
    assert set(named) == set(settings)
    with pytest.MonkeyPatch.context() as patch:
        for name, credential in named.items():
            (tmp_path / credential).write_text(f"value of {credential}\n")
            patch.setenv(f"{name}_FILE", str(tmp_path / credential))
            patch.setenv(name, "the environment file's value, not used")
        try:
            reloaded = importlib.reload(config).Config
            for name, attribute in settings.items():
                assert getattr(reloaded, attribute) == f"value of {named[name]}"
        finally:
            patch.undo()
            importlib.reload(config)


def test_gunicorn_speaks_tls_when_given_a_certificate(database_url, tmp_path):
    key, cert = self_signed(tmp_path, "booking-app.internal")
    environment = {
        **os.environ,
        "SECRET_KEY": "a-production-secret-of-sufficient-length-0123456789",
        "DATABASE_URL": database_url,
        "GUNICORN_CERTFILE": str(cert),
        "GUNICORN_KEYFILE": str(key),
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    result = subprocess.run(
        [gunicorn, "--print-config", "-c", str(DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"^certfile\s*=\s*{re.escape(str(cert))}$", result.stdout, re.M)
    assert re.search(rf"^keyfile\s*=\s*{re.escape(str(key))}$", result.stdout, re.M)
