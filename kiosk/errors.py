"""The kiosk's exceptions.

    KioskError
    ├── ConfigError          bad command line or environment
    ├── StoreError           the local SQLite store cannot be used
    ├── ClientError          talking to the server failed
    │   ├── ServerUnavailable    no answer, a timeout, or a 5xx
    │   └── ApiError             a 4xx with the server's error code and message
    └── HardwareError        a device or a system resource is missing
        └── FontMissingError     the CJK font is not installed
"""


class KioskError(Exception):
    """Root of every error the kiosk raises on purpose."""


class ConfigError(KioskError):
    pass


class StoreError(KioskError):
    pass


class ClientError(KioskError):
    pass


class ServerUnavailable(ClientError):
    pass


class ApiError(ClientError):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class HardwareError(KioskError):
    pass


class FontMissingError(HardwareError):
    pass
