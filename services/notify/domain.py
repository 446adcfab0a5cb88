"""Who is told of what (docs/notifications.md), free of any framework: the rules that
pick a notice's recipients from an event and the people of the directory."""

# Adoptions and outcomes go to everyone credited and to the unit's admins.
WIDE = ("report_adopted", "report_forwarded", "report_outcome_recorded")


def recipients(event: dict, audience: str, active_people) -> list:
    """The ids of the people a notice about ``event`` goes to, each once, in order.

    ``audience`` is ``default`` (the event's own notice), ``editors`` (an urgent report),
    ``handoff`` (the unit a report was handed to, 转办), ``handoff_creator`` (the editor
    who handed it), ``author`` (a report
    entered on their behalf) or ``co_authors`` (those a report names). ``active_people()``
    gives (id, roles, unit ids) of every active person; it is asked only when the answer
    depends on people's roles."""
    def having(wanted):
        return [person_id for person_id, roles, units in active_people()
                if wanted(roles, units)]

    kind = event["event_type"]
    if audience == "editors":
        return having(lambda roles, _units: "editor" in roles)
    if audience == "handoff":
        unit_id = event["handoff"]["unit_id"]
        return having(lambda roles, units: "unit_admin" in roles and unit_id in units)
    if audience == "handoff_creator":
        return [event["handoff"]["created_by"]]
    if audience == "author":
        return [event["report"]["author_id"]]
    if audience == "co_authors":
        return list(dict.fromkeys(event["report"]["co_author_ids"]))
    if kind in ("points_changed", "quota_reminder_due", "appeal_resolved"):
        return [event["person_id"]]
    if kind == "notice_published":  # everyone, once
        return having(lambda _roles, _units: True)
    if kind == "commission_issued":  # its person, or its unit's admins
        commission = event["commission"]
        if commission["person_id"]:
            return [commission["person_id"]]
        return having(lambda roles, units: "unit_admin" in roles
                      and commission["unit_id"] in units)
    if kind == "bulletin_published":
        return having(lambda roles, _units: "unit_admin" in roles)
    report = event["report"]
    found = [report["author_id"]]
    if kind in WIDE or kind == "handoff_replied":
        found += report["co_author_ids"]
        if report.get("unit_id"):
            found += having(lambda roles, units: "unit_admin" in roles
                            and report["unit_id"] in units)
    return list(dict.fromkeys(found))
