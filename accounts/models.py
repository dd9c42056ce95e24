"""People and places: users, kelurahan, agencies and the memberships that link them."""

import zoneinfo
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import letter_numbers

if TYPE_CHECKING:
    from .roles import UserRoles


class Role(models.TextChoices):
    RELAWAN = "relawan", _("Posko volunteer")
    PENDAMPING = "pendamping", _("LBK-KK companion")
    KOORDINATOR = "koordinator", _("LBK-KK coordinator")
    KASI_KESRA = "kasi_kesra", _("Kasi Kesra")
    LURAH = "lurah", _("Lurah")
    PETUGAS = "petugas", _("Agency officer")
    ADMIN_INSTANSI = "admin_instansi", _("Agency admin")
    ANALIS_KOTA = "analis_kota", _("Kota analyst (DP3A or Dinas Sosial)")
    # Runs role-play sessions (roleplay app): sees only the SIM cases of their own sessions.
    FASILITATOR = "fasilitator", _("Role-play facilitator")


KELURAHAN_ROLES = frozenset(
    {Role.RELAWAN, Role.PENDAMPING, Role.KOORDINATOR, Role.KASI_KESRA, Role.LURAH, Role.FASILITATOR}
)
# The agency admin invites and ends their agency's officers; sees no case content.
AGENCY_ROLES = frozenset({Role.PETUGAS, Role.ADMIN_INSTANSI})
# Roles held at kota level (a membership by the kota's region code): aggregates only (the
# analyst), or the role-play sessions a trainer of several kelurahan runs (the facilitator).
KOTA_ROLES = frozenset({Role.ANALIS_KOTA, Role.FASILITATOR})
# "Kelurahan staff" in PROCEDURE.md.
STAFF_ROLES = frozenset({Role.KASI_KESRA, Role.LURAH})
# Roles that see every case of their kelurahan.
KELURAHAN_WIDE_ROLES = frozenset({Role.KOORDINATOR, Role.KASI_KESRA, Role.LURAH})


class User(AbstractUser):
    """A person who logs in. Deactivated (is_active=False), never deleted."""

    is_lbk_admin = models.BooleanField(
        _("application admin"),
        default=False,
        help_text=_("Keeps users and master data; sees no case content."),
    )
    admin_scope = models.CharField(
        _("admin scope (kota region code)"),
        max_length=13,
        blank=True,
        help_text=_("Empty: all kota. Otherwise the region code of one kota, e.g. 73.72."),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Unread notifications, kept by notifications.services (notify adds, reading takes away):
    # every page shows the count without a query of its own (the user row is read anyway).
    unread_notifications = models.PositiveIntegerField(default=0, editable=False)

    # A cache on the instance for one request, not a column: accounts.roles.roles_of.
    _lbk_roles: "UserRoles"

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Users are deactivated, never deleted."))

    def active_memberships(self, on=None):
        return self.memberships.active(on).select_related("kelurahan", "agency", "kota")

    @property
    def display_name(self):
        return self.get_full_name() or self.username


# Indonesia's three zones (IANA names), labelled as Indonesians name them.
TIME_ZONES = [
    ("Asia/Jakarta", "WIB (UTC+7)"),
    ("Asia/Makassar", "WITA (UTC+8)"),
    ("Asia/Jayapura", "WIT (UTC+9)"),
]


class Kelurahan(models.Model):
    class Kind(models.TextChoices):
        KELURAHAN = "kelurahan", _("Kelurahan")
        DESA = "desa", _("Desa")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.KELURAHAN)
    # The official kelurahan/desa (places.Village, keyed by its Kemendagri code): a code that is
    # not in the loaded list cannot be saved (a foreign key), and reports roll up through it.
    region = models.OneToOneField(
        "places.Village",
        on_delete=models.PROTECT,
        db_column="region_code",
        related_name="posko",
        verbose_name=_("region code (kode wilayah)"),
    )
    code = models.CharField(
        _("short code"), max_length=6, unique=True, help_text=_("Used in numbers, e.g. WS.")
    )
    kecamatan = models.CharField(_("kecamatan"), max_length=120)
    kota = models.CharField(_("kota/kabupaten"), max_length=120)
    kota_code = models.CharField(_("kota region code"), max_length=13)
    province = models.CharField(_("province"), max_length=120)
    address = models.CharField(_("office address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    logo = models.CharField(
        _("logo (static file path)"), max_length=200, default="img/lambang-kota.svg"
    )
    letter_number_format = models.CharField(
        _("letter number format"),
        max_length=120,
        default=letter_numbers.DEFAULT_FORMAT,
        help_text=lazy(letter_numbers.help_text, str)(),
        validators=[letter_numbers.validate_format],
    )
    letter_classification = models.CharField(
        _("archive classification code"), max_length=20, blank=True
    )
    letter_copies = models.TextField(
        _("copies (tembusan)"), default="Arsip", help_text=_("One per line.")
    )
    # Letter dates, working days, service hours, report months and overdue marks are reckoned in
    # the place's own zone (WIB, WITA or WIT, from its province); storage stays UTC.
    time_zone = models.CharField(
        _("time zone"),
        max_length=20,
        choices=TIME_ZONES,
        default="Asia/Makassar",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("kelurahan / desa")
        verbose_name_plural = _("kelurahan / desa")
        ordering = ["name"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"

    def clean(self):
        super().clean()
        if "{klasifikasi" in (self.letter_number_format or "") and not self.letter_classification:
            raise ValidationError(
                {
                    "letter_classification": _(
                        "The letter number format uses {klasifikasi}: fill in the archive "
                        "classification code."
                    )
                }
            )

    def letter_number_example(self):
        """This kelurahan's next number as it would look (the admin shows it)."""
        try:
            letter_numbers.validate_format(self.letter_number_format)
        except ValidationError:
            return ""
        return letter_numbers.example(
            self.letter_number_format or letter_numbers.DEFAULT_FORMAT,
            kode=self.code or "WS",
            klasifikasi=self.letter_classification,
        )

    @property
    def region_code(self):
        return self.region_id

    @property
    def kecamatan_word(self) -> str:
        """ "Distrik" in Tanah Papua, "Kecamatan" elsewhere (places.models.kecamatan_word)."""
        from places.models import kecamatan_word

        return kecamatan_word(self.region_id)

    @property
    def tzinfo(self):
        """The place's zone, for turning stored UTC times into its local dates and hours."""
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def head_title(self):
        return "Lurah" if self.kind == self.Kind.KELURAHAN else "Kepala Desa"

    @property
    def emblem_src(self):
        """The letterhead's emblem for the PDF renderer: the kota's uploaded one (read from
        storage by its id, lbk/pdf.py), else the static file of `logo` (the pilots')."""
        from lbk import pdf
        from places.models import KotaEmblem

        row = KotaEmblem.objects.filter(kota_id=self.kota_code).values_list("pk", "sha256").first()
        if row is not None:
            return pdf.emblem_url(*row)
        return f"{pdf.STATIC_PREFIX}{self.logo}"


class Agency(models.Model):
    class Kind(models.TextChoices):
        DP3A = "dp3a", _("DP3A")
        UPTD_PPA = "uptd_ppa", _("UPTD PPA")
        DINSOS = "dinsos", _("Dinas Sosial")
        POLICE = "police", _("Police (PPA unit)")
        HEALTH = "health", _("Health service")
        CIVIL_REGISTRY = "civil_registry", _("Civil registry (Disdukcapil)")
        LEGAL_AID = "legal_aid", _("Legal aid")
        SOCIAL_WELFARE = "social_welfare", _("Social-welfare services (Puskesos/SLRT, TKSK, PKH)")
        RELIGIOUS = "religious", _("Religious affairs (KUA)")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    kota = models.CharField(_("kota/kabupaten"), max_length=120)
    kota_code = models.CharField(_("kota region code"), max_length=13)
    kelurahan_served = models.ManyToManyField(
        Kelurahan,
        blank=True,
        related_name="agencies",
        verbose_name=_("kelurahan served"),
        help_text=_("Empty: the whole kota."),
    )
    head_title = models.CharField(
        _("addressee"),
        max_length=200,
        blank=True,
        help_text=_("How letters address the head, e.g. Kepala UPTD PPA Kota Parepare."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    has_users = models.BooleanField(_("has users in the app"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def addressee(self):
        return self.head_title or f"Kepala {self.name}"


class MembershipQuerySet(models.QuerySet):
    def active(self, on=None):
        """Memberships in force on a day (today by default): the one definition of "active"."""
        on = on or timezone.localdate()
        return self.filter(valid_from__lte=on).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=on)
        )


def active_members(roles, *, kelurahan_id=None, agency_id=None, on=None):
    """Active users who hold one of `roles` today at the kelurahan (or agency)."""
    place = {"kelurahan_id": kelurahan_id} if kelurahan_id is not None else {}
    if agency_id is not None:
        place = {"agency_id": agency_id}
    ids = Membership.objects.active(on).filter(role__in=list(roles), **place).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True)


class Membership(models.Model):
    """A user's role at exactly one kelurahan, one agency or one kota, for a period."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user")
    )
    kelurahan = models.ForeignKey(
        Kelurahan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("kelurahan"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("agency"),
    )
    kota = models.ForeignKey(
        "places.Kota",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("kota/kabupaten"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # Copied onto each letter the member signs.
    title = models.CharField(_("official title"), max_length=120, blank=True)
    rank = models.CharField(_("rank/grade"), max_length=120, blank=True)
    nip = models.CharField(_("NIP"), max_length=18, blank=True)
    history = HistoricalRecords()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_exactly_one_place",
                condition=(
                    Q(kelurahan__isnull=False, agency__isnull=True, kota__isnull=True)
                    | Q(kelurahan__isnull=True, agency__isnull=False, kota__isnull=True)
                    | Q(kelurahan__isnull=True, agency__isnull=True, kota__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="membership_role_fits_place",
                condition=(
                    Q(kelurahan__isnull=False, role__in=sorted(r.value for r in KELURAHAN_ROLES))
                    | Q(agency__isnull=False, role__in=sorted(r.value for r in AGENCY_ROLES))
                    | Q(kota__isnull=False, role__in=sorted(r.value for r in KOTA_ROLES))
                ),
            ),
            models.CheckConstraint(
                name="membership_period_ordered",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self):
        return f"{self.user} - {self.get_role_display()} - {self.place}"

    @property
    def place(self):
        return self.kelurahan or self.agency or self.kota

    def clean(self):
        if [bool(self.kelurahan_id), bool(self.agency_id), bool(self.kota_id)].count(True) != 1:
            raise ValidationError(_("Choose exactly one: a kelurahan, an agency or a kota."))
        if self.kelurahan_id and self.role not in KELURAHAN_ROLES:
            raise ValidationError({"role": _("This role is not valid for a kelurahan.")})
        if self.agency_id and self.role not in AGENCY_ROLES:
            raise ValidationError({"role": _("This role is not valid for an agency.")})
        if self.kota_id and self.role not in KOTA_ROLES:
            raise ValidationError({"role": _("This role is not valid for a kota.")})
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end date is before the start date.")})


class SessionIndex(models.Model):
    """Which session keys belong to which user, whatever the session store (database, cached
    database or Redis): the per-user index that lets every session of a user be ended
    (deactivation, password change, "log out everywhere") without scanning or decoding the
    sessions. Written at login and when a key changes, removed when the session ends; rows older
    than the absolute session limit are dead and purged at the next login."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"session of user {self.user_id}"


class AccountAudit(models.Model):
    """The audit log of people and accounts (issue 16): invitations, memberships given and ended,
    password and second-factor resets, exemptions. The lurah (and the kelurahan's coordinator
    and kasi kesra) read the rows of their kelurahan. Rows are never changed, except that the
    person a reset was about has seen the notice at their next sign-in (`seen_at`). No secret
    is ever written here: no password, no code, no token."""

    class Action(models.TextChoices):
        PASSWORD_RESET_REQUESTED = "pw_reset_requested", _("Password reset requested by e-mail")
        PASSWORD_RESET_DONE = "pw_reset_done", _("New password set with a reset link or code")
        PASSWORD_RESET_BY_STAFF = "pw_reset_by_staff", _("Password reset by a coordinator")
        SECOND_FACTOR_RESET = "2fa_reset", _("Second factor reset")
        SECOND_FACTOR_ENROLLED = "2fa_enrolled", _("Second factor set up")
        SECOND_FACTOR_EXEMPTED = "2fa_exempted", _("Exempted from the second factor")
        RECOVERY_CODE_USED = "2fa_recovery_used", _("Signed in with a recovery code")
        INVITED = "invited", _("Person invited")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        INVITATION_REVOKED = "invitation_revoked", _("Invitation withdrawn")
        MEMBERSHIP_GIVEN = "membership_given", _("Membership given")
        MEMBERSHIP_ENDED = "membership_ended", _("Membership ended")
        ALL_MEMBERSHIPS_ENDED = "memberships_all_ended", _("All memberships in the place ended")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    subject = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_rows",
        verbose_name=_("person"),
    )
    # The tenant key: the kelurahan whose people list the row belongs to (empty: none).
    kelurahan = models.ForeignKey(
        Kelurahan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kelurahan"),
    )
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    # The person was told at their next sign-in (resets made by someone else).
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("account audit entry")
        verbose_name_plural = _("account audit log")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["kelurahan", "-at"]),
            models.Index(fields=["subject", "-at"]),
        ]

    def __str__(self):
        return f"{self.get_action_display()} ({self.at:%Y-%m-%d %H:%M})"


class ResetToken(models.Model):
    """A one-time way to set a new password: a link sent by e-mail or a code handed over in
    person. Only a hash of the secret is stored. For an e-mail link the secret is derived from
    SECRET_KEY and `nonce` when the e-mail is sent (outbox kind "reset_email"), so neither the
    outbox nor this table holds anything that opens the account. An e-mail request for an
    address without an account makes a row too (user empty): the same work either way."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("link by e-mail")
        CODE = "code", _("code handed over in person")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    nonce = models.CharField(max_length=64, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"reset token {self.pk}"


class SecondFactorPolicy(models.Model):
    """One row (the admin's): from `since`, every account that sees case data or can give access
    to it must set up two-factor sign-in within `grace_days` (at most 30) of that day or of the
    day the account was made, whichever is later (accounts/second_factor.py)."""

    since = models.DateField(_("required from"), default=timezone.localdate)
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=30,
        validators=[MaxValueValidator(30)],
        help_text=_("At most 30 days."),
    )

    class Meta:
        verbose_name = _("two-factor sign-in policy")
        verbose_name_plural = _("two-factor sign-in policy")
        constraints = [
            models.CheckConstraint(
                name="second_factor_grace_at_most_30_days", condition=Q(grace_days__lte=30)
            )
        ]

    def __str__(self):
        return str(self._meta.verbose_name)


class SecondFactorExemption(models.Model):
    """A volunteer without a smartphone, exempted by their coordinator for at most 90 days."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    until = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        indexes = [models.Index(fields=["user", "until"])]

    def __str__(self):
        return f"exemption {self.pk}"


class RecoveryCode(models.Model):
    """A single-use recovery code of two-factor sign-in; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"recovery code {self.pk}"


class Invitation(models.Model):
    """An invitation to join a place with one role (accounts/people_service.py): sent by e-mail
    (the link's secret derived from SECRET_KEY and `nonce` when the outbox sends it, like a reset
    link) or handed over in person as a code (or the link that carries it). Only a SHA-256 of
    the secret is stored. It lasts 72 hours and works once; when it is accepted, the role is
    checked against the grant table again (the inviter may have lost the right meanwhile)."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("link by e-mail")
        CODE = "code", _("code or link handed over in person")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    email = models.EmailField(_("e-mail"), blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kota = models.ForeignKey(
        "places.Kota", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    nonce = models.CharField(max_length=64, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="invitation_exactly_one_place",
                condition=(
                    Q(kelurahan__isnull=False, agency__isnull=True, kota__isnull=True)
                    | Q(kelurahan__isnull=True, agency__isnull=False, kota__isnull=True)
                    | Q(kelurahan__isnull=True, agency__isnull=True, kota__isnull=False)
                ),
            ),
        ]

    def __str__(self):
        return f"invitation {self.pk}"

    @property
    def place(self):
        return self.kelurahan or self.agency or self.kota
