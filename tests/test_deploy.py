"""The deployment files hang together: compose services, the Dockerfile and the nginx config.

A structural check only (no Docker here); `docker-compose config -q` validates the schema in CI.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_services_images_and_health() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "api1", "api2", "lb"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["image"].startswith("redis:7")
    assert "--appendonly" in services["redis"]["command"]
    assert "ping" in services["redis"]["healthcheck"]["test"]
    named = {v.split(":")[0] for s in ("postgres", "redis") for v in services[s]["volumes"]}
    assert named <= set(compose()["volumes"])


def test_api_replicas_build_the_dockerfile() -> None:
    services = compose()["services"]
    for name in ("api1", "api2"):
        api = services[name]
        assert api["build"] == {"context": ".", "dockerfile": "Dockerfile"}
        assert api["environment"]["DATABASE_URL"].endswith("@postgres:5432/gridpoints")
        assert api["environment"]["REDIS_URL"] == "redis://redis:6379/0"
        assert "ports" not in api  # reached only through the load balancer
        for dependency in ("postgres", "redis"):
            assert api["depends_on"][dependency]["condition"] == "service_healthy"
        assert "/healthz" in " ".join(api["healthcheck"]["test"])
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert "\nUSER gridpoints" in dockerfile
    assert "EXPOSE 8000" in dockerfile
    assert '"gridpoints", "serve", "--host", "0.0.0.0", "--port", "8000"' in dockerfile


def test_one_published_port_on_the_load_balancer() -> None:
    services = compose()["services"]
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"lb": ["8000:80"]}
    source, target, mode = services["lb"]["volumes"][0].split(":")
    assert (target, mode) == ("/etc/nginx/conf.d/default.conf", "ro")
    nginx = (ROOT / source).read_text()
    assert "server api1:8000" in nginx
    assert "server api2:8000" in nginx
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx


def test_the_api_trusts_forwarded_headers_from_the_load_balancer_only() -> None:
    """Issue 13 item 3: the replicas trust X-Forwarded-For from nginx's fixed address alone."""
    data = compose()
    lb_address = data["services"]["lb"]["networks"]["default"]["ipv4_address"]
    subnet = data["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(lb_address) in ipaddress.ip_network(subnet)
    for name in ("api1", "api2"):
        environment = data["services"][name]["environment"]
        assert environment["GRIDPOINTS_TRUSTED_PROXIES"] == lb_address
        assert "FORWARDED_ALLOW_IPS" not in environment  # uvicorn does not rewrite addresses
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert nginx.count("proxy_set_header X-Forwarded-For $remote_addr;") == 2  # overwritten
