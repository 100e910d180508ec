"""The Import page: upload, map, check (nothing written), confirm; the project form's rules for heads."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.importers import jobs
from projects.importers.mapping import Mapping
from projects.models import Client, ImportJob, ImportMapping, Project, StatusUpdate
from teams.models import Department
from tests import factories

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
CSV = DATA / "agency_it_portfolio.csv"


def _upload(client, content: bytes, name: str = "agency.csv", **extra):
    return client.post("/import/", {"file": SimpleUploadedFile(name, content), **extra})


def _mapped(browser, job: ImportJob, **changes) -> object:
    """Post the map page's own first guess, with ``changes``."""
    form = browser.get(f"/import/{job.pk}/map/").context["form"]
    data = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in form.initial.items() if v is not None}
    data.update(changes)
    return browser.post(f"/import/{job.pk}/map/", data)


def _run(job: ImportJob) -> ImportJob:
    jobs.job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_an_administrator_uploads_maps_checks_and_confirms(
    client, admin_user, published, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    response = _upload(client, CSV.read_bytes())
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/import/{job.pk}/map/"

    page = client.get(f"/import/{job.pk}/map/")
    html = page.content.decode()
    assert "5 rows read as utf-8" in html
    assert "Harbour Berth Booking System" in html
    initial = page.context["form"].initial
    # The first guess from the column names: the unit and currency from "($M)".
    assert (initial["column_0"], initial["column_1"], initial["column_4"]) == (
        "department.codes",
        "project.name",
        "budget.period",
    )
    assert (initial["unit"], initial["currency"]) == ("millions", "USD")

    with django_capture_on_commit_callbacks(execute=True):
        response = _mapped(
            client, job, client="Agency Technology Office", date_format="mm/dd/yyyy", rag_scale="cio-1-5"
        )
    assert response.status_code == 302
    assert response["Location"] == f"/import/{job.pk}/"
    assert published == [(jobs.RUN_IMPORT_JOB, (job.pk,))]

    job = _run(job)
    assert job.status == "finished"
    assert job.phase == "check"
    assert job.result["imported"] == 5
    assert job.result["projects_created"] == 4
    assert job.result["ignored_columns"] == ["Contact Email"]
    assert Project.objects.count() == 0  # the check writes nothing
    html = client.get(f"/import/{job.pk}/").content.decode()
    assert "Import 5 rows" in html
    assert "4 new, 0 updated, 0 unchanged" in html

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/import/{job.pk}/confirm/").status_code == 302
    job = _run(job)
    assert (job.phase, job.status) == ("import", "finished")
    project = Project.objects.get(code="021-000001")
    assert project.currency == "USD"
    assert project.bac == Decimal("49500000.00")
    assert project.client.name == "Agency Technology Office"
    assert StatusUpdate.objects.count() == 5
    html = client.get(f"/import/{job.pk}/").content.decode()
    assert "Imported agency.csv" in html
    assert "See the projects" in html
    # Confirming twice does nothing more.
    client.post(f"/import/{job.pk}/confirm/")
    assert ImportJob.objects.get().status == "finished"
    assert len(published) == 2


def test_a_head_imports_only_into_departments_they_head(client, head, published):
    harb = factories.DepartmentFactory(code="HARB", name="Harbours")
    harb.heads.add(head)
    factories.DepartmentFactory(code="PARKS", name="Parks")
    Client.objects.create(name="Agency Technology Office")
    client.force_login(head)
    _upload(client, CSV.read_bytes())
    job = ImportJob.objects.get()
    _mapped(client, job, client="Agency Technology Office", date_format="mm/dd/yyyy", rag_scale="cio-1-5")
    job = _run(job)
    client.post(f"/import/{job.pk}/confirm/")
    job = _run(job)
    assert job.result["imported"] == 2
    assert sorted(Project.objects.values_list("code", flat=True)) == ["021-000001"]
    reasons = dict(job.result["skipped"])
    assert reasons[5] == "you head none of this project's departments (PARKS): you could not see it once imported"
    assert reasons[6] == "no department 'TRANSIT'; an administrator can add it, or import the file"
    assert not Department.objects.filter(code="TRANSIT").exists()
    html = client.get(f"/import/{job.pk}/").content.decode()
    assert "Refused rows" in html
    assert "no department &#x27;TRANSIT&#x27;" in html


def test_a_head_cannot_create_a_client(client, head, published):
    harb = factories.DepartmentFactory(code="HARB", name="Harbours")
    harb.heads.add(head)
    client.force_login(head)
    _upload(client, CSV.read_bytes())
    job = ImportJob.objects.get()
    _mapped(client, job, client="Agency Technology Office", date_format="mm/dd/yyyy")
    job = _run(job)
    assert job.result["imported"] == 0
    assert job.result["skipped"][0] == [
        2,
        "no client 'Agency Technology Office'; an administrator can add it, or import the file",
    ]


def test_others_may_not_import_and_no_one_sees_anothers_job(client, pm, head, outside_head, published):
    client.force_login(pm)
    assert client.get("/import/").status_code == 403
    assert _upload(client, b"a,b\n1,2\n").status_code == 403
    assert ImportJob.objects.count() == 0
    client.force_login(head)
    _upload(client, CSV.read_bytes())
    job = ImportJob.objects.get()
    client.force_login(outside_head)
    for url in (f"/import/{job.pk}/", f"/import/{job.pk}/map/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/import/{job.pk}/confirm/").status_code == 404


def test_nav_shows_import_to_heads_only(client, head, pm):
    client.force_login(head)
    assert 'href="/import/"' in client.get("/projects/").content.decode()
    client.force_login(pm)
    assert 'href="/import/"' not in client.get("/projects/").content.decode()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The submitted file is empty."),
        (_zip(), "fake.xlsx", "is not an Excel workbook (.xlsx), checked by its content"),
    ],
)
def test_a_bad_upload_is_refused_and_nothing_stored(client, admin_user, content, name, message):
    client.force_login(admin_user)
    response = _upload(client, content, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_an_unreadable_file_is_named_with_its_line_on_the_map_page(client, admin_user):
    client.force_login(admin_user)
    _upload(client, b'name,department\n"Unclosed,HARB\nOther,HARB\n', "broken.csv")
    job = ImportJob.objects.get()
    html = client.get(f"/import/{job.pk}/map/").content.decode()
    assert "This file cannot be read" in html
    assert "broken.csv, line 2: unterminated quote" in html
    assert "/private/" not in html  # the stored path is never shown


def test_a_mapping_without_a_name_column_is_refused_and_nothing_queued(client, admin_user, published):
    client.force_login(admin_user)
    _upload(client, CSV.read_bytes())
    job = ImportJob.objects.get()
    response = _mapped(client, job, column_1="", client="Agency Technology Office")
    assert response.status_code == 200
    assert "map a column to the project name" in response.content.decode()
    assert published == []
    assert ImportJob.objects.get().status == "waiting"


def test_a_mapping_file_fills_the_page_and_a_saved_preset_downloads_as_json(client, admin_user, published):
    client.force_login(admin_user)
    mapping_file = SimpleUploadedFile("m.json", (DATA / "agency_it_portfolio.mapping.json").read_bytes())
    _upload(client, CSV.read_bytes(), mapping_file=mapping_file)
    job = ImportJob.objects.get()
    initial = client.get(f"/import/{job.pk}/map/").context["form"].initial
    assert (initial["name"], initial["date_format"], initial["rag_scale"]) == (
        "Agency IT dashboard",
        "mm/dd/yyyy",
        "cio-1-5",
    )
    assert initial["column_13"] == ""  # Contact Email, skipped by the mapping
    _mapped(client, job, save_preset="on")
    preset = ImportMapping.objects.get()
    assert preset.name == "Agency IT dashboard"
    response = client.get(f"/import/presets/{preset.pk}.json")
    assert response["Content-Disposition"] == 'attachment; filename="agency-it-dashboard.mapping.json"'
    saved = Mapping.from_json(response.content.decode())
    assert saved == Mapping.from_json((DATA / "agency_it_portfolio.mapping.json").read_text())
    gmpp = json.loads(client.get("/import/presets/gmpp.json").content)
    assert gmpp["columns"]["project_name"] == "project.name"
    assert gmpp["unit"] == "millions"
    assert client.get("/import/presets/999.json").status_code == 404


def test_a_run_that_raises_is_retried_then_failed_with_the_reason(client, admin_user, published, monkeypatch, settings):
    settings.APM_MAX_TRIES = 2
    client.force_login(admin_user)
    _upload(client, CSV.read_bytes())
    job = ImportJob.objects.get()
    _mapped(client, job, client="Agency Technology Office", date_format="mm/dd/yyyy")

    def boom(**kwargs):
        raise OSError("disk gone")

    monkeypatch.setattr(jobs, "portfolio_import", boom)
    job = _run(job)
    assert job.status == "queued"
    assert job.last_error == "OSError: disk gone"
    assert job.next_attempt_at
    ImportJob.objects.filter(pk=job.pk).update(next_attempt_at=None)
    job = _run(job)
    assert job.status == "failed"
    assert job.tries == 2
    assert "The check failed after 2 tries: OSError: disk gone" in client.get(f"/import/{job.pk}/").content.decode()
