"""The admin of ``projects``: each domain registers its models in its own ``admin.py``.

Django's autodiscovery imports only ``projects/admin.py``; importing each
domain's admin module here is what registers them. The admin is open to
administrators only (apm.admin_site); everyone else works in APM's own
pages, scoped by apm.access.
"""

from projects.billing import admin as billing_admin
from projects.budget import admin as budget_admin
from projects.changes import admin as changes_admin
from projects.chat import admin as chat_admin
from projects.conversation import admin as conversation_admin
from projects.correspondence import admin as correspondence_admin
from projects.delivery import admin as delivery_admin
from projects.documents import admin as documents_admin
from projects.importers import admin as importers_admin
from projects.notifications import admin as notifications_admin
from projects.planning import admin as planning_admin
from projects.portfolio import admin as portfolio_admin
from projects.project_templates import admin as project_templates_admin
from projects.quality import admin as quality_admin
from projects.raid import admin as raid_admin
from projects.staffing import admin as staffing_admin

#: The domains' admin modules, imported for the models they register.
DOMAIN_ADMINS = (
    portfolio_admin,
    staffing_admin,
    budget_admin,
    billing_admin,
    delivery_admin,
    planning_admin,
    quality_admin,
    changes_admin,
    raid_admin,
    documents_admin,
    correspondence_admin,
    importers_admin,
    project_templates_admin,
    conversation_admin,
    notifications_admin,
    chat_admin,
)
