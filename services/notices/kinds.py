"""What an inbox entry can be about, and each kind's policy: which channels carry it unless the
person opts out, and whether it is urgent (urgent ones ignore quiet hours).

SMS costs money: it is on by default only where a missed message costs the person something (a
place taken for them, a pickup about to lapse, a reminder, points granted). Texts are the
entry's title in each language, formatted with the entry's ``params``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from services.i18n import Language
from services.notices.models import Channel


class Kind(StrEnum):
    ORDER_PUBLISHED = "order_published"
    CLAIM_CONFIRMED = "claim_confirmed"
    CLAIM_PROMOTED = "claim_promoted"
    ATTENDANCE_CONFIRMED = "attendance_confirmed"
    GRANT_POSTED = "grant_posted"
    REDEMPTION_CHANGED = "redemption_changed"
    DEMAND_CHANGED = "demand_changed"
    DEMAND_QUEUED = "demand_queued"  # staff: a new demand in my grid's queue
    MEETING_CONVENED = "meeting_convened"  # its members
    GRANT_PUBLICIZED = "grant_publicized"  # passed: on the board until publicity ends
    SLA_AT_RISK = "sla_at_risk"  # staff: a demand's clock runs out soon
    REGISTRATION_WAITING = "registration_waiting"  # staff: an application in my queue
    REGISTRATION_APPROVED = "registration_approved"  # the newcomer (told by SMS already)
    REMINDER_ORDER_TOMORROW = "reminder_order_tomorrow"
    REMINDER_ORDER_SOON = "reminder_order_soon"
    REMINDER_PICKUP_TOMORROW = "reminder_pickup_tomorrow"
    REMINDER_MEETING_SOON = "reminder_meeting_soon"


@dataclass(frozen=True, slots=True)
class Policy:
    channels: frozenset[Channel]  # besides in-app, on unless opted out
    urgent: bool
    zh: str
    en: str


_SMS = frozenset({Channel.SMS})
_NONE: frozenset[Channel] = frozenset()

POLICIES: dict[Kind, Policy] = {
    Kind.ORDER_PUBLISHED: Policy(
        _NONE, False, "新的招募令：{title}", "New volunteer order: {title}"
    ),
    Kind.CLAIM_CONFIRMED: Policy(_NONE, False, "您已报名：{title}", "You have a place on: {title}"),
    Kind.CLAIM_PROMOTED: Policy(
        _SMS,
        False,
        "候补转正：您已获得“{title}”的名额",
        "Off the waitlist: you have a place on {title}",
    ),
    Kind.ATTENDANCE_CONFIRMED: Policy(
        _NONE, False, "“{title}”的服务时长已确认", "Your attendance at {title} is confirmed"
    ),
    Kind.GRANT_POSTED: Policy(
        _SMS, False, "积分到账：{points} 分（{title}）", "{points} points posted ({title})"
    ),
    Kind.REDEMPTION_CHANGED: Policy(
        _NONE, False, "兑换单 {code}：{state}", "Redemption {code}: {state}"
    ),
    Kind.DEMAND_CHANGED: Policy(_NONE, False, "您的诉求有新进展：{step}", "Your demand: {step}"),
    Kind.DEMAND_QUEUED: Policy(
        _NONE, False, "新诉求待受理：{summary}", "A new demand to take: {summary}"
    ),
    Kind.GRANT_PUBLICIZED: Policy(
        _NONE,
        False,
        "积分公示中：{points} 分（{title}），公示至 {ends}",
        "{points} points for {title} on the board until {ends}",
    ),
    Kind.SLA_AT_RISK: Policy(
        _SMS, True, "诉求即将超时（{due} 到期）：{summary}", "A demand is due at {due}: {summary}"
    ),
    Kind.REGISTRATION_WAITING: Policy(
        _NONE, False, "新居民注册待审核：{name}", "A newcomer waits for approval: {name}"
    ),
    Kind.REGISTRATION_APPROVED: Policy(
        _NONE, False, "欢迎加入{community}：注册申请已通过", "Welcome to {community}: approved"
    ),
    Kind.MEETING_CONVENED: Policy(
        _SMS, False, "联席会议“{title}”定于 {starts} 召开", "Joint meeting {title} at {starts}"
    ),
    Kind.REMINDER_ORDER_TOMORROW: Policy(
        _SMS, False, "提醒：“{title}”将于 {starts} 开始", "Reminder: {title} starts {starts}"
    ),
    Kind.REMINDER_ORDER_SOON: Policy(
        _SMS,
        True,
        "提醒：“{title}”2 小时内开始（{starts}）",
        "Reminder: {title} starts at {starts}",
    ),
    Kind.REMINDER_PICKUP_TOMORROW: Policy(
        _SMS, False, "兑换单 {code} 请于 {deadline} 前领取", "Pick up {code} by {deadline}"
    ),
    Kind.REMINDER_MEETING_SOON: Policy(
        _SMS, True, "联席会议 1 小时内开始（{starts}）", "The joint meeting starts at {starts}"
    ),
}


# A demand's steps the resident is told of, as the entry's ``step``.
DEMAND_STEPS: dict[str, tuple[str, str]] = {
    "accepted": ("网格员已受理", "taken by a grid worker"),
    "escalated": ("已上报上级处理", "escalated"),
    "auto_escalated": ("超时未办，已自动上报", "escalated after a missed service level"),
    "assigned": ("已派发至职能部门", "assigned to a department"),
    "department_replied": ("职能部门已答复", "a department replied"),
    "solved": ("已办结，请确认并评价", "solved: please confirm and rate"),
    "returned": ("已退回重新分派", "returned for rerouting"),
    "closed": ("已关闭", "closed"),
}


def title(kind: str, params: Mapping[str, Any], language: Language = Language.ZH_CN) -> str:
    """The entry's one-line text; an unknown kind (a newer server's) shows its name."""
    try:
        policy = POLICIES[Kind(kind)]
    except ValueError:
        return kind
    text = policy.zh if language is Language.ZH_CN else policy.en
    try:
        return text.format_map({k: str(v) for k, v in params.items()})
    except (KeyError, ValueError):
        return text
