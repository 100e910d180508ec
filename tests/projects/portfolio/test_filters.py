"""The project list's filter widgets write the same markup as Django's widget templates."""

from __future__ import annotations

import pytest
from django import forms

from projects.portfolio.filters import _Select, _TextInput

CHOICES = [("", "All"), (3, "DFT — Transport"), ("a&b", 'Say "<b>"')]


@pytest.mark.parametrize("value", [None, "", "3", 3, "a&b", "missing"])
def test_it_renders_a_select_as_djangos_template_does(value):
    attrs = {"class": "form-select form-select-sm", "id": "id_department", "required": True, "disabled": False}
    ours = _Select(choices=CHOICES).render("department", value, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("department", value, attrs=attrs)
    assert ours == django


@pytest.mark.parametrize("value", [None, "", "bridge", '"><script>'])
def test_it_renders_a_text_input_as_djangos_template_does(value):
    attrs = {"class": "form-control form-control-sm", "placeholder": "Name or code", "id": "id_q"}
    assert _TextInput().render("q", value, attrs=attrs) == forms.TextInput().render("q", value, attrs=attrs)


def test_it_refuses_option_groups():
    with pytest.raises(ValueError, match="option groups"):
        _Select(choices=[("Group", [("a", "A")])]).render("x", None)
