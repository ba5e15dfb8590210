"""Schemathesis against the live OpenAPI document: a real server, an enrolled token.

The document promises every answer's status, content type and schema, so besides "no 5xx"
the run checks that the answers conform to it. Runs are bounded in examples and time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from server.services.devices.tokens import add_integration_token
from server.services.metrics.definitions import MetricFields, add_metric
from support.factory import Factory
from support.waitress_thread import waitress_thread

# Not negative_data_rejection or positive_data_acceptance: by design an event that does
# not fit is rejected inside a 200 answer (one bad event never fails its batch), and a
# well-formed row naming an unknown worker is a 422.
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")
MAX_EXAMPLES = 25
TIMEOUT = 300  # seconds for one run; a bounded run takes about 20


def _schemathesis(url: str, token: str, path_filter: list[str], report: Path) -> None:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES),
        "--request-timeout", "10", "--seed", "20261123",
        "--generation-database", "none", "--workers", "1", "--no-color",
        "--report", "junit", "--report-junit-path", str(report), *path_filter,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False)
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(app: Flask, session: Session, factory: Factory,
                                           tmp_path: Path) -> None:
    add_metric(session, "first_pass", MetricFields("首检合格率", "higher", "mean"), actor="t")
    _, metrics_token = add_integration_token(session, "mes-metrics", "metrics", "t")
    session.commit()
    with waitress_thread(app) as url:
        _schemathesis(url, factory.kiosk_token, ["--exclude-path", "/api/v1/production",
                                                 "--exclude-path", "/api/v1/metrics"],
                      tmp_path / "kiosk.xml")
        _schemathesis(url, factory.integration_token, ["--include-path", "/api/v1/production"],
                      tmp_path / "production.xml")
        _schemathesis(url, metrics_token, ["--include-path", "/api/v1/metrics"],
                      tmp_path / "metrics.xml")
