"""Project pages. Placeholder until the web work lands."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def project_list(request):
    return HttpResponse("projects")
