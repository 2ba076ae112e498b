"""Billing schedules, their phases, discounts and minimums, and billing-schedule settings (2024-01-01).

The engine reads schedules only through ``read.load_schedule_views`` (plain frozen dataclasses), is told
of archives through ``hooks`` and marks schedules COMPLETED with ``service.mark_completed``
(docs/billing-schedules.md).
"""
