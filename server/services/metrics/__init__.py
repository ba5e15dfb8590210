"""Metrics: HR's own measures for scheme dimensions, and their values (docs/scoring.md).

    definitions.py  add, change and list metrics; `metric_rules` for the scoring engine
    values.py       check rows (date, shift, worker or machine, metric, value) and upsert
                    them on (date, shift, worker, metric); a machine's value shared among
                    the workers who ran it that shift
    feed.py         `POST /api/v1/metrics` (MES): the rows checked as a file's are
    from_kiosk.py   kiosk events that count into a metric (quality_issue)

The file import lives with the others (services/imports/metrics.py).
"""
