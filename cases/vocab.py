"""Vocabularies of a case (DATA.md): English codes, Indonesian labels through the catalogue.

Kept as code where the law or SIMFONI-PPA fixes them; agencies are master data (accounts.Agency).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSESSMENT = "assessment", _("Assessment")
    HANDLING = "handling", _("Handling")
    MONITORING = "monitoring", _("Monitoring")
    CLOSURE_REQUESTED = "closure_requested", _("Awaiting closure")
    CLOSED = "closed", _("Closed")
    NOT_PURSUED = "not_pursued", _("Not pursued")


OPEN_STATES = frozenset(
    {Status.ASSESSMENT, Status.HANDLING, Status.MONITORING, Status.CLOSURE_REQUESTED}
)
FINAL_STATES = frozenset({Status.CLOSED, Status.NOT_PURSUED})


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("Came in person")
    PHONE = "phone", _("Phone/WhatsApp")
    OUTREACH = "outreach", _("Outreach")
    COMMUNITY = "community", _("Report by RT/RW or community leader")
    REFERRAL_IN = "referral_in", _("Referred by another organisation")
    PUBLIC_FORM = "public_form", _("Public form")
    OTHER = "other", _("Other")


class Place(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    WORKPLACE = "workplace", _("Workplace")
    SCHOOL = "school", _("School")
    PUBLIC = "public", _("Public facility")
    SHORT_COURSE = "short_course", _("Short-course education institution")
    OTHER = "other", _("Other")


class ViolenceType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    PSYCHOLOGICAL = "psychological", _("Psychological")
    SEXUAL = "sexual", _("Sexual")
    EXPLOITATION = "exploitation", _("Exploitation")
    TRAFFICKING = "trafficking", _("Trafficking in persons")
    NEGLECT = "neglect", _("Neglect")
    OTHER = "other", _("Other")


class TpksType(models.TextChoices):
    # UU 12/2022 art. 4(1)
    NONPHYSICAL_HARASSMENT = "nonphysical_harassment", _("Non-physical sexual harassment")
    PHYSICAL_HARASSMENT = "physical_harassment", _("Physical sexual harassment")
    FORCED_CONTRACEPTION = "forced_contraception", _("Forced contraception")
    FORCED_STERILISATION = "forced_sterilisation", _("Forced sterilisation")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    SEXUAL_TORTURE = "sexual_torture", _("Sexual torture")
    SEXUAL_EXPLOITATION = "sexual_exploitation", _("Sexual exploitation")
    SEXUAL_SLAVERY = "sexual_slavery", _("Sexual slavery")
    ELECTRONIC = "electronic", _("Electronic-based sexual violence")
    # UU 12/2022 art. 4(2)
    RAPE = "rape", _("Rape")
    INDECENT_ACT = "indecent_act", _("Indecent act (perbuatan cabul)")
    CHILD_SEXUAL = (
        "child_sexual",
        _("Intercourse, indecent acts and/or sexual exploitation of a child"),
    )
    DECENCY = "decency", _("Acts against decency against the victim's will")
    PORNOGRAPHY = (
        "pornography",
        _("Pornography involving children or explicit sexual violence and exploitation"),
    )
    FORCED_PROSTITUTION = "forced_prostitution", _("Forced prostitution")
    SEXUAL_TRAFFICKING = "sexual_trafficking", _("Trafficking in persons for sexual exploitation")
    DOMESTIC_SEXUAL = "domestic_sexual", _("Sexual violence in the household")
    MONEY_LAUNDERING = (
        "money_laundering",
        _("Money laundering with sexual violence as predicate offence"),
    )
    OTHER_TPKS = "other_tpks", _("Other offence expressly declared sexual violence")


class GbvType(models.TextChoices):
    """GBVIMS core types, in the order the questions are asked; the first "yes" wins."""

    RAPE = "rape", _("Rape")
    SEXUAL_ASSAULT = "sexual_assault", _("Sexual assault")
    PHYSICAL_ASSAULT = "physical_assault", _("Physical assault")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    DENIAL = "denial", _("Denial of resources, opportunities or services")
    PSYCHOLOGICAL = "psychological", _("Psychological/emotional abuse")
    NONE = "none", _("Not a GBV incident")


GBV_QUESTIONS = [
    (GbvType.RAPE, _("Did the incident include penetration, however slight?")),
    (GbvType.SEXUAL_ASSAULT, _("Did it include unwanted sexual contact without penetration?")),
    (GbvType.PHYSICAL_ASSAULT, _("Did it include physical assault?")),
    (GbvType.FORCED_MARRIAGE, _("Was it a forced marriage?")),
    (GbvType.DENIAL, _("Did it include denial of resources, opportunities or services?")),
    (GbvType.PSYCHOLOGICAL, _("Did it include psychological or emotional abuse?")),
]


class SocialProblem(models.TextChoices):
    NOT_IN_DTSEN = "not_in_dtsen", _("Not registered in DTSEN")
    AID_STOPPED = (
        "aid_stopped",
        _("Social assistance stopped or not received (PKH, Sembako, PBI-JK)"),
    )
    NO_DOCUMENTS = "no_documents", _("No civil documents (KTP, KK, birth certificate)")
    NEGLECTED_ELDERLY = "neglected_elderly", _("Neglected elderly person")
    NEGLECTED_DISABLED = (
        "neglected_disabled",
        _("Neglected person with disability / needs assistive device"),
    )
    OUT_OF_SCHOOL = "out_of_school", _("Child out of school")
    MENTAL_ILLNESS = "mental_illness", _("Person with mental illness / shackling (pemasungan)")
    HOMELESS = "homeless", _("Homeless")
    DISASTER = "disaster", _("Disaster victim")
    OTHER = "other", _("Other")


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class AgeBand(models.TextChoices):
    A0_5 = "0-5", "0-5"
    A6_12 = "6-12", "6-12"
    A13_17 = "13-17", "13-17"
    A18_24 = "18-24", "18-24"
    A25_44 = "25-44", "25-44"
    A45_59 = "45-59", "45-59"
    A60 = "60+", "60+"


def age_band(age):
    if age is None:
        return ""
    for upper, band in ((5, "0-5"), (12, "6-12"), (17, "13-17"), (24, "18-24"), (44, "25-44")):
        if age <= upper:
            return band
    return "45-59" if age <= 59 else "60+"


CHILD_AGE_BANDS = frozenset({"0-5", "6-12", "13-17"})


def age_group_at_registration(victim, registered_at):
    """The victim's SIMFONI age group on the case's registration date (local), from the birth
    date, or the age estimated at registration."""
    from django.utils import timezone

    if victim.birth_date:
        import datetime

        day = timezone.localdate(registered_at)
        b = victim.birth_date
        if isinstance(b, str):  # as typed, before the model field converts it
            b = datetime.date.fromisoformat(b)
        return age_band(day.year - b.year - ((day.month, day.day) < (b.month, b.day)))
    return age_band(victim.estimated_age)


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Not married")
    MARRIED = "married", _("Married")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class Education(models.TextChoices):
    NONE = "none", _("No schooling")
    PRESCHOOL = "preschool", _("Not yet in school")
    SD = "sd", _("Primary (SD)")
    SMP = "smp", _("Junior secondary (SMP)")
    SMA = "sma", _("Senior secondary (SMA/SMK)")
    HIGHER = "higher", _("Higher education")


class VulnerableGroup(models.TextChoices):
    CHILD = "child", _("Child")
    WOMAN = "woman", _("Woman")
    ELDERLY = "elderly", _("Elderly")
    DISABLED = "disabled", _("Person with disability")
    FEMALE_HEAD = "female_head", _("Female head of household")


class DtsenStatus(models.TextChoices):
    YES = "yes", _("Yes, registered")
    NO = "no", _("No, not registered")
    UNKNOWN = "unknown", _("Unknown")


class Assistance(models.TextChoices):
    PKH = "pkh", _("PKH")
    SEMBAKO = "sembako", _("Program Sembako")
    PBI_JK = "pbi_jk", _("PBI-JK")


class DisabilityType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    SENSORY = "sensory", _("Sensory")


class WgAnswer(models.TextChoices):
    NO_DIFFICULTY = "1", _("No difficulty")
    SOME = "2", _("Some difficulty")
    A_LOT = "3", _("A lot of difficulty")
    CANNOT = "4", _("Cannot do at all")


WG_DOMAINS = [
    ("wg_seeing", _("Seeing, even if wearing glasses")),
    ("wg_hearing", _("Hearing, even if using a hearing aid")),
    ("wg_walking", _("Walking or climbing steps")),
    ("wg_cognition", _("Remembering or concentrating")),
    ("wg_selfcare", _("Self-care, such as washing all over or dressing")),
    ("wg_communication", _("Communicating in the usual language")),
]


class Accommodation(models.TextChoices):
    SIGN_LANGUAGE = "sign_language", _("Sign-language interpreter")
    ACCESSIBLE_PLACE = "accessible_place", _("Accessible place")
    EASY_READ = "easy_read", _("Easy-read material")
    TRUSTED_COMPANION = "trusted_companion", _("A trusted companion")


class ReporterRelation(models.TextChoices):
    SELF = "self", _("The victim themself")
    FAMILY = "family", _("Family member")
    NEIGHBOUR = "neighbour", _("Neighbour")
    RT_RW = "rt_rw", _("RT/RW or community leader")
    TEACHER = "teacher", _("Teacher")
    HEALTH = "health", _("Health worker")
    OTHER = "other", _("Other")


class Relation(models.TextChoices):
    PARENT = "parent", _("Parent")
    STEP_PARENT = "step_parent", _("Step-parent")
    FAMILY = "family", _("Family/relative")
    SPOUSE = "spouse", _("Husband/wife")
    EX_SPOUSE = "ex_spouse", _("Former husband/wife")
    PARTNER = "partner", _("Boyfriend/girlfriend or former")
    FRIEND = "friend", _("Friend")
    NEIGHBOUR = "neighbour", _("Neighbour")
    TEACHER = "teacher", _("Teacher/caregiver")
    EMPLOYER = "employer", _("Employer/superior")
    COWORKER = "coworker", _("Co-worker")
    STRANGER = "stranger", _("Stranger")
    OTHER = "other", _("Other")


PARTNER_RELATIONS = frozenset({Relation.SPOUSE, Relation.EX_SPOUSE, Relation.PARTNER})


class ClosureReason(models.TextChoices):
    NEEDS_MET = "needs_met", _("Needs met")
    SAFE_RECOVERED = "safe_recovered", _("Victim safe and recovered")
    HANDLED_BY_AGENCY = "handled_by_agency", _("Fully handled by an agency")
    REFUSED = "refused", _("Victim refuses further services")
    UNREACHABLE = "unreachable", _("Cannot be reached")
    MOVED = "moved", _("Moved away")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class NotPursuedReason(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate")
    OUT_OF_SCOPE = "out_of_scope", _("Not for the posko (redirected)")
    UNVERIFIABLE = "unverifiable", _("Cannot be verified")
    OTHER = "other", _("Other")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    EMERGENCY = "emergency", _("Emergency")


RISK_QUESTIONS = [
    ("perpetrator_access", _("The perpetrator can reach the victim")),
    ("threat_to_kill", _("Threats to kill")),
    ("weapon", _("A weapon was used or threatened")),
    ("injury", _("The victim is injured")),
    ("escalating", _("The violence is getting worse")),
    ("victim_child", _("The victim is a child")),
    ("pregnant", _("The victim is pregnant")),
    ("self_harm", _("Thoughts of self-harm")),
    ("no_safe_place", _("Nowhere safe to stay")),
]


class NeedDomain(models.TextChoices):
    SAFETY = "safety", _("Safety")
    HEALTH = "health", _("Health")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")
    LEGAL = "legal", _("Legal")
    ECONOMIC = "economic", _("Economy and social assistance")
    DOCUMENTS = "documents", _("Civil documents")
    EDUCATION = "education", _("Education")
    DISABILITY = "disability", _("Disability support")


class ConsentPurpose(models.TextChoices):
    SERVICES = "services", _("Receive services")
    SHARE = "share", _("Share data with an agency")
    CONTACT = "contact", _("Be contacted")
    STATISTICS = "statistics", _("Anonymous statistics")


class SharedField(models.TextChoices):
    FULL_NAME = "full_name", _("Full name (otherwise initials only)")
    ADDRESS = "address", _("Address")
    CONTACT = "contact", _("Contact")
    NARRATIVE = "narrative", _("Narrative")
    HEALTH = "health", _("Health information")


class ConsentGiver(models.TextChoices):
    VICTIM = "victim", _("The victim")
    GUARDIAN = "guardian", _("Parent or guardian (with the child's own view)")
    SUPPORTED = "supported", _("Supported decision with a supporter the person chose")
    BEST_INTEREST = "best_interest", _("Best-interest decision (confirmed by the coordinator)")


class ConsentHow(models.TextChoices):
    WRITTEN = "written", _("Written")
    VERBAL_WITNESS = "verbal_witness", _("Verbal, with a witness")


class ServiceType(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint handling")
    OUTREACH = "outreach", _("Outreach")
    ACCOMPANIMENT = "accompaniment", _("Accompaniment")
    HEALTH = "health", _("Health service / visum")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    LEGAL_AID = "legal_aid", _("Legal aid")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
    SOCIAL_REHAB = "social_rehab", _("Social rehabilitation")
    REINTEGRATION = "reintegration", _("Social reintegration")
    REPATRIATION = "repatriation", _("Repatriation")
    RELIGIOUS = "religious", _("Religious leader support")
    SHELTER = "shelter", _("Temporary shelter / safe house")
    MEDIATION = "mediation", _("Mediation")
    CIVIL_DOCS = "civil_docs", _("Civil registration")
    DTSEN_AID = "dtsen_aid", _("DTSEN / social assistance proposal")
    DISABILITY = "disability", _("Disability services")
    EDUCATION = "education", _("Education")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_NEEDED = "not_needed", _("Not needed")
    REFUSED = "refused", _("Refused by the victim")
    UNAVAILABLE = "unavailable", _("Not available")


class VisitKind(models.TextChoices):
    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone call")
    ACCOMPANY = "accompany", _("Accompanying to a service")
    MEETING = "meeting", _("Meeting")


RECOVERY_ITEMS = [
    ("safe_home", _("Safe place to live")),
    ("health_followed", _("Health followed up")),
    ("school_work", _("Back to school or work")),
    ("documents", _("Civil documents in hand")),
    ("assistance", _("Social assistance received")),
    ("acceptance", _("Family and community acceptance")),
]


def choices_without_mediation():
    """Service choices offered on a sexual-violence case (UU 12/2022 art. 23)."""
    return [c for c in ServiceType.choices if c[0] != ServiceType.MEDIATION]
