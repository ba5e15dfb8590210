"""The wall's few words, in the display's language."""

from __future__ import annotations

PHRASES: dict[str, dict[str, str]] = {
    "zh_CN": {
        "lang": "zh-CN",
        "title": "光荣榜",
        "top": "本周前五名",
        "improved": "进步最快",
        "star": "本月进步之星",
        "star_of": "{month}月进步之星",
        "months": "1,2,3,4,5,6,7,8,9,10,11,12",
        "so_far": "本月至今",
        "points": "分",
        "week": "本周",
        "empty": "本周成绩即将揭晓，加油！",
        "no_scheme": "本车间的考核方案还没有设置",
        "no_improved": "下周看谁进步最大！",
        "updated": "更新于",
        "offline": "连接中断，正在重新连接…",
        "not_enrolled": "此显示屏未登记",
        "not_enrolled_hint": "请联系人事部门获取新的显示链接。",
        "weekdays": "周一,周二,周三,周四,周五,周六,周日",
        "tier_excellent": "优秀",
        "tier_good": "良好",
        "tier_improved": "进步之星",
        "alert_machine_fault": "设备故障",
        "alert_quality_issue": "质量问题",
        "alert_minutes": "已 {n} 分钟",
    },
    "en": {
        "lang": "en",
        "title": "Champions",
        "top": "Top 5 this week",
        "improved": "Most improved",
        "star": "Improvement star of the month",
        "star_of": "Star of {month}",
        "months": "January,February,March,April,May,June,July,August,September,October,"
                  "November,December",
        "so_far": "This month",
        "points": "pts",
        "week": "This week",
        "empty": "This week's champions will appear here soon!",
        "no_scheme": "This workshop has no scoring scheme yet",
        "no_improved": "Who will improve most next week?",
        "updated": "Updated",
        "offline": "Connection lost, reconnecting…",
        "not_enrolled": "This display is not enrolled",
        "not_enrolled_hint": "Ask HR for a new display link.",
        "weekdays": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
        "tier_excellent": "Excellent",
        "tier_good": "Good",
        "tier_improved": "Most improved",
        "alert_machine_fault": "Machine fault",
        "alert_quality_issue": "Quality issue",
        "alert_minutes": "{n} min",
    },
}


def phrases(language: str) -> dict[str, str]:
    return PHRASES.get(language, PHRASES["zh_CN"])
