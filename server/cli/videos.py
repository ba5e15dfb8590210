"""`video add|list`: training videos (docs/ARCHITECTURE.md, "The command line")."""

from __future__ import annotations

import argparse
import shutil
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from server.cli.common import CliError, Context, emit
from server.models import Role
from server.services.training import videos as service


def _row(video: Any) -> dict[str, Any]:
    return {"id": video.id, "title": video.title, "title_en": video.title_en,
            "sha256": video.sha256, "size_bytes": video.size_bytes,
            "duration_s": video.duration_s, "width": video.width, "height": video.height,
            "video_codec": video.video_codec, "audio_codec": video.audio_codec,
            "workshops": sorted(w.code for w in video.workshops), "roles": video.roles,
            "required": video.required,
            "required_by": video.required_by.isoformat() if video.required_by else None,
            "active": video.active}


def cmd_add(args: argparse.Namespace, ctx: Context) -> int:
    source: Path = args.file
    if not source.is_file():
        raise CliError(f"no such file: {source}")
    assignment = service.Assignment(
        title=args.title, title_en=args.title_en or "", workshops=args.workshop or [],
        roles=args.role or [], required=not args.optional, required_by=args.required_by)
    # add_video consumes the file it is given: hand it a copy beside the stored videos.
    incoming = service.video_dir(ctx.config.data_dir) / f".incoming-{uuid.uuid4().hex}"
    shutil.copyfile(source, incoming)
    with ctx.session() as session:
        video = service.add_video(session, ctx.config.data_dir, incoming, assignment,
                                  actor="cli")
        session.commit()
        row = _row(video)
    emit(args, row, f"video {row['id']} added: {row['title']} ({row['duration_s']:.0f} s, "
                    f"{row['width']}x{row['height']} {row['video_codec']})")
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    with ctx.session() as session:
        rows = [_row(item["video"]) | {"finished": item["finished"]}
                for item in service.list_videos(session)]
    emit(args, rows, lambda: "\n".join(
        f"{r['id']:>4}  {r['title']}  {r['duration_s']:.0f} s  "
        f"{','.join(r['workshops']) or 'all'}  finished by {r['finished']}"
        f"{'' if r['active'] else '  RETIRED'}" for r in rows)
        or "no videos yet: add one with `shopfloor-server video add FILE`")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    video = sub.add_parser("video", help="training videos").add_subparsers(
        dest="video_cmd", required=True)
    add = video.add_parser("add", help="add an MP4 or WebM training video")
    add.add_argument("file", type=Path)
    add.add_argument("--title", required=True, help="the title in Chinese")
    add.add_argument("--title-en", help="the title in English")
    add.add_argument("--workshop", action="append",
                     help="a workshop code; repeat for more; none: every workshop")
    add.add_argument("--role", action="append", choices=[r.value for r in Role],
                     help="only for this role; repeat for more; none: every role")
    add.add_argument("--required-by", type=date.fromisoformat, metavar="YYYY-MM-DD")
    add.add_argument("--optional", action="store_true",
                     help="not required: does not count in the training score")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_add)

    listing = video.add_parser("list", help="list training videos")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list)
