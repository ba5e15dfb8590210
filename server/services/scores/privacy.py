"""What a worker's place may be shown to whom (README, "What the wall and the card show").

The rank is the worker's own business: a kiosk stands on the shop floor, where a card is
seen and heard by whoever is near, so a kiosk's card carries the rank only in the top 20 %
of the workshop (`private_rank`; below that the distance to the next tier, `next_tier`,
stays). HR's admin reads `worker_scorecard` itself and sees every rank.

Boards seen by everyone (the wall, the kiosk's leaderboard) celebrate, never shame: at
most the top `TOP`, never anyone ranked in the bottom half of the workshop (`celebrated`,
`in_top_half`: rank <= ranked // 2, so a workshop of 4 shows at most 2 and of 1 nobody),
and the most improved likewise only from the top half. The wall names people as its
display says (`shown_name`): masked (王*明) by default, in full, or by worker code.
"""

from __future__ import annotations

from typing import Any

from server.models import NameStyle

TOP = 5
RANK_SHOWN_TOP_PERCENT = 20


def rank_shown(rank: Any, rank_of: Any) -> bool:
    """Whether a kiosk may show `rank` of `rank_of`: in the top 20 % (rank 1 of 5, 2 of
    10, none of 4)."""
    return (isinstance(rank, int) and isinstance(rank_of, int) and rank >= 1
            and rank * 100 <= rank_of * RANK_SHOWN_TOP_PERCENT)


def private_rank(card: dict[str, Any]) -> dict[str, Any]:
    """The card as a kiosk gets it: `rank` and `rank_of` null below the top 20 %
    (`next_tier` and its `points_needed` stay: the distance, not the place)."""
    if rank_shown(card.get("rank"), card.get("rank_of")):
        return card
    return {**card, "rank": None, "rank_of": None}


def masked(name: str) -> str:
    """The first and the last character with one star between (王小明 -> 王*明, 欧阳小明 ->
    欧*明, John Smith -> J*h); a name of two characters or fewer keeps its first (王明 ->
    王*). One star whatever the length: the length says something too."""
    name = name.strip()
    if len(name) <= 2:
        return f"{name[:1]}*"
    return f"{name[0]}*{name[-1]}"


def shown_name(name: str, code: str, names: NameStyle) -> str:
    if names is NameStyle.FULL:
        return name
    if names is NameStyle.CODE:
        return code
    return masked(name)


def in_top_half(rank: Any, ranked: int) -> bool:
    """Whether a rank may be celebrated: ranked, and not in the bottom half of the
    `ranked` workers (rank <= ranked // 2)."""
    return isinstance(rank, int) and rank >= 1 and rank * 2 <= ranked


def ranked_count(board: dict[str, Any]) -> int:
    """How many workers a leaderboard ranks (those without data have no rank)."""
    return sum(1 for row in board.get("standings") or () if row.get("rank") is not None)


def ranks_of(board: dict[str, Any]) -> dict[str, int | None]:
    return {row["code"]: row.get("rank") for row in board.get("standings") or ()}


def celebrated(board: dict[str, Any]) -> dict[str, Any]:
    """A leaderboard with only whom the wall may show: the top `TOP` with a positive total
    and the improvers, all in the top half of the workshop (`in_top_half`); a closed
    period's `star` likewise."""
    ranked = ranked_count(board)
    ranks = ranks_of(board)
    star = board.get("star")
    if isinstance(star, dict) and not in_top_half(ranks.get(star.get("code", "")), ranked):
        board = {**board, "star": None}
    return {
        **board,
        "standings": [row for row in board.get("standings") or ()
                      if row["total"] > 0 and in_top_half(row.get("rank"), ranked)
                      and row["rank"] <= TOP][:TOP],
        "most_improved": [row for row in board.get("most_improved") or ()
                          if (row.get("improvement") or 0) > 0
                          and in_top_half(ranks.get(row["code"]), ranked)],
    }
