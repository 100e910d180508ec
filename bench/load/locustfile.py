"""Locust users for the APM load test (``bench/load/run.py`` starts it headless; ``make load``).

Users log in through the real login form and then browse as their role:

* ``ProjectManager`` (weight 6): the desk, the project list (pages, filters,
  search), their project pages, budget, team, deliverables and RAID pages,
  and a weekly update posted through the form (CSRF token from the page);
* ``DepartmentHead`` (weight 2): the department cost table and compliance,
  the list filtered by department, project and budget pages;
* ``ClientContact`` (weight 2): the portal and their projects' status pages.

Who logs in and which projects they may open come from
``bench/out/load-users.json``, written by ``run.py`` from the database; each
simulated user takes its own login, so no two sessions share one and no
login fails (django-axes would lock a failing address).

The app runs with ``DEBUG=false`` (secure ``__Host-`` cookies, HTTPS
redirect) on plain-http loopback, as behind a TLS-terminating proxy: every
request carries ``X-Forwarded-Proto: https`` and ``X-Forwarded-For`` (one
address per simulated user), POSTs an ``https`` Origin and Referer, and the
cookie jar sends secure cookies over http. No production setting is weakened.

Every request is named ``group: page`` (e.g. ``pm: project page``); at the
end the figures per group and overall are written to
``bench/out/load-requests.json`` for ``run.py`` to print.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from html.parser import HTMLParser
from http import cookiejar
from pathlib import Path

from locust import HttpUser, between, events, task

OUT = Path(os.environ.get("APM_LOAD_OUT", Path(__file__).resolve().parents[1] / "out"))
USERS = json.loads((OUT / "load-users.json").read_text())
PASSWORD = USERS["password"]
_counters = {role: itertools.count() for role in ("pms", "heads", "clients")}
_ips = itertools.count(1)
RECORDS: list[tuple[str, float, bool]] = []


_return_ok_secure = cookiejar.DefaultCookiePolicy.return_ok_secure


def _loopback_is_tls(self, cookie, request) -> bool:
    """Send ``Secure`` cookies to loopback over http: the app runs as behind a TLS-terminating proxy.

    Patched onto the default cookie policy because requests copies cookies
    into fresh jars (with the default policy) for every request and redirect.
    """
    if request.host.split(":")[0] in ("127.0.0.1", "localhost"):
        return True
    return _return_ok_secure(self, cookie, request)


cookiejar.DefaultCookiePolicy.return_ok_secure = _loopback_is_tls


class FormValues(HTMLParser):
    """The values a browser would submit for the first ``<form method="post">`` holding ``marker``.

    ``values`` maps field names to one value: text inputs and hidden fields
    as given, the checked radio or checkbox, a select's selected option (else
    its first), a textarea's text.
    """

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.values[name] = a.get("value") or "on"
            elif kind not in ("submit", "button", "file"):
                self.values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value") or ""
            if "selected" in a:
                self.values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.values.setdefault(self._select, self._select_first or "")
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict[str, str]:
    parser = FormValues()
    parser.feed(html)
    return parser.values


class ApmUser(HttpUser):
    """Logs in through the form as the next unused login of ``role`` (a key of load-users.json)."""

    abstract = True
    role = ""
    group = ""
    wait_time = between(1, 3)

    def on_start(self) -> None:
        pool = USERS[self.role]
        self.account = pool[next(_counters[self.role]) % len(pool)]
        self.projects = self.account["projects"] or ["NONE"]
        # As behind a TLS proxy: the headers the proxy adds (secure cookies: see _loopback_is_tls).
        n = next(_ips)
        self.origin = "https://" + self.host.split("://", 1)[1].rstrip("/")
        self.client.headers.update({"X-Forwarded-Proto": "https", "X-Forwarded-For": f"10.77.{n // 250}.{n % 250 + 1}"})
        page = self.client.get("/login/", name=f"{self.group}: login form")
        token = form_values(page.text).get("csrfmiddlewaretoken", "")
        with self.client.post(
            "/login/",
            data={"username": self.account["username"], "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Origin": self.origin, "Referer": f"{self.origin}/login/"},
            name=f"{self.group}: login",
            catch_response=True,
        ) as response:
            if "/login/" in response.url:
                response.failure(f"login refused for {self.account['username']}")

    def page(self, path: str, name: str) -> None:
        """GET ``path``; anything but a 200 at that address (e.g. sent to the login page) is a failure."""
        with self.client.get(path, name=f"{self.group}: {name}", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")
            elif response.history or "/login/" in response.url:
                response.failure(f"redirected to {response.url}")

    def code(self) -> str:
        return random.choice(self.projects)


class ProjectManager(ApmUser):
    weight = 6
    role = "pms"
    group = "pm"

    @task(3)
    def desk(self) -> None:
        self.page("/projects/desk/", "desk")

    @task(4)
    def project_list(self) -> None:
        choice = random.choice(
            ["", "?page=2", "?rag=red", "?rag=amber&category=ICT", "?q=digital", "?q=LD-0", "?page=5"]
        )
        self.page(f"/projects/{choice}", "project list")

    @task(6)
    def project_page(self) -> None:
        self.page(f"/projects/{self.code()}/", "project page")

    @task(2)
    def budget(self) -> None:
        self.page(f"/projects/{self.code()}/budget/", "budget")

    @task(2)
    def team(self) -> None:
        self.page(f"/projects/{self.code()}/team/", "team")

    @task(2)
    def deliverables(self) -> None:
        self.page(f"/projects/{self.code()}/deliverables/", "deliverables")

    @task(1)
    def raid(self) -> None:
        self.page(f"/projects/{self.code()}/raid/", "raid log")

    @task(1)
    def weekly_update(self) -> None:
        code = self.code()
        path = f"/projects/{code}/update/"
        form = self.client.get(path, name="pm: weekly update form")
        values = form_values(form.text)
        values.update(
            {
                "rag": random.choice(["green", "amber", "red"]),
                "work_done": "Load test: finished the sprint's stories.\nDemoed to the client.",
                "percent_complete": str(random.randint(10, 90)),
            }
        )
        with self.client.post(
            path,
            data=values,
            headers={"Origin": self.origin, "Referer": f"{self.origin}{path}"},
            name="pm: weekly update post",
            catch_response=True,
        ) as response:
            # Saved: redirected to the project page. The form again means it was refused.
            if not response.url.rstrip("/").endswith(f"/projects/{code}"):
                response.failure("the weekly update was not saved")


class DepartmentHead(ApmUser):
    weight = 2
    role = "heads"
    group = "head"

    @task(4)
    def department_budget(self) -> None:
        self.page(f"/projects/departments/{self.account['department']}/budget/", "department table")

    @task(1)
    def compliance(self) -> None:
        self.page(f"/projects/departments/{self.account['department']}/compliance/", "department compliance")

    @task(2)
    def filtered_list(self) -> None:
        self.page(f"/projects/?department={self.account['department_id']}&rag=red", "project list")

    @task(3)
    def project_page(self) -> None:
        self.page(f"/projects/{self.code()}/", "project page")

    @task(2)
    def budget(self) -> None:
        self.page(f"/projects/{self.code()}/budget/", "budget")


class ClientContact(ApmUser):
    weight = 2
    role = "clients"
    group = "client"

    @task(1)
    def portal_home(self) -> None:
        self.page("/portal/", "portal home")

    @task(3)
    def status_page(self) -> None:
        self.page(f"/portal/{self.code()}/", "portal project")


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **kwargs) -> None:
    RECORDS.append((name, response_time, exception is None))


@events.quitting.add_listener
def _write(environment, **kwargs) -> None:
    (OUT / "load-requests.json").write_text(json.dumps(RECORDS))
