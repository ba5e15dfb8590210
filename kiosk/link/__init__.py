"""The kiosk's link to the server: HTTP client, discovery, locating, trust pinning and enrolment."""
