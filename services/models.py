"""Every model, imported once so the metadata is complete (Alembic and the tests use this)."""

from services.auth.models import WechatIdentity
from services.catalog.models import (
    ExchangeSettings,
    ExchangeWindow,
    Goods,
    Service,
    ServiceSession,
    SessionWaitlist,
    StockMovement,
    Venue,
    VenueOpening,
)
from services.db import Base
from services.demands.inspections import InspectionRound
from services.demands.models import (
    Demand,
    DemandAssignment,
    DemandBreach,
    DemandCategory,
    DemandEvent,
    DemandPhoto,
    ServiceLevel,
)
from services.demands.visits import HomeVisit
from services.demands.wishes import Wish, WishSupport
from services.events.models import OutboxEvent
from services.ledger.models import Account, ChainHead, IdempotencyKey, Transfer
from services.meetings.models import (
    AgendaItem,
    Grant,
    JointMeeting,
    MeetingMember,
    Objection,
    Vote,
)
from services.notices.models import (
    Delivery,
    NoticePreference,
    NoticeSettings,
    Notification,
    SmsBudgetUse,
)
from services.orders.models import Claim, VolunteerOrder
from services.orgs.models import CenterHousehold, CommunitySettings, Household, OrgUnit
from services.people.models import Person, RoleAssignment
from services.redemptions.models import Redemption, RedemptionLine, VenueBooking
from services.registration.models import RegistrationApplication
from services.reports.certificates import VolunteerCertificate
from services.reports.scores import EvaluationScore
from services.reports.selection import AnnualSelection, AnnualSelectionEntry

metadata = Base.metadata

__all__ = [
    "Account",
    "AgendaItem",
    "AnnualSelection",
    "AnnualSelectionEntry",
    "CenterHousehold",
    "ChainHead",
    "Claim",
    "CommunitySettings",
    "Delivery",
    "Demand",
    "DemandAssignment",
    "DemandBreach",
    "DemandCategory",
    "DemandEvent",
    "DemandPhoto",
    "EvaluationScore",
    "ExchangeSettings",
    "ExchangeWindow",
    "Goods",
    "Grant",
    "HomeVisit",
    "Household",
    "IdempotencyKey",
    "InspectionRound",
    "JointMeeting",
    "MeetingMember",
    "NoticePreference",
    "NoticeSettings",
    "Notification",
    "Objection",
    "OrgUnit",
    "OutboxEvent",
    "Person",
    "Redemption",
    "RedemptionLine",
    "RegistrationApplication",
    "RoleAssignment",
    "Service",
    "ServiceLevel",
    "ServiceSession",
    "SessionWaitlist",
    "SmsBudgetUse",
    "StockMovement",
    "Transfer",
    "Venue",
    "VenueBooking",
    "VenueOpening",
    "VolunteerCertificate",
    "VolunteerOrder",
    "Vote",
    "WechatIdentity",
    "Wish",
    "WishSupport",
    "metadata",
]
