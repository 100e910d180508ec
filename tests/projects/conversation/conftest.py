"""A deliverable, task and change request of ALPHA-1 (the shared world) to comment on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from projects.models import ChangeRequest, Task
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name: str = "notes.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def project(world):
    return world["alpha_project"]


@pytest.fixture
def deliverable(project, pm):
    return factories.DeliverableFactory(project=project, owner=pm, status="awaiting_sign_off", name="Designs")


@pytest.fixture
def task(project):
    return Task.objects.create(project=project, title="Agree the plan", due_date=dt.date(2026, 1, 31))


@pytest.fixture
def change(project, pm):
    return ChangeRequest.objects.create(
        project=project,
        number=1,
        title="Extra page",
        description="d",
        reason="r",
        author=pm,
        approvers="client",
        status="submitted",
        submitted_at=timezone.now(),
    )
