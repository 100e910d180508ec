"""Readers for external portfolio files. Pure parsing: no database access here.

The writing lives in ``projects.services`` (``portfolio_import_gmpp``).
"""
