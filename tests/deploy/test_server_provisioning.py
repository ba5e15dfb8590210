"""provisioning/server: the units pass `systemd-analyze verify`, the nginx example passes
`nginx -t` and proxies browsers and TVs to a real server, the install script and the bundle
script pass shellcheck, and `install.sh --offline` refuses a missing or damaged bundle
before it changes anything. (The offline install itself runs in tests/image.)"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import time
from pathlib import Path

import httpx

from support.deploy_checks import require, shellcheck, verify_units
from support.live_server import LiveServer, free_port

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "provisioning" / "server"


def test_every_server_unit_verifies(tmp_path: Path) -> None:
    units = sorted((SERVER / "systemd").iterdir())
    assert {u.name for u in units} == {"shopfloor-server.service", "shopfloor-backup.service",
                                       "shopfloor-backup.timer", "shopfloor-retention.service",
                                       "shopfloor-retention.timer"}
    assert verify_units(units, tmp_path / "root") == "rc=0"


def test_the_units_read_the_settings_the_install_script_writes() -> None:
    script = (SERVER / "install.sh").read_text()
    for path in (SERVER / "systemd").iterdir():
        assert f'"$HERE/systemd/{path.name}"' in script, f"install.sh does not install {path.name}"
    for unit in ("shopfloor-server.service", "shopfloor-backup.service",
                 "shopfloor-retention.service"):
        text = (SERVER / "systemd" / unit).read_text()
        assert "EnvironmentFile=/etc/shopfloor/shopfloor.env" in text
        assert "User=shopfloor" in text
        for variable in ("SHOPFLOOR_WORKERS", "SHOPFLOOR_BACKUP_DIR",
                         "SHOPFLOOR_BACKUP_KEEP_DAYS"):
            if variable in text:
                assert f"{variable}=" in script, f"install.sh does not set {variable}"


def _nginx_site(tmp_path: Path, http_port: int, https_port: int, server: LiveServer) -> Path:
    """The example as installed, moved onto free loopback ports and a test certificate."""
    subprocess.run([require("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "2", "-subj", "/CN=shopfloor.test",
                    "-keyout", str(tmp_path / "server.key"),
                    "-out", str(tmp_path / "server.crt")],
                   check=True, capture_output=True, timeout=60)
    site = (SERVER / "nginx" / "shopfloor.conf").read_text()
    assert site.count("/etc/shopfloor/tls/") == 2
    for old, new in (("/etc/shopfloor/tls/", f"{tmp_path}/"),
                     ("listen [::]:80;", ""), ("listen [::]:443 ssl http2;", ""),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl;"),
                     ("127.0.0.1:8750;", f"127.0.0.1:{server.port};"),
                     ("127.0.0.1:8751;", f"127.0.0.1:{server.wall_port};")):
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n")
    return conf


def test_the_nginx_example_passes_nginx_t(tmp_path: Path) -> None:
    conf = _nginx_site(tmp_path, 80, 443, LiveServer(tmp_path / "unused"))
    result = subprocess.run([require("nginx"), "-t", "-c", str(conf),
                             "-e", str(tmp_path / "error.log"), "-p", str(tmp_path)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_nginx_example_proxies_browsers_and_tvs_to_a_real_server(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", env={"SHOPFLOOR_TRUSTED_PROXIES": "1",
                                                  "SHOPFLOOR_TRUSTED_PROXY_ADDRESSES": "127.0.0.1"})
    http_port, https_port = free_port(), free_port()
    conf = _nginx_site(tmp_path, http_port, https_port, server)
    server.start()
    nginx = subprocess.Popen([require("nginx"), "-c", str(conf), "-e",
                              str(tmp_path / "error.log"), "-p", str(tmp_path),
                              "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(verify=False, timeout=10) as browser:
            deadline = time.monotonic() + 30
            while True:
                try:
                    health = browser.get(f"https://127.0.0.1:{https_port}/api/v1/health")
                    break
                except httpx.TransportError:
                    assert nginx.poll() is None, (tmp_path / "error.log").read_text()
                    assert time.monotonic() < deadline, "nginx did not answer"
                    time.sleep(0.2)
            assert health.json()["server_id"] == server.server_id
            login = browser.get(f"https://127.0.0.1:{https_port}/admin/login")
            # The server believes nginx's X-Forwarded-Proto: its cookie is Secure.
            assert login.status_code == 200 and "Secure" in login.headers["Set-Cookie"]
            to_tls = browser.get(f"http://127.0.0.1:{http_port}/admin/")
            assert to_tls.status_code == 301
            assert to_tls.headers["Location"].startswith("https://")
            # TVs stay on plain HTTP; an unknown link gets the server's own refusal.
            wall = browser.get(f"http://127.0.0.1:{http_port}/wall/not-a-display-link")
            assert wall.status_code == 403 and "此显示屏未登记" in wall.text
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        server.stop()


def test_the_install_script_passes_shellcheck() -> None:
    assert shellcheck(SERVER / "install.sh") == ""


def test_the_bundle_script_passes_shellcheck() -> None:
    assert shellcheck(REPO / "scripts" / "build-bundle.sh") == ""


# What install.sh would change the system with: each stand-in records its call. `id` says
# "not root", so even a run as root stops at the root check once the bundle is accepted.
SYSTEM_CHANGERS = ("apt-get", "dpkg", "useradd", "install", "systemctl", "runuser", "python3")


def _fake_bundle(folder: Path) -> Path:
    """A bundle's layout, as `make bundle` makes it, with stand-in contents."""
    bundle = folder / "shopfloor-server-bundle-0.1.0"
    for name, data in (("wheels/shopfloor_kiosk-0.1.0-py3-none-any.whl", b"a wheel" * 4000),
                       ("wheels/flask-3.1.3-py3-none-any.whl", b"another wheel"),
                       ("debs/Packages", b""), ("debs/openssl_3.0_amd64.deb", b"a deb"),
                       ("MANIFEST.txt", b"# manifest\n")):
        (bundle / name).parent.mkdir(parents=True, exist_ok=True)
        (bundle / name).write_bytes(data)
    sums = "".join(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(bundle)}\n"
                   for f in sorted(bundle.rglob("*")) if f.is_file())
    (bundle / "SHA256SUMS").write_text(sums)
    return bundle


def _tar(bundle: Path) -> Path:
    archive = bundle.parent / f"{bundle.name}.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(bundle, arcname=bundle.name)
    return archive


def _install_offline(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    fakes = tmp_path / "fakes"
    fakes.mkdir(exist_ok=True)
    calls = tmp_path / "calls.log"
    for tool in SYSTEM_CHANGERS:
        (fakes / tool).write_text(f'#!/bin/sh\necho "{tool} $*" >>"{calls}"\n')
        (fakes / tool).chmod(0o755)
    (fakes / "id").write_text("#!/bin/sh\necho 1000\n")
    (fakes / "id").chmod(0o755)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.run(["bash", str(SERVER / "install.sh"), *args],
                          env={"PATH": f"{fakes}:/usr/sbin:/usr/bin:/sbin:/bin",
                               "TMPDIR": str(tmp_path / "tmp"), "LANG": "C.UTF-8"},
                          capture_output=True, text=True, timeout=60, check=False)


def _changed_nothing(tmp_path: Path) -> bool:
    calls = tmp_path / "calls.log"
    return not calls.exists() and not os.listdir(tmp_path / "tmp")


def test_offline_needs_a_bundle(tmp_path: Path) -> None:
    result = _install_offline(tmp_path, "--offline")
    assert (result.returncode, result.stderr) == (
        2, "error: --offline needs a bundle (make bundle)\n")
    assert _changed_nothing(tmp_path)


def test_a_missing_bundle_is_a_clear_error_that_changes_nothing(tmp_path: Path) -> None:
    result = _install_offline(tmp_path, "--offline", str(tmp_path / "gone.tar"), "--nginx")
    assert result.returncode == 1
    assert result.stderr == (f"error: the bundle {tmp_path / 'gone.tar'} does not exist "
                             "(make one with 'make bundle')\n")
    assert result.stdout == "" and _changed_nothing(tmp_path)


def test_a_good_bundle_passes_the_checks_as_a_tar_and_as_a_folder(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path)
    for given in (_tar(bundle), bundle):
        result = _install_offline(tmp_path, f"--offline={given}")
        # Accepted: it stops at the next check, the stand-in id's "not root".
        assert result.returncode == 1
        assert result.stderr.startswith("error: run as root"), result.stderr
        assert _changed_nothing(tmp_path)


def test_a_damaged_file_in_the_bundle_is_named_and_changes_nothing(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path)
    (bundle / "wheels/flask-3.1.3-py3-none-any.whl").write_bytes(b"another whee")
    for given in (_tar(bundle), bundle):
        result = _install_offline(tmp_path, "--offline", str(given))
        assert result.returncode == 1
        assert result.stderr == (f"error: {given} is damaged, these files do not match its "
                                 "SHA256SUMS: wheels/flask-3.1.3-py3-none-any.whl\n")
        assert _changed_nothing(tmp_path)


def test_a_file_the_bundle_does_not_list_is_refused(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path)
    (bundle / "wheels/evil-1.0-py3-none-any.whl").write_bytes(b"not from make bundle")
    result = _install_offline(tmp_path, "--offline", str(bundle))
    assert result.returncode == 1
    assert result.stderr == (f"error: {bundle} holds files its SHA256SUMS does not list: "
                             "wheels/evil-1.0-py3-none-any.whl\n")
    assert _changed_nothing(tmp_path)


def test_a_cut_short_or_foreign_archive_is_refused(tmp_path: Path) -> None:
    archive = _tar(_fake_bundle(tmp_path))
    (archive.parent / f"{archive.name}.sha256").write_text(
        f"{hashlib.sha256(archive.read_bytes()).hexdigest()}  {archive.name}\n")
    archive.write_bytes(archive.read_bytes()[:20000])  # in the middle of the program's wheel
    result = _install_offline(tmp_path, "--offline", str(archive))
    assert result.returncode == 1
    assert result.stderr == (f"error: {archive} does not match its checksum in "
                             f"{archive}.sha256: copy it again\n")
    (archive.parent / f"{archive.name}.sha256").unlink()
    result = _install_offline(tmp_path, "--offline", str(archive))
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: cannot unpack {archive} (")
    assert "a damaged copy, or not a bundle from 'make bundle'" in result.stderr
    foreign = tmp_path / "foreign.tar"
    with tarfile.open(foreign, "w") as tar:
        tar.add(SERVER / "systemd", arcname="somewhere/systemd")
    result = _install_offline(tmp_path, "--offline", str(foreign))
    assert result.returncode == 1
    assert result.stderr == (f"error: {foreign} is not a server bundle from 'make bundle' "
                             "(no SHA256SUMS)\n")
    assert _changed_nothing(tmp_path)
