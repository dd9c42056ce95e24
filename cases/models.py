"""What a case records (DATA.md). Every table holding case data carries its kelurahan (tenant key).

Models hold data and derived read-only properties; everything that writes lives in services.py.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import KELURAHAN_WIDE_ROLES, Agency, Kelurahan, Role
from accounts.roles import roles_of

from . import vocab
from .vocab import Status


def _with_sessions(q: models.Q, roles, *, intake: bool) -> models.Q:
    """q, or q or the role-play cases the user reaches by session role (no condition at all for
    someone in no session: the list's SQL stays the plain rule)."""
    from roleplay.roles import case_q

    sim = case_q(roles, intake=intake)
    return q if sim is None else q | sim


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The cases the user may open at all (ROLES.md): every case of a kelurahan where they
        hold a kelurahan-wide role; a pendamping also the cases assigned to them; a volunteer
        or pendamping the cases they registered (intake data only: cases.access.access_level).
        The one statement of this rule: every list, search, export and fetch starts here."""
        q = models.Q(pk__in=[])
        roles = roles_of(user)
        for kel_id, held in roles.by_kelurahan.items():
            if held & KELURAHAN_WIDE_ROLES:
                q |= models.Q(kelurahan_id=kel_id)
                continue
            if Role.PENDAMPING in held:
                q |= models.Q(kelurahan_id=kel_id, companion_id=user.pk)
            if held & {Role.RELAWAN, Role.PENDAMPING}:
                q |= models.Q(kelurahan_id=kel_id, registered_by_id=user.pk)
        # Real memberships never reach a role-play session's cases; session roles reach only
        # those (accounts.roles.UserRoles.on).
        q &= models.Q(roleplay_session__isnull=True)
        return self.filter(_with_sessions(q, roles, intake=True))

    def in_full_to(self, user):
        """The cases the user sees in full (not the volunteer's intake-only view)."""
        q = models.Q(pk__in=[])
        roles = roles_of(user)
        for kel_id, held in roles.by_kelurahan.items():
            if held & KELURAHAN_WIDE_ROLES:
                q |= models.Q(kelurahan_id=kel_id)
            elif Role.PENDAMPING in held:
                q |= models.Q(kelurahan_id=kel_id, companion_id=user.pk)
        q &= models.Q(roleplay_session__isnull=True)
        return self.filter(_with_sessions(q, roles, intake=False))

    def outside_sessions(self):
        """Real lists, dashboards, statistics, registers and exports: no role-play case."""
        return self.filter(is_roleplay=False)

    def real(self):
        return self.filter(is_roleplay=False)


# The columns the case list filters on besides kelurahan, state and date (cases.views.records).
LIST_FILTER_COLUMNS = [
    "is_violence",
    "is_social_protection",
    "is_roleplay",
    "roleplay_session",
    "danger_now",
    "injured_needs_care",
]


class Case(models.Model):
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="cases", verbose_name=_("kelurahan")
    )
    number = models.CharField(_("case number"), max_length=30, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveIntegerField(_("sequence"))
    is_roleplay = models.BooleanField(
        _("role-play case"), default=False, help_text=_("Fixed at registration.")
    )
    is_violence = models.BooleanField(_("violence"), default=True)
    is_social_protection = models.BooleanField(_("social protection"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    # Where "return" of a closure proposal goes back to.
    status_before_closure = models.CharField(max_length=20, choices=Status.choices, blank=True)

    # Intake
    channel = models.CharField(
        _("channel"), max_length=20, choices=vocab.Channel.choices, default=vocab.Channel.WALK_IN
    )
    received_at = models.DateTimeField(_("complaint received at"), default=timezone.now)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    # The mechanism version in force when the case was registered (mechanism.current): its
    # deadlines are the case's for good, whatever is enacted later. None: PROCEDURE.md's defaults.
    mechanism = models.ForeignKey(
        "mechanism.Version",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("mechanism version"),
    )
    # A role-play case opened from a scenario card in a session (roleplay app): only the
    # session's participants, in their session roles, reach it (accounts.roles.UserRoles.on).
    roleplay_session = models.ForeignKey(
        "roleplay.Session",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        editable=False,
    )
    scenario = models.CharField(_("scenario card"), max_length=40, blank=True, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="registered_cases",
        verbose_name=_("registered by"),
    )
    intake_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    incident_date = models.DateField(_("incident date"), null=True, blank=True)
    incident_date_approximate = models.BooleanField(_("the date is approximate"), default=False)
    incident_place = models.CharField(
        _("incident place"), max_length=20, choices=vocab.Place.choices, blank=True
    )
    incident_online = models.BooleanField(_("happened online"), default=False)
    incident_rt = models.CharField(_("RT"), max_length=5, blank=True)
    incident_rw = models.CharField(_("RW"), max_length=5, blank=True)
    narrative = models.TextField(_("what happened"), blank=True)
    danger_now = models.BooleanField(_("the victim is in danger now"), default=False)
    injured_needs_care = models.BooleanField(_("injured and needs care now"), default=False)
    violence_types = models.JSONField(_("violence types"), default=list, blank=True)
    tpks_types = models.JSONField(_("sexual violence types (UU TPKS)"), default=list, blank=True)
    gbv_answers = models.JSONField(_("GBVIMS answers"), default=dict, blank=True)
    gbv_type = models.CharField(
        _("GBVIMS core type"), max_length=20, choices=vocab.GbvType.choices, blank=True
    )
    social_problems = models.JSONField(_("social-protection problems"), default=list, blank=True)

    # Reporter
    reporter_is_victim = models.BooleanField(_("reported by the victim"), default=False)
    reporter_anonymous = models.BooleanField(_("reporter stays anonymous"), default=False)
    reporter_name = models.CharField(_("reporter's name"), max_length=120, blank=True)
    reporter_relation = models.CharField(
        _("reporter's relation to the victim"),
        max_length=20,
        choices=vocab.ReporterRelation.choices,
        blank=True,
    )
    reporter_contact = models.CharField(_("reporter's contact"), max_length=120, blank=True)
    reporter_wants_feedback = models.BooleanField(_("reporter wants to hear back"), default=False)

    # Procedure
    companion = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="companion_cases",
        verbose_name=_("companion"),
    )
    ever_assigned = models.BooleanField(default=False, editable=False)
    assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    handling_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    monitoring_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_visit_at = models.DateTimeField(null=True, blank=True, editable=False)
    closure_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    closure_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    closure_reason = models.CharField(
        _("closure reason"), max_length=20, choices=vocab.ClosureReason.choices, blank=True
    )
    not_pursued_reason = models.CharField(
        _("reason not pursued"), max_length=20, choices=vocab.NotPursuedReason.choices, blank=True
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)

    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords(excluded_fields=["intake_token"])

    objects = CaseQuerySet.as_manager()

    # Not a column: the reader's level (cases.access.FULL or INTAKE), set on a case fetched by
    # cases.access.get_case_for_user.
    access_level: str

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kelurahan", "year", "is_roleplay", "seq"], name="case_seq_unique"
            )
        ]
        indexes = [
            models.Index(fields=["kelurahan", "status"]),
            # The case list, whole or filtered by state (issue 12): newest first, its page of
            # ids and its bounded count read from the index alone (an index-only scan on
            # PostgreSQL: every column the list filters on is in the index, the role-play
            # session included, since every list excludes other sessions' cases).
            models.Index(
                fields=["kelurahan", "-registered_at", "-id"],
                include=LIST_FILTER_COLUMNS,
                name="case_list",
            ),
            models.Index(
                fields=["kelurahan", "status", "-registered_at", "-id"],
                include=LIST_FILTER_COLUMNS,
                name="case_list_by_status",
            ),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.pk])

    @property
    def is_emergency(self):
        return self.danger_now or self.injured_needs_care

    @property
    def is_sexual_violence(self):
        return vocab.ViolenceType.SEXUAL in (self.violence_types or []) or bool(self.tpks_types)

    @property
    def is_open(self):
        return self.status in vocab.OPEN_STATES

    def violence_type_labels(self):
        return [vocab.ViolenceType(v).label for v in self.violence_types or []]

    def tpks_type_labels(self):
        return [vocab.TpksType(v).label for v in self.tpks_types or []]

    def social_problem_labels(self):
        return [vocab.SocialProblem(v).label for v in self.social_problems or []]

    def derived_contexts(self, victims=None, links=None):
        """Intimate-partner violence, child sexual abuse, child marriage (DATA.md)."""
        victims = list(victims if victims is not None else self.victims.all())
        links = list(
            links
            if links is not None
            else PerpetratorLink.objects.filter(victim__case=self).only("relation")
        )
        out = []
        if any(link.relation in vocab.PARTNER_RELATIONS for link in links):
            out.append(_("Intimate-partner violence"))
        child = any(v.is_child for v in victims)
        if child and self.is_sexual_violence:
            out.append(_("Child sexual abuse"))
        forced_marriage = (
            vocab.TpksType.FORCED_MARRIAGE in (self.tpks_types or [])
            or self.gbv_type == vocab.GbvType.FORCED_MARRIAGE
        )
        if child and forced_marriage:
            out.append(_("Child marriage"))
        return out


class Victim(models.Model):
    """A victim, or in a social-protection case a person served (penerima layanan)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="victims")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=1)
    full_name = models.CharField(_("full name"), max_length=120)
    # The name as search reads it (cases/search.py normalize_name), set by the services.
    search_name = models.CharField(max_length=120, blank=True, editable=False)
    initials = models.CharField(_("alias or initials"), max_length=40, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=vocab.Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    estimated_age = models.PositiveSmallIntegerField(_("estimated age"), null=True, blank=True)
    # The SIMFONI age group on the case's registration date (from the birth date, or the age
    # estimated then), stored when registered or edited (cases.services.intake) so that a report
    # gives the same figures whenever it is run; "" when unknown. Child: the first three groups.
    age_group = models.CharField(
        _("age group at registration"), max_length=5, blank=True, editable=False
    )
    nik = models.CharField(_("NIK"), max_length=16, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    rt = models.CharField(_("RT"), max_length=5, blank=True)
    rw = models.CharField(_("RW"), max_length=5, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    safe_contact = models.CharField(_("safe way and time to contact"), max_length=255, blank=True)
    marital_status = models.CharField(
        _("marital status"), max_length=10, choices=vocab.MaritalStatus.choices, blank=True
    )
    education = models.CharField(
        _("education"), max_length=10, choices=vocab.Education.choices, blank=True
    )
    occupation = models.CharField(_("occupation"), max_length=120, blank=True)
    vulnerable_groups = models.JSONField(_("vulnerable groups"), default=list, blank=True)
    dtsen_status = models.CharField(
        _("registered in DTSEN"),
        max_length=10,
        choices=vocab.DtsenStatus.choices,
        default=vocab.DtsenStatus.UNKNOWN,
    )
    dtsen_decile = models.PositiveSmallIntegerField(_("DTSEN decile"), null=True, blank=True)
    assistance = models.JSONField(_("assistance received"), default=list, blank=True)
    disability_types = models.JSONField(_("disability (UU 8/2016)"), default=list, blank=True)
    wg_seeing = models.CharField(max_length=1, choices=vocab.WgAnswer.choices, blank=True)
    wg_hearing = models.CharField(max_length=1, choices=vocab.WgAnswer.choices, blank=True)
    wg_walking = models.CharField(max_length=1, choices=vocab.WgAnswer.choices, blank=True)
    wg_cognition = models.CharField(max_length=1, choices=vocab.WgAnswer.choices, blank=True)
    wg_selfcare = models.CharField(max_length=1, choices=vocab.WgAnswer.choices, blank=True)
    wg_communication = models.CharField(max_length=1, choices=vocab.WgAnswer.choices, blank=True)
    accommodations = models.JSONField(_("accommodation needs"), default=list, blank=True)
    recovery = models.JSONField(_("recovery and reintegration"), default=dict, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("victim / person served")
        verbose_name_plural = _("victims / persons served")
        ordering = ["case", "position", "pk"]
        indexes = [models.Index(fields=["kelurahan", "full_name"])]

    def __str__(self):
        return self.full_name

    def age_on(self, day=None):
        return age_on(self.birth_date, self.estimated_age, day or timezone.localdate())

    @property
    def age(self):
        return self.age_on()

    @property
    def age_band(self):
        return vocab.age_band(self.age)

    @property
    def is_child(self):
        age = self.age
        return age is not None and age < 18

    @property
    def has_disability(self):
        if self.disability_types:
            return True
        return any(
            getattr(self, f) in (vocab.WgAnswer.A_LOT, vocab.WgAnswer.CANNOT)
            for f, _label in vocab.WG_DOMAINS
        )

    @property
    def display_initials(self):
        if self.initials:
            return self.initials
        return ".".join(p[0].upper() for p in self.full_name.split() if p) + "."

    @property
    def nik_masked(self):
        return mask(self.nik)

    @property
    def phone_masked(self):
        return mask(self.phone)


def age_on(birth_date, estimated_age, day):
    """Age in whole years on `day` from the birth date, else the estimated age (or None)."""
    if birth_date:
        b = birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))
    return estimated_age


def mask(value, keep=4):
    if not value:
        return ""
    return "•" * max(len(value) - keep, 0) + value[-keep:]


class Perpetrator(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="perpetrators")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("name"), max_length=120, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=vocab.Sex.choices, blank=True)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    age_band = models.CharField(
        _("age band"), max_length=5, choices=vocab.AgeBand.choices, blank=True
    )
    is_child = models.BooleanField(_("child (under 18)"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("alleged perpetrator")
        verbose_name_plural = _("alleged perpetrators")
        ordering = ["case", "position", "pk"]

    def __str__(self):
        return self.name or str(_("(name unknown)"))


class PerpetratorLink(models.Model):
    perpetrator = models.ForeignKey(Perpetrator, on_delete=models.PROTECT, related_name="links")
    victim = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="perpetrator_links")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(
        _("relation to the victim"), max_length=20, choices=vocab.Relation.choices, blank=True
    )
    lives_together = models.BooleanField(_("lives with the victim"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("perpetrator-victim link")
        constraints = [
            models.UniqueConstraint(fields=["perpetrator", "victim"], name="link_unique")
        ]


class ImmutableModel(models.Model):
    """Rows that are written once: no update, no delete, through the app or the admin; on
    PostgreSQL the database refuses it too (APPEND_ONLY_SQL below, installed by migration
    0004_append_only_triggers)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("This record cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("This record cannot be deleted."))


class CaseEvent(ImmutableModel):
    """The timeline: registration, transitions and the events that feed the record."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        TRANSITION = "transition", _("Status change")
        ASSIGNMENT = "assignment", _("Companion assigned")
        FIRST_CONTACT = "first_contact", _("First contact")
        ASSESSMENT = "assessment", _("Assessment")
        CONSENT = "consent", _("Consent")
        PLAN = "plan", _("Case plan")
        VISIT = "visit", _("Visit or note")
        REFERRAL = "referral", _("Referral")
        DUPLICATE = "duplicate", _("Possible duplicate")
        EDIT = "edit", _("Record updated")
        ATTACHMENT = "attachment", _("Attachment")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    action = models.CharField(max_length=40, blank=True)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    note = models.TextField(blank=True)
    # Seen only by the assigned companion and the coordinator (confidential notes).
    confidential = models.BooleanField(default=False)
    # Small structured payload, e.g. {"referral": 12}; never personal data.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"])]


class AccessLog(ImmutableModel):
    """Who read which case, when, how and from where. Never updated, never deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="access_logs"
    )
    action = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["kelurahan", "-at"])]


class DuplicateFlag(models.Model):
    """A possible duplicate found after saving (same NIK, or same name and birth date)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="duplicate_flags")
    other = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20)
    created_at = models.DateTimeField(default=timezone.now)
    resolved = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "other", "reason"], name="dup_unique")
        ]


class Assessment(ImmutableModel):
    """One assessment of one victim; a reassessment is a new row, earlier ones stay visible."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    victim = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="assessments")
    answers = models.JSONField(_("risk questions"), default=dict)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=vocab.RiskLevel.choices)
    needs = models.JSONField(_("needs"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["victim", "-assessed_at", "-pk"]


class Consent(models.Model):
    """The consent ledger: one entry per victim and purpose (and agency, for sharing)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    victim = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=vocab.ConsentPurpose.choices)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("agency")
    )
    shared_fields = models.JSONField(_("what may be shared"), default=list, blank=True)
    given_by = models.CharField(_("given by"), max_length=20, choices=vocab.ConsentGiver.choices)
    giver_name = models.CharField(_("name of guardian or supporter"), max_length=120, blank=True)
    child_view = models.TextField(_("the child's own view"), blank=True)
    how = models.CharField(_("how"), max_length=20, choices=vocab.ConsentHow.choices)
    given_at = models.DateTimeField(_("when"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["victim", "given_at", "pk"]
        indexes = [
            models.Index(fields=["victim", "purpose"]),
            # Best-interest decisions waiting for the coordinator's confirmation (Tugas Saya).
            models.Index(
                fields=["kelurahan", "given_at"],
                condition=models.Q(
                    given_by="best_interest", confirmed_at__isnull=True, withdrawn_at__isnull=True
                ),
                name="consent_bi_waiting",
            ),
        ]

    @property
    def is_effective(self):
        """In force: not withdrawn, and a best-interest decision confirmed by the coordinator."""
        if self.withdrawn_at:
            return False
        if self.given_by == vocab.ConsentGiver.BEST_INTEREST and not self.confirmed_at:
            return False
        return True


class PlannedAction(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    victim = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="actions")
    service_type = models.CharField(_("service"), max_length=20, choices=vocab.ServiceType.choices)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("provider"),
        help_text=_("Empty: LBK-KK itself."),
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=vocab.ActionStatus.choices,
        default=vocab.ActionStatus.PLANNED,
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "victim", "created_at", "pk"]

    @property
    def provider_label(self):
        return self.agency.name if self.agency_id else "LBK-KK"


class Visit(ImmutableModel):
    """A visit or a note on the accompaniment; confidential ones are seen by few."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="visits")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    victim = models.ForeignKey(
        Victim, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=vocab.VisitKind.choices)
    visited_on = models.DateField(_("date"), default=timezone.localdate)
    text = models.TextField(_("notes"))
    next_visit_on = models.DateField(_("next visit"), null=True, blank=True)
    confidential = models.BooleanField(_("confidential note"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_on", "-pk"]


class SubmittedForm(models.Model):
    """A form the engine has carried out (cases/engine.py): the same form sent again (back
    button, double tap, two tabs, a POST by hand) finds its row and gets the first result back
    instead of making a second record."""

    token = models.CharField(max_length=64)
    table = models.CharField(max_length=20)
    action = models.CharField(max_length=40)
    subject_id = models.PositiveBigIntegerField(null=True)
    result_id = models.PositiveBigIntegerField(null=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "table", "action"], name="submitted_form_once")
        ]


# The database half of ImmutableModel: on PostgreSQL the tables of every immutable model refuse
# UPDATE and DELETE, so neither a bug, a shell session nor an SQL console can rewrite who read
# what or what was recorded. TRUNCATE is not blocked: restoring a backup and the test suite's
# flush need it, and only the database owner can truncate. SQLite (development) has no trigger.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION lbk_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lbk: % on % is refused: this table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_tables():
    return sorted(m._meta.db_table for m in ImmutableModel.__subclasses__())


def install_append_only_triggers(schema_editor, tables):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(APPEND_ONLY_FUNCTION, params=None)
    for table in tables:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION lbk_refuse_change()"
        )


class ClockRunQuerySet(models.QuerySet):
    def running(self):
        return self.filter(stopped_at__isnull=True)

    def real(self):
        return self.filter(is_roleplay=False)


class ClockRun(models.Model):
    """One run of a deadline clock (cases/workflow.py CLOCKS, referrals/workflow.py CLOCKS) on a
    case, one of its referrals, or a public submission (the verify_public clock, which has no
    case: exactly one of case / submission is set): started, due, stopped, written by the
    engine in the same transaction as the step that starts or stops it (cases/clocks.py sync)
    and kept after it stops. "Overdue", "most urgent first", Tugas Saya and the dashboard are
    SQL over the running rows; reports read met and missed deadlines from the stopped ones."""

    class WaitsOn(models.TextChoices):
        DECIDERS = "deciders", _("Coordinator, kelurahan staff")
        COMPANION = "companion", _("Companion")
        STAFF = "staff", _("Kelurahan staff")
        AGENCY = "agency", _("Agency")
        COORDINATOR = "coordinator", _("Coordinator")

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="clock_runs"
    )
    # The public submission the verify_public clock runs on (public_channel; no case yet).
    submission = models.ForeignKey(
        "public.Submission",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clock_runs",
    )
    # The referral a referral clock runs on (referrals.Referral; the cases app does not import
    # the referrals app, so this is a plain id).
    referral_id = models.PositiveBigIntegerField(null=True, blank=True)
    key = models.CharField(max_length=30)
    waits_on = models.CharField(max_length=12, choices=WaitsOn.choices)
    # For the companion's clocks: the assigned companion (empty: the coordinator acts).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_roleplay = models.BooleanField(default=False)
    hours = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=40, blank=True)
    # The reminder before the due time and the escalation after it (outbox/reminders.py):
    # each at most once per run and due time (a moved due time clears them).
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = ClockRunQuerySet.as_manager()

    class Meta:
        constraints = [
            # A run belongs to a case (its referral runs too) or to a public submission.
            models.CheckConstraint(
                condition=(
                    models.Q(case__isnull=False, submission__isnull=True)
                    | models.Q(
                        case__isnull=True, submission__isnull=False, referral_id__isnull=True
                    )
                ),
                name="clockrun_case_xor_submission",
            )
        ]
        indexes = [
            # Overdue and most urgent first, per kelurahan (Tugas Saya, dashboard, reminders).
            models.Index(
                fields=["kelurahan", "due_at"],
                condition=models.Q(stopped_at__isnull=True),
                name="clockrun_running_due",
            ),
            # What waits on the kelurahan's office (deciders, coordinator, staff, or a companion's
            # clock nobody is assigned to), most urgent first: the coordinator's Tugas Saya
            # without reading past the many clocks that wait on assigned companions.
            models.Index(
                fields=["kelurahan", "due_at"],
                condition=models.Q(stopped_at__isnull=True)
                & (
                    models.Q(waits_on__in=["deciders", "coordinator", "staff"])
                    | models.Q(assignee__isnull=True)
                ),
                name="clockrun_office_due",
            ),
            # A companion's own clocks.
            models.Index(
                fields=["assignee", "due_at"],
                condition=models.Q(stopped_at__isnull=True),
                name="clockrun_running_assignee",
            ),
            # The oldest waiting clocks of a kelurahan (the dashboard).
            models.Index(
                fields=["kelurahan", "started_at"],
                condition=models.Q(stopped_at__isnull=True),
                name="clockrun_running_started",
            ),
            # The running clock of a referral (the queue's and the inbox's "due").
            models.Index(
                fields=["referral_id"],
                # Referral clocks only: a partial index that also held the case clocks (as
                # NULLs) drew the planner away from the case index for "these cases' clocks".
                condition=models.Q(stopped_at__isnull=True, referral_id__isnull=False),
                name="clockrun_running_referral_only",
            ),
            # The periodic run's reminders and escalations still to send, by due time.
            models.Index(
                fields=["due_at"],
                condition=models.Q(stopped_at__isnull=True, reminded_at__isnull=True),
                name="clockrun_to_remind",
            ),
            models.Index(
                fields=["due_at"],
                condition=models.Q(stopped_at__isnull=True, escalated_at__isnull=True),
                name="clockrun_to_escalate",
            ),
            # The running clock of a public submission (the queue's "due").
            models.Index(
                fields=["submission"],
                condition=models.Q(stopped_at__isnull=True, submission__isnull=False),
                name="clockrun_running_submission",
            ),
            # The clocks of one case (the case page, the engine's sync).
            models.Index(fields=["case", "key"], name="clockrun_case_key"),
            # Reports: met and missed per kelurahan and month.
            models.Index(fields=["kelurahan", "key", "stopped_at"], name="clockrun_stopped"),
        ]

    def __str__(self):
        on = self.case_id or f"public #{self.submission_id}"
        return f"{on} {self.key} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def running(self):
        return self.stopped_at is None


class StateCount(models.Model):
    """How many cases a kelurahan has in each state (real or role play), kept by the engine in
    the same transaction as every change of state and every registration: the dashboard reads
    these rows instead of counting the cases (manage.py recompute_clocks --rebuild recounts)."""

    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    is_roleplay = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kelurahan", "is_roleplay", "status"], name="state_count_unique"
            )
        ]
