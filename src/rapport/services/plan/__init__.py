"""Scheduling (availability, busy times, proposals, bookings, reminders, calendars) and
weekly plans. See docs/plan.md."""
