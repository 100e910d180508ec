"""Departments, people, skills and levels, rates and time off. ``teams`` knows nothing of projects."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Upper


class Department(models.Model):
    """An internal department (e.g. ``MOD``). ``heads`` receive its portfolio reports.

    ``code`` is stored upper-case so that ``DfT`` and ``DFT`` are one department.
    """

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    heads = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="headed_departments")

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(Upper("code"), name="department_code_ci_unique")]

    def __str__(self) -> str:
        return self.code if self.name == self.code else f"{self.code} — {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class SkillCategoryKind(models.TextChoices):
    ONET_SKILL = "onet_skill", "O*NET skill group"
    ONET_TECHNOLOGY = "onet_technology", "O*NET technology (commodity)"
    CUSTOM = "custom", "Our own"


class SkillCategory(models.Model):
    """A group of skills: an O*NET skill group (``2.A.1`` Content), a technology commodity
    (``43232202`` Document management software) or one of our own.

    ``source_code`` is the O*NET element id or commodity code ("" for our own).
    """

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=SkillCategoryKind.choices, default=SkillCategoryKind.CUSTOM)
    source_code = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "skill categories"

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    """Something a person can do: an O*NET skill, a technology, or one of our own.

    ``name`` is unique regardless of case. ``source_code`` is the O*NET element
    id for the 35 generic skills ("" otherwise); ``hot_technology`` mirrors
    O*NET's flag for technologies.
    """

    name = models.CharField(max_length=200, unique=True)
    category = models.ForeignKey(SkillCategory, on_delete=models.PROTECT, related_name="skills")
    source_code = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)
    hot_technology = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Upper("name"), name="skill_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class JobRole(models.Model):
    """An occupation a person holds or a project needs (O*NET-SOC ``code`` such as ``15-1252.00``).

    Our own roles have a blank code.
    """

    code = models.CharField(max_length=20, unique=True, null=True, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


def _default_working_days() -> str:
    return "12345"


class TeamMember(models.Model):
    """A person who works on projects; ``user`` is their login when they have one.

    ``weekly_capacity_hours`` is hours per week spread evenly over
    ``working_days`` (ISO weekday digits, Monday ``1`` … Sunday ``7``; "12345"
    is Monday to Friday). ``job_title`` is free text shown beside ``job_role``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="team_member"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    job_role = models.ForeignKey(
        JobRole, null=True, blank=True, on_delete=models.SET_NULL, related_name="members", verbose_name="role"
    )
    job_title = models.CharField(max_length=200, blank=True)
    weekly_capacity_hours = models.DecimalField(
        "capacity (hours per week)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("37.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("168"))],
    )
    working_days = models.CharField(
        max_length=7,
        default=_default_working_days,
        validators=[RegexValidator(r"^[1-7]{0,7}$", "ISO weekday digits 1 (Monday) to 7 (Sunday), e.g. 12345.")],
        help_text="ISO weekday digits: 1 Monday … 7 Sunday; 12345 is Monday to Friday.",
    )
    is_active = models.BooleanField("active", default=True, help_text="Inactive people are never suggested.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekly_capacity_hours__gte=0), name="capacity_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def role_label(self) -> str:
        """The job title, else the occupation's title, else ""."""
        return self.job_title or (self.job_role.title if self.job_role is not None else "")

    @property
    def weekdays(self) -> frozenset[int]:
        """Working days as ISO weekday numbers (1 Monday … 7 Sunday)."""
        return frozenset(int(c) for c in self.working_days if c in "1234567")


class MemberRate(models.Model):
    """A person's hourly cost and bill rates from ``valid_from`` (inclusive) to ``valid_to`` (inclusive).

    Money is Decimal per hour in ``currency``. History is kept: a new rate is a
    new row, so costs of past time entries, taken at the rate valid on their
    date, never change. Periods of one person must not overlap
    (``teams.services.member_rate_set`` closes the previous one).
    """

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="rates")
    cost_rate = models.DecimalField("cost rate per hour", max_digits=10, decimal_places=2)
    bill_rate = models.DecimalField("bill rate per hour", max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, default="GBP")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Empty: still valid.")

    class Meta:
        ordering = ["member", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["member", "valid_from"], name="one_rate_per_member_and_start"),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=models.F("valid_from")),
                name="rate_period_not_reversed",
            ),
            models.CheckConstraint(
                condition=models.Q(cost_rate__gte=0) & models.Q(bill_rate__gte=0), name="rates_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.cost_rate}/{self.bill_rate} {self.currency} from {self.valid_from}"


class Level(models.IntegerChoices):
    """Proficiency levels 1-5 (after the Dreyfus model of skill acquisition)."""

    NOVICE = 1, "1 · Novice"
    ADVANCED_BEGINNER = 2, "2 · Advanced beginner"
    COMPETENT = 3, "3 · Competent"
    PROFICIENT = 4, "4 · Proficient"
    EXPERT = 5, "5 · Expert"


class MemberSkill(models.Model):
    """A person's proficiency ``level`` (1-5, see ``Level``) in a skill, as last assessed."""

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="member_skills")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    last_assessed = models.DateField(null=True, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["member", "skill"]
        constraints = [
            models.UniqueConstraint(fields=["member", "skill"], name="one_level_per_member_and_skill"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="level_1_to_5"),
        ]
        indexes = [models.Index(fields=["skill", "level"])]

    def __str__(self) -> str:
        return f"{self.member}: {self.skill} {self.level}"


class TimeOffKind(models.TextChoices):
    LEAVE = "leave", "Leave"
    HOLIDAY = "holiday", "Holiday"
    SICK = "sick", "Sickness"
    TRAINING = "training", "Training"
    OTHER = "other", "Other"


class TimeOff(models.Model):
    """A person away from ``start`` to ``end`` (both inclusive), whole working days.

    ``hours_per_day`` None means the whole working day; otherwise that many
    hours of each working day in the period are off.
    """

    member = models.ForeignKey(TeamMember, on_delete=models.CASCADE, related_name="time_off")
    kind = models.CharField(max_length=10, choices=TimeOffKind.choices, default=TimeOffKind.LEAVE)
    start = models.DateField()
    end = models.DateField()
    hours_per_day = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["member", "start"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="time_off_not_reversed"),
        ]
        indexes = [models.Index(fields=["start", "end"])]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_kind_display()} {self.start} to {self.end}"


class PublicHoliday(models.Model):
    """A day nobody works (e.g. a bank holiday); it takes a working day out of everyone's capacity."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"
