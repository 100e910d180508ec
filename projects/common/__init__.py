"""Mechanics shared by the domains of ``projects``: the project lookup, history, workflows, the client view,
private files in the admin and the form fields several domains offer."""
