"""What erasure replaces in text and JSON (services/privacy/scrub.py), without a database."""

from __future__ import annotations

from server.services.privacy.scrub import Replacement, replaced

RULES = [Replacement("A1", "ERASED-7", whole=True), Replacement("张三", "已删除 #7", name=True)]


def test_a_code_is_replaced_only_where_it_stands_alone() -> None:
    assert replaced("/api/v1/workers/A1/photo", RULES) == "/api/v1/workers/ERASED-7/photo"
    assert replaced("A10 and A1.x and xA1", RULES) == "A10 and A1.x and xA1"
    assert replaced({"given_by": "A1"}, RULES) == {"given_by": "ERASED-7"}


def test_a_name_is_kept_where_json_names_someone_else() -> None:
    board = {"standings": [{"code": "A1", "name": "张三", "rank": 1},
                           {"code": "B2", "name": "张三", "rank": 2}],
             "star": {"code": "A1", "name": "张三"}, "note": "张三 说好"}
    assert replaced(board, RULES) == {
        "standings": [{"code": "ERASED-7", "name": "已删除 #7", "rank": 1},
                      {"code": "B2", "name": "张三", "rank": 2}],  # another 张三
        "star": {"code": "ERASED-7", "name": "已删除 #7"}, "note": "已删除 #7 说好"}


def test_a_one_letter_name_is_replaced_only_as_a_whole_value() -> None:
    rules = [Replacement("王", "已删除 #8", name=True)]
    assert replaced(["王", "王五帮忙", {"name": "王"}], rules) == [
        "已删除 #8", "王五帮忙", {"name": "已删除 #8"}]
