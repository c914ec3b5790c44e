"""The points ledger (积分账户 / 流水): double entry, two-phase holds, a hash chain, idempotency.

Modelled on TigerBeetle. Accounts (:mod:`.models`): one per person per point kind per community,
plus each community's system accounts (issuance, exchange sink, expiry). A transfer debits one
account and credits another of the same community and point kind by the same positive integer,
so each point kind sums to zero over all accounts; the issuance account goes negative by exactly
the points granted. Transfers are immutable rows of four kinds: ``posted`` (single phase),
``pending`` (a hold), and ``post``/``void`` resolving a hold. Corrections are reversals.

Where each rule lives:

==================================================  =============================================
rule                                                enforced by
==================================================  =============================================
a person's available balance never below zero       guarded UPDATE; CHECK on ``ledger_account``
a hold resolved once, never both posted and voided  UNIQUE (pending_id) + ``ON CONFLICT``
post at most what was held                          :func:`.service.post` (the rest is released)
rows never updated or deleted                       trigger on ``ledger_transfer`` (migration 0002)
a posting reversed at most once                     UNIQUE (reverses_id)
every transfer has a cause, a reason, an actor      NOT NULL/CHECK columns (actor NULL = system)
one effect per idempotency key                      PRIMARY KEY (actor_id, key) + ``ON CONFLICT``
counters equal the sums of the transfers            same statement; :mod:`.verify` checks
the postings of a community form a hash chain       :mod:`.chain`; :mod:`.verify` recomputes it
booked on the day written or before, never after    CHECK on ``ledger_transfer``
nothing booked into a closed month                  :func:`.writes.check_booking`; trigger (0008)
points expire by transfers, never by edits          :mod:`.expiry` (FIFO, idempotent)
==================================================  =============================================

Modules: :mod:`.service` (the primitives other services call; :mod:`.accounts`, :mod:`.holds`
and :mod:`.writes` behind it), :mod:`.admin` (staff corrections through the graph),
:mod:`.periods` (closing months), :mod:`.expiry` (the communities' expiry policies),
:mod:`.queries` (balances and scoped reads), :mod:`.idempotency` (reusable by any service),
:mod:`.chain` (hashing and the per-community write lock), :mod:`.verify` (chain and balance
verification from the database or a JSON export) and :mod:`.check` (the quick SQL balance check).

Time: transfers carry ``created_at`` (from :func:`services.clock.now`) and ``booked_on``, the
Asia/Shanghai day they count for in the monthly statistics (:mod:`services.reports.points`),
indexed by (community, booked_on).
"""
