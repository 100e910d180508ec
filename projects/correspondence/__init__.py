"""Correspondence with clients and public authorities: the log, letters written on the letterhead, reminders
of replies due and documents expiring."""
