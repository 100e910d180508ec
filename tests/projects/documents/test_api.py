"""The documents endpoint: the register's metadata as the documents page shows it, a link to the browser's
download, never the file; a fixed number of queries whatever the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.documents import services
from projects.models import Document, DocumentVersion
from tests.projects.document_files import pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(world, pm):
    return services.document_create(
        project=world["alpha_project"], user=pm, kind="contract", title="Master contract", upload=pdf("c.pdf")
    )


def _codes(response):
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def test_the_team_sees_the_register_with_its_current_version_and_download_link(world, pm, contract, api_as):
    body = api_as(pm).get("/api/v1/documents/", {"project": "ALPHA-1"}).json()
    [row] = body["results"]
    assert row["title"] == "Master contract"
    assert row["project"] == "ALPHA-1"
    assert row["version"] == 1
    assert row["content_type"] == "application/pdf"
    assert row["size"] > 0
    assert row["shared_with_client"] is False
    assert row["download_url"] == f"/projects/ALPHA-1/documents/{contract.pk}/download/"
    assert "file" not in row


@pytest.mark.parametrize("who", ["pm", "member", "head", "outside_head", "admin"])
def test_everyone_who_sees_the_internal_documents_sees_them(world, users, who, contract, api_as):
    assert _codes(api_as(users[who]).get("/api/v1/documents/")) == ["Master contract"]
    assert api_as(users[who]).get(f"/api/v1/documents/{contract.pk}/").status_code == 200


def test_another_projects_documents_are_not_seen(world, pm, other_client_user, api_as):
    Document.objects.create(project=world["beta_project"], kind="nda", title="Globex NDA")
    assert _codes(api_as(pm).get("/api/v1/documents/")) == []
    other = Document.objects.get(title="Globex NDA")
    assert api_as(pm).get(f"/api/v1/documents/{other.pk}/").status_code == 404


def test_a_client_contact_is_sent_to_the_portal(world, client_user, contract, api_as):
    assert api_as(client_user).get("/api/v1/documents/").status_code == 403


def test_the_list_filters_by_kind_status_and_sharing(world, pm, contract, api_as):
    client = api_as(pm)
    assert _codes(client.get("/api/v1/documents/", {"kind": "nda"})) == []
    assert _codes(client.get("/api/v1/documents/", {"kind": "contract"})) == ["Master contract"]
    assert _codes(client.get("/api/v1/documents/", {"shared_with_client": "true"})) == []
    assert client.get("/api/v1/documents/", {"kind": "nonsense"}).status_code == 400


def _documents(project, count):
    documents = Document.objects.bulk_create(
        Document(project=project, kind="minutes", title=f"Minutes {n:03}") for n in range(count)
    )
    DocumentVersion.objects.bulk_create(
        DocumentVersion(
            document=document,
            number=1,
            file=f"documents/m{document.pk}.pdf",
            original_name="m.pdf",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            uploaded_at=timezone.now(),
        )
        for document in documents
    )


def test_the_list_takes_the_same_queries_for_5_or_200_documents(world, pm, api_as):
    client = api_as(pm)
    client.get("/api/v1/documents/")  # the token's first use is stamped once
    counts = []
    for total in (5, 200):
        Document.objects.all().delete()
        _documents(world["alpha_project"], total)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/documents/", {"page_size": 200})
        assert response.json()["count"] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]
