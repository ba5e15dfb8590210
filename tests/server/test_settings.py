"""Every SHOPFLOOR_* setting of the server is read in server/config.py, once.

The rest of server/ takes its values from the `Config` (the app's `config["SHOPFLOOR"]`,
the CLI's `ctx.config`) and passes plain values down to the services. The rule the test
keeps is blunt on purpose: outside config.py no string literal in server/ starts with
"SHOPFLOOR_" (a name held in a constant and read elsewhere is caught at the constant), and
no module reads the environment with a key the rule cannot see. Messages that merely
mention a variable ("set SHOPFLOOR_PDF_FONT to …") do not start with it and pass.
"""

from __future__ import annotations

import argparse
import ast
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from server.config import DEFAULT_PORT, DEFAULT_WALL_PORT, Config

SERVER = Path(__file__).resolve().parents[2] / "server"
CONFIG = SERVER / "config.py"
PREFIX = "SHOPFLOOR_"
# (path under server/, literal) -> why it is no setting read from the environment. Keep it
# tiny: a new entry needs a reason a reviewer would accept.
ALLOWED: dict[tuple[str, str], str] = {}
SETTINGS = ("SHOPFLOOR_HOST", "SHOPFLOOR_PORT", "SHOPFLOOR_WALL_PORT", "SHOPFLOOR_HTTP",
            "SHOPFLOOR_PUBLIC_URL", "SHOPFLOOR_PDF_FONT", "SHOPFLOOR_ADMIN_PASSWORD",
            "SHOPFLOOR_BACKUP_PASSPHRASE", "SHOPFLOOR_OFFLINE_WINDOW_DAYS")


def _environment_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Local names bound to os.environ and os.getenv by `from os import …`."""
    environ, getenv = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name == "environ":
                    environ.add(alias.asname or alias.name)
                elif alias.name == "getenv":
                    getenv.add(alias.asname or alias.name)
    return environ, getenv


def _is_os(node: ast.expr, attr: str, local: set[str]) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == attr and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id in local


def _literal(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def violations(source: str, name: str) -> list[str]:
    """`file:line: what` for each place in one module that reads a setting the rule forbids."""
    tree = ast.parse(source, filename=name)
    environ, getenv = _environment_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and node.value.startswith(PREFIX) and (name, node.value) not in ALLOWED:
            found.append(f"{name}:{node.lineno}: {node.value.split()[0]!r} outside config.py")
        # Reads whose key is not a literal: the rule above could not see what they read.
        key: ast.expr | None = None
        if isinstance(node, ast.Subscript) and _is_os(node.value, "environ", environ):
            key = node.slice
        elif isinstance(node, ast.Call) and (
                _is_os(node.func, "getenv", getenv)
                or isinstance(node.func, ast.Attribute)
                and node.func.attr in ("get", "pop", "setdefault")
                and _is_os(node.func.value, "environ", environ)):
            key = node.args[0] if node.args else None
        else:
            continue
        if not _literal(key):
            found.append(f"{name}:{node.lineno}: reads the environment with a computed key")
    return found


def test_only_config_reads_shopfloor_settings() -> None:
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        if path == CONFIG:
            continue
        found += violations(path.read_text(encoding="utf-8"),
                            path.relative_to(SERVER.parent).as_posix())
    assert not found, ("read SHOPFLOOR_* settings in server/config.py and pass the value "
                       "from the Config:\n" + "\n".join(found))


@pytest.mark.parametrize("source", [
    'import os\nport = os.environ.get("SHOPFLOOR_PORT")\n',
    'import os\nport = os.environ["SHOPFLOOR_PORT"]\n',
    'import os\nport = os.getenv("SHOPFLOOR_PORT", "8750")\n',
    'from os import environ as env\nport = env.get("SHOPFLOOR_PORT")\n',
    'import os\nNAME = "SHOPFLOOR_PUBLIC_URL"\nurl = os.environ.get(NAME, "")\n',
    'import os\nkey = "PORT"\nport = os.environ[f"SHOPFLOOR_{key}"]\n',
    'from os import getenv\nport = getenv("SHOPFLOOR" + "_PORT")\n',
    'app.config["SHOPFLOOR_PORTS"] = (8750, 8751, False)\n',
])
def test_the_rule_catches_a_setting_read_outside_config(source: str) -> None:
    assert violations(source, "server/x.py")


@pytest.mark.parametrize("source", [
    'import os\nenv = {**os.environ}\nenv["PGPASSWORD"] = "secret"\n',  # services/backup.py
    'def app(environ, start):\n    return environ.get("PATH_INFO")\n',  # a WSGI environ
    'raise ValueError("no font: set SHOPFLOOR_PDF_FONT to a .ttf file")\n',
    'config = app.config["SHOPFLOOR"]\n',
])
def test_the_rule_lets_other_uses_pass(source: str) -> None:
    assert violations(source, "server/x.py") == []


def test_config_reads_the_serving_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"SHOPFLOOR_HOST": "127.0.0.1", "SHOPFLOOR_PORT": "9443",
                        "SHOPFLOOR_WALL_PORT": "0", "SHOPFLOOR_HTTP": "1",
                        "SHOPFLOOR_PUBLIC_URL": " https://tv.example/ ",
                        "SHOPFLOOR_PDF_FONT": "/fonts/cjk.ttc",
                        "SHOPFLOOR_ADMIN_PASSWORD": "a long admin password"}.items():
        monkeypatch.setenv(name, value)
    config = Config.from_env(data_dir="unused")
    assert (config.host, config.port, config.wall_port, config.http) == (
        "127.0.0.1", 9443, 0, True)
    assert config.public_url == "https://tv.example"
    assert config.pdf_font == "/fonts/cjk.ttc"
    assert config.admin_password == "a long admin password"
    assert "a long admin password" not in repr(config)


def test_config_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    config = Config.from_env(data_dir="unused")
    assert (config.host, config.port, config.wall_port, config.http) == (
        "0.0.0.0", 8750, 8751, False)
    assert (DEFAULT_PORT, DEFAULT_WALL_PORT) == (8750, 8751)
    assert (config.public_url, config.pdf_font, config.admin_password) == (None, None, None)
    assert config.backup_passphrase is None
    assert config.offline_window_days == 14 and config.offline_window == timedelta(days=14)


def test_config_reads_the_kiosk_offline_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPFLOOR_OFFLINE_WINDOW_DAYS", " 30 ")
    config = Config.from_env(data_dir="unused")
    assert config.offline_window_days == 30 and config.offline_window == timedelta(days=30)


def test_config_reads_the_backup_passphrase_and_never_shows_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPFLOOR_BACKUP_PASSPHRASE", "a long backup passphrase")
    config = Config.from_env(data_dir="unused")
    assert config.backup_passphrase == "a long backup passphrase"
    assert "a long backup passphrase" not in repr(config)


@pytest.mark.parametrize(("name", "value"), [
    ("SHOPFLOOR_PORT", "eighty"), ("SHOPFLOOR_PORT", "0"), ("SHOPFLOOR_PORT", "70000"),
    ("SHOPFLOOR_PORT", "-1"), ("SHOPFLOOR_WALL_PORT", "8751.0"), ("SHOPFLOOR_WALL_PORT", "-1"),
    ("SHOPFLOOR_OFFLINE_WINDOW_DAYS", "0"), ("SHOPFLOOR_OFFLINE_WINDOW_DAYS", "two weeks"),
    ("SHOPFLOOR_OFFLINE_WINDOW_DAYS", "-3"), ("SHOPFLOOR_OFFLINE_WINDOW_DAYS", "1.5"),
    ("SHOPFLOOR_OFFLINE_WINDOW_DAYS", "100000"),
])
def test_a_bad_number_is_refused_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=f"^{name}: "):
        Config.from_env(data_dir="unused")


def test_the_command_line_says_which_setting_is_bad(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from server.cli import main

    monkeypatch.setenv("SHOPFLOOR_WALL_PORT", "wall")
    assert main(["init"]) == 2
    assert "SHOPFLOOR_WALL_PORT" in capsys.readouterr().err


def test_run_options_override_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from server.cli import build_parser
    from server.cli.serve import _chosen

    monkeypatch.setenv("SHOPFLOOR_PORT", "9000")
    monkeypatch.delenv("SHOPFLOOR_HTTP", raising=False)
    config = Config.from_env(data_dir="unused")
    args: argparse.Namespace = build_parser().parse_args(["run", "--wall-port", "0"])
    chosen = _chosen(args, config)
    assert (chosen.host, chosen.port, chosen.wall_port, chosen.http) == (
        config.host, 9000, 0, False)
    args = build_parser().parse_args(["run", "--http", "--host", "::1", "--port", "8080"])
    chosen = _chosen(args, config)
    assert (chosen.host, chosen.port, chosen.http) == ("::1", 8080, True)


def test_display_links_follow_the_configured_ports() -> None:
    from server.wall.links import wall_base_url

    config = Config(data_dir=Path("unused"), database_url="sqlite://", timezone="UTC",
                    mdns_interfaces=None)
    assert wall_base_url(config, "plant") == "http://plant:8751"
    assert wall_base_url(replace(config, wall_port=0), "::1") == "https://[::1]:8750"
    assert wall_base_url(replace(config, http=True, port=80), "plant") == "http://plant:80"
    assert wall_base_url(replace(config, public_url="https://tv.example"),
                         "plant") == "https://tv.example"
