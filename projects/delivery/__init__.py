"""Deliverables, quality, change requests and the RAID log (issue 5): services, selectors, views, forms."""
