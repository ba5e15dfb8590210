# Ansible connection plugin: run tasks inside a root filesystem on the controller (chroot).
#
# ansible-core does not ship a chroot connection; community.general has one, but Debian's
# ansible-core package comes without that collection and Ansible Galaxy is not reachable
# from every factory network, so this small one lives beside the playbook (Ansible loads
# connection_plugins/ next to a playbook by itself). It runs each command as
# `chroot ROOT /bin/sh -c CMD` with a clean environment and moves files through `dd` inside
# the root, so absolute symlinks in the root resolve inside it, never on the controller.
#
#   [kiosks]
#   kiosk-image  ansible_connection=chroot  ansible_host=/srv/kiosk-rootfs  ansible_become=false
#
# The controller must run as root; commands in the root run as root, so no become (sudo
# may not be in the root yet). Mount /proc, /sys and /dev in the root first, in a
# private mount namespace (`unshare --mount`; tests/image/image_playbook.py shows how).
# With community.general installed, `ansible_connection=community.general.chroot` works too.

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from typing import IO

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

DOCUMENTATION = """
name: chroot
short_description: Run tasks in a root filesystem on the controller (chroot)
description:
  - Runs commands with chroot(8) inside a folder that holds a Linux root filesystem, as root.
author: Shopfloor Kiosk
options:
  remote_addr:
    description: The path of the root filesystem.
    type: path
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
  executable:
    description: The shell inside the root that runs each command.
    type: str
    default: /bin/sh
    vars:
      - name: ansible_executable
    ini:
      - section: defaults
        key: executable
    env:
      - name: ANSIBLE_EXECUTABLE
"""

display = Display()

BUFSIZE = 65536
# What a login shell of root would have; nothing of the controller's environment leaks in.
ENVIRONMENT = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    "LANG": "C.UTF-8",
    "TERM": "dumb",
}


class Connection(ConnectionBase):
    """Local commands inside a chroot."""

    transport = "chroot"
    has_pipelining = True
    has_tty = False
    default_user = "root"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.root = ""
        self.chroot_cmd = ""

    def _connect(self) -> Connection:
        if os.geteuid() != 0:
            raise AnsibleError("the chroot connection needs root on the controller")
        self.root = os.path.realpath(self.get_option("remote_addr"))
        shell = self.get_option("executable")
        if not os.path.isfile(os.path.join(self.root, shell.lstrip("/"))) and \
                not os.path.islink(os.path.join(self.root, shell.lstrip("/"))):
            raise AnsibleError(f"{self.root} is not a root filesystem: it has no {shell}")
        chroot_cmd = shutil.which("chroot")
        if chroot_cmd is None:
            raise AnsibleError("chroot(8) is not installed on the controller")
        self.chroot_cmd = chroot_cmd
        if not self._connected:
            display.vvv(f"ESTABLISH CHROOT CONNECTION TO {self.root}", host=self.root)
            self._connected = True
        return self

    def _run(self, cmd: str, stdin: int | IO[bytes] = subprocess.PIPE) -> subprocess.Popen[bytes]:
        argv = [self.chroot_cmd, self.root, self.get_option("executable"), "-c", cmd]
        display.vvv(f"EXEC {shlex.join(argv)}", host=self.root)
        return subprocess.Popen([to_bytes(a, errors="surrogate_or_strict") for a in argv],
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=ENVIRONMENT, cwd="/")

    def exec_command(self, cmd: str, in_data: bytes | None = None,
                     sudoable: bool = False) -> tuple[int, bytes, bytes]:
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        process = self._run(cmd)
        stdout, stderr = process.communicate(in_data)
        return process.returncode, stdout, stderr

    @staticmethod
    def _absolute(path: str) -> str:
        # like ssh: a relative path is relative to the login folder, which is / here
        return path if path.startswith("/") else "/" + path

    def put_file(self, in_path: str, out_path: str) -> None:
        super().put_file(in_path, out_path)
        display.vvv(f"PUT {in_path} TO {out_path}", host=self.root)
        target = shlex.quote(self._absolute(out_path))
        try:
            with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as source:
                empty = " count=0" if os.fstat(source.fileno()).st_size == 0 else ""
                process = self._run(f"dd of={target} bs={BUFSIZE}{empty} status=none",
                                    stdin=source)
                _, stderr = process.communicate()
        except OSError as error:
            raise AnsibleError(f"cannot read {in_path}: {to_native(error)}") from error
        if process.returncode != 0:
            raise AnsibleError(f"failed to write {out_path} in {self.root}: "
                               f"{to_native(stderr)}")

    def fetch_file(self, in_path: str, out_path: str) -> None:
        super().fetch_file(in_path, out_path)
        display.vvv(f"FETCH {in_path} TO {out_path}", host=self.root)
        source = shlex.quote(self._absolute(in_path))
        process = self._run(f"dd if={source} bs={BUFSIZE} status=none")
        try:
            with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as target:
                assert process.stdout is not None
                shutil.copyfileobj(process.stdout, target, BUFSIZE)
                _, stderr = process.communicate()
        except OSError as error:
            raise AnsibleError(f"cannot write {out_path}: {to_native(error)}") from error
        if process.returncode != 0:
            raise AnsibleError(f"failed to read {in_path} in {self.root}: {to_native(stderr)}")

    def close(self) -> None:
        self._connected = False
