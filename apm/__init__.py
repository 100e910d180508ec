"""APM: the account project manager's desk."""

from apm.celery import app as celery_app

__all__ = ("celery_app",)
