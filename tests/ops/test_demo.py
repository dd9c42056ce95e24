"""Demo data: about 40 fictional cases over both kelurahan, idempotent."""

from django.core.management import call_command

from cases.models import Case, CaseEvent, Perpetrator, Victim
from ops.demo.cases import seed_cases


def test_seed_cases_is_realistic_and_idempotent(personas):
    assert seed_cases() == 40
    cases = Case.objects.all()
    assert cases.count() == 40
    assert {c.kelurahan.code for c in cases} == {"WS", "WB"}
    assert cases.filter(is_roleplay=True).count() == 3
    assert cases.filter(is_social_protection=True).exists()
    assert cases.filter(is_violence=True).exists()
    assert cases.filter(perpetrators__isnull=True).exists()
    assert Perpetrator.objects.exists()
    victims = list(Victim.objects.all())
    assert any(v.has_disability for v in victims)
    assert any(v.is_child for v in victims) and any(not v.is_child for v in victims)
    assert CaseEvent.objects.filter(kind="registered").count() == 40
    # Numbers are gapless per kelurahan and series.
    for code in ("WS", "WB"):
        seqs = sorted(
            cases.filter(kelurahan__code=code, is_roleplay=False).values_list("seq", flat=True)
        )
        assert seqs == list(range(1, len(seqs) + 1))
    assert seed_cases() == 0
    call_command("seed_demo", verbosity=0)
    assert Case.objects.count() == 40
