"""The kiosk's exceptions: every one the kiosk defines, wherever it lives, is in this tree
(tests/kiosk/test_kiosk_errors.py checks it). The ones defined elsewhere name their module.

    KioskError
    ├── ConfigError          bad command line or environment
    │   ├── UntrustedServer      an address showed another certificate than the one
    │   │                        expected (kiosk/link/trust.py)
    │   ├── ServerChangeRefused  enrolling to another server than the pinned one, without
    │   │                        a technician's `sudo ... enroll --new-server`
    │   │                        (kiosk/link/enrolment.py)
    │   └── SpeakError           what `speak` or `voice-pack` cannot use: an unknown
    │                            language, a missing file, a card that is not JSON; exit
    │                            code 2 (kiosk/cli_speak.py)
    ├── StoreError           the local SQLite store cannot be used
    │   └── NoSealingKey         a supervisor's act, but the server's sealing key has not
    │                            come yet (enrolled before keys; the next sync fetches it)
    ├── ClientError          talking to the server failed
    │   ├── ServerUnavailable    no answer, a timeout, or a 5xx
    │   ├── ApiError             a 4xx with the server's error code and message
    │   └── EnrolmentFailed      the code's server was not found, or it refused the code
    │                            (kiosk/link/enrolment.py)
    └── HardwareError        a device or a system resource is missing or failed
        ├── FontMissingError     the CJK font is not installed
        └── PlaybackError        a video file cannot be played (kiosk/hardware/video.py)
"""


class KioskError(Exception):
    """Root of every error the kiosk raises on purpose."""


class ConfigError(KioskError):
    pass


class StoreError(KioskError):
    pass


class NoSealingKey(StoreError):
    """A supervisor's act cannot be sealed: the kiosk has no sealing key from its server."""


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
