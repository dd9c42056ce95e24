"""What an assessment concludes from the questions it asks: the risk level of a victim (from the
risk questions, cases/vocab.RISK_QUESTIONS) and the GBVIMS core type of a case (from its six
questions, cases/vocab.GBV_QUESTIONS). Pure functions: no database, no request.
"""

from django.utils.translation import gettext_lazy as _

from . import vocab

# Risk level from the risk questions (vocab.RISK_QUESTIONS). The rule, in words:
#   - "red flags" are threats to kill, a weapon, thoughts of self-harm;
#   - darurat (emergency): a red flag while the perpetrator can reach the victim or the victim
#     has nowhere safe to stay;
#   - tinggi (high): any other red flag, or three or more of the other answers "yes";
#   - sedang (medium): one or two of the other answers "yes";
#   - rendah (low): no "yes".
RED_FLAGS = ("threat_to_kill", "weapon", "self_harm")
EXPOSURE = ("perpetrator_access", "no_safe_place")
RISK_RULE = (
    _(
        "Emergency: threats to kill, a weapon or thoughts of self-harm, while the "
        "perpetrator can reach the victim or there is nowhere safe to stay."
    ),
    _(
        "High: threats to kill, a weapon or thoughts of self-harm; or three or more "
        "other answers yes."
    ),
    _("Medium: one or two other answers yes."),
    _("Low: no answer yes."),
)


def risk_level(answers: dict | None) -> str:
    yes = {k for k, v in (answers or {}).items() if v}
    red = yes & set(RED_FLAGS)
    others = yes - set(RED_FLAGS)
    if red and yes & set(EXPOSURE):
        return vocab.RiskLevel.EMERGENCY
    if red or len(others) >= 3:
        return vocab.RiskLevel.HIGH
    if others:
        return vocab.RiskLevel.MEDIUM
    return vocab.RiskLevel.LOW


def gbv_type_from(answers: dict | None) -> str:
    """GBVIMS: the six questions in order, the first "yes" wins; no "yes" at all is "none".

    Unanswered questions leave the type open ("") when no answer was given at all.
    """
    if not answers:
        return ""
    for name, _q in vocab.GBV_QUESTIONS:
        if answers.get(name.value) == "yes":
            return name.value
    return vocab.GbvType.NONE.value
