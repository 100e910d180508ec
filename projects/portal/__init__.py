"""The client portal: status pages for client contacts, and share links.

A Django app of its own (label ``portal``, its own migrations) with the same
inner layout as the domains of ``projects``: models, selectors, services,
forms, views, urls, admin.
"""
