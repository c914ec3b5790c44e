"""Who should have heard what, from the outbox, against what each client heard.

The outbox holds every event the run's changes made (written in their transactions), with its
channels. The audience rules of ``schema/subscriptions.py`` for a resident with no staff scope:

* ``stockChanged``: a ``stock.changed`` on their community's channel, for active goods;
* ``orderPublished``: an ``order.published`` on their community's channel, for a community
  order or one of their own grid;
* ``myClaimChanged`` (``claim.changed``, ``order.cancelled``), ``grantPosted``
  (``grant.posted``), ``myRedemptionChanged`` (``redemption.changed``), ``demandChanged``
  (``demand.changed``): on their own person channel.

Each event is due once on each of the person's sockets. Events are counted per (client,
subscription, object): a delivery more than due is a duplicate, fewer is a loss.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from bench.subs.world import Person

PERSONAL = {
    "claim.changed": ("myClaimChanged", "claimId"),
    "order.cancelled": ("myClaimChanged", "claimId"),
    "grant.posted": ("grantPosted", "grantId"),
    "redemption.changed": ("myRedemptionChanged", "redemptionId"),
    "demand.changed": ("demandChanged", "demandId"),
}
PREFIX = "gp:events:"

Key = tuple[str, str]  # subscription field, object uuid


def due(events: list[dict[str, Any]], person: Person, inactive_goods: set[str]) -> Counter[Key]:
    """What one socket of ``person`` must hear of ``events`` (outbox rows)."""
    wanted: Counter[Key] = Counter()
    community = f"{PREFIX}community:{person.community_id}"
    own = f"{PREFIX}person:{person.person_id}"
    for event in events:
        topic, channels, payload = event["topic"], event["channels"], event["payload"]
        if topic == "stock.changed" and community in channels:
            if payload["goodsId"] not in inactive_goods:
                wanted[("stockChanged", payload["goodsId"])] += 1
        elif topic == "order.published" and community in channels:
            if payload.get("gridId") in (None, person.grid_id):
                wanted[("orderPublished", payload["orderId"])] += 1
        elif topic in PERSONAL and own in channels:
            name, key = PERSONAL[topic]
            wanted[(name, payload[key])] += 1
    return wanted


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


@dataclass
class Tally:
    due: int = 0
    delivered: int = 0
    missing: int = 0
    duplicated: int = 0
    late: int = 0
    unexpected: int = 0  # deliveries of nothing the run's outbox holds (an earlier event)
    latencies: list[float] = field(default_factory=list)
    by_field: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    examples: list[str] = field(default_factory=list)


def tally(
    events: list[dict[str, Any]],
    owners: list[Person],
    deliveries: list[list[tuple[str, str, float]]],
    answers: dict[Key, list[float]],
    inactive_goods: set[str],
    since: float,
    late_s: float,
) -> Tally:
    """``owners[i]`` is the person of client ``i``, ``deliveries[i]`` what client ``i`` heard;
    ``answers``: when the mutations behind each object were answered (for latencies)."""
    result = Tally()
    cache: dict[str, Counter[Key]] = {}
    for index, (owner, heard) in enumerate(zip(owners, deliveries, strict=True)):
        wanted = cache.get(owner.person_id)
        if wanted is None:
            wanted = cache[owner.person_id] = due(events, owner, inactive_goods)
        got: dict[Key, list[float]] = defaultdict(list)
        for name, obj, when in heard:
            if when >= since:
                got[(name, obj)].append(when)
        for key in set(wanted) | set(got):
            want, have = wanted.get(key, 0), len(got.get(key, []))
            stats = result.by_field[key[0]]
            stats["due"] += want
            stats["delivered"] += have
            result.due += want
            result.delivered += have
            if want == 0:
                result.unexpected += have
                stats["unexpected"] += have
                continue
            if have < want:
                result.missing += want - have
                stats["missing"] += want - have
                if len(result.examples) < 20:
                    result.examples.append(f"client {index}: {key} heard {have} of {want}")
            elif have > want:
                result.duplicated += have - want
                stats["duplicated"] += have - want
            for answered, heard_at in zip(
                sorted(answers.get(key, [])), sorted(got[key]), strict=False
            ):
                latency = max(0.0, heard_at - answered)
                result.latencies.append(latency)
                if latency > late_s:
                    result.late += 1
                    stats["late"] += 1
    return result
