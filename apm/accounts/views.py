"""Login (clients land on their portal) and the invitation's set-password page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from apm import access
from apm.accounts.services import invitation_accept, invitation_find

if TYPE_CHECKING:
    from apm.access.base import AnyUser


def landing_url(user: AnyUser) -> str:
    """Where a user lands after logging in (``apm.access.home_page``): the portal, the desk or the project list."""
    return reverse({"portal": "portal:home", "desk": "projects:desk"}.get(access.home_page(user), "projects:list"))


def home(request: HttpRequest) -> HttpResponse:
    """``/``: the landing page of the logged-in user, else the login page."""
    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    return redirect("login")


class LoginForm(AuthenticationForm):
    """Django's login form, with the username's length checked before anything authenticates.

    Django sets the username field's ``max_length`` after the field is built, so
    no length validator runs: a longer username reached ``authenticate`` and
    django-axes' record of the failed attempt (255 characters), a 500 on
    PostgreSQL.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        # A CharField whose max_length Django has just set (the user model's, else 254).
        if isinstance(username, forms.CharField) and username.max_length is not None:
            username.validators.append(MaxLengthValidator(username.max_length))


class LoginView(auth_views.LoginView):
    """Django's login (it rotates the session key); client contacts land on the portal."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password from an invitation link; log in and go to the landing page.

    An unknown, used or expired link answers 404 with a page that says to ask
    for a new invitation.
    """
    invitation = invitation_find(token=token)
    if invitation is None:
        return render(request, "registration/invitation_invalid.html", status=404)
    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"], request=request)
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            if user is None:
                return render(request, "registration/invitation_invalid.html", status=404)
            login(request, user, backend="apm.accounts.backends.ApmModelBackend")
            return redirect(landing_url(user))
    return render(request, "registration/invitation_accept.html", {"form": form, "invited": invitation.user})
