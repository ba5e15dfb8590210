"""The installed version, in a module of its own so services can name it without the app."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("shopfloor-kiosk")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
