"""Metrics for Prometheus at `GET /metrics` (docs/metrics.md).

This package only gathers; each module is one part:

    instruments   the counters and histograms the API updates as it serves, one set per app
    multiprocess  gunicorn: each start's folder of per-process metric files, the hooks
    fleet         gauges read from the database when scraped: kiosks, alerts, periods
    access        who may scrape: this host itself, or a token of scope `monitoring`
    views         the `observability` blueprint: GET /metrics
"""
