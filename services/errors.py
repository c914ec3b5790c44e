"""Domain errors: every expected failure has a code; its message lives in :mod:`services.i18n`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # input
    INVALID_ID = "invalid_id"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
    TOO_MANY_ITEMS = "too_many_items"
    REQUIRED = "required"
    INVALID_VALUE = "invalid_value"
    INVALID_PHONE = "invalid_phone"
    FIRST_OUT_OF_RANGE = "first_out_of_range"
    INVALID_CURSOR = "invalid_cursor"
    QUERY_TOO_COSTLY = "query_too_costly"
    QUERY_TOO_COMPLEX = "query_too_complex"
    # accounts
    INVALID_CREDENTIALS = "invalid_credentials"
    RATE_LIMITED = "rate_limited"
    UNAUTHENTICATED = "unauthenticated"
    WEAK_PASSWORD = "weak_password"  # noqa: S105
    PHONE_TAKEN = "phone_taken"
    ACCOUNT_DISABLED = "account_disabled"
    # one-time SMS codes (issue 14)
    CODE_INVALID = "code_invalid"
    CODE_EXPIRED = "code_expired"
    CODE_TOO_MANY_TRIES = "code_too_many_tries"
    TOO_MANY_CODE_REQUESTS = "too_many_code_requests"
    # WeChat sign-in (issue 14)
    WECHAT_NOT_CONFIGURED = "wechat_not_configured"
    WECHAT_CODE_INVALID = "wechat_code_invalid"
    WECHAT_CODE_USED = "wechat_code_used"
    WECHAT_RATE_LIMITED = "wechat_rate_limited"
    WECHAT_UNAVAILABLE = "wechat_unavailable"
    WECHAT_STATE_INVALID = "wechat_state_invalid"
    WECHAT_TICKET_INVALID = "wechat_ticket_invalid"
    WECHAT_BOUND_ELSEWHERE = "wechat_bound_elsewhere"
    WECHAT_ALREADY_BOUND = "wechat_already_bound"
    # permissions and org tree
    FORBIDDEN = "forbidden"
    WRONG_UNIT_KIND = "wrong_unit_kind"
    CODE_TAKEN = "code_taken"
    ADDRESS_TAKEN = "address_taken"
    WRONG_COMMUNITY = "wrong_community"
    ROLE_EXISTS = "role_exists"
    SEAT_TYPE_REQUIRED = "seat_type_required"
    NOT_A_PARTY_MEMBER = "not_a_party_member"
    # ledger
    INVALID_AMOUNT = "invalid_amount"
    INSUFFICIENT_POINTS = "insufficient_points"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    HOLD_NOT_PENDING = "hold_not_pending"
    HOLD_EXPIRED = "hold_expired"
    AMOUNT_EXCEEDS_HOLD = "amount_exceeds_hold"
    ALREADY_REVERSED = "already_reversed"
    PERIOD_CLOSED = "period_closed"
    # volunteer orders and claims
    ORDER_NOT_OPEN = "order_not_open"
    CLAIM_DEADLINE_PASSED = "claim_deadline_passed"
    NOT_IN_SCOPE = "not_in_scope"
    ALREADY_CLAIMED = "already_claimed"
    PARTY_MEMBERS_FIRST = "party_members_first"
    INVALID_STATE = "invalid_state"
    INVALID_TIME_WINDOW = "invalid_time_window"
    NOT_CHECKED_IN = "not_checked_in"
    ALREADY_CHECKED_IN = "already_checked_in"
    OUTSIDE_SERVICE_DAY = "outside_service_day"
    REASON_REQUIRED = "reason_required"
    # joint meetings
    QUORUM_NOT_MET = "quorum_not_met"
    NOT_A_MEMBER = "not_a_member"
    OWN_CLAIM = "own_claim"
    ALREADY_VOTED = "already_voted"
    MEETING_CLOSED = "meeting_closed"
    ADJUSTMENT_OUT_OF_RANGE = "adjustment_out_of_range"
    PUBLICITY_OVER = "publicity_over"
    ALREADY_OBJECTED = "already_objected"
    # the exchange
    OUT_OF_STOCK = "out_of_stock"
    LIMIT_REACHED = "limit_reached"
    SLOT_TAKEN = "slot_taken"
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"
    TOO_LATE_TO_BOOK = "too_late_to_book"
    BOOKING_TOO_LONG = "booking_too_long"
    SESSION_FULL = "session_full"
    WINDOW_CLOSED = "window_closed"
    KIND_NOT_ACCEPTED = "kind_not_accepted"
    EMPTY_BASKET = "empty_basket"
    CODE_UNKNOWN = "code_unknown"
    CODE_USED = "code_used"
    REDEMPTION_EXPIRED = "redemption_expired"
    # resident demands and grid work
    UPLOAD_WRONG_TYPE = "upload_wrong_type"
    UPLOAD_TOO_LARGE = "upload_too_large"
    UPLOAD_BROKEN = "upload_broken"
    UPLOAD_TOO_MANY_PIXELS = "upload_too_many_pixels"
    UPLOAD_QUOTA_EXCEEDED = "upload_quota_exceeded"
    UPLOAD_RATE_LIMITED = "upload_rate_limited"
    NOT_ASSIGNED = "not_assigned"
    ALREADY_ACCEPTED = "already_accepted"
    NO_HIGHER_LEVEL = "no_higher_level"
    ALREADY_RATED = "already_rated"
    ALREADY_SUPPORTED = "already_supported"
    OWN_WISH = "own_wish"
    # evaluation
    ALREADY_SCORED = "already_scored"
    NO_SERVICE_HOURS = "no_service_hours"
    # live sockets and subscriptions (issue 13 item 1)
    TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions"
    TOO_MANY_SOCKETS = "too_many_sockets"
    SERVER_BUSY = "server_busy"
    SUBSCRIPTION_TOO_SLOW = "subscription_too_slow"
    SIGNED_OUT = "signed_out"
    # issue 13 item 4: a party member registers (报到) with the community they live in only
    PARTY_REGISTRATION_NOT_HOME = "party_registration_not_home"
    # issue 13 item 10: each domain's own wording (these were raised under another domain's code)
    DEMAND_OUTSIDE_HOME_COMMUNITY = "demand_outside_home_community"
    WISH_NEEDS_HOUSEHOLD = "wish_needs_household"
    NOT_SAME_STREET = "not_same_street"
    NO_HOME_COMMUNITY = "no_home_community"
    NAME_TAKEN = "name_taken"
    CLAIM_DEADLINE_AFTER_START = "claim_deadline_after_start"
    DURATION_TOO_LONG = "duration_too_long"
    # self-registration (issue 14): applications decided by the grid's staff
    REGISTRATION_NOT_FOUND = "registration_not_found"
    REGISTRATION_DECIDED = "registration_decided"
    REGISTRATION_GRID_OUTSIDE_COMMUNITY = "registration_grid_outside_community"
    REGISTRATION_HOUSEHOLD_OUTSIDE_GRID = "registration_household_outside_grid"
    REGISTRATION_ADDRESS_IN_OTHER_GRID = "registration_address_in_other_grid"
    REGISTRATION_PHONE_REGISTERED = "registration_phone_registered"
    # edge input (issue 13, item 6): requests no resolver should see
    INVALID_REQUEST = "invalid_request"
    INVALID_ENCODING = "invalid_encoding"
    TOO_DEEP = "too_deep"
    DATE_OUT_OF_RANGE = "date_out_of_range"


class DomainError(Exception):
    """An expected failure, shown to the user as a typed error.

    ``field`` names the input field at fault (camelCase, as the client sent it); ``params`` fill the
    message template.
    """

    def __init__(self, code: ErrorCode, *, field: str | None = None, **params: Any) -> None:
        super().__init__(code.value)
        self.code = code
        self.field = field
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code.name}, field={self.field!r}, params={self.params!r})"
