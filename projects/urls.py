"""Project URLs (namespace ``projects``), assembled from each domain's ``urls.py``.

``<code:code>`` is a project code (apm.converters); anything unknown is a 404.
Routes that start with a fixed word (``new/``, ``time/week/``, ``desk/``,
``departments/...``, ``templates/...``) come first: a word like "desk" also matches the code
pattern, so ``<code:code>/`` listed before it would take it.
"""

from projects.activity import urls as activity_urls
from projects.billing import urls as billing_urls
from projects.budget import urls as budget_urls
from projects.changes import urls as changes_urls
from projects.chat import urls as chat_urls
from projects.conversation import urls as conversation_urls
from projects.correspondence import urls as correspondence_urls
from projects.delivery import urls as delivery_urls
from projects.desk import urls as desk_urls
from projects.documents import urls as documents_urls
from projects.planning import urls as planning_urls
from projects.portfolio import urls as portfolio_urls
from projects.project_templates import urls as template_urls
from projects.quality import urls as quality_urls
from projects.raid import urls as raid_urls
from projects.staffing import urls as staffing_urls
from projects.status import urls as status_urls

app_name = "projects"

urlpatterns = [
    *portfolio_urls.fixed_urlpatterns,
    *budget_urls.fixed_urlpatterns,
    *billing_urls.fixed_urlpatterns,
    *desk_urls.fixed_urlpatterns,
    *documents_urls.fixed_urlpatterns,
    *template_urls.fixed_urlpatterns,
    *planning_urls.fixed_urlpatterns,
    *portfolio_urls.urlpatterns,
    *status_urls.urlpatterns,
    *staffing_urls.project_urlpatterns,
    *budget_urls.urlpatterns,
    *billing_urls.urlpatterns,
    *delivery_urls.urlpatterns,
    *planning_urls.urlpatterns,
    *quality_urls.urlpatterns,
    *changes_urls.urlpatterns,
    *raid_urls.urlpatterns,
    *documents_urls.urlpatterns,
    *correspondence_urls.urlpatterns,
    *conversation_urls.urlpatterns,
    *template_urls.urlpatterns,
    *chat_urls.urlpatterns,
    *activity_urls.urlpatterns,
]
