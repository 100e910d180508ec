"""The projects app's API endpoints under ``/api/v1/`` (``apm/urls.py`` includes this module by name): each
domain declares its viewsets in its own ``api.py`` as ``ROUTES``; they are registered here, in this order."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from projects.billing import api as billing
from projects.budget import api as budget
from projects.changes import api as changes
from projects.conversation import api as conversation
from projects.correspondence import api as correspondence
from projects.delivery import api as delivery
from projects.documents import api as documents
from projects.notifications import api as notifications
from projects.planning import api as planning
from projects.portal import api as portal
from projects.portfolio import api as portfolio
from projects.raid import api as raid
from projects.staffing import api as staffing
from projects.status import api as status

DOMAINS = (
    portfolio,
    status,
    delivery,
    planning,
    changes,
    raid,
    documents,
    correspondence,
    conversation,
    notifications,
    staffing,
    budget,
    billing,
    portal,
)

router = SimpleRouter()
for domain in DOMAINS:
    for prefix, viewset, basename in domain.ROUTES:
        router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
