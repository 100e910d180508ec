"""Deliverables: their plan and Gantt timeline, their workflow to the client's sign-off, the schedule baseline."""
