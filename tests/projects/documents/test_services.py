"""The document register (uploads checked by content and size, versions, statuses, who sees what), contract
clauses and their change proposals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apm import access
from apm.errors import Refused
from apm.uploads import UploadRefused
from projects.common.workflow import TransitionError
from projects.correspondence import letters
from projects.documents import services
from projects.documents.uploads import upload_check
from projects.models import Clause, ClauseChangeProposal, Document, DocumentVersion
from tests import factories
from tests.projects.document_files import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    office_bytes,
    pdf,
    plain_zip,
    upload,
)
from tests.projects.steps import add_clause

pytestmark = pytest.mark.django_db


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def register(project, pm, *, visibility="internal", title="Master services agreement", kind="contract"):
    return services.document_create(
        project=project, user=pm, kind=kind, title=title, upload=pdf(), visibility=visibility
    )


# --- Upload checks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.pdf", PDF_BYTES, "application/pdf"),
        ("a.PNG", PNG_BYTES, "image/png"),
        ("a.jpeg", JPEG_BYTES, "image/jpeg"),
        ("a.docx", office_bytes("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("a.xlsx", office_bytes("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_it_accepts_each_type_by_its_content(name, content, expected):
    assert upload_check(upload(name, content)).content_type == expected


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("scan.pdf", PNG_BYTES, "its content is a PNG image"),
        ("contract.docx", office_bytes("xlsx"), "its content is an Excel workbook"),
        ("budget.xlsx", plain_zip(), "is not a PDF, PNG, JPEG"),
        ("notes.pdf", b"just some text, not a PDF at all", "is not a PDF, PNG, JPEG"),
        ("run.pdf", b"MZ\x90\x00" + b"\x00" * 60, "is not a PDF, PNG, JPEG"),
    ],
)
def test_it_refuses_content_that_does_not_match_its_claimed_type_and_stores_nothing(
    settings, world, pm, client, name, content, words
):
    project = world["alpha_project"]
    with pytest.raises(UploadRefused, match=words):
        services.document_create(project=project, user=pm, kind="contract", title="X", upload=upload(name, content))
    assert Document.objects.count() == 0
    assert DocumentVersion.objects.count() == 0
    assert stored_files(settings) == []
    # Through the page: the same clear message, a 400 and still nothing stored.
    client.force_login(pm)
    response = client.post(
        reverse("projects:document_create", args=[project.code]),
        {"kind": "contract", "title": "X", "visibility": "internal", "file": upload(name, content)},
    )
    assert response.status_code == 400
    assert "Nothing was stored" in response.content.decode()
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_it_refuses_a_file_over_the_limit_and_stores_nothing(settings, world, pm, client):
    settings.APM_DOCUMENT_MAX_BYTES = 1024
    project = world["alpha_project"]
    big = upload("big.pdf", PDF_BYTES + b"0" * 2048)
    with pytest.raises(UploadRefused, match="the limit is"):
        services.document_create(project=project, user=pm, kind="contract", title="Big", upload=big)
    client.force_login(pm)
    response = client.post(
        reverse("projects:document_create", args=[project.code]),
        {"kind": "contract", "title": "Big", "visibility": "internal", "file": upload("big.pdf", PDF_BYTES * 100)},
    )
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    assert Document.objects.count() == 0
    assert stored_files(settings) == []


def test_it_refuses_a_new_version_that_is_not_what_it_claims_and_keeps_the_current_one(settings, world, pm, client):
    document = register(world["alpha_project"], pm)
    client.force_login(pm)
    response = client.post(
        reverse("projects:document_version_add", args=["ALPHA-1", document.pk]),
        {"file": upload("v2.pdf", PNG_BYTES)},
        follow=True,
    )
    assert "its content is a PNG image" in response.content.decode()
    assert list(document.versions.values_list("number", "is_current")) == [(1, True)]
    assert len(stored_files(settings)) == 1


# --- Versions and statuses ------------------------------------------------------------------


def test_it_keeps_every_version_and_marks_the_latest_current(settings, world, pm):
    document = register(world["alpha_project"], pm)
    services.document_add_version(document=document, user=pm, upload=upload("v2.docx", office_bytes("docx")))
    third = services.document_add_version(document=document, user=pm, upload=pdf("v3.pdf"), note="Signed copy")
    assert list(document.versions.order_by("number").values_list("number", "is_current")) == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert third.note == "Signed copy"
    assert len(third.sha256) == 64
    assert len(stored_files(settings)) == 3
    # Stored outside the web root, under the private folder.
    assert all(str(path).startswith(str(settings.PRIVATE_MEDIA_ROOT)) for path in stored_files(settings))


def test_it_moves_status_only_along_the_workflow(world, pm):
    document = register(world["alpha_project"], pm)
    with pytest.raises(TransitionError, match="cannot go from draft to signed"):
        services.document_set_status(document=document, user=pm, status="signed")
    document.refresh_from_db()
    assert document.status == "draft"
    for status in ("under_review", "approved", "signed"):
        services.document_set_status(document=document, user=pm, status=status)
    document.refresh_from_db()
    assert document.status == "signed"
    assert document.signed_on is not None
    services.document_set_status(document=document, user=pm, status="superseded")
    with pytest.raises(TransitionError, match="final"):
        services.document_set_status(document=document, user=pm, status="draft")
    with pytest.raises(Refused, match="superseded"):
        services.document_add_version(document=document, user=pm, upload=pdf())
    assert [h.status for h in document.history.order_by("history_date")][-1] == "superseded"


def test_it_lets_only_managers_register_documents(world, member, head):
    from apm.accounts.models import User

    member_user = User.objects.get(username="member")
    with pytest.raises(Refused):
        register(world["alpha_project"], member_user)
    assert register(world["alpha_project"], head).created_by == head


def test_it_refuses_an_expiry_before_the_effective_date(world, pm):
    import datetime as dt

    with pytest.raises(Refused, match="expiry date is before"):
        services.document_create(
            project=world["alpha_project"],
            user=pm,
            kind="permit",
            title="Permit",
            upload=pdf(),
            effective_on=dt.date(2025, 5, 1),
            expires_on=dt.date(2025, 4, 1),
        )
    assert Document.objects.count() == 0


# --- Who sees what -------------------------------------------------------------------------


def test_a_client_never_sees_an_internal_document_by_page_or_download(world, pm, client_user, client):
    project = world["alpha_project"]
    internal = register(project, pm, title="Internal margin analysis")
    shared = register(project, pm, visibility="client", title="Signed statement of work", kind="sow")
    for status in ("under_review", "approved"):
        services.document_set_status(document=shared, user=pm, status=status)
    assert list(access.see_document.queryset(client_user)) == [shared]
    client.force_login(client_user)
    # Register and detail pages are internal: 404 for a client.
    assert client.get(reverse("projects:documents", args=[project.code])).status_code == 404
    assert client.get(reverse("projects:document", args=[project.code, internal.pk])).status_code == 404
    # Downloads: the internal document's current and old versions answer 404; the shared one downloads.
    assert client.get(reverse("projects:document_download", args=[project.code, internal.pk])).status_code == 404
    version = internal.versions.get()
    assert client.get(reverse("projects:version_download", args=[project.code, version.pk])).status_code == 404
    response = client.get(reverse("projects:document_download", args=[project.code, shared.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PDF_BYTES
    # The client's status page lists the shared document and not the internal one.
    page = client.get(reverse("portal:project", args=[project.code])).content.decode()
    assert "Signed statement of work" in page
    assert "Internal margin analysis" not in page


def test_a_client_of_another_account_sees_no_document_of_this_one(world, pm, other_client_user, client):
    project = world["alpha_project"]
    shared = register(project, pm, visibility="client", title="Shared SOW", kind="sow")
    client.force_login(other_client_user)
    assert client.get(reverse("projects:document_download", args=[project.code, shared.pk])).status_code == 404


def test_it_serves_files_as_attachments_to_the_team(world, pm, member, client):
    document = register(world["alpha_project"], pm)
    client.force_login(member)
    response = client.get(reverse("projects:document_download", args=["ALPHA-1", document.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="contract.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_shows_the_register_with_current_versions_in_fixed_queries(world, pm, client, django_assert_max_num_queries):
    project = world["alpha_project"]
    for n in range(8):
        register(project, pm, title=f"Doc {n}")
    client.force_login(pm)
    client.get(reverse("projects:documents", args=[project.code]))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("projects:documents", args=[project.code]))
    page = response.content.decode()
    # Count the version cells, not the bare text: a random CSP nonce may contain "v1".
    assert page.count('<td class="num">v1</td>') == 8
    assert "Doc 7" in page


def test_it_opens_the_admin_pages_of_a_document_and_a_letter_without_file_links(world, pm, admin_user, client):
    document = register(world["alpha_project"], pm)
    entry = letters.letter_create(
        project=world["alpha_project"],
        user=pm,
        recipient_organisation="Council",
        subject="S",
        body="B",
        counterpart_kind="authority",
    )
    client.force_login(admin_user)
    for url in (
        reverse("admin:projects_document_change", args=[document.pk]),
        reverse("admin:projects_correspondence_change", args=[entry.pk]),
        reverse("admin:projects_lettertemplate_add"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "/private/" not in response.content.decode()


# --- Clauses and proposals ----------------------------------------------------------------


OLD = "The supplier shall report monthly."
NEW = "The supplier shall report every two weeks."


@pytest.fixture
def clause(world, pm):
    return services.clause_create(
        project=world["alpha_project"], user=pm, number="7.1", title="Reporting", text=OLD, kind="reporting"
    )


def test_it_approves_a_proposal_as_a_new_version_and_keeps_the_old_wording(clause, pm, head):
    proposal = services.clause_proposal_create(clause=clause, user=pm, text=NEW, reason="Client asked for it")
    services.clause_proposal_decide(proposal=proposal, user=head, approve=True, comment="Agreed at the board")
    clause.refresh_from_db()
    proposal.refresh_from_db()
    assert (clause.text, clause.version) == (NEW, 2)
    assert (proposal.status, proposal.old_text, proposal.new_version) == ("approved", OLD, 2)
    assert proposal.decided_by == head
    assert proposal.decision_comment == "Agreed at the board"
    # The history holds both wordings, with who changed it.
    wordings = list(clause.history.order_by("history_date").values_list("text", "version", "history_user"))
    assert wordings[0][:2] == (OLD, 1)
    assert wordings[-1] == (NEW, 2, head.pk)
    assert [h.status for h in proposal.history.order_by("history_date")] == ["pending", "approved"]


def test_it_changes_nothing_on_the_clause_when_a_proposal_is_rejected(clause, pm, head):
    before = Clause.objects.filter(pk=clause.pk).values().get()
    history_before = clause.history.count()
    proposal = services.clause_proposal_create(clause=clause, user=pm, text=NEW, reason="Faster")
    services.clause_proposal_decide(proposal=proposal, user=head, approve=False, comment="Not in this contract")
    after = Clause.objects.filter(pk=clause.pk).values().get()
    assert after == before
    assert clause.history.count() == history_before
    proposal.refresh_from_db()
    assert (proposal.status, proposal.new_version, proposal.decision_comment) == (
        "rejected",
        None,
        "Not in this contract",
    )


def test_it_needs_a_reason_to_reject_and_a_manager_to_decide(clause, pm, head, member, outside_head):
    proposal = services.clause_proposal_create(clause=clause, user=pm, text=NEW, reason="Faster")
    with pytest.raises(Refused, match="why"):
        services.clause_proposal_decide(proposal=proposal, user=head, approve=False, comment=" ")
    for user in (pm, member):
        with pytest.raises(Refused):
            services.clause_proposal_decide(proposal=proposal, user=user, approve=True, comment="ok")
    # A reporting head of the project (head of another department) is management for it too.
    services.clause_proposal_decide(proposal=proposal, user=outside_head, approve=True, comment="")
    with pytest.raises(TransitionError, match="final"):
        services.clause_proposal_decide(proposal=proposal, user=head, approve=False, comment="late")
    clause.refresh_from_db()
    assert clause.version == 2


def test_it_refuses_the_proposer_deciding_their_own_proposal(clause, admin_user):
    proposal = services.clause_proposal_create(clause=clause, user=admin_user, text=NEW, reason="Tidy")
    with pytest.raises(Refused, match="other than the proposer"):
        services.clause_proposal_decide(proposal=proposal, user=admin_user, approve=True, comment="")
    assert ClauseChangeProposal.objects.get().status == "pending"


def test_it_allows_one_pending_proposal_per_clause_and_refuses_a_stale_approval(clause, pm, head):
    first = services.clause_proposal_create(clause=clause, user=pm, text=NEW, reason="Faster")
    with pytest.raises(Refused, match="already has a proposal"):
        services.clause_proposal_create(clause=clause, user=pm, text="Weekly.", reason="Even faster")
    services.clause_proposal_withdraw(proposal=first, user=pm)
    second = services.clause_proposal_create(clause=clause, user=pm, text="Weekly.", reason="Even faster")
    # The wording moves on under the pending proposal (e.g. by an admin fix): approving it would lose that.
    Clause.objects.filter(pk=clause.pk).update(version=5)
    with pytest.raises(Refused, match="changed since this proposal"):
        services.clause_proposal_decide(proposal=second, user=head, approve=True, comment="")
    clause.refresh_from_db()
    assert clause.text == OLD


def test_it_decides_through_the_page_with_a_clear_message(clause, pm, head, client):
    proposal = services.clause_proposal_create(clause=clause, user=pm, text=NEW, reason="Faster")
    url = reverse("projects:proposal_decide", args=["ALPHA-1", proposal.pk])
    client.force_login(pm)
    assert client.post(url, {"decision": "approve", "comment": ""}).status_code == 403
    client.force_login(head)
    page = client.post(url, {"decision": "reject", "comment": ""}, follow=True).content.decode()
    assert "Say why the proposal is rejected" in page
    page = client.post(url, {"decision": "approve", "comment": "Fine"}, follow=True).content.decode()
    assert "new version" in page
    clause.refresh_from_db()
    assert clause.text == NEW
    detail = client.get(reverse("projects:clause", args=["ALPHA-1", clause.pk])).content.decode()
    assert "Version 2" in detail
    assert OLD in detail  # the old wording is shown in the proposal and the history


def test_it_refuses_evidence_that_is_not_the_projects(world, pm):
    other = factories.DeliverableFactory(project=world["beta_project"])

    def create(**kwargs):
        return add_clause(world["alpha_project"], pm, number="1", title="x", **kwargs)

    with pytest.raises(Refused, match="this project's"):
        create(evidence="deliverable", evidence_deliverable=other)
    with pytest.raises(Refused, match="Only an obligation"):
        create(kind="payment", evidence="document", evidence_document_kind="nda")
    assert Clause.objects.count() == 0
