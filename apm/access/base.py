"""The machinery of the policy: who the user is, their relationships to projects, the two kinds of capability."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeGuard

from django.apps import apps
from django.core.signals import setting_changed
from django.db.models import Model, QuerySet
from django.dispatch import receiver
from django.http import Http404

from apm.accounts.roles import Role
from apm.errors import Refused

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from apm.accounts.models import User

    #: Who a function about access may be asked about: a signed-in user or an anonymous one (the type of
    #: ``request.user``). The policy's functions also take None (no request, a deleted owner).
    AnyUser: TypeAlias = User | AnonymousUser

    #: A capability's rule: the objects a user may act on.
    Rule: TypeAlias = Callable[[AnyUser | None], QuerySet[Any]]

INTERNAL = "internal"
CLIENT = "client"

#: Report scopes, as ``reports.models.Scope`` spells them (a test holds the two equal).
SCOPE_PROJECT, SCOPE_DEPARTMENT, SCOPE_PM_PORTFOLIO, SCOPE_COMPANY = "project", "department", "pm_portfolio", "company"

#: Roles that run projects: they may create projects, send reports and schedule them.
MANAGER_ROLES = (Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD, Role.PROJECT_MANAGER)


def rows(label: str) -> QuerySet[Any]:
    """All rows of a model of a higher app, by its label (``"projects.Project"``): the one sanctioned indirection.

    The model comes from the app registry, so to the type checker it is a
    plain ``type[Model]``, which declares no ``objects``: its default manager
    (``objects`` for every model of the apps) gives the same queryset. An
    automatic many-to-many table has a label too (``"projects.Project_departments"``).
    """
    return apps.get_model(label)._default_manager.all()


# --- Who the user is ----------------------------------------------------------------------------
# Each is true only of a signed-in ``User`` (``TypeGuard``), so after one of them the type checker
# knows ``user.role`` is there.


def is_active(user: AnyUser | None) -> TypeGuard[User]:
    """A signed-in user whose account is active."""
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user: AnyUser | None) -> TypeGuard[User]:
    """An active administrator: the role, or a Django superuser."""
    return is_active(user) and (user.is_superuser or user.role == Role.ADMINISTRATOR)


def is_contact(user: AnyUser | None) -> TypeGuard[User]:
    """An active client contact (never a superuser): the client audience only."""
    return is_active(user) and user.role == Role.CLIENT_CONTACT and not user.is_superuser


def is_internal(user: AnyUser | None) -> TypeGuard[User]:
    """An active user inside the company: anyone but a client contact."""
    return is_active(user) and not is_contact(user)


def is_manager(user: AnyUser | None) -> TypeGuard[User]:
    """An internal user whose role runs projects (administrator, department head, project manager)."""
    return is_internal(user) and (user.is_superuser or user.role in MANAGER_ROLES)


def is_head(user: AnyUser | None) -> TypeGuard[User]:
    """An internal user whose role decides for management (administrator, department head)."""
    return is_internal(user) and (user.is_superuser or user.role in (Role.ADMINISTRATOR, Role.DEPARTMENT_HEAD))


def audience_for(user: AnyUser | None) -> str:
    """``"client"`` for client contacts, ``"internal"`` for everyone else: the audience of what they see."""
    return CLIENT if is_contact(user) else INTERNAL


# --- Relationships to projects ------------------------------------------------------------------

MANAGES, HEADS, REPORTS, TEAM, CONTACT = "manages", "heads", "reports", "team", "contact"


def _relation_ids(user: User, relation: str) -> QuerySet[Any]:
    """Ids of the projects ``user`` stands in ``relation`` to (one indexed query, ``values`` of one column)."""
    if relation == MANAGES:
        return rows("projects.Project").filter(project_manager=user).order_by().values("pk")
    if relation == HEADS:
        return rows("projects.Project_departments").filter(department__heads=user).values("project_id")
    if relation == REPORTS:
        return rows("projects.Project_reporting_heads").filter(user=user).values("project_id")
    if relation == TEAM:
        return rows("projects.Project_team_members").filter(teammember__user=user).values("project_id")
    if relation == CONTACT:
        return rows("projects.Project").filter(client__contacts__user=user).order_by().values("pk")
    raise ValueError(f"Unknown relationship {relation!r}.")


def projects_by(user: AnyUser | None, *relations: str) -> QuerySet[Any]:
    """Projects ``user`` stands in any of ``relations`` to: ``pk IN`` a UNION of one indexed query per link.

    One OR across joins of the link tables multiplies the rows (projects x
    team x departments x heads) before it filters, and an OR of ``IN``
    subqueries misleads PostgreSQL's row estimates into nested loops: each
    cost 60-140 ms a query on 10,000 projects; the UNION costs a few ms
    (bench/load/README.md).

    Used as a subquery as it is (``project__in=``, ``.values("pk")``), it is
    the UNION alone (:class:`_ByLinks`); read for its ids, the UNION alone
    too (:meth:`Capability.ids`).

    Built once per user and relations (:func:`built`), each call a fresh copy: capabilities of the same
    relations share it (a project page asks eight capabilities, of four sets of relations).
    """
    if not is_active(user) or not relations:
        return no_projects()

    def build() -> QuerySet[Any]:
        first, *rest = (_relation_ids(user, relation) for relation in relations)
        links = first.union(*rest) if rest else first
        found = all_projects().filter(pk__in=links)
        # The condition just added, to know later that nothing was added since (lookups are shared by clones).
        vars(found.query)["apm_links"] = (links, found.query.where.children[0])
        found.__class__ = _by_links(type(found))
        return found

    return built(("projects_by", relations), user, build)


def _links(projects: QuerySet[Any]) -> QuerySet[Any] | None:
    """The UNION of :func:`projects_by` that ``projects`` are, when they are still exactly its projects (nothing
    filtered, excluded, sliced or selected since but their ids), else None."""
    query = projects.query
    found = query.__dict__.get("apm_links")
    if found is None:
        return None
    links, condition = found
    where = query.where
    exact = (
        len(where.children) == 1
        and where.children[0] is condition
        and not where.negated
        and query.low_mark == 0
        and query.high_mark is None
        and not query.combinator
        and not query.distinct_fields
        and projects._fields in (None, ("pk",), ("id",))  # type: ignore[attr-defined]
    )
    return links if exact else None


class _ByLinks:
    """The queryset class of :func:`projects_by`'s projects (mixed into the model's own).

    As the value of a filter (``project__in=projects``), Django writes it as
    ``SELECT id FROM project WHERE id IN (UNION)``: PostgreSQL cannot foresee
    how many ids the UNION gives (for the heads' link it plans a department's
    worth, whether the user heads one or none) and joins every project to
    them, reading the whole table to return a PM's hundred. The ids are the
    UNION's own (every link names an existing project), so the UNION alone
    is the same subquery, and PostgreSQL reads just those rows.
    """

    def resolve_expression(self, *args: Any, **kwargs: Any) -> Any:
        links = _links(self)  # type: ignore[arg-type]
        if links is None:
            return super().resolve_expression(*args, **kwargs)  # type: ignore[misc]
        return links.resolve_expression(*args, **kwargs)


_BY_LINKS: dict[type, type] = {}


def _by_links(queryset_class: type) -> type:
    """The model's queryset class with :class:`_ByLinks` mixed in (one a class)."""
    found = _BY_LINKS.get(queryset_class)
    if found is None:
        found = _BY_LINKS[queryset_class] = type(f"{queryset_class.__name__}ByLinks", (_ByLinks, queryset_class), {})
    return found


# --- Rules built once -----------------------------------------------------------------------------


class _Built(threading.local):
    """The querysets :func:`built` keeps, per thread (a queryset is not shared between threads), oldest first."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple[Any, ...], QuerySet[Any]] = OrderedDict()


_built = _Built()
#: How many built querysets a thread keeps (about 14 KiB each): the capabilities a page asks of a few dozen users.
BUILT_KEPT = 512
#: Raised when a setting changes (tests), so nothing built under the old settings is used again.
_generation = 0


def built(name: tuple[Any, ...], user: AnyUser, build: Callable[[], QuerySet[Any]]) -> QuerySet[Any]:
    """A fresh copy of the queryset ``build()`` returns for ``user``, built once per ``name`` and user.

    A rule's queryset is a query not run yet: what it says depends only on the
    user's id, role and flags (the only things a rule reads of the user; the
    rest it leaves to the database) and the settings, never on the data, which
    the database reads each time a copy runs. So it is built once and kept
    (keyed by those, the oldest dropped past :data:`BUILT_KEPT`), and each
    call gets a copy: nothing evaluated is kept or shared, and a change of
    role, flag or setting builds it again. Building the querysets of the
    visibility rule, not running them, was most of what asking a capability
    cost (a project page asks eight; its tab bar alone seven), and the same
    user asks the same ones on every page.
    """
    key = (_generation, *name, user.pk, getattr(user, "role", None), user.is_active, user.is_superuser)
    entries = _built.entries
    found = entries.get(key)
    if found is None:
        found = entries[key] = build()
        while len(entries) > BUILT_KEPT:
            entries.popitem(last=False)
    else:
        entries.move_to_end(key)
    return found.all()


@receiver(setting_changed)
def _forget_built(**kwargs: Any) -> None:
    global _generation
    _generation += 1


def all_projects() -> QuerySet[Any]:
    return rows("projects.Project")


def no_projects() -> QuerySet[Any]:
    return rows("projects.Project").none()


# --- The two kinds of capability ----------------------------------------------------------------


class Capability:
    """A capability about objects: ``queryset(user)`` lists them, ``allows(user, obj)`` answers for one.

    ``rule(user)`` returns the queryset; ``allows`` asks whether the object
    is in it (one query), so a list and a check can never disagree.
    """

    def __init__(self, name: str, *, subject: str, rule: Rule, doc: str) -> None:
        self.name = name
        self.subject = subject
        self._rule = rule
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"<Capability {self.name} on {self.subject}>"

    def queryset(self, user: AnyUser | None) -> QuerySet[Any]:
        """The objects ``user`` may act on (an unevaluated queryset; none for anonymous or inactive users).

        The rule's queryset is built once per user, role and flags (:func:`built`) and each call gets a fresh
        copy of it: nothing evaluated is shared, every query reads the database as it is then.
        """
        if user is None or getattr(user, "pk", None) is None:
            return self._rule(user)
        return built(("capability", self.name), user, lambda: self._rule(user))

    def ids(self, user: AnyUser | None) -> frozenset[int] | None:
        """The ids of the objects ``user`` may act on, read now (one query), or None when the rule sets no
        condition (an administrator's "everything": no ids to read).

        For a page that filters several queries on the same objects: ``pk__any=ids`` (apm.lookups) in each
        instead of the rule's subquery. PostgreSQL cannot foresee how many projects the rule's UNION finds
        (it plans a department's worth for the heads' link of a user who heads none) and joins every project
        to read a PM's hundred; given the ids, it reads just those. Read them once a request, where the
        page is built: they are the rule's answer at that moment.
        """
        allowed = self.queryset(user)
        if not allowed.query.where:
            return None
        links = _links(allowed)
        if links is not None:
            # A copy: the UNION is kept (built), and a queryset keeps what it read.
            return frozenset(value for row in links.all() for value in row.values())
        return frozenset(allowed.values_list("pk", flat=True))

    def listed(self, user: AnyUser | None) -> QuerySet[Any]:
        """The objects ``user`` may act on, for a list shown now: filtered on their ids read at once (one
        query, :meth:`ids`) instead of on the rule's subquery, whose size PostgreSQL cannot foresee (it
        reads every project to list a PM's hundred); the rule's queryset as it is when it sets no condition."""
        allowed = self.queryset(user)
        ids = self.ids(user)
        return allowed if ids is None else allowed.model._default_manager.filter(pk__any=ids)

    def allows(self, user: AnyUser | None, obj: Model | None) -> bool:
        """Whether ``user`` has this capability on ``obj`` (False for None or an unsaved object)."""
        if obj is None or obj.pk is None:
            return False
        return self.queryset(user).filter(pk=obj.pk).exists()

    def require(self, user: AnyUser | None, obj: Model | None, message: str) -> None:
        """Raise :class:`apm.errors.Refused` with ``message`` unless ``user`` has this capability on ``obj``."""
        if not self.allows(user, obj):
            raise Refused(message)


class Ability:
    """A capability about the user alone (no object): ``allows(user)``."""

    def __init__(self, name: str, *, rule: Callable[[AnyUser | None], bool], doc: str) -> None:
        self.name = name
        self.subject = "user"
        self._rule = rule
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"<Ability {self.name}>"

    def allows(self, user: AnyUser | None, obj: None = None) -> bool:
        """Whether ``user`` has this ability."""
        return bool(self._rule(user))

    def require(self, user: AnyUser | None, message: str) -> None:
        """Raise :class:`apm.errors.Refused` with ``message`` unless ``user`` has this ability."""
        if not self.allows(user):
            raise Refused(message)


def on_projects(*relations: str, admin: bool = True, who: Callable[[AnyUser | None], bool] = is_internal) -> Rule:
    """A project rule: all projects for administrators (when ``admin``), else ``relations`` for users ``who`` pass."""

    def rule(user: AnyUser | None) -> QuerySet[Any]:
        if admin and is_admin(user):
            return all_projects()
        if not who(user):
            return no_projects()
        return projects_by(user, *relations)

    return rule


def object_or_404(
    user: AnyUser | None, capability: Capability, *, queryset: QuerySet[Any] | None = None, **filters: Any
) -> Any:
    """The one object matching ``filters`` among those ``user`` has ``capability`` on, else ``Http404``.

    ``queryset`` narrows or joins (``select_related``) the capability's
    queryset; it must be of the same model. Not allowed and not there answer
    the same 404, so an answer never confirms that something exists.
    """
    allowed = capability.queryset(user)
    if queryset is not None:
        allowed = queryset.filter(pk__in=allowed.values("pk"))
    found = allowed.filter(**filters).first()
    if found is None:
        raise Http404(f"No such {capability.subject}.")
    return found
