"""A deliverable to sign off links the client to what they review: a document shared with them and/or a link.

An internal document is never named to the client; the PM is warned on the deliverable's page instead.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from apm.errors import Refused
from projects.delivery import services
from projects.documents.services import document_create, document_set_status
from projects.portal.services import share_link_create
from tests import factories
from tests.projects.document_files import PDF_BYTES, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def designs(world):
    return factories.DeliverableFactory(project=world["alpha_project"], name="Designs", status="awaiting_sign_off")


def _document(project, pm, *, title, visibility):
    document = document_create(project=project, user=pm, kind="other", title=title, upload=pdf(), visibility=visibility)
    document_set_status(document=document, user=pm, status="under_review")
    return document_set_status(document=document, user=pm, status="approved")


def _edit(client, pm, deliverable, **fields):
    client.force_login(pm)
    data = {
        "name": deliverable.name,
        "due_date": deliverable.due_date.isoformat(),
        "percent_complete": "100",
    } | fields
    return client.post(
        reverse("projects:deliverable_edit", args=[deliverable.project.code, deliverable.pk]), data, follow=True
    )


def test_the_client_downloads_the_shared_document_and_opens_the_link_from_the_portal(
    client, world, pm, designs, client_user
):
    document = _document(world["alpha_project"], pm, title="Homepage designs v2", visibility="client")
    _edit(client, pm, designs, review_document=str(document.pk), review_link="https://staging.acme.example/home")
    designs.refresh_from_db()
    assert (designs.review_document, designs.review_link) == (document, "https://staging.acme.example/home")

    client.force_login(client_user)
    download = reverse("projects:document_download", args=["ALPHA-1", document.pk])
    for url in (reverse("portal:project", args=["ALPHA-1"]), reverse("portal:home")):
        page = client.get(url).content.decode()
        assert f'<a href="{download}">Homepage designs v2</a>' in page
        assert 'href="https://staging.acme.example/home"' in page
        assert "Nothing attached to review" not in page
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    confirm = client.post(reverse("portal:sign_off", args=["ALPHA-1", designs.pk]), {"decision": "accept"})
    assert f'<a href="{download}">Homepage designs v2</a>' in confirm.content.decode()


def test_an_internal_document_is_never_named_to_the_client_and_the_pm_is_warned(
    client, world, pm, designs, client_user
):
    document = _document(world["alpha_project"], pm, title="Internal cost workings", visibility="internal")
    _edit(client, pm, designs, review_document=str(document.pk))
    page = client.get(reverse("projects:deliverable", args=["ALPHA-1", designs.pk])).content.decode()
    assert "internal only: the client will not see it" in page

    client.force_login(client_user)
    page = client.get(reverse("portal:project", args=["ALPHA-1"])).content.decode()
    assert "Internal cost workings" not in page
    assert "Nothing attached to review: ask your project manager." in page


def test_a_share_link_names_the_document_without_a_download(client, world, pm, designs):
    document = _document(world["alpha_project"], pm, title="Homepage designs v2", visibility="client")
    services.deliverable_update(deliverable=designs, user=pm, review_document=document)
    made = share_link_create(project=world["alpha_project"], user=pm, days=3)
    page = client.get(reverse("portal:shared", args=[made.token])).content.decode()
    assert "Homepage designs v2" in page
    assert reverse("projects:document_download", args=["ALPHA-1", document.pk]) not in page


def test_a_document_of_another_project_or_a_link_that_is_not_web_is_refused_and_nothing_changes(
    client, world, pm, designs
):
    other = factories.ProjectFactory(code="GAMMA-1", project_manager=pm, departments=[world["alpha"]])
    foreign = _document(other, pm, title="Other project's file", visibility="client")
    with pytest.raises(Refused, match=r"That document belongs to another project\."):
        services.deliverable_update(deliverable=designs, user=pm, review_document=foreign)
    with pytest.raises(Refused):
        services.deliverable_update(deliverable=designs, user=pm, review_link="ftp://files.acme.example/designs")
    page = _edit(client, pm, designs, review_document=str(foreign.pk)).content.decode()
    assert "Select a valid choice." in page
    page = _edit(client, pm, designs, review_link="javascript:alert(1)").content.decode()
    assert "Enter a valid URL." in page
    designs.refresh_from_db()
    assert (designs.review_document, designs.review_link) == (None, "")
