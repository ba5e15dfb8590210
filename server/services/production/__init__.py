"""Production records: stored rows, HR corrections, kiosk-derived rows, the MES feed."""
