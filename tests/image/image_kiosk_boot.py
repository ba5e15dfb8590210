"""The kiosk disk image boots (issue 21): kiosk-images/build-rootfs.sh with the kernel, then
kiosk-images/build-disk.sh, then QEMU, headless (KVM when /dev/kvm works, TCG otherwise;
std VGA, no GPU acceleration), twice:

1. BIOS (SeaBIOS) boot, not enrolled: the kiosk's own log, read over the serial console
   (shopfloor-kiosk-console-log.service), shows its window opened under cage and the enrol
   scene; a screenshot taken inside the guest with grim (shopfloor-boot-test.service, which
   runs only with a marker file the test drops on the data partition) shows that scene; and
   the lockdown holds: root locked, getty on tty2 and autovt masked, cage without -s, the
   technician account in sudo, SSH without passwords.
2. UEFI (OVMF) boot with an enrolment code dropped on the data partition: the kiosk enrols
   with `shopfloor-server run` on this machine's loopback (QEMU user networking with
   restrict=on: the guest reaches nothing but the guestfwd to the server) and reaches its
   idle scene, in its log and in the screenshot; the server lists it as seen.

The guest powers itself off after the screenshot; the test reads the PNG back from the data
partition with debugfs. Screenshots and serial logs land in test-artifacts/kiosk-image-boot/.
Run as root (`make image-test`); slow, not part of `make test`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # the enrol scene drawn here, to compare
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import pygame  # noqa: E402
from PIL import Image, ImageChops, ImageStat  # noqa: E402

from kiosk.scenes.base import Context  # noqa: E402
from kiosk.scenes.enroll import EnrollScene  # noqa: E402
from kiosk.ui import theme  # noqa: E402
from server.config import Config  # noqa: E402
from server.db import make_engine, make_sessionmaker  # noqa: E402
from server.demo import build_demo  # noqa: E402
from server.services.devices.kiosks import add_kiosk  # noqa: E402
from support.live_server import LiveServer  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
IMAGES = REPO / "kiosk-images"
ARTIFACTS = REPO / "test-artifacts" / "kiosk-image-boot"
BUILD_TIMEOUT_S = 1800
OVMF = Path("/usr/share/ovmf/OVMF.fd")
GUEST_SERVER = "10.0.2.100:8443"  # the guestfwd address the kiosk is given
# QEMU's guestfwd runs this for each connection the guest opens to GUEST_SERVER (a tcp:
# chardev would carry one connection only): stdin/stdout <-> the server on 127.0.0.1.
RELAY = """
import os, selectors, socket, sys
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
pick = selectors.DefaultSelector()
pick.register(0, selectors.EVENT_READ, "in")
pick.register(sock, selectors.EVENT_READ, "sock")
while True:
    for key, _ in pick.select():
        if key.data == "in":
            data = os.read(0, 65536)
            if not data:
                sock.shutdown(socket.SHUT_WR)
                pick.unregister(0)
                continue
            sock.sendall(data)
        else:
            data = sock.recv(65536)
            if not data:
                sys.exit(0)
            os.write(1, data)
"""
KIOSK_NAME = "boot-kiosk"


def kvm_opens() -> bool:
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError:
        return False
    os.close(fd)
    return True


# KVM when /dev/kvm opens and really runs the guest: on some hosts (nested virtualisation)
# it opens but stops at the firmware's first x87 instruction ("KVM internal error ...
# emulation failure"), hangs in GRUB, or shows GRUB's menu and hangs in the kernel (this
# machine, some days); the first boot then falls back to TCG for both.
ACCEL = {"kvm": kvm_opens()}
KVM_GRUB_WAIT_S = 30  # GRUB's menu on the serial port comes within seconds under KVM
# The booted system's first words on the serial port (the kernel is quiet: the kiosk's
# JSON log or the boot test's lines) come within a minute under a KVM that works.
KVM_SYSTEM_WAIT_S = 120
SYSTEM_WORDS = (b'"event"', b"BOOT-TEST")
BOOT_TIMEOUT_S = {"kvm": 300, "tcg": 1200}

pytestmark = pytest.mark.skipif(
    not (shutil.which("qemu-system-x86_64") and shutil.which("sgdisk")
         and shutil.which("debugfs") and shutil.which("mcopy") and OVMF.exists()),
    reason="needs qemu-system-x86, gdisk, e2fsprogs, mtools, ovmf "
           "(scripts/packages/image.txt; make image-test installs them)")


# --- the image -------------------------------------------------------------------------


@dataclass
class Disk:
    path: Path
    rootfs: Path
    data_offset: int  # bytes: where the kiosk-data file system starts
    figures: dict[str, Any]


def run(argv: list[str], timeout: float = 120, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                          stdin=subprocess.DEVNULL, **kwargs)


def partition_start(image: Path, number: int) -> int:
    info = run(["sgdisk", "-i", str(number), str(image)]).stdout
    found = re.search(r"First sector: (\d+)", info)
    assert found, info
    return int(found.group(1)) * 512


@pytest.fixture(scope="module")
def disk(kiosk_rootfs: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Disk]:
    """The session's kiosk root filesystem (conftest.py: with the kernel, a fleet SSH key
    and a technician password) made into a disk image with a zstd copy, once."""
    folder = tmp_path_factory.mktemp("disk")
    root: Path = kiosk_rootfs.path
    figures: dict[str, Any] = {"rootfs_s": round(kiosk_rootfs.seconds)}
    try:
        image = folder / "shopfloor-kiosk.img"
        started = time.monotonic()
        result = run(["bash", str(IMAGES / "build-disk.sh"), str(root), str(image),
                      "--compress", "zstd"], timeout=BUILD_TIMEOUT_S)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        figures["disk_s"] = round(time.monotonic() - started)
        figures["image_mib"] = image.stat().st_size // 2**20
        figures["image_written_mib"] = image.stat().st_blocks * 512 // 2**20
        figures["zst_mib"] = round(Path(f"{image}.zst").stat().st_size / 2**20, 1)
        print(f"\nimage: {json.dumps(figures)}\n{result.stdout}")
        yield Disk(image, root, partition_start(image, 4), figures)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def debugfs(disk: Disk, *commands: str, write: bool = False) -> str:
    """Run debugfs commands on the data partition inside the image file."""
    script = disk.path.with_suffix(".debugfs")
    script.write_text("\n".join(commands) + "\n")
    result = run(["debugfs", *(["-w"] if write else []), "-f", str(script),
                  f"{disk.path}?offset={disk.data_offset}"])
    assert result.returncode == 0, result.stderr
    return result.stdout


def drop_on_data(disk: Disk, files: dict[str, str], tmp: Path) -> None:
    """Put files (name -> text) into the data partition, in the folders they name."""
    commands = ["mkdir boot-test"]
    for name, text in files.items():
        local = tmp / name.replace("/", "_")
        local.write_text(text)
        commands += [f"rm {name}", f"write {local} {name}"]
    debugfs(disk, *commands, write=True)


def read_from_data(disk: Disk, name: str, out: Path) -> Path | None:
    debugfs(disk, f"dump {name} {out}")
    return out if out.exists() and out.stat().st_size else None


# --- the server ------------------------------------------------------------------------


@dataclass
class Plant:
    server: LiveServer
    payload: str


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plant]:
    """`shopfloor-server run` with the demo factory and a kiosk to enrol, on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("server")
    url = f"sqlite:///{folder / 'shopfloor.db'}"
    config = Config.from_env(data_dir=folder, database_url=url, timezone="Asia/Shanghai")
    build_demo(config, admin_password="boot test admin password")
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            code = add_kiosk(session, KIOSK_NAME, ["W1"], "boot-test").code
            session.commit()
    finally:
        engine.dispose()
    server = LiveServer(folder, env={"SHOPFLOOR_DATABASE_URL": url})
    server.start(timeout=60)
    try:
        yield Plant(server, server.payload(code))
    finally:
        server.stop()


# --- QEMU ------------------------------------------------------------------------------


@dataclass
class Boot:
    serial: str
    seconds: float
    log: list[dict[str, Any]]  # the kiosk's JSON log lines seen on the serial console
    facts: dict[str, str]


def boot(disk: Disk, name: str, firmware: str, server_port: int | None = None) -> Boot:
    """Boot the image until the guest powers itself off (the boot-test unit does)."""
    if ACCEL["kvm"]:
        result = boot_once(disk, name, firmware, server_port, kvm=True)
        if result is not None:
            return result
        ACCEL["kvm"] = False
        print(f"\n{name}: KVM did not run the guest here (no GRUB menu within "
              f"{KVM_GRUB_WAIT_S} s, or no word from the booted system within "
              f"{KVM_SYSTEM_WAIT_S} s): TCG from now on")
    result = boot_once(disk, name, firmware, server_port, kvm=False)
    assert result is not None
    return result


def boot_once(disk: Disk, name: str, firmware: str, server_port: int | None,
              kvm: bool) -> Boot | None:
    """One boot; None when KVM did not get the system running (the caller tries TCG)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    serial = ARTIFACTS / f"{name}-serial.log"
    serial.unlink(missing_ok=True)
    # restrict=on: the guest reaches nothing outside QEMU but the guestfwd below.
    netdev = "user,id=net0,restrict=on"
    if server_port is not None:
        host, port = GUEST_SERVER.split(":")
        relay = disk.path.with_name("relay.py")
        relay.write_text(RELAY)
        netdev += f",guestfwd=tcp:{host}:{port}-cmd:{sys.executable} {relay} {server_port}"
    argv = ["qemu-system-x86_64", "-machine", "q35", "-m", "2048", "-smp", "2",
            "-drive", f"file={disk.path},format=raw,if=virtio",
            "-vga", "virtio", "-display", "none", "-monitor", "none", "-no-reboot",
            "-serial", f"file:{serial}",
            "-netdev", netdev, "-device", "virtio-net-pci,netdev=net0,romfile="]
    # -cpu host: QEMU 7.2 cannot set IA32_ARCH_CAPABILITIES on some KVM hosts
    argv += ["-enable-kvm", "-cpu", "host,-arch-capabilities"] if kvm else ["-cpu", "max"]
    if firmware == "uefi":
        argv += ["-bios", str(OVMF)]
    accel = "kvm" if kvm else "tcg"
    started = time.monotonic()
    output_path = ARTIFACTS / f"{name}-qemu.log"
    with output_path.open("w") as output_file:
        qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output_file,
                                stderr=subprocess.STDOUT)
    try:
        while qemu.poll() is None:
            elapsed = time.monotonic() - started
            seen = serial.read_bytes() if serial.exists() else b""
            if kvm and elapsed > KVM_GRUB_WAIT_S and b"GNU GRUB" not in seen:
                return None
            if kvm and elapsed > KVM_SYSTEM_WAIT_S \
                    and not any(words in seen for words in SYSTEM_WORDS):
                return None
            if elapsed > BOOT_TIMEOUT_S[accel]:
                text = seen.decode(errors="replace")
                pytest.fail(f"the guest did not power off within {BOOT_TIMEOUT_S[accel]} s "
                            f"({accel}):\n{text[-6000:]}")
            time.sleep(1)
    finally:
        if qemu.poll() is None:
            qemu.kill()
        qemu.wait()
    seconds = time.monotonic() - started
    output = output_path.read_text(errors="replace")
    text = serial.read_text(errors="replace")
    if kvm and "KVM internal error" in output:
        return None
    assert qemu.returncode == 0, output + text[-6000:]
    log = []
    for line in text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            entry = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(entry, dict) and "event" in entry:
            log.append(entry)
    facts = {}
    for line in text.splitlines():
        found = re.search(r"BOOT-TEST fact (\S+) ?(.*)", line)
        if found:
            facts[found.group(1)] = found.group(2).strip()
    print(f"\n{name}: powered off after {seconds:.0f} s ({accel}, {firmware}); "
          f"facts {json.dumps(facts)}")
    return Boot(text, seconds, log, facts)


def events(result: Boot, name: str) -> list[dict[str, Any]]:
    return [entry for entry in result.log if entry["event"] == name]


def check_screenshot(path: Path, scene: str) -> None:
    """The screenshot is the kiosk's scene: its background colour fills most of it, the
    status bar runs along the top, and the scene's own colours and anti-aliased text make
    hundreds of colours (a blank or black screen has one or two). The enrol scene's QR
    pictogram is a large block of the primary colour."""
    picture = Image.open(path).convert("RGB")
    width, height = picture.size
    counts = picture.getcolors(maxcolors=width * height) or []
    colours = len(counts)

    def share(colour: tuple[int, int, int]) -> float:
        near = sum(n for n, p in counts
                   if max(abs(a - b) for a, b in zip(p, colour, strict=True)) <= 6)
        return near / (width * height)

    # The status bar is TOP, or OFFLINE while the kiosk has no server.
    bg, primary = share(theme.BG), share(theme.PRIMARY)
    top = share(theme.TOP) + share(theme.OFFLINE)
    print(f"{path.name}: {width}x{height}, {colours} colours, background {bg:.0%}, "
          f"status bar {top:.1%}, primary {primary:.1%}")
    assert colours >= 100, f"{path.name} has {colours} colours: nothing drawn"
    assert bg >= 0.35, f"{path.name}: the scene's background is {bg:.0%} of the screen"
    assert top >= 0.02, f"{path.name}: no status bar ({top:.1%})"
    if scene == "enroll":  # the large QR pictogram in the scene's primary colour
        assert primary >= 0.015, f"{path.name}: no QR pictogram ({primary:.1%})"


def enrol_scene_as_drawn_here() -> Image.Image:
    """The enrol scene as this checkout draws it (1280x800, the kiosk's default language)."""
    pygame.display.init()
    pygame.font.init()
    try:
        surface = pygame.Surface((1280, 800))
        EnrollScene(Context(store=None, speaker=None, sync=None)).draw(  # type: ignore[arg-type]
            surface)
        return Image.frombytes("RGB", surface.get_size(), pygame.image.tobytes(surface, "RGB"))
    finally:
        pygame.display.quit()


def check_same_scene(path: Path, expected: Image.Image) -> None:
    """Below the status bar (its clock and online state differ), the screenshot is the scene
    drawn here: compared at a quarter of the size, a mean difference of a few levels at most
    (the same fonts on both sides gave 0 here)."""
    shot = Image.open(path).convert("RGB")
    assert shot.size == expected.size, f"{path.name} is {shot.size}, not {expected.size}"
    box = (0, theme.TOP_BAR, shot.width, shot.height)
    small = (shot.width // 4, (shot.height - theme.TOP_BAR) // 4)
    diff = ImageChops.difference(shot.crop(box).resize(small), expected.crop(box).resize(small))
    mean = sum(ImageStat.Stat(diff).mean) / 3
    print(f"{path.name}: mean difference from the scene drawn here {mean:.2f}")
    assert mean < 4, f"{path.name} is not the enrol scene (mean difference {mean:.1f})"


# --- the tests -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_boot(disk: Disk, tmp_path_factory: pytest.TempPathFactory) -> Boot:
    drop_on_data(disk, {"boot-test/run": "enroll\n"}, tmp_path_factory.mktemp("drop"))
    result = boot(disk, "1-bios-enroll", "bios")
    disk.figures["boot_bios_s"] = round(result.seconds)
    return result


def test_the_image_is_gpt_with_bios_and_efi_boot_and_a_data_partition(disk: Disk) -> None:
    table = run(["sgdisk", "-p", str(disk.path)]).stdout
    rows = [line.split() for line in table.splitlines() if re.match(r"\s+\d+\s", line)]
    assert [(row[5], row[-1]) for row in rows] == [
        ("EF02", "bios-grub"), ("EF00", "EFI"), ("8304", "kiosk-root"), ("8300", "kiosk-data")]
    assert "kiosk-data" in run(["blkid", "-p", "-O", str(disk.data_offset), "-s", "LABEL",
                                str(disk.path)]).stdout
    esp = partition_start(disk.path, 2)
    listing = run(["mdir", "-b", "-i", f"{disk.path}@@{esp}", "::/EFI/BOOT"]).stdout
    assert "BOOTX64.EFI" in listing.upper()
    assert run(["zstd", "-t", "-q", f"{disk.path}.zst"]).returncode == 0


def test_the_kiosk_shows_its_enrol_scene_under_cage_after_a_bios_boot(
        first_boot: Boot, disk: Disk, tmp_path: Path) -> None:
    displays = [e for e in events(first_boot, "display") if "driver" in e]
    assert displays, f"no window opened:\n{first_boot.serial[-6000:]}"
    assert displays[-1]["driver"] in ("wayland", "x11"), displays  # under cage, not KMS
    scenes = [e["scene"] for e in events(first_boot, "scene_changed")]
    assert "enroll" in scenes, first_boot.serial[-6000:]
    assert first_boot.facts.get("scene_shown") == "yes", first_boot.facts
    assert first_boot.facts.get("screenshot", "").startswith("enroll.png"), first_boot.facts
    shot = read_from_data(disk, "boot-test/enroll.png", ARTIFACTS / "1-bios-enroll.png")
    assert shot is not None, "no screenshot on the data partition"
    check_screenshot(shot, "enroll")
    check_same_scene(shot, enrol_scene_as_drawn_here())


def test_the_booted_kiosk_is_locked_down(first_boot: Boot, disk: Disk) -> None:
    facts = first_boot.facts
    assert facts.get("root_password") == "L", facts  # passwd -S: locked
    assert facts.get("getty_tty2") == "masked", facts
    assert facts.get("autovt_tty3") == "masked", facts
    assert facts.get("serial_getty") == "masked", facts
    kiosk_exec = facts.get("kiosk_exec", "")
    assert "/usr/bin/cage" in kiosk_exec and " -s " not in f"{kiosk_exec} ", facts
    assert facts.get("technician", "").startswith("technician:/home/technician:/bin/bash"), facts
    assert "sudo" in facts["technician"].split("groups=")[1].split(","), facts
    assert facts.get("sshd_password_auth") == "no", facts
    assert facts.get("data_mount", "").endswith(",ext4"), facts
    shadow = (disk.rootfs / "etc" / "shadow").read_text().splitlines()
    root = next(line.split(":") for line in shadow if line.startswith("root:"))
    assert root[1].startswith("!"), "root's password is not locked"
    technician = next(line.split(":") for line in shadow if line.startswith("technician:"))
    assert technician[1].startswith("$6$"), "the technician's console password is not set"
    keys = disk.rootfs / "home" / "technician" / ".ssh" / "authorized_keys"
    assert keys.read_text().startswith("ssh-ed25519 ") and keys.stat().st_mode & 0o077 == 0


def test_a_code_on_the_data_partition_enrols_the_kiosk_after_a_uefi_boot(
        first_boot: Boot, disk: Disk, plant: Plant, tmp_path: Path) -> None:
    drop_on_data(disk, {"boot-test/run": "idle\n",
                        "enrol-code": f"{plant.payload} https://{GUEST_SERVER}\n"}, tmp_path)
    second = boot(disk, "2-uefi-enrol", "uefi", server_port=plant.server.port)
    disk.figures["boot_uefi_enrol_s"] = round(second.seconds)
    enrolled = events(second, "enrolled")
    assert enrolled, f"the kiosk did not enrol:\n{second.serial[-6000:]}"
    assert enrolled[-1]["server"] == f"https://{GUEST_SERVER}"
    scenes = [e["scene"] for e in events(second, "scene_changed")]
    assert "idle" in scenes, second.serial[-6000:]
    assert second.facts.get("scene_shown") == "yes", second.facts
    shot = read_from_data(disk, "boot-test/idle.png", ARTIFACTS / "2-uefi-idle.png")
    assert shot is not None, "no screenshot on the data partition"
    check_screenshot(shot, "idle")
    # The code is used up: the file is gone, and the server has seen the kiosk.
    assert "enrol-code" not in debugfs(disk, "ls -l /")
    listed = run([sys.executable, "-m", "server.cli", "kiosk", "list", "--json"],
                 env=plant.server.env)
    kiosk = next(k for k in json.loads(listed.stdout) if k["name"] == KIOSK_NAME)
    assert kiosk["last_seen"], kiosk
    print(f"\nfigures: {json.dumps(disk.figures)}")
