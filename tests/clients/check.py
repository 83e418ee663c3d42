"""A typed program against the generated Python client (openapi-python-client), checked with
`mypy --strict` and run against the demo by `.ci/clients`: list items are the single GET's
type, and an availability report is typed JSON (its CSV form a string)."""

import os
import sys

from slr_client import AuthenticatedClient
from slr_client.api.availability import get_availability, get_availability_csv
from slr_client.api.directory import get_me, list_offerings
from slr_client.api.status import get_incident, list_incidents
from slr_client.models import (
    AvailabilityOverview,
    IncidentResponse,
    MeResponse,
    PageIncidentResponse,
    PageOfferingResponse,
)


def describe(incident: IncidentResponse) -> str:
    """Takes the one incident type, whether it came from the list or the single GET."""
    return f"#{incident.id} {incident.title} ({incident.status.value}, {incident.impact.value})"


def main() -> int:
    client = AuthenticatedClient(
        base_url=os.environ["SLR_URL"],
        token=os.environ["SLR_TOKEN_ALICE"],
        raise_on_unexpected_status=True,
    )
    with client as client:
        me = get_me.sync(client=client)
        assert isinstance(me, MeResponse), me
        print(f"python: {me.contact.email} of {me.account.name}")

        offerings = list_offerings.sync(client=client, limit=200)
        assert isinstance(offerings, PageOfferingResponse), offerings
        assert offerings.items, "the partner sees offerings"

        page = list_incidents.sync(client=client, active=True)
        assert isinstance(page, PageIncidentResponse), page
        assert page.items, "the demo has active incidents the partner sees"
        listed = page.items[0]
        single = get_incident.sync(client=client, id=listed.id)
        assert isinstance(single, IncidentResponse), single
        assert describe(listed) == describe(single)
        print(f"python: {len(page.items)} active incidents, first {describe(listed)}")

        overview = get_availability.sync(client=client)
        assert isinstance(overview, AvailabilityOverview), overview
        ids = {row.offering_id for row in overview.offerings}
        assert ids <= {offering.id for offering in offerings.items}
        print(f"python: availability of {len(overview.offerings)} offerings")

        csv = get_availability_csv.sync(client=client)
        assert isinstance(csv, str) and csv.startswith("offering_id"), csv
    return 0


if __name__ == "__main__":
    sys.exit(main())
