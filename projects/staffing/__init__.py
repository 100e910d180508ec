"""Staffing: open roles, suggestions by skill fit and free time, bookings, the capacity heatmap and a
person's page. It stays in ``projects`` because it reads roles and allocations; ``teams`` knows nothing
of projects and only does the capacity and fit arithmetic."""
