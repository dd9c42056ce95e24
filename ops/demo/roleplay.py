"""A demo role-play session (roleplay app): planned at Watang Soreang on a draft of its
mechanism, run by its coordinator, with a volunteer, a companion, the kasi kesra and an UPTD PPA
officer taking part, ready to start (`/simulasi/`). Idempotent."""

import datetime

from django.utils import timezone

from accounts.models import Agency, Kelurahan, Role, User

TITLE = "Latihan simulasi penanganan kasus (demo)"
PARTICIPANTS = (
    ("ws.relawan", Role.RELAWAN, "f"),
    ("ws.pendamping", Role.PENDAMPING, "m"),
    ("ws.kasikesra", Role.KASI_KESRA, "m"),
    ("uptdppa.petugas", Role.PETUGAS, "f"),
)


def seed_roleplay() -> int:
    """The session and its participants, through the roleplay services; 0 when it exists."""
    from mechanism import services as mechanism_services
    from mechanism.models import Version
    from roleplay import services
    from roleplay.models import Session

    if Session.objects.filter(title=TITLE).exists():
        return 0
    kel = Kelurahan.objects.get(code="WS")
    coordinator = User.objects.get(username="ws.koordinator")
    version = (
        Version.objects.filter(kelurahan=kel)
        .exclude(state=Version.State.SUPERSEDED)
        .order_by("-number")
        .first()
    ) or mechanism_services.create_draft(kelurahan=kel, actor=coordinator)
    session = services.create_session(
        actor=coordinator,
        kelurahan=kel,
        version=version,
        title=TITLE,
        held_on=timezone.localdate() + datetime.timedelta(days=7),
        place="Aula Kantor Lurah Watang Soreang",
        minutes_per_day=10,
    )
    uptd = Agency.objects.get(kind="uptd_ppa")
    for username, role, sex in PARTICIPANTS:
        services.add_participant(
            actor=coordinator,
            session_id=session.pk,
            user=User.objects.get(username=username),
            role=role,
            agency=uptd if role == Role.PETUGAS else None,
            sex=sex,
        )
    return 1
