"""What the kiosk says: a scorecard as phrase parts in the worker's language."""

from __future__ import annotations

from kiosk.hardware.speech import Part
from kiosk.i18n import DEFAULT_LANGUAGE, normalise, t
from kiosk.model import METRIC_NAMES, Adjustment, PointEntry, Scorecard, Task, Worker


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
    """What the kiosk says of a card, in this order: the greeting; the news (decisions
    told by notices, rewards handed over); the sum ("开机率达标60分，加上主管表扬10分，共70分。",
    or the total alone when the card's lines do not add up to it, e.g. from an old server);
    the rank, only in the top 20 % of the workshop (else nothing: the distance to the next
    tier follows); the dimensions missed; the next tier; today's tasks; the balance. An
    "earlier score" only when `cached` (the server could not be reached)."""
    parts: list[Part] = [
        ("say.greeting", t(lang, "say.greeting", name=worker.name)),
        # the news first: a decision is what the worker came to hear
        *notice_parts(lang, [task for task in card.task_items if task.kind == "notices"]),
        *reward_parts(lang, card),
    ]
    summed = sum_parts(lang, card)
    if summed:
        parts.extend(summed)
    else:
        period = (t(lang, f"period.{card.period}") if card.period in ("day", "week", "month")
                  else "")
        parts.append(("say.total", t(lang, "say.total", period=period,
                                     total=number(card.total))))
    rank = shown_rank(card)
    if rank is not None:
        parts.append(("say.rank", t(lang, "say.rank", rank=rank)))
    for dim in card.dimensions:
        if summed and dim.met and not dim.no_data:
            continue  # said in the sum
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
    if card.balance is not None:
        parts.append(("say.balance", t(lang, "say.balance", balance=number(card.balance))))
    if card.unconfirmed:
        parts.append(("say.card_unconfirmed", t(lang, "say.card_unconfirmed")))
    if cached:
        parts.append(("say.offline", t(lang, "say.offline")))
    return parts


# The share of a workshop (in percent) whose rank the kiosk shows and says: the server
# sends no rank below it (server/services/scores/privacy.py); a card cached from an older
# server is held to the same rule here.
RANK_SHOWN_TOP_PERCENT = 20


def shown_rank(card: Scorecard) -> int | None:
    """The rank to show and say: only in the top 20 % of the workshop, else None."""
    rank, of = card.rank, card.rank_of
    if rank is None or of is None or rank < 1 or rank * 100 > of * RANK_SHOWN_TOP_PERCENT:
        return None
    return rank


def _points_item(lang: str, key: str, points: float, **values: str) -> str:
    return t(lang, key, points=number(abs(points)), **values)


def entry_name(lang: str, entry: PointEntry) -> str:
    """What a point entry is called aloud: its category's name, else its kind's."""
    if entry.category_name or entry.category_name_en:
        return entry.label(lang)
    try:
        return t(lang, f"entry.kind.{entry.kind}")
    except KeyError:
        return entry.category or entry.kind


def _period_name(lang: str, adjustment: Adjustment) -> str | None:
    """"第48周" / "11月" for a closed period's label ("2026-W48", "2026-11")."""
    label = adjustment.period_label
    if adjustment.period_kind == "week" and "-W" in label:
        return t(lang, "say.sum_week_of", n=label.split("-W")[-1].lstrip("0"))
    if adjustment.period_kind == "month" and "-" in label:
        return t(lang, "say.sum_month_of", n=label.split("-")[-1].lstrip("0"))
    return None


def sum_items(lang: str, card: Scorecard) -> list[tuple[str, float, str]]:
    """Every line the total counts, as (phrase key, points, words): each dimension with
    points, each counted point entry by its category's name, the hourly points, each
    adjustment from a closed period."""
    items: list[tuple[str, float, str]] = []
    for track in card.tracks:  # a dual track counts its dimensions through the tracks
        if abs(track.points) >= 0.005:
            name = t(lang, f"tracks.{track.key}", percent="").strip()
            items.append(("say.sum_track", track.points,
                          _points_item(lang, "say.sum_track", track.points, track=name)))
    for dim in () if card.tracks else card.dimensions:
        if abs(dim.points) < 0.005:
            continue
        key = "say.sum_dim" if dim.met else "say.sum_dim_part"
        items.append((key, dim.points, _points_item(lang, key, dim.points,
                                                    dim=dimension_name(lang, dim.key))))
    for entry in card.point_entries:
        if not entry.counted or abs(entry.points) < 0.005:
            continue
        if entry.kind == "cap":
            items.append(("say.sum_cap", entry.points,
                          _points_item(lang, "say.sum_cap", entry.points)))
        else:
            items.append(("say.sum_category", entry.points, _points_item(
                lang, "say.sum_category", entry.points, category=entry_name(lang, entry))))
    if abs(card.hourly_points) >= 0.005:
        items.append(("say.sum_hourly", card.hourly_points,
                      _points_item(lang, "say.sum_hourly", card.hourly_points)))
    for line in card.adjustments:
        if abs(line.points) < 0.005:
            continue
        period = _period_name(lang, line)
        if period is None:
            items.append(("say.sum_adjustment_earlier", line.points, _points_item(
                lang, "say.sum_adjustment_earlier", line.points)))
        else:
            items.append(("say.sum_adjustment", line.points, _points_item(
                lang, "say.sum_adjustment", line.points, period=period)))
    return items


def sum_parts(lang: str, card: Scorecard) -> list[Part]:
    """The sum, said so it adds up: "开机率达标60分", "，加上主管表扬10分", "，共70分。". Empty
    when the card has no lines or its lines do not add up to its total (a card from a
    server before `point_entries`, or one changed by queued events offline): the total is
    then said alone."""
    items = sum_items(lang, card)
    if not items or abs(card.listed_total() - card.total) >= 0.05:
        return []
    parts: list[Part] = []
    for index, (key, points, words) in enumerate(items):
        if index == 0:
            parts.append((key, words) if points >= 0 else
                         ("say.sum_minus_first", t(lang, "say.sum_minus_first", item=words)))
        else:
            joiner = "say.sum_plus" if points >= 0 else "say.sum_minus"
            parts.append((joiner, t(lang, joiner, item=words)))
    parts.append(("say.sum_total", t(lang, "say.sum_total", total=number(card.total))))
    return parts


def reward_parts(lang: str, card: Scorecard) -> list[Part]:
    """One sentence per reward handed over since the last visit."""
    return [("say.reward_handed", t(lang, "say.reward_handed",
                                    reward=reward.label(lang) or reward.detail))
            for reward in card.rewards_handed]


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
