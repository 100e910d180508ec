"""Billing: how a project earns revenue (time and materials, fixed price, retainer), bill rates, exchange rates
and the margin of projects, accounts and departments."""
