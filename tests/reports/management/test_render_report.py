"""``manage.py render_report``: a PDF of every kind of the registry, titled by its kind; clear errors for bad input."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from reports.kinds import KINDS
from reports.models import Scope


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.django_db
def test_it_renders_on_demand_from_the_command(world, tmp_path, capsys):
    output = tmp_path / "alpha.pdf"
    call_command(
        "render_report", "--kind", "portfolio", "--department", "alpha", "--audience", "internal", "--output", output
    )
    assert output.read_bytes().startswith(b"%PDF")
    out = capsys.readouterr().out
    assert str(output) in out
    pages = len(PdfReader(output).pages)
    assert out.startswith(f"{pages} pages written to")

    highlight = tmp_path / "beta.pdf"
    call_command(
        "render_report", "--kind", "highlight", "--project", "BETA-1", "--audience", "client", "--output", highlight
    )
    assert "Beta Project" in "".join(pages_text(highlight.read_bytes()))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "portfolio", "--department", "NOPE"], "No department with code 'NOPE'"),
        (["--kind", "highlight", "--project", "NOPE"], "No project with code 'NOPE'"),
        (["--kind", "portfolio"], "Give --department CODE or --project CODE"),
        (["--kind", "portfolio", "--department", "ALPHA", "--project", "ALPHA-1"], "not both"),
    ],
)
def test_it_explains_bad_command_input(world, tmp_path, args, message):
    output = tmp_path / "x.pdf"
    with pytest.raises(CommandError, match=message):
        call_command("render_report", *args, "--audience", "internal", "--output", output)
    assert not output.exists()


def kind_arguments(spec, world, exception) -> tuple[list[str], str]:
    """The command line naming the first scope ``spec`` covers, and the subject its title names."""
    if spec.about_exception:
        return ["--exception", str(exception.pk)], f"ALPHA-1 {exception.get_kind_display().lower()} tolerance"
    if spec.scopes[0] == Scope.PROJECT:
        return ["--project", "ALPHA-1"], world["alpha_project"].name
    return ["--department", "alpha"], world["alpha"].name


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(KINDS))
def test_it_renders_every_kind_titled_by_its_kind(world, cost_exception, tmp_path, capsys, kind):
    spec = KINDS[kind]
    arguments, subject = kind_arguments(spec, world, cost_exception)
    output = tmp_path / f"{kind}.pdf"
    call_command("render_report", "--kind", kind, *arguments, "--audience", "internal", "--output", output)
    text = " ".join(" ".join(pages_text(output.read_bytes())).split())
    assert spec.title(subject=subject, on=timezone.localdate()) in text
    assert f"written to {output}" in capsys.readouterr().out


@pytest.mark.django_db
def test_it_titles_the_quality_report_as_a_quality_report(world, tmp_path):
    output = tmp_path / "quality.pdf"
    call_command("render_report", "--kind", "quality", "--department", "ALPHA", "--output", output)
    text = " ".join(" ".join(pages_text(output.read_bytes())).split())
    assert "Quality report: Alpha Department" in text
    assert "highlight report" not in text.lower()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "exception", "--project", "ALPHA-1"], "give --exception ID"),
        (["--kind", "exception", "--exception", "999999"], "No tolerance exception with id 999999"),
        (["--kind", "exception", "--exception", "{exception}", "--audience", "client"], "internal audience only"),
        (["--kind", "highlight", "--exception", "{exception}"], "--exception is for exception reports"),
        (["--kind", "highlight", "--department", "ALPHA"], "covers one project"),
        (["--kind", "portfolio", "--project", "ALPHA-1"], "covers a department"),
        (["--kind", "portfolio", "--department", "ALPHA", "--audience", "client"], "client-audience report"),
        (["--kind", "quality", "--department", "ALPHA", "--audience", "client"], "client-audience report"),
    ],
)
def test_it_refuses_what_the_kind_does_not_cover_with_a_clear_message(world, cost_exception, tmp_path, args, message):
    output = tmp_path / "x.pdf"
    args = [arg.replace("{exception}", str(cost_exception.pk)) for arg in args]
    with pytest.raises(CommandError, match=message):
        call_command("render_report", *args, "--output", output)
    assert not output.exists()
