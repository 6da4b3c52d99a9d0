"""Desk pages where administrators manage business calendars and service level agreements (team leads and managers
read them). The pages only shape input: every change goes through sla.services (calendars) and sla.definitions
(agreements), whose ValidationErrors are put back on the fields, and rows, they name.
"""
