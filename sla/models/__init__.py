"""The models of service level management, one module per concern:

calendars   business calendars (working periods, holidays, extra working days)
definitions agreements (SLA / OLA / underpinning contract), their targets and escalation steps
clocks      clocks on records and the exactly-once record of each threshold they pass
outcomes    the dashboard's daily roll-up of met and breached clocks
"""

from .calendars import (
    DAY_SECONDS,
    MIDNIGHT,
    BusinessCalendar,
    BusinessCalendarQuerySet,
    CalendarException,
    ExceptionPeriod,
    TimeRange,
    WorkingPeriod,
    format_range,
    range_errors,
    seconds_of,
    validate_has_working_time,
    validate_time_zone,
)
from .clocks import ClockThresholdEvent, SLAClock, SLAClockQuerySet
from .definitions import (
    BREACH_PERCENT,
    DEFAULT_WARNING_THRESHOLDS,
    MAX_TARGET,
    EscalationStep,
    SLADefinition,
    SLATarget,
    step_errors,
    threshold_errors,
)
from .outcomes import OutcomeChange, OutcomeDay, OutcomeRollup

__all__ = [
    "BREACH_PERCENT", "DAY_SECONDS", "DEFAULT_WARNING_THRESHOLDS", "MAX_TARGET", "MIDNIGHT", "BusinessCalendar",
    "BusinessCalendarQuerySet", "CalendarException", "ClockThresholdEvent", "EscalationStep", "ExceptionPeriod",
    "OutcomeChange", "OutcomeDay", "OutcomeRollup",
    "SLAClock", "SLAClockQuerySet", "SLADefinition", "SLATarget", "TimeRange", "WorkingPeriod", "format_range",
    "range_errors", "seconds_of", "step_errors", "threshold_errors", "validate_has_working_time", "validate_time_zone",
]
