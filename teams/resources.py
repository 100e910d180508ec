"""CSV/XLSX import and export of people, skills and levels (django-import-export).

The admin's import shows a preview with errors per row and writes nothing
until confirmed. People are matched by email, skills by name, levels by
(person's email, skill name); departments by code, roles by O*NET-SOC code.
Exports write text that a spreadsheet would run as a formula (``=``, ``+``,
``-``, ``@``, tab, carriage return at the start) with a leading ``'``
(``apm.exports.SafeModelResource``).
"""

from __future__ import annotations

from import_export import fields
from import_export.widgets import ForeignKeyWidget

from apm.exports import SafeModelResource
from teams.models import Department, JobRole, MemberSkill, Skill, SkillCategory, TeamMember


class TeamMemberResource(SafeModelResource):
    department = fields.Field(
        attribute="department", column_name="department", widget=ForeignKeyWidget(Department, field="code")
    )
    job_role = fields.Field(attribute="job_role", column_name="role_code", widget=ForeignKeyWidget(JobRole, "code"))

    class Meta:
        model = TeamMember
        import_id_fields = ("email",)
        fields = ("email", "name", "department", "job_title", "job_role", "weekly_capacity_hours", "working_days")
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True


class SkillResource(SafeModelResource):
    category = fields.Field(
        attribute="category", column_name="category", widget=ForeignKeyWidget(SkillCategory, field="name")
    )

    class Meta:
        model = Skill
        import_id_fields = ("name",)
        fields = ("name", "category", "description")
        export_order = fields
        skip_unchanged = True
        clean_model_instances = True


class MemberSkillResource(SafeModelResource):
    member = fields.Field(attribute="member", column_name="email", widget=ForeignKeyWidget(TeamMember, field="email"))
    skill = fields.Field(attribute="skill", column_name="skill", widget=ForeignKeyWidget(Skill, field="name"))

    class Meta:
        model = MemberSkill
        import_id_fields = ("member", "skill")
        fields = ("member", "skill", "level", "last_assessed")
        export_order = fields
        skip_unchanged = True
        clean_model_instances = True
