"""The authorisation layer for incidents: what a person may see. Pages, API, search and exports all start here.
Incidents follow the records' default rule (records.querysets): staff see every incident; an end user sees their own
(and their organisation's, where allowed); conversation entries and files follow their incident."""

from records.querysets import RecordQuerySet


class IncidentQuerySet(RecordQuerySet):
    pass
