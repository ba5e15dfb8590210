"""The day sums agree with the records after every scenario here."""

from support.day_sums import day_sums_agree

__all__ = ["day_sums_agree"]
