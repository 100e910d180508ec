"""Mechanics shared by the domains of ``projects``: the one project lookup, and (later) history and workflows."""
