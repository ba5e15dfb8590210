"""What the kiosk says: a scorecard as phrase parts in the worker's language."""

from __future__ import annotations

from kiosk.hardware.speech import Part
from kiosk.i18n import DEFAULT_LANGUAGE, normalise, t
from kiosk.model import METRIC_NAMES, Scorecard, Task, Worker


def number(value: float) -> str:
    """85.0 -> "85", 7.5 -> "7.5": what a person would say."""
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def tier_name(lang: str, key: str | None, card: Scorecard | None = None) -> str:
    """The scheme's name for the tier, as the wall and the admin show it.

    HR names tiers in one language, the factory's: a worker reading (and hearing) another
    language gets the catalogue's word for a key it knows, rather than a name their voice
    cannot say. A scheme that named none gets the catalogue's word, else the key itself.
    """
    named = card.tier_label(key) if card is not None else None
    if named and normalise(lang) == DEFAULT_LANGUAGE:
        return named
    try:
        return t(lang, f"tier.{key}")
    except KeyError:
        return named or key or t(lang, "tier.none")


def dimension_name(lang: str, key: str) -> str:
    """The catalogue's name of a built-in dimension, else the name HR gave the metric
    behind it (learned from the cards), else the key."""
    try:
        return t(lang, f"dim.{key}")
    except KeyError:
        names = METRIC_NAMES.get(key, {})
        return names.get(lang) or names.get("zh_CN") or key


def scorecard_parts(lang: str, worker: Worker, card: Scorecard, *, cached: bool) -> list[Part]:
    period = t(lang, f"period.{card.period}") if card.period in ("day", "week", "month") else ""
    parts: list[Part] = [
        ("say.greeting", t(lang, "say.greeting", name=worker.name)),
        # the news first: a decision is what the worker came to hear
        *notice_parts(lang, [task for task in card.task_items if task.kind == "notices"]),
        ("say.total", t(lang, "say.total", period=period, total=number(card.total))),
    ]
    if card.rank is not None:
        parts.append(("say.rank", t(lang, "say.rank", rank=card.rank)))
    for dim in card.dimensions:
        key = "say.dim_no_data" if dim.no_data else "say.dim_met" if dim.met else "say.dim_missed"
        if dim.pro_rated and not dim.no_data:
            key += "_so_far"  # judged against the target for the days so far
        parts.append((key, t(lang, key, dim=dimension_name(lang, dim.key))))
    if card.next_tier and card.points_needed is not None:
        parts.append(
            (
                "say.next_tier",
                t(lang, "say.next_tier", points=number(card.points_needed),
                  tier=tier_name(lang, card.next_tier, card)),
            )
        )
    parts.extend(task_parts(lang, card))
    if cached:
        parts.append(("say.offline", t(lang, "say.offline")))
    return parts


def task_parts(lang: str, card: Scorecard) -> list[Part]:
    """Today's tasks, one sentence per kind: videos to watch, claims decided, appeals
    answered (from a server before notices), open appeals and pending claims. The notices
    are told first, by `notice_parts`."""
    kinds = [task.kind for task in card.task_items]
    statuses = {task.status for task in card.task_items if task.kind == "claims_decided"}
    parts: list[Part] = []
    if "videos_due" in kinds:
        parts.append(("say.videos_due", t(lang, "say.videos_due", n=kinds.count("videos_due"))))
    for status, key in (("approved", "say.claim_approved"), ("rejected", "say.claim_rejected")):
        if status in statuses:
            parts.append((key, t(lang, key)))
    if "appeals_answered" in kinds:
        parts.append(("say.appeal_answered", t(lang, "say.appeal_answered")))
    for kind, key in (("appeals_open", "say.appeals_open"),
                      ("claims_pending", "say.claims_pending")):
        if kind in kinds:
            parts.append((key, t(lang, key, n=kinds.count(kind))))
    return parts


def notice_parts(lang: str, notices: list[Task]) -> list[Part]:
    """One sentence per decision to tell: "你的申诉成立：开机率，加30分。"."""
    parts: list[Part] = []
    for notice in notices:
        points = notice.points
        if notice.status == "appeal_upheld" and points is not None and abs(points) >= 0.05:
            change = t(lang, "say.points_added" if points > 0 else "say.points_taken",
                       points=number(abs(points)))
            key, text = "say.notice_appeal_upheld_points", t(
                lang, "say.notice_appeal_upheld_points", dim=dimension_name(lang, notice.detail),
                change=change)
        elif notice.status in ("appeal_upheld", "appeal_rejected"):
            key = f"say.notice_{notice.status}"
            text = t(lang, key, dim=dimension_name(lang, notice.detail))
        elif notice.status == "claim_approved":
            key = "say.notice_claim_approved"
            text = t(lang, key, points=number(points or 0.0))
        elif notice.status == "claim_rejected":
            key, text = "say.notice_claim_rejected", t(lang, "say.notice_claim_rejected")
        else:
            continue  # a kind this kiosk does not know yet
        parts.append((key, text))
    return parts
