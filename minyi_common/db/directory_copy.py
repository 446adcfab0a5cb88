"""A service's copy of the directory: the people and units the gateway owns, kept from
its ``directory.person_upserted`` and ``directory.unit_upserted`` events in tables of the
service's own (no service reads another's tables)."""
from .consume import handle_each
from .unit_of_work import upsert_row


def unit_name_and_kind(unit: dict) -> dict:
    return {"name": unit["name"], "kind": unit["kind"]}


class DirectoryCopy:
    """Keeps ``people`` (and ``units``, where the service copies them) at each record's
    newest snapshot: a snapshot that arrives after a newer one changes nothing, and an
    event applied twice changes nothing either.

    ``person_values(person)`` gives the columns this service keeps of a person (each
    keeps what it needs: notify an address, scoring whether one owes a quota)."""

    def __init__(self, service: str, people, person_values, units=None,
                 unit_values=unit_name_and_kind):
        self.service, self.people, self.person_values = service, people, person_values
        self.units, self.unit_values = units, unit_values

    def apply(self, uow, event: dict) -> None:
        if event["event_type"] == "directory.person_upserted":
            person = event["person"]
            upsert_row(uow, self.people, person["id"], self.person_values(person),
                       person["version"])
        elif self.units is not None and event["event_type"] == "directory.unit_upserted":
            unit = event["unit"]
            upsert_row(uow, self.units, unit["id"], self.unit_values(unit), unit["version"])
        else:
            raise ValueError(f"{self.service} keeps no copy for {event['event_type']}")

    def consume(self, db, events) -> None:
        """Apply a batch of directory events, each once."""
        handle_each(db, self.service, list(events), self.apply)
