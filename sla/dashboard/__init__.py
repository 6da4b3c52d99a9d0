"""The managers' SLA dashboard: compliance over a period, breaches and at-risk clocks now, weekly trend.

One set of figures (`queries.dashboard_figures`) over one restriction (`queries.visible_condition`) feeds the page,
the API (/api/v1/sla/dashboard/) and the CSV download; `forms.DashboardForm` validates the period and the filters for
all three.
"""
