"""Messages for the error codes, in Simplified Chinese (default) and English."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from services.errors import ErrorCode


class Language(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


DEFAULT_LANGUAGE = Language.ZH_CN

MESSAGES: dict[ErrorCode, dict[Language, str]] = {
    ErrorCode.INVALID_ID: {Language.ZH_CN: "编号格式不正确。", Language.EN: "The ID is malformed."},
    ErrorCode.NOT_FOUND: {Language.ZH_CN: "找不到该对象。", Language.EN: "Not found."},
    ErrorCode.TOO_LONG: {
        Language.ZH_CN: "内容过长，最多 {max} 个字符。",
        Language.EN: "Too long: at most {max} characters.",
    },
    ErrorCode.TOO_MANY_ITEMS: {
        Language.ZH_CN: "一次最多 {max} 项。",
        Language.EN: "At most {max} items at once.",
    },
    ErrorCode.REQUIRED: {Language.ZH_CN: "此项必填。", Language.EN: "This field is required."},
    ErrorCode.INVALID_VALUE: {Language.ZH_CN: "取值无效。", Language.EN: "Invalid value."},
    ErrorCode.INVALID_PHONE: {
        Language.ZH_CN: "手机号格式不正确，应为 11 位数字。",
        Language.EN: "The phone number must be 11 digits.",
    },
    ErrorCode.FIRST_OUT_OF_RANGE: {
        Language.ZH_CN: "每页条数须在 0 到 {max} 之间。",
        Language.EN: "`first` must be between 0 and {max}.",
    },
    ErrorCode.INVALID_CURSOR: {
        Language.ZH_CN: "分页游标无效。",
        Language.EN: "The pagination cursor is invalid.",
    },
    ErrorCode.QUERY_TOO_COSTLY: {
        Language.ZH_CN: "查询最多会返回 {cost} 个对象，超过上限 {budget}。"
        "请减小每页条数（first）或减少嵌套的列表。",
        Language.EN: "The query could return up to {cost} objects, over the limit of {budget}. "
        "Ask for smaller pages (`first`) or fewer nested lists.",
    },
    ErrorCode.QUERY_TOO_COMPLEX: {
        Language.ZH_CN: "查询中的{part}过多：{count} 个，最多 {max} 个。",
        Language.EN: "The query has too many {part}: {count}, at most {max}.",
    },
    ErrorCode.INVALID_CREDENTIALS: {
        Language.ZH_CN: "手机号或密码错误。",
        Language.EN: "Wrong phone number or password.",
    },
    ErrorCode.RATE_LIMITED: {
        Language.ZH_CN: "尝试次数过多，请 {retry_after} 秒后再试。",
        Language.EN: "Too many attempts; try again in {retry_after} seconds.",
    },
    ErrorCode.CODE_INVALID: {
        Language.ZH_CN: "验证码不正确，还可再试 {remaining} 次。",
        Language.EN: "Wrong verification code; {remaining} tries left.",
    },
    ErrorCode.CODE_EXPIRED: {
        Language.ZH_CN: "验证码已失效，请重新获取。",
        Language.EN: "The verification code has expired or was used; request a new one.",
    },
    ErrorCode.CODE_TOO_MANY_TRIES: {
        Language.ZH_CN: "验证码错误次数过多，已失效，请重新获取。",
        Language.EN: "Too many wrong tries: the verification code is void; request a new one.",
    },
    ErrorCode.TOO_MANY_CODE_REQUESTS: {
        Language.ZH_CN: "获取验证码过于频繁，请 {retry_after} 秒后再试。",
        Language.EN: "Too many verification codes requested; try again in {retry_after} seconds.",
    },
    ErrorCode.WECHAT_NOT_CONFIGURED: {
        Language.ZH_CN: "本平台未开通微信登录，请用手机号登录。",
        Language.EN: "WeChat sign-in is not set up here; sign in with your phone number.",
    },
    ErrorCode.WECHAT_CODE_INVALID: {
        Language.ZH_CN: "微信授权无效，请重新微信登录。",
        Language.EN: "The WeChat authorization is invalid; sign in with WeChat again.",
    },
    ErrorCode.WECHAT_CODE_USED: {
        Language.ZH_CN: "微信授权已使用过，请重新微信登录。",
        Language.EN: "The WeChat authorization was already used; sign in with WeChat again.",
    },
    ErrorCode.WECHAT_RATE_LIMITED: {
        Language.ZH_CN: "微信登录过于频繁，请稍后再试。",
        Language.EN: "Too many WeChat sign-ins right now; try again in a minute.",
    },
    ErrorCode.WECHAT_UNAVAILABLE: {
        Language.ZH_CN: "暂时无法连接微信，请稍后再试或用手机号登录。",
        Language.EN: "WeChat cannot be reached right now; try again later or use your phone.",
    },
    ErrorCode.WECHAT_STATE_INVALID: {
        Language.ZH_CN: "微信登录请求已过期或无效，请重新点击微信登录。",
        Language.EN: "The WeChat sign-in request expired or is invalid; start it again.",
    },
    ErrorCode.WECHAT_TICKET_INVALID: {
        Language.ZH_CN: "绑定已过期或已完成，请重新微信登录。",
        Language.EN: "The binding expired or was already done; sign in with WeChat again.",
    },
    ErrorCode.WECHAT_BOUND_ELSEWHERE: {
        Language.ZH_CN: "该微信已绑定其他账号。",
        Language.EN: "This WeChat account is already bound to another account.",
    },
    ErrorCode.WECHAT_ALREADY_BOUND: {
        Language.ZH_CN: "该账号已绑定另一个微信，请先在个人信息中解绑。",
        Language.EN: "This account is bound to another WeChat account; unbind it in your profile.",
    },
    ErrorCode.UNAUTHENTICATED: {
        Language.ZH_CN: "请先登录。",
        Language.EN: "Please sign in first.",
    },
    ErrorCode.WEAK_PASSWORD: {
        Language.ZH_CN: "密码至少 {min} 位，且须同时包含字母和数字。",
        Language.EN: "The password needs at least {min} characters with letters and digits.",
    },
    ErrorCode.PHONE_TAKEN: {
        Language.ZH_CN: "该手机号已注册。",
        Language.EN: "This phone number is already registered.",
    },
    ErrorCode.ACCOUNT_DISABLED: {
        Language.ZH_CN: "该账号已停用。",
        Language.EN: "This account is disabled.",
    },
    ErrorCode.FORBIDDEN: {
        Language.ZH_CN: "您没有权限执行此操作。",
        Language.EN: "You are not allowed to do this.",
    },
    ErrorCode.WRONG_UNIT_KIND: {
        Language.ZH_CN: "组织单元类型不符，应为{expected}。",
        Language.EN: "Wrong kind of unit: expected {expected}.",
    },
    ErrorCode.CODE_TAKEN: {
        Language.ZH_CN: "编码已被使用。",
        Language.EN: "This code is already in use.",
    },
    ErrorCode.ADDRESS_TAKEN: {
        Language.ZH_CN: "本社区已有该地址的住户。",
        Language.EN: "A household at this address already exists in the community.",
    },
    ErrorCode.WRONG_COMMUNITY: {
        Language.ZH_CN: "所选住户须与党员同属一个社区。",
        Language.EN: "The households must be in the party member's community.",
    },
    ErrorCode.ROLE_EXISTS: {
        Language.ZH_CN: "该人员已担任此职务。",
        Language.EN: "This person already holds that role there.",
    },
    ErrorCode.SEAT_TYPE_REQUIRED: {
        Language.ZH_CN: "联席会议成员须指定席位类型。",
        Language.EN: "A joint-meeting member needs a seat type.",
    },
    ErrorCode.NOT_A_PARTY_MEMBER: {
        Language.ZH_CN: "须为党员：仅党员可以报到，或担任党员中心户。",
        Language.EN: "A party member is needed: only party members register with a community "
        "or serve as a center household.",
    },
    ErrorCode.INVALID_AMOUNT: {
        Language.ZH_CN: "积分数额须为正整数。",
        Language.EN: "The amount must be a positive whole number of points.",
    },
    ErrorCode.INSUFFICIENT_POINTS: {
        Language.ZH_CN: "可用积分不足（可用 {available} 分）。",
        Language.EN: "Not enough points ({available} available).",
    },
    ErrorCode.IDEMPOTENCY_KEY_REUSED: {
        Language.ZH_CN: "该请求编号已用于另一笔不同的操作。",
        Language.EN: "This idempotency key was already used for a different request.",
    },
    ErrorCode.HOLD_NOT_PENDING: {
        Language.ZH_CN: "该冻结已入账、撤销或过期。",
        Language.EN: "This hold is already posted, voided or expired.",
    },
    ErrorCode.HOLD_EXPIRED: {
        Language.ZH_CN: "该冻结已过期。",
        Language.EN: "This hold has expired.",
    },
    ErrorCode.AMOUNT_EXCEEDS_HOLD: {
        Language.ZH_CN: "入账数额不能超过冻结数额。",
        Language.EN: "Cannot post more than was held.",
    },
    ErrorCode.ALREADY_REVERSED: {
        Language.ZH_CN: "该笔流水已冲正。",
        Language.EN: "This transfer has already been reversed.",
    },
    ErrorCode.PERIOD_CLOSED: {
        Language.ZH_CN: "该月份已结账，不能再记入。",
        Language.EN: "That month is closed: nothing more can be booked into it.",
    },
    ErrorCode.ORDER_NOT_OPEN: {
        Language.ZH_CN: "该招募令当前不可认领。",
        Language.EN: "This order is not open for claims.",
    },
    ErrorCode.CLAIM_DEADLINE_PASSED: {
        Language.ZH_CN: "认领截止时间已过。",
        Language.EN: "The claim deadline has passed.",
    },
    ErrorCode.NOT_IN_SCOPE: {
        Language.ZH_CN: "该招募令不面向您所在的社区或网格。",
        Language.EN: "This order is not open to your community or grid.",
    },
    ErrorCode.ALREADY_CLAIMED: {
        Language.ZH_CN: "您已认领过该招募令。",
        Language.EN: "You have already claimed this order.",
    },
    ErrorCode.PARTY_MEMBERS_FIRST: {
        Language.ZH_CN: "党员优先认领中，居民可于 {opens_at} 起认领。",
        Language.EN: "Party members claim first; residents may claim from {opens_at}.",
    },
    ErrorCode.INVALID_STATE: {
        Language.ZH_CN: "当前状态下不能执行此操作。",
        Language.EN: "This cannot be done in the current state.",
    },
    ErrorCode.INVALID_TIME_WINDOW: {
        Language.ZH_CN: "时间设置不合理：结束须晚于开始。",
        Language.EN: "The times do not fit: the end must come after the start.",
    },
    ErrorCode.NOT_CHECKED_IN: {
        Language.ZH_CN: "尚未签到。",
        Language.EN: "Not checked in yet.",
    },
    ErrorCode.ALREADY_CHECKED_IN: {
        Language.ZH_CN: "已经签到过了。",
        Language.EN: "Already checked in.",
    },
    ErrorCode.OUTSIDE_SERVICE_DAY: {
        Language.ZH_CN: "只能在服务当天签到签退。",
        Language.EN: "Check-in and check-out are only possible on the day of service.",
    },
    ErrorCode.REASON_REQUIRED: {
        Language.ZH_CN: "请填写原因。",
        Language.EN: "Please give a reason.",
    },
    ErrorCode.QUORUM_NOT_MET: {
        Language.ZH_CN: "出席人数未达法定人数（需 {required} 人，实到 {present} 人）。",
        Language.EN: "No quorum: {present} present, {required} needed.",
    },
    ErrorCode.NOT_A_MEMBER: {
        Language.ZH_CN: "您不是本次联席会议的成员。",
        Language.EN: "You are not a member of this joint meeting.",
    },
    ErrorCode.OWN_CLAIM: {
        Language.ZH_CN: "不能对本人或本户的认领表决。",
        Language.EN: "You cannot vote on your own or your household's claim.",
    },
    ErrorCode.ALREADY_VOTED: {
        Language.ZH_CN: "您已对此事项表决。",
        Language.EN: "You have already voted on this item.",
    },
    ErrorCode.MEETING_CLOSED: {
        Language.ZH_CN: "会议已结束。",
        Language.EN: "The meeting is closed.",
    },
    ErrorCode.ADJUSTMENT_OUT_OF_RANGE: {
        Language.ZH_CN: "调整后的积分须在 {min} 到 {max} 之间。",
        Language.EN: "The adjusted points must be between {min} and {max}.",
    },
    ErrorCode.PUBLICITY_OVER: {
        Language.ZH_CN: "公示期已结束。",
        Language.EN: "The publicity period is over.",
    },
    ErrorCode.ALREADY_OBJECTED: {
        Language.ZH_CN: "您已对该公示提出过异议。",
        Language.EN: "You have already objected to this grant.",
    },
    ErrorCode.OUT_OF_STOCK: {
        Language.ZH_CN: "{name}库存不足。",
        Language.EN: "{name} is out of stock.",
    },
    ErrorCode.LIMIT_REACHED: {
        Language.ZH_CN: "已达到每人限额（{limit}）。",
        Language.EN: "You have reached the per-person limit ({limit}).",
    },
    ErrorCode.SLOT_TAKEN: {
        Language.ZH_CN: "该时段已被预约。",
        Language.EN: "That time slot is already booked.",
    },
    ErrorCode.OUTSIDE_OPENING_HOURS: {
        Language.ZH_CN: "该时段不在开放时间内。",
        Language.EN: "That time is outside the opening hours.",
    },
    ErrorCode.TOO_LATE_TO_BOOK: {
        Language.ZH_CN: "已过可预约的时间。",
        Language.EN: "It is too late to book this.",
    },
    ErrorCode.BOOKING_TOO_LONG: {
        Language.ZH_CN: "单次预约最长 {max} 分钟。",
        Language.EN: "A booking may last at most {max} minutes.",
    },
    ErrorCode.SESSION_FULL: {
        Language.ZH_CN: "该场次已满。",
        Language.EN: "This session is full.",
    },
    ErrorCode.WINDOW_CLOSED: {
        Language.ZH_CN: "兑换窗口未开放，下次开放：{opens_at}。",
        Language.EN: "The exchange is closed; it opens next at {opens_at}.",
    },
    ErrorCode.KIND_NOT_ACCEPTED: {
        Language.ZH_CN: "该商品不接受这种积分。",
        Language.EN: "This item does not accept that kind of points.",
    },
    ErrorCode.EMPTY_BASKET: {
        Language.ZH_CN: "兑换篮是空的。",
        Language.EN: "The basket is empty.",
    },
    ErrorCode.CODE_UNKNOWN: {
        Language.ZH_CN: "自提码无效。",
        Language.EN: "Unknown pickup code.",
    },
    ErrorCode.CODE_USED: {
        Language.ZH_CN: "该自提码已核销。",
        Language.EN: "This pickup code has already been used.",
    },
    ErrorCode.REDEMPTION_EXPIRED: {
        Language.ZH_CN: "该兑换已过期，预留已释放。",
        Language.EN: "This redemption has expired; its reservation was released.",
    },
    ErrorCode.UPLOAD_WRONG_TYPE: {
        Language.ZH_CN: "只能上传 JPEG、PNG 或 WebP 图片。",
        Language.EN: "Only JPEG, PNG or WebP images can be uploaded.",
    },
    ErrorCode.UPLOAD_TOO_LARGE: {
        Language.ZH_CN: "图片不能超过 {max_mb} MB。",
        Language.EN: "Images may be at most {max_mb} MB.",
    },
    ErrorCode.UPLOAD_BROKEN: {
        Language.ZH_CN: "图片已损坏或不完整，无法读取，请换一张。",
        Language.EN: "The image is damaged or incomplete and cannot be read; try another one.",
    },
    ErrorCode.UPLOAD_TOO_MANY_PIXELS: {
        Language.ZH_CN: "图片像素过多，最多 {max_mp} 百万像素。",
        Language.EN: "The image has too many pixels; at most {max_mp} megapixels.",
    },
    ErrorCode.UPLOAD_QUOTA_EXCEEDED: {
        Language.ZH_CN: "今天上传的图片已达上限（{max_count} 张或 {max_mb} MB），请明天再试。",
        Language.EN: (
            "You have reached today's upload limit ({max_count} photos or {max_mb} MB); "
            "try again tomorrow."
        ),
    },
    ErrorCode.UPLOAD_RATE_LIMITED: {
        Language.ZH_CN: "上传过于频繁，请 {retry_after} 秒后再试。",
        Language.EN: "Too many uploads at once; try again in {retry_after} seconds.",
    },
    ErrorCode.NOT_ASSIGNED: {
        Language.ZH_CN: "该诉求不在您的处理范围内。",
        Language.EN: "This demand is not assigned to you.",
    },
    ErrorCode.ALREADY_ACCEPTED: {
        Language.ZH_CN: "该诉求已被受理。",
        Language.EN: "This demand has already been accepted.",
    },
    ErrorCode.NO_HIGHER_LEVEL: {
        Language.ZH_CN: "已是最高层级，无法继续上报。",
        Language.EN: "There is no higher level to escalate to.",
    },
    ErrorCode.ALREADY_RATED: {
        Language.ZH_CN: "您已评价过该诉求。",
        Language.EN: "You have already rated this demand.",
    },
    ErrorCode.ALREADY_SUPPORTED: {
        Language.ZH_CN: "您已为该心愿点过赞。",
        Language.EN: "You already support this wish.",
    },
    ErrorCode.OWN_WISH: {
        Language.ZH_CN: "不能为自己的心愿点赞。",
        Language.EN: "You cannot support your own wish.",
    },
    ErrorCode.ALREADY_SCORED: {
        Language.ZH_CN: "本月已评分，不能重复评分。",
        Language.EN: "This unit has already been scored for that month.",
    },
    ErrorCode.NO_SERVICE_HOURS: {
        Language.ZH_CN: "尚无经确认的志愿服务记录，暂不能开具证明。",
        Language.EN: "There is no confirmed volunteer service to certify yet.",
    },
    # live sockets and subscriptions (issue 13 item 1)
    ErrorCode.TOO_MANY_SUBSCRIPTIONS: {
        Language.ZH_CN: "一个连接最多订阅 {max} 项实时消息。",
        Language.EN: "At most {max} live subscriptions per connection.",
    },
    ErrorCode.TOO_MANY_SOCKETS: {
        Language.ZH_CN: "实时连接过多（最多 {max} 个），请关闭其他页面。",
        Language.EN: "Too many live connections (at most {max}); close other tabs.",
    },
    ErrorCode.SERVER_BUSY: {
        Language.ZH_CN: "服务器繁忙，请稍后再试。",
        Language.EN: "The server is busy; try again shortly.",
    },
    ErrorCode.SUBSCRIPTION_TOO_SLOW: {
        Language.ZH_CN: "实时消息积压过多，订阅已结束，请重新订阅。",
        Language.EN: "Too many live messages were waiting; subscribe again.",
    },
    ErrorCode.SIGNED_OUT: {
        Language.ZH_CN: "登录已失效，请重新登录。",
        Language.EN: "Your session has ended; sign in again.",
    },
    # issue 13 item 4
    ErrorCode.PARTY_REGISTRATION_NOT_HOME: {
        Language.ZH_CN: "只能向您居住的社区（您家庭住户所在的社区）报到。",
        Language.EN: "You can only register with the community you live in (your household's).",
    },
    # issue 13 item 10
    ErrorCode.DEMAND_OUTSIDE_HOME_COMMUNITY: {
        Language.ZH_CN: "只能向您居住社区内的网格反映诉求。",
        Language.EN: "A demand can only be reported to a grid of the community you live in.",
    },
    ErrorCode.WISH_NEEDS_HOUSEHOLD: {
        Language.ZH_CN: "登记了住户的居民才能在网格心愿墙发布心愿。",
        Language.EN: "Only residents registered in a household can post on a grid's wish wall.",
    },
    ErrorCode.NOT_SAME_STREET: {
        Language.ZH_CN: "只能评价同一街道下的单位。",
        Language.EN: "Only units of the same street can be scored.",
    },
    ErrorCode.NO_HOME_COMMUNITY: {
        Language.ZH_CN: "尚未登记所在社区，无法办理。",
        Language.EN: "No home community is on record, so this cannot be done.",
    },
    ErrorCode.NAME_TAKEN: {
        Language.ZH_CN: "该名称已被使用。",
        Language.EN: "This name is already in use.",
    },
    ErrorCode.CLAIM_DEADLINE_AFTER_START: {
        Language.ZH_CN: "认领截止时间不能晚于开始时间。",
        Language.EN: "The claim deadline must not be after the start.",
    },
    ErrorCode.DURATION_TOO_LONG: {
        Language.ZH_CN: "时长最多 {hours} 小时。",
        Language.EN: "It may last at most {hours} hours.",
    },
    # edge input (issue 13, item 6)
    ErrorCode.REGISTRATION_NOT_FOUND: {
        Language.ZH_CN: "找不到该注册申请，或它不在您负责的网格。",
        Language.EN: "No such registration application in the grids you look after.",
    },
    ErrorCode.REGISTRATION_DECIDED: {
        Language.ZH_CN: "该注册申请已审核过，不能再次审核。",
        Language.EN: "This registration application has already been decided.",
    },
    ErrorCode.REGISTRATION_GRID_OUTSIDE_COMMUNITY: {
        Language.ZH_CN: "所选网格不属于所选社区。",
        Language.EN: "The grid chosen is not in the community chosen.",
    },
    ErrorCode.REGISTRATION_HOUSEHOLD_OUTSIDE_GRID: {
        Language.ZH_CN: "所选住户不在申请人所在的网格。",
        Language.EN: "The household chosen is not in the applicant's grid.",
    },
    ErrorCode.REGISTRATION_ADDRESS_IN_OTHER_GRID: {
        Language.ZH_CN: "该地址的住户登记在本社区的另一个网格，请选择已有住户或更正地址。",
        Language.EN: "A household at this address belongs to another grid of the community; "
        "choose an existing household or correct the address.",
    },
    ErrorCode.REGISTRATION_PHONE_REGISTERED: {
        Language.ZH_CN: "该手机号已登记为居民，无需再通过此申请，请驳回。",
        Language.EN: "This phone number is already registered; reject the application.",
    },
    ErrorCode.INVALID_REQUEST: {
        Language.ZH_CN: "请求格式不正确：应为包含 query 的 JSON 对象（variables 须为对象）。",
        Language.EN: 'Malformed request: send a JSON object with a "query" '
        '(and "variables" as an object).',
    },
    ErrorCode.INVALID_ENCODING: {
        Language.ZH_CN: "文本编码无效：须为 UTF-8，且不能含单独的代理字符或空字符。",
        Language.EN: "Invalid text encoding: text must be UTF-8, "
        "without lone surrogates or NUL characters.",
    },
    ErrorCode.TOO_DEEP: {
        Language.ZH_CN: "输入嵌套过深（最多 {max} 层）。",
        Language.EN: "The input nests too deeply (at most {max} levels).",
    },
    ErrorCode.DATE_OUT_OF_RANGE: {
        Language.ZH_CN: "日期超出允许范围（{earliest} 至 {latest}）。",
        Language.EN: "The date is outside the allowed range ({earliest} to {latest}).",
    },
}

UNIT_KIND_NAMES: dict[str, dict[Language, str]] = {
    "street": {Language.ZH_CN: "街道", Language.EN: "a street"},
    "community": {Language.ZH_CN: "社区", Language.EN: "a community"},
    "grid": {Language.ZH_CN: "网格", Language.EN: "a grid"},
    "micro_grid": {Language.ZH_CN: "微网格", Language.EN: "a micro-grid"},
    "department": {Language.ZH_CN: "职能部门", Language.EN: "a department"},
}

DOCUMENT_PARTS: dict[str, dict[Language, str]] = {
    "directives": {Language.ZH_CN: "指令", Language.EN: "directives"},
    "fragments": {Language.ZH_CN: "片段", Language.EN: "fragments"},
    "repeats": {
        Language.ZH_CN: "同一选择集中的同名字段",
        Language.EN: "repeats of one field in a selection",
    },
    "variables": {Language.ZH_CN: "变量", Language.EN: "variables"},
    "arguments": {Language.ZH_CN: "单个字段的参数", Language.EN: "arguments on one field"},
}


def message(code: ErrorCode, language: Language, params: dict[str, Any] | None = None) -> str:
    template = MESSAGES[code][language]
    values = dict(params or {})
    if "expected" in values and values["expected"] in UNIT_KIND_NAMES:
        values["expected"] = UNIT_KIND_NAMES[values["expected"]][language]
    if "part" in values and values["part"] in DOCUMENT_PARTS:
        values["part"] = DOCUMENT_PARTS[values["part"]][language]
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return template


def negotiate(accept_language: str | None) -> Language:
    """Pick the language from an ``Accept-Language`` header (q-values honoured)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for negative_quality, _, tag in sorted(ranked):
        if negative_quality >= 0:
            break
        if tag.startswith("zh"):
            return Language.ZH_CN
        if tag.startswith("en"):
            return Language.EN
    return DEFAULT_LANGUAGE
