"""Fault and discovery tests: loopback and namespaces these tests make, nothing else."""

from __future__ import annotations

import os

os.environ.setdefault("SHOPFLOOR_MDNS_INTERFACES", "127.0.0.1")
