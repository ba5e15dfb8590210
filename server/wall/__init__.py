"""Blueprint /wall: the workshop TV's weekly leaderboard, opened by a display link.

This package only gathers: the blueprint object lives in `blueprint`, and importing
`views` registers its routes on it.

    blueprint   the `wall` object, with the wall's templates and static files
    views       the board page, its `board.json` poll (ETag / 304), workers' photos
    board       the board's content: standings of the display's workshops
    links       the address a TV opens the wall by
    phrases     the board's words in Chinese and English
"""

from server.wall import views
from server.wall.blueprint import wall

__all__ = ["views", "wall"]
