"""The rows of ``gridpoints seed city`` (see :mod:`api.seed_city`), one community at a time.

Everything is derived from (size, community number): ids are ``uid(tag, n)``, random choices come
from a generator seeded with the community number, so two runs build the same city and any
worker can build any community without asking the database.

The full city is ~28 million rows made by two Python processes, so the per-row work is kept
small: ids are asyncpg's own C UUIDs (made from 16 bytes, printed and copied without Python
code), constant time steps are built once and scaled (``HOUR * n``), ``randint`` and ``choice``
are replaced by the generator's ``_randbelow`` (what they call inside: the draws are the same),
each resident's ids and accounts are made once per community, and the ledger's canonical JSON is
written out with cached pieces (checked against :mod:`services.ledger.chain` on each community's
first posting).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from asyncpg.pgproto.pgproto import UUID as _FastUUID  # type: ignore[import-untyped]

from services import clock
from services.ledger.chain import chain_hash
from services.ledger.models import GENESIS_HASH

GRIDS_PER_COMMUNITY = 10
COMMUNITIES_PER_STREET = 25
MICRO_GRIDS_PER_GRID = 3
GOODS_PER_COMMUNITY = 20
PLACES_PER_ORDER = 10
AGENDA_ITEMS = 50
MEETING_SEATS = ("party_org", "party_member_rep", "resident_rep", "assessment_group")
CATEGORIES = ("公共设施", "环境卫生", "邻里纠纷", "物业管理", "安全隐患")
GOODS_NAMES = ("大米", "食用油", "洗衣液", "毛巾", "牙膏", "酱油", "鸡蛋", "面条", "香皂", "纸巾")
STRIDE = 100_000_000  # identity values per community (order keys, claim and event seqs)
PHONE_HASH_PASSWORD = "gridpoints2026"  # noqa: S105 (the demo password, as `seed demo`)
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

# id tags (the first 32 bits of every seeded id)
T_UNIT, T_HOUSEHOLD, T_PERSON, T_STAFF, T_ROLE, T_ACCOUNT, T_SYSTEM = range(0xC1700, 0xC1707)
T_GOODS, T_ORDER, T_CLAIM, T_MEETING, T_ITEM, T_GRANT, T_TRANSFER = range(0xC1707, 0xC170E)
T_REDEMPTION, T_LINE, T_CATEGORY, T_DEMAND, T_EVENT = range(0xC170E, 0xC1713)

TABLES: dict[str, list[str]] = {
    "org_unit": ["id", "kind", "name", "code", "parent_id", "community_id", "path", "created_at"],
    "household": ["id", "community_id", "grid_id", "micro_grid_id", "address", "created_at"],
    "person": ["id", "name", "phone", "password_hash", "community_id", "household_id",
               "is_party_member", "party_branch", "party_registered_at", "is_active",
               "created_at"],
    "role_assignment": ["id", "person_id", "role", "unit_id", "seat_type", "created_at"],
    "ledger_account": ["id", "community_id", "type", "kind", "person_id", "debits_posted",
                       "credits_posted", "debits_pending", "credits_pending", "created_at"],
    "ledger_chain_head": ["community_id", "seq", "hash"],
    "goods": ["id", "community_id", "name", "description", "price", "point_kinds", "stock",
              "low_stock_at", "active", "created_at"],
    "volunteer_order": ["id", "community_id", "scope", "grid_id", "title", "content", "category",
                        "location", "starts_at", "ends_at", "claim_deadline", "places",
                        "places_taken", "points", "point_kind", "party_first_hours", "state",
                        "publisher_id", "published_at", "created_at"],
    "order_claim": ["id", "seq", "community_id", "order_id", "person_id", "household_id",
                    "state", "as_party_member", "checked_in_at", "checked_out_at", "attendance",
                    "minutes", "confirmed_by", "confirmed_at", "created_at"],
    "joint_meeting": ["id", "community_id", "title", "scheduled_at", "quorum", "state",
                      "convened_by", "closed_at", "created_at"],
    "meeting_member": ["meeting_id", "person_id", "seat_type", "present"],
    "agenda_item": ["id", "meeting_id", "community_id", "kind", "claim_id", "grant_id",
                    "proposal", "points", "reason", "outcome", "position"],
    "meeting_vote": ["item_id", "person_id", "choice", "created_at"],
    "point_grant": ["id", "community_id", "claim_id", "person_id", "meeting_id", "points",
                    "hold_id", "state", "publicity_ends_at", "settled_at", "created_at"],
    "ledger_transfer": ["id", "order_key", "community_id", "kind", "point_kind",
                        "debit_account_id", "credit_account_id", "amount", "pending_id",
                        "reverses_id", "expires_at", "cause", "cause_id", "reason", "actor_id",
                        "seq", "prev_hash", "hash", "created_at", "booked_on"],
    "redemption": ["id", "order_key", "community_id", "person_id", "grid_id", "point_kind",
                   "total", "hold_id", "pickup_code", "state", "deadline", "created_at",
                   "closed_at", "fulfilled_by"],
    "redemption_line": ["id", "community_id", "redemption_id", "kind", "goods_id", "title",
                        "quantity", "points"],
    "demand_category": ["id", "community_id", "name", "created_at"],
    "demand": ["id", "community_id", "grid_id", "resident_id", "reported_by", "type",
               "category_id", "description", "urgency", "respond_minutes", "resolve_minutes",
               "recovery_minutes", "level", "state", "owner_id", "stage_started_at",
               "stage_accepted_at", "resolved_at", "resolved_level", "closed_at", "outcome",
               "satisfaction", "reopened", "created_at", "settle_at"],
    "demand_event": ["id", "seq", "community_id", "demand_id", "kind", "level", "actor_id",
                     "unit_id", "at"],
}  # fmt: skip

Buffers = dict[str, list[tuple[Any, ...]]]


_to_bytes = int.to_bytes


def uid(tag: int, number: int) -> uuid.UUID:
    """The id ``(tag << 96) | number``, equal to ``uuid.UUID(int=...)`` but asyncpg's own UUID
    (a :class:`uuid.UUID` subclass, what asyncpg returns for uuid columns): made from 16 bytes in
    C, printed in C, copied as its bytes. The seed makes tens of millions."""
    made: uuid.UUID = _FastUUID(_to_bytes((tag << 96) | number, 16, "big"))
    return made


OPERATOR = uid(0, 0)  # the actor of the historic postings


@dataclass(frozen=True)
class CitySize:
    grids: int = 200
    residents: int = 8_000
    entries: int = 80_000
    demands_per_grid: int = 20

    @property
    def communities(self) -> int:
        return -(-self.grids // GRIDS_PER_COMMUNITY)

    @property
    def streets(self) -> int:
        return -(-self.communities // COMMUNITIES_PER_STREET)

    @property
    def households(self) -> int:
        return -(-self.residents // 2)

    def grids_of(self, community: int) -> range:
        first = community * GRIDS_PER_COMMUNITY
        return range(first, min(first + GRIDS_PER_COMMUNITY, self.grids))

    def residents_of_grid(self, grid: int) -> list[int]:
        """Residents 2h and 2h+1 of every household h in the grid (h = grid mod grids)."""
        found: list[int] = []
        for household in range(grid, self.households, self.grids):
            found.extend(r for r in (2 * household, 2 * household + 1) if r < self.residents)
        return found

    @property
    def flows_per_resident(self) -> float:
        """Grants and redemptions per resident (2 transfers each) after the 2 historic ones."""
        return max(0.0, (self.entries / max(self.residents, 1) - 2) / 4)


def city_code(street: int) -> str:
    return f"CITY-S{street:03d}"


def expected_counts(size: CitySize) -> dict[str, int]:
    """Rough row counts, for the progress bars' totals."""
    flows = round(size.residents * size.flows_per_resident)
    return {
        "org_unit": size.streets * 2 + size.communities + size.grids * (1 + MICRO_GRIDS_PER_GRID),
        "household": size.households,
        "person": size.residents + size.grids * 2 + size.communities * 5,
        "role_assignment": round(size.residents * 1.12) + size.grids * 3 + size.communities * 9,
        "ledger_account": size.residents * 2 + size.communities * 4,
        "ledger_transfer": size.entries,
        "point_grant": flows,
        "order_claim": flows + size.communities * (AGENDA_ITEMS + 60),
        "agenda_item": flows + size.communities * AGENDA_ITEMS,
        "redemption": flows,
        "redemption_line": flows,
        "demand": size.grids * size.demands_per_grid,
        "demand_event": size.grids * size.demands_per_grid * 2,
        "meeting_vote": size.communities * AGENDA_ITEMS * 3,
    }


_password_hash: str | None = None


def password_hash() -> str:
    """One Argon2 hash of the demo password for every account (hashed once per process)."""
    global _password_hash
    if _password_hash is None:
        from services.auth.passwords import hash_password

        _password_hash = hash_password(PHONE_HASH_PASSWORD)
    return _password_hash


# the top of the tree -----------------------------------------------------------------------------

START = datetime(2025, 1, 1, tzinfo=UTC)


def street_id(street: int) -> uuid.UUID:
    return uid(T_UNIT, street)


def department_id(street: int) -> uuid.UUID:
    return uid(T_UNIT, 10_000 + street)


def community_id(community: int) -> uuid.UUID:
    return uid(T_UNIT, 100_000 + community)


def grid_id(grid: int) -> uuid.UUID:
    return uid(T_UNIT, 1_000_000 + grid)


def micro_grid_id(grid: int, n: int) -> uuid.UUID:
    return uid(T_UNIT, 10_000_000 + grid * MICRO_GRIDS_PER_GRID + n)


def resident_id(resident: int) -> uuid.UUID:
    return uid(T_PERSON, resident)


def staff_id(kind: int, n: int) -> uuid.UUID:
    """kind: 0 street admin, 1 department staff, 2 community admin, 3 meeting member,
    4 grid worker, 5 grid leader."""
    return uid(T_STAFF, kind * STRIDE + n)


def staff_phone(kind: int, n: int) -> str:
    return f"15{kind}{n:08d}"


def resident_phone(resident: int) -> str:
    return f"17{resident:09d}"


def account_id(resident: int, kind: str) -> uuid.UUID:
    return uid(T_ACCOUNT, resident * 2 + (kind == "grid"))


def system_account_id(community: int, type_: str, kind: str) -> uuid.UUID:
    types = ("issuance", "exchange_sink", "expiry")
    return uid(T_SYSTEM, community * 8 + types.index(type_) * 2 + (kind == "grid"))


def goods_id(community: int, n: int) -> uuid.UUID:
    return uid(T_GOODS, community * GOODS_PER_COMMUNITY + n)


def city_top_rows(size: CitySize, out: Buffers) -> None:
    """Streets and their departments (with staff): everything above the communities."""
    created = START
    digest = password_hash()
    for street in range(size.streets):
        sid, did = street_id(street), department_id(street)
        out["org_unit"].append(
            (sid, "street", f"城市街道{street + 1}", city_code(street), None, None, [sid], created)
        )
        out["org_unit"].append(
            (did, "department", f"城市管理局{street + 1}", f"{city_code(street)}-D", sid, None,
             [sid, did], created)
        )  # fmt: skip
        for kind, unit, role in ((0, sid, "street_admin"), (1, did, "department_staff")):
            person = staff_id(kind, street)
            out["person"].append(
                (person, f"街道工作人员{street + 1}", staff_phone(kind, street), digest, None,
                 None, False, None, None, True, created)
            )  # fmt: skip
            out["role_assignment"].append(
                (uid(T_ROLE, 2**60 + kind * STRIDE + street), person, role, unit, None, created)
            )


# one community ----------------------------------------------------------------------------------

# the steps of time, built once: ``HOUR * n`` is exact and several times cheaper than
# ``timedelta(hours=n)``
SECOND, MINUTE, HOUR, DAY = (
    timedelta(seconds=1), timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
)  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭"
GIVEN_NAMES = "伟芳娜秀英敏静丽强磊军洋勇艳杰"
ORDER_POINTS = (5, 10, 15, 20, 30)
DEMAND_TYPES = ("help", "report", "consult")
ZERO_COUNTERS = (0, 0, 0, 0)

# ``Random._randbelow(n)``: a draw in ``range(n)``, what ``randrange(n)``, ``randint(a, b)``
# (``a + below(b - a + 1)``) and ``choice(seq)`` (``seq[below(len(seq))]``) do inside
Below = Callable[[int], int]


def _below(rng: random.Random) -> Below:
    below: Below = rng._randbelow  # type: ignore[attr-defined]
    return below


def _name(below: Below) -> str:
    """``rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)``."""
    return SURNAMES[below(len(SURNAMES))] + GIVEN_NAMES[below(len(GIVEN_NAMES))]


@cache
def _local_offset(first: date, last: date) -> timedelta | None:
    """The UTC offset of :data:`services.clock.LOCAL` if it is the same on every day from
    ``first`` to ``last`` (Asia/Shanghai has had no transition since 1991): then a transfer's
    ``booked_on`` is ``(at + offset).date()``, what :func:`services.clock.local_date` says."""
    offsets = set()
    moment = datetime(first.year, first.month, first.day, 12, tzinfo=UTC)
    while moment.date() <= last:
        offsets.add(moment.astimezone(clock.LOCAL).utcoffset())
        moment += DAY
    return offsets.pop() if len(offsets) == 1 else None


class _Ledger:
    """One community's ledger as it is written: counters, the chain, time order."""

    def __init__(self, community: int, out: Buffers, now: datetime) -> None:
        self.community = community
        self.cid = community_id(community)
        self.base = community * STRIDE
        self.add = out["ledger_transfer"].append
        self.counters: dict[uuid.UUID, list[int]] = {}
        self.seq = 0
        self.head = GENESIS_HASH
        self.written = 0
        self.checked = False
        # every transfer is between a year and a day ago and now
        self.offset = _local_offset((now - 400 * DAY).date(), (now + DAY).date())
        self.reasons: dict[str, str] = {}  # reason → its JSON text

    def available(self, account: uuid.UUID) -> int:
        c = self.counters.get(account)
        return 0 if c is None else c[1] - c[0] - c[2]

    def write(
        self,
        kind: str,
        point_kind: str,
        debit: uuid.UUID,
        credit: uuid.UUID,
        amount: int,
        *,
        at: datetime,
        cause: str,
        cause_id: uuid.UUID | None,
        reason: str,
        actor: uuid.UUID | None,
        pending_id: uuid.UUID | None = None,
        held: int = 0,
        expires_at: datetime | None = None,
    ) -> uuid.UUID:
        self.written += 1
        number = self.base + self.written
        tid = uid(T_TRANSFER, number)
        counters = self.counters  # debits/credits posted, debits/credits pending
        d = counters.get(debit)
        if d is None:
            d = counters[debit] = [0, 0, 0, 0]
        c = counters.get(credit)
        if c is None:
            c = counters[credit] = [0, 0, 0, 0]
        if kind == "posted":
            d[0] += amount
            c[1] += amount
        elif kind == "pending":
            d[2] += amount
            c[3] += amount
        else:  # post or void: release what was held, post ``amount`` (0 for a void)
            d[2] -= held
            c[3] -= held
            if kind == "post":
                d[0] += amount
                c[1] += amount
        booked_on = clock.local_date(at) if self.offset is None else (at + self.offset).date()
        seq = prev = digest = None
        if kind == "posted" or kind == "post":
            self.seq += 1
            seq, prev = self.seq, self.head
            digest = self._hash(tid, kind, point_kind, debit, credit, amount, at, cause,
                                cause_id, reason, actor, pending_id, seq, prev,
                                booked_on)  # fmt: skip
            self.head = digest
        self.add(
            (tid, -number, self.cid, kind, point_kind, debit, credit, amount, pending_id, None,
             expires_at, cause, cause_id, reason, actor, seq, prev, digest, at, booked_on)
        )  # fmt: skip
        return tid

    def _hash(
        self,
        tid: uuid.UUID,
        kind: str,
        point_kind: str,
        debit: uuid.UUID,
        credit: uuid.UUID,
        amount: int,
        at: datetime,
        cause: str,
        cause_id: uuid.UUID | None,
        reason: str,
        actor: uuid.UUID | None,
        pending_id: uuid.UUID | None,
        seq: int,
        prev: str,
        booked_on: date,
    ) -> str:
        """:func:`services.ledger.chain.canonical`, written out for speed (checked against it
        on each community's first posting). ``at`` is UTC: its ISO form ends in ``+00:00``."""
        reason_text = self.reasons.get(reason)
        if reason_text is None:
            reason_text = self.reasons[reason] = json.dumps(reason, ensure_ascii=False)
        actor_text = "null" if actor is None else f'"{actor}"'
        cause_id_text = "null" if cause_id is None else f'"{cause_id}"'
        pending_text = "null" if pending_id is None else f'"{pending_id}"'
        private = (
            f'{{"actor_id":{actor_text},"cause_id":{cause_id_text},'
            f'"credit_account_id":"{credit}","debit_account_id":"{debit}","reason":{reason_text}}}'
        )
        commitment = hashlib.sha256(private.encode()).hexdigest()
        body = (
            f'{{"amount":{amount},"cause":"{cause}","community_id":"{self.cid}",'
            f'"created_at":"{at.isoformat(timespec="microseconds")[:-6]}Z","id":"{tid}",'
            f'"kind":"{kind}","pending_id":{pending_text},"point_kind":"{point_kind}",'
            f'"prev_hash":"{prev}","private":"{commitment}","reverses_id":null,"seq":{seq}}}'
        )
        digest = hashlib.sha256(body.encode()).hexdigest()
        if not self.checked:
            self.checked = True
            fields = {
                "actor_id": actor, "amount": amount, "cause": cause, "cause_id": cause_id,
                "community_id": self.cid, "created_at": at, "credit_account_id": credit,
                "debit_account_id": debit, "id": tid, "kind": kind, "pending_id": pending_id,
                "point_kind": point_kind, "prev_hash": prev, "reason": reason,
                "reverses_id": None, "seq": seq, "booked_on": booked_on,
            }  # fmt: skip
            if chain_hash(fields) != digest or booked_on != clock.local_date(at):
                raise AssertionError("seed city: the fast canonical form differs from chain.py")
        return digest


@dataclass
class _Numbers:
    """The last number of each kind of row of a community (its ids are ``STRIDE * community +
    number``)."""

    order: int = 0
    claim: int = 0
    meeting: int = 0
    item: int = 0
    redemption: int = 0


# (resident, household id, grid id, person id)
Resident = tuple[int, uuid.UUID, uuid.UUID, uuid.UUID]


def community_rows(size: CitySize, community: int, out: Buffers) -> None:
    """Every row of one community, appended to ``out`` (table → records)."""
    rng = random.Random(community)
    below = _below(rng)
    now = clock.now()
    year_ago = now - 365 * DAY
    street = community // COMMUNITIES_PER_STREET
    sid, cid = street_id(street), community_id(community)
    digest = password_hash()
    created = year_ago - 30 * DAY
    add_unit, add_person = out["org_unit"].append, out["person"].append
    add_role, add_household = out["role_assignment"].append, out["household"].append
    add_unit(
        (cid, "community", f"城市社区{community + 1}", f"CITY-C{community:05d}", sid, cid,
         [sid, cid], created)
    )  # fmt: skip

    # staff: an admin and four meeting members
    admin = staff_id(2, community)
    add_person(
        (admin, f"社区书记{community + 1}", staff_phone(2, community), digest, cid, None, True,
         None, None, True, created)
    )  # fmt: skip
    role_n = 0
    role_base = community * STRIDE

    def role(person: uuid.UUID, name: str, unit: uuid.UUID, seat: str | None = None) -> None:
        nonlocal role_n
        role_n += 1
        add_role((uid(T_ROLE, role_base + role_n), person, name, unit, seat, created))

    role(admin, "community_admin", cid)
    members = []
    for seat_n, seat in enumerate(MEETING_SEATS):
        member = staff_id(3, community * 4 + seat_n)
        members.append((member, seat))
        add_person(
            (member, _name(below), staff_phone(3, community * 4 + seat_n), digest, cid, None,
             seat == "party_org", None, None, True, created)
        )  # fmt: skip
        role(member, "meeting_member", cid, seat)

    # grids, micro-grids, households, residents
    residents: list[Resident] = []
    grids = list(size.grids_of(community))
    for grid in grids:
        gid = grid_id(grid)
        add_unit(
            (gid, "grid", f"第{grid + 1}网格", f"CITY-G{grid:06d}", cid, cid, [sid, cid, gid],
             created)
        )  # fmt: skip
        micro = [micro_grid_id(grid, n) for n in range(MICRO_GRIDS_PER_GRID)]
        for n, mid in enumerate(micro):
            add_unit(
                (mid, "micro_grid", f"第{grid + 1}网格{n + 1}片", f"CITY-G{grid:06d}-{n + 1}",
                 gid, cid, [sid, cid, gid, mid], created)
            )  # fmt: skip
        for kind, name in ((4, "grid_worker"), (5, "grid_leader")):
            person = staff_id(kind, grid)
            add_person(
                (person, _name(below), staff_phone(kind, grid), digest, cid, None, kind == 5,
                 None, None, True, created)
            )  # fmt: skip
            role(person, name, gid)
        for resident in size.residents_of_grid(grid):
            household = resident // 2
            hid = uid(T_HOUSEHOLD, household)
            if resident % 2 == 0:
                add_household(
                    (hid, cid, gid, micro[household % MICRO_GRIDS_PER_GRID],
                     f"{grid + 1}网格{household}号", created)
                )  # fmt: skip
            party = rng.random() < 0.12
            pid = resident_id(resident)
            add_person(
                (pid, _name(below), resident_phone(resident), digest, cid, hid, party,
                 "社区党支部" if party else None, created if party else None, True, created)
            )  # fmt: skip
            role(pid, "resident", cid)
            if party:
                role(pid, "party_member", cid)
            residents.append((resident, hid, gid, pid))

    # the exchange: 20 goods, plenty in stock
    goods = []
    for n in range(GOODS_PER_COMMUNITY):
        price = 5 + (n * 7) % 80
        name = f"{GOODS_NAMES[n % len(GOODS_NAMES)]}{n // len(GOODS_NAMES) + 1}号"
        goods.append((goods_id(community, n), name, price))
        out["goods"].append(
            (goods[-1][0], cid, name, "", price, ["grid", "work"], 1_000_000, 5, True, created)
        )

    if not residents:
        raise ValueError("every community needs residents: more residents or fewer grids")
    numbers = _Numbers()
    _volunteering_and_ledger(
        size, community, rng, residents, members, admin, goods, out, now, numbers
    )
    _today(community, rng, residents, members, admin, out, now, numbers)
    _demands(size, community, rng, residents, grids, out, now)


def _volunteering_and_ledger(
    size: CitySize,
    community: int,
    rng: random.Random,
    residents: list[Resident],
    members: list[tuple[uuid.UUID, str]],
    admin: uuid.UUID,
    goods: list[tuple[uuid.UUID, str, int]],
    out: Buffers,
    now: datetime,
    numbers: _Numbers,
) -> None:
    below = _below(rng)
    cid = community_id(community)
    base = community * STRIDE
    ledger = _Ledger(community, out, now)
    counters = ledger.counters
    issuance = {k: system_account_id(community, "issuance", k) for k in ("work", "grid")}
    sink = {k: system_account_id(community, "exchange_sink", k) for k in ("work", "grid")}
    accounts = {  # resident → (work account, grid account)
        resident: (account_id(resident, "work"), account_id(resident, "grid"))
        for resident, _, _, _ in residents
    }
    year_ago = now - 365 * DAY
    add_order, add_claim = out["volunteer_order"].append, out["order_claim"].append
    add_item, add_grant = out["agenda_item"].append, out["point_grant"].append
    add_redemption, add_line = out["redemption"].append, out["redemption_line"].append

    # events in time order: (at, order, action); a heap, so holds can schedule their posts.
    # Built as a list first and heapified once: ``order`` is unique, so it pops the same way.
    events: list[tuple[datetime, int, tuple[Any, ...]]] = []
    pushed = 0

    def later(at: datetime, action: tuple[Any, ...]) -> None:
        nonlocal pushed
        pushed += 1
        heapq.heappush(events, (at, pushed, action))

    # 1. historic balances, a year ago
    for n, (resident, _, _, _) in enumerate(residents):
        for k, (kind, account) in enumerate(zip(("work", "grid"), accounts[resident], strict=True)):
            amount = 200 + below(1801)  # randint(200, 2000)
            at = year_ago + SECOND * (n * 2 + k)
            events.append((at, len(events) + 1, ("historic", account, kind, amount)))

    flows = size.flows_per_resident * len(residents)
    grants = int(flows) + (rng.random() < flows - int(flows))
    redemptions = grants
    # 2. completed orders, 10 confirmed claims each, decided by monthly meetings
    orders = -(-grants // PLACES_PER_ORDER) if grants else 0
    meetings: dict[int, tuple[uuid.UUID, datetime, str]] = {}
    granted = 0
    for n in range(orders):
        day = 20 + below(321)  # randint(20, 340)
        starts = now - (DAY * day + HOUR * below(9))  # hours: randint(0, 8)
        kind = "work" if rng.random() < 0.7 else "grid"
        grid_of_order = residents[below(len(residents))][2] if kind == "grid" else None
        numbers.order += 1
        oid = uid(T_ORDER, base + numbers.order)
        points = ORDER_POINTS[below(len(ORDER_POINTS))]
        title = f"志愿服务{n + 1}"
        places = min(PLACES_PER_ORDER, grants - granted, len(residents))
        add_order(
            (oid, cid, "grid" if grid_of_order else "community", grid_of_order, title,
             "社区志愿服务", "环境整治", "社区广场", starts, starts + 2 * HOUR,
             starts - 12 * HOUR, places, places, points, kind, 0, "completed",
             admin, starts - 5 * DAY, starts - 6 * DAY)
        )  # fmt: skip
        month = (day - 10) // 30  # decided by the meeting 8 days after the month ends
        if month not in meetings:
            closed = now - DAY * (month * 30 + 8)  # publicity (5 days) over before now
            numbers.meeting += 1
            mid = uid(T_MEETING, base + numbers.meeting)
            title_m = f"第{len(meetings) + 1}次联席会议"
            meetings[month] = (mid, closed, title_m)
            out["joint_meeting"].append(
                (mid, cid, title_m, closed - 2 * HOUR, 3, "closed", admin, closed,
                 closed - 3 * DAY)
            )  # fmt: skip
            for member, seat in members:
                out["meeting_member"].append((mid, member, seat, True))
        mid, closed, title_m = meetings[month]
        held_at = max(closed, starts + 4 * HOUR)
        for place, (resident, hid, _, pid) in enumerate(rng.sample(residents, places)):
            numbers.claim += 1
            seq = base + numbers.claim
            claim = uid(T_CLAIM, seq)
            add_claim(
                (claim, seq, cid, oid, pid, hid, "claimed", False, starts, starts + 2 * HOUR,
                 "confirmed", 120, admin, starts + 3 * HOUR, starts - (4 * DAY + MINUTE * place))
            )  # fmt: skip
            numbers.item += 1
            item = uid(T_ITEM, base + numbers.item)
            grant = uid(T_GRANT, base + numbers.item)
            add_item(
                (item, mid, cid, "claim", claim, None, "approve", points, None, "passed",
                 numbers.item)
            )  # fmt: skip
            account = accounts[resident][kind == "grid"]
            grant_action = ("grant", pid, account, kind, points, grant, claim, mid, title_m, title)
            events.append((held_at, len(events) + 1, grant_action))
            granted += 1

    # 3. redemptions at random moments
    for _ in range(redemptions):
        who = residents[below(len(residents))]
        at = now - SECOND * (3600 + below(330 * 86400 - 3600 + 1))  # randint(3600, 330 days)
        events.append((at, len(events) + 1, ("redeem", who, goods[below(len(goods))])))

    heapq.heapify(events)
    pushed = len(events)
    soon = now + HOUR
    while events:
        at, _, action = heapq.heappop(events)
        what = action[0]
        if what == "historic":
            _, account, kind, amount = action
            ledger.write("posted", kind, issuance[kind], account, amount,
                         at=at, cause="adjustment", cause_id=None, reason="历史积分迁移",
                         actor=OPERATOR)  # fmt: skip
        elif what == "grant":
            _, pid, account, kind, points, grant, claim, mid, title_m, title = action
            reason = f"{title_m}: {title}"
            hold = ledger.write("pending", kind, issuance[kind], account, points, at=at,
                                cause="meeting_decision", cause_id=grant, reason=reason,
                                actor=admin)  # fmt: skip
            ends = at + 5 * DAY
            add_grant(
                (grant, cid, claim, pid, mid, points, hold, "posted", ends, ends + MINUTE, at)
            )
            later(ends + MINUTE,
                  ("post", kind, issuance[kind], account, points, hold, grant, reason, None,
                   "meeting_decision", "公示期满"))  # fmt: skip
        elif what == "redeem":
            _, (resident, _, gid, pid), (gid_, name, price) = action
            work, grid_account = accounts[resident]
            c = counters.get(work)
            kind = "work" if (0 if c is None else c[1] - c[0] - c[2]) >= price else "grid"
            account = work if kind == "work" else grid_account
            if ledger.available(account) < price:
                continue
            numbers.redemption += 1
            number = base + numbers.redemption
            rid = uid(T_REDEMPTION, number)
            deadline = at + 3 * DAY
            reserved = deadline > soon
            hold = ledger.write("pending", kind, account, sink[kind], price, at=at,
                                cause="redemption", cause_id=rid, reason="积分兑换",
                                actor=pid, expires_at=deadline)  # fmt: skip
            picked = at + HOUR * (1 + below(60))  # randint(1, 60)
            if not reserved and picked >= now:
                picked = at + 30 * MINUTE
            code = "".join([CODE_ALPHABET[(number >> 5 * i) & 31] for i in range(8)])
            add_redemption(
                (rid, -number, cid, pid, gid, kind, price, hold, code,
                 "reserved" if reserved else "fulfilled", deadline, at,
                 None if reserved else picked, None if reserved else admin)
            )  # fmt: skip
            add_line((uid(T_LINE, number), cid, rid, "goods", gid_, name, 1, price))
            if not reserved:
                later(picked, ("post", kind, account, sink[kind], price, hold, rid, "兑换核销",
                               admin, "redemption", None))  # fmt: skip
        else:  # post a hold
            _, kind, debit, credit, amount, hold, cause_id, reason, actor, cause, own = action
            ledger.write("post", kind, debit, credit, amount, at=at, cause=cause,
                         cause_id=cause_id, reason=own or reason, actor=actor, pending_id=hold,
                         held=amount)  # fmt: skip

    # accounts with their final counters, and the chain head
    created = year_ago - DAY
    add_account = out["ledger_account"].append
    for resident, _, _, pid in residents:
        work, grid_account = accounts[resident]
        add_account((work, cid, "person", "work", pid, *counters.get(work, ZERO_COUNTERS),
                     created))  # fmt: skip
        add_account((grid_account, cid, "person", "grid", pid,
                     *counters.get(grid_account, ZERO_COUNTERS), created))  # fmt: skip
    for type_ in ("issuance", "exchange_sink"):
        for kind in ("work", "grid"):
            account = system_account_id(community, type_, kind)
            c = counters.get(account, [0, 0, 0, 0])
            add_account((account, cid, type_, kind, None, *c, created))
    out["ledger_chain_head"].append((cid, ledger.seq, ledger.head))


def _today(
    community: int,
    rng: random.Random,
    residents: list[Resident],
    members: list[tuple[uuid.UUID, str]],
    admin: uuid.UUID,
    out: Buffers,
    now: datetime,
    numbers: _Numbers,
) -> None:
    """An open meeting with 50 undecided claims and votes; orders open for claims."""
    below = _below(rng)
    cid = community_id(community)
    base = community * STRIDE
    # 5 recent orders, 10 confirmed claims each: the open meeting's agenda
    numbers.meeting += 1
    mid = uid(T_MEETING, base + numbers.meeting)
    out["joint_meeting"].append(
        (mid, cid, "本月联席会议", now + 2 * DAY, 3, "open", admin, None, now)
    )
    for member, seat in members:
        out["meeting_member"].append((mid, member, seat, True))
    position = 0
    for n in range(AGENDA_ITEMS // PLACES_PER_ORDER):
        starts = now - (DAY * (3 + n) + 2 * HOUR)
        numbers.order += 1
        oid = uid(T_ORDER, base + numbers.order)
        out["volunteer_order"].append(
            (oid, cid, "community", None, f"近期志愿服务{n + 1}", "社区志愿服务", "助老服务",
             "社区活动室", starts, starts + 2 * HOUR, starts - 12 * HOUR,
             PLACES_PER_ORDER, PLACES_PER_ORDER, 10, "work", 0, "completed", admin,
             starts - 5 * DAY, starts - 6 * DAY)
        )  # fmt: skip
        for place, (_, hid, _, pid) in enumerate(
            rng.sample(residents, min(PLACES_PER_ORDER, len(residents)))
        ):
            numbers.claim += 1
            seq = base + numbers.claim
            claim = uid(T_CLAIM, seq)
            out["order_claim"].append(
                (claim, seq, cid, oid, pid, hid, "claimed", False, starts, starts + 2 * HOUR,
                 "confirmed", 120, admin, starts + 3 * HOUR, starts - (4 * DAY + MINUTE * place))
            )  # fmt: skip
            numbers.item += 1
            item = uid(T_ITEM, base + numbers.item)
            position += 1
            out["agenda_item"].append(
                (item, mid, cid, "claim", claim, None, "approve", 10, None, "pending", position)
            )
            for member, _seat in members[:3]:
                out["meeting_vote"].append((item, member, "for", now))
    # open orders: 5 for the community, 1 per grid, some places taken
    scopes: list[uuid.UUID | None] = [None] * 5
    scopes += sorted({gid for _, _, gid, _ in residents})
    for n, grid in enumerate(scopes):
        starts = now + (DAY * (2 + n % 7) + 9 * HOUR)
        numbers.order += 1
        oid = uid(T_ORDER, base + numbers.order)
        taken = below(11)  # randint(0, 10)
        out["volunteer_order"].append(
            (oid, cid, "grid" if grid else "community", grid, f"招募令{n + 1}", "志愿者招募",
             "环境整治", "社区广场", starts, starts + 2 * HOUR, starts - 12 * HOUR, 20, taken,
             10, "grid" if grid else "work", 0, "published", admin, now - DAY, now - 2 * DAY)
        )  # fmt: skip
        chosen = rng.sample(residents, min(taken, len(residents)))
        for _, hid, _, pid in chosen:
            numbers.claim += 1
            seq = base + numbers.claim
            claim = uid(T_CLAIM, seq)
            out["order_claim"].append(
                (claim, seq, cid, oid, pid, hid, "claimed", False, None, None, "pending", None,
                 None, None, now - HOUR * (1 + below(20)))  # hours: randint(1, 20)
            )  # fmt: skip


def _demands(
    size: CitySize,
    community: int,
    rng: random.Random,
    residents: list[Resident],
    grids: list[int],
    out: Buffers,
    now: datetime,
) -> None:
    """Each grid's demands: most closed (solved, rated), some waiting in the queue."""
    below = _below(rng)
    cid = community_id(community)
    categories = [uid(T_CATEGORY, community * 8 + n) for n in range(len(CATEGORIES))]
    for category, name in zip(categories, CATEGORIES, strict=True):
        out["demand_category"].append((category, cid, name, now - 400 * DAY))
    by_grid: dict[uuid.UUID, list[uuid.UUID]] = {}  # grid → its residents' person ids
    for _, _, gid, pid in residents:
        by_grid.setdefault(gid, []).append(pid)
    add_demand, add_event = out["demand"].append, out["demand_event"].append
    event_n = 0
    for grid in grids:
        gid = grid_id(grid)
        people = by_grid.get(gid)
        if not people:
            continue
        worker = staff_id(4, grid)
        for n in range(size.demands_per_grid):
            number = grid * 1000 + n
            did = uid(T_DEMAND, number)
            who = people[below(len(people))]
            open_ = n % 5 == 0
            at = now - (MINUTE * (1 + below(600)) if open_  # randint(1, 600)
                        else DAY * (2 + below(299)))  # randint(2, 300)  # fmt: skip
            solved = at + MINUTE * (10 + below(46))  # randint(10, 55)
            add_demand(
                (did, cid, gid, who, who, DEMAND_TYPES[below(len(DEMAND_TYPES))],
                 categories[below(len(categories))], "楼道灯不亮了，请尽快处理。", "normal", 10,
                 60, 1440, "grid", "active" if open_ else "closed", None if open_ else worker,
                 at, None if open_ else at + 5 * MINUTE, None if open_ else solved,
                 None if open_ else "grid", None if open_ else solved + 2 * HOUR,
                 None if open_ else "solved", None if open_ else 5, 0, at,
                 at if open_ else None)
            )  # fmt: skip
            steps = [("reported", who, at)]
            if not open_:
                steps += [("accepted", worker, at + 5 * MINUTE),
                          ("solved", worker, solved),
                          ("rated", who, solved + 2 * HOUR)]  # fmt: skip
            for kind, actor, moment in steps:
                event_n += 1
                seq = community * STRIDE + event_n
                add_event((uid(T_EVENT, seq), seq, cid, did, kind, "grid", actor, gid, moment))
