"""Tasks: the work under a project's deliverables (selectors, services, forms, views, urls, admin)."""
