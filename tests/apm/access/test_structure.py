"""Nothing outside the policy decides access: a structural check of every Python file and every template.

Outside ``apm/access/`` no code may read a user's role or superuser flag
(``.role``, ``.is_superuser``, ``is_administrator``, ``is_client``, a
comparison with ``Role.X``, a query filtering users by role), and no code
may follow the link tables that make relationships (a department's
``heads``, a project's ``reporting_heads`` / ``team_members``, a client's
``contacts``, a user's ``client_contact``) except where :data:`ALLOWED` says
why it is not an access decision: addressing an email, listing candidates
for a form, writing a membership. Templates may not look at the user's role
or flags either; they get what the policy says (``can`` and view flags).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = ("apm", "projects", "reports", "teams")
POLICY = ROOT / "apm" / "access"

#: Attributes that are a user's role or flags.
USER_FLAGS = {"role", "is_superuser", "is_administrator", "is_client"}
#: Attributes and lookup parts that follow a relationship's link table.
LINKS = {"heads", "reporting_heads", "team_members", "contacts", "client_contact", "headed_departments"}
LOOKUP_LINK = re.compile(r"(^|__)(heads|reporting_heads|team_members|contacts|client_contact|headed_departments)(__|$)")
ROLE_VALUES = {"administrator", "department_head", "project_manager", "team_member", "client_contact"}
QUERY_CALLS = {"filter", "exclude", "get", "Q", "get_or_create", "update_or_create", "annotate", "first"}

#: (file relative to the root, function) -> why following a link table there decides nothing.
ALLOWED: dict[tuple[str, str], str] = {
    ("projects/delivery/services.py", "deliverable_sign_off"): "records which contact signed (after the policy)",
    ("projects/common/forms.py", "work_owners"): "lists the people a form offers as owners of work",
    ("projects/raid/services.py", "_department_heads"): "addresses the escalation email",
    ("projects/raid/services.py", "raise_recipients"): "addresses the critical-issue email",
    ("projects/budget/services/notifications.py", "_recipients"): "addresses budget emails (filtered by see_money)",
    ("projects/budget/services/reminders.py", "_approvers"): "addresses timesheet reminders (filtered by approve_time)",
    ("projects/budget/services/costs.py", "time_entries_costed"): "the person (not the user) must be on the team",
    ("projects/staffing/services.py", "allocation_create"): "writes the membership a booking makes",
    ("projects/planning/services.py", "_check_assignees"): "the people assigned (not the user) must be on the team",
    ("projects/planning/forms.py", "team_of"): "lists the people a form offers as assignees",
    ("reports/selectors.py", "_reporting_heads"): "addresses a report to its heads",
    ("reports/selectors.py", "_client_contacts"): "addresses a client report to the contacts",
    ("reports/selectors.py", "schedule_paused_recipients"): "addresses the paused-schedule email",
    ("reports/kinds/highlight.py", "highlight_details"): "names the client's contacts a report goes to",
    ("reports/management/commands/setup_demo.py", "_demo_people"): "seeds the demo's memberships",
    ("reports/management/commands/setup_demo.py", "handle"): "seeds the demo administrator's department",
    ("projects/demo/world.py", "__init__"): "reads the demo's seeded contacts",
    ("projects/demo/world.py", "teams"): "seeds the demo departments' heads",
    ("projects/demo/world.py", "clients"): "seeds the demo clients' contacts",
    ("projects/demo/world.py", "project"): "seeds the demo projects' heads and teams",
    ("projects/demo/world.py", "delivery"): "finds the demo contact who signs off",
    ("projects/demo/world.py", "conversation"): "finds the demo contact who comments",
}


def python_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or POLICY in path.parents:
                continue
            files.append(path)
    return sorted(files)


class Finder(ast.NodeVisitor):
    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.function = "<module>"
        self.found: list[str] = []

    def _where(self, node: ast.AST) -> tuple[str, str]:
        return (self.rel, self.function)

    def _report(self, node: ast.AST, what: str, *, link: bool) -> None:
        if link and self._where(node) in ALLOWED:
            return
        self.found.append(f"{self.rel}:{node.lineno} in {self.function}: {what}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in USER_FLAGS and not isinstance(node.ctx, ast.Store):
            self._report(node, f".{node.attr}", link=False)
        if node.attr in LINKS:
            self._report(node, f".{node.attr}", link=True)
        if isinstance(node.value, ast.Name) and node.value.id == "Role" and self._in_compare:
            self._report(node, f"compares with Role.{node.attr}", link=False)
        self.generic_visit(node)

    _in_compare = False

    def visit_Compare(self, node: ast.Compare) -> None:
        outer, self._in_compare = self._in_compare, True
        self.generic_visit(node)
        self._in_compare = outer

    def visit_Call(self, node: ast.Call) -> None:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in QUERY_CALLS:
            for keyword in node.keywords:
                if keyword.arg is None:
                    continue
                if keyword.arg in ("role", "role__in", "is_superuser") and _names_a_role(keyword.value):
                    self._report(node, f"filters users by {keyword.arg}", link=False)
                if LOOKUP_LINK.search(keyword.arg):
                    self._report(node, f"looks up {keyword.arg}", link=True)
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and LOOKUP_LINK.search(arg.value):
                    self._report(node, f"looks up {arg.value!r}", link=True)
        self.generic_visit(node)


def _names_a_role(value: ast.AST) -> bool:
    for node in ast.walk(value):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Role":
            return True
        if isinstance(node, ast.Constant) and node.value in ROLE_VALUES:
            return True
        if isinstance(node, ast.Constant) and node.value is True:
            return True
    return False


def test_it_finds_no_access_decision_outside_the_policy():
    found = []
    for path in python_files():
        finder = Finder(path.relative_to(ROOT).as_posix())
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found += finder.found
    assert found == [], "Decide access in apm/access/ (or say in ALLOWED why this is not a decision):\n" + "\n".join(
        found
    )


TEMPLATE_FLAGS = re.compile(r"\b(?:user|request\.user)\.(?:role|is_superuser|is_staff|is_administrator|is_client)\b")


def test_it_finds_no_role_or_flag_in_a_template():
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if TEMPLATE_FLAGS.search(line) or re.search(r"\bis_(?:client|administrator)\b", line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_it_would_find_a_role_check():
    """The finder is not blind: the patterns it must catch are caught."""
    source = (
        "def view(request):\n"
        "    if request.user.role == Role.PROJECT_MANAGER: pass\n"
        "    if request.user.is_superuser: pass\n"
        "    User.objects.filter(role=Role.CLIENT_CONTACT)\n"
        "    Project.objects.filter(team_members__user=request.user)\n"
        "    project.reporting_heads.filter(pk=1).exists()\n"
    )
    finder = Finder("x.py")
    finder.visit(ast.parse(source))
    assert len(finder.found) == 6, finder.found
