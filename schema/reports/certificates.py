"""Volunteer service certificates (志愿服务证明): issue one, list them, print the PDF."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry.types import Info

from schema.context import Context
from schema.errors import Error
from schema.mutations import perform
from schema.orgs.types import OrgUnit
from schema.relay import decode_optional_id, to_global_id
from services.reports import certificates


@strawberry.type(description="A numbered certificate of a person's volunteer hours.")
class VolunteerCertificate:
    id: strawberry.ID
    number: str
    issued_on: date
    services: int = strawberry.field(description="Confirmed services it counts.")
    hours: float
    stars: int
    pdf_url: str = strawberry.field(description="GET with your Authorization header.")
    community_local_id: strawberry.Private[uuid.UUID]
    person_local_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_model(cls, row: certificates.VolunteerCertificate) -> VolunteerCertificate:
        global_id = to_global_id("VolunteerCertificate", row.id)
        return cls(
            id=global_id,
            number=row.number,
            issued_on=row.issued_on,
            services=row.services,
            hours=row.hours,
            stars=row.stars,
            pdf_url=f"/certificates/{global_id}.pdf",
            community_local_id=row.community_id,
            person_local_id=row.person_id,
        )

    @strawberry.field(description="The issuing community.")
    async def community(self, info: Info[Context, None]) -> OrgUnit | None:
        unit = await (await info.context.loaders()).unit.load(self.community_local_id)
        return OrgUnit.from_model(unit) if unit else None

    @strawberry.field(description="The volunteer's name.")
    async def person_name(self, info: Info[Context, None]) -> str | None:
        return await (await info.context.loaders()).name.load(self.person_local_id)


@strawberry.input
class VolunteerCertificateIssueInput:
    person_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff issuing for someone; omit for your own."
    )


@strawberry.type
class VolunteerCertificatePayload:
    certificate: VolunteerCertificate | None = None
    errors: list[Error] = strawberry.field(default_factory=list)


@strawberry.type
class CertificateQuery:
    @strawberry.field(description="A person's certificates (default: yours), latest first.")
    async def volunteer_certificates(
        self, info: Info[Context, None], person_id: strawberry.ID | None = None
    ) -> list[VolunteerCertificate]:
        actor = await info.context.require_actor()
        person = decode_optional_id(person_id, "Person", field="personId") or actor.person_id
        rows = await info.context.db(lambda s: certificates.of_person(s, actor, person_id=person))
        return [VolunteerCertificate.from_model(row) for row in rows]


@strawberry.type
class CertificateMutation:
    @strawberry.mutation(description="Certify a volunteer service record as of today.")
    async def volunteer_certificate_issue(
        self, info: Info[Context, None], input: VolunteerCertificateIssueInput
    ) -> VolunteerCertificatePayload:
        issued, errors = await perform(
            info,
            lambda s, actor: certificates.issue(
                s,
                actor,
                person_id=decode_optional_id(input.person_id, "Person", field="personId"),
            ),
        )
        return VolunteerCertificatePayload(
            certificate=VolunteerCertificate.from_model(issued) if issued else None,
            errors=list(errors),
        )
