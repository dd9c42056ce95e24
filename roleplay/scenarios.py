"""The scenario cards shipped with the app (in Indonesian, as they are read out in a session):
each a short story, the victim's profile that opens the role-play case, and the path the
procedure should take (the steps of cases/workflow.py and referrals/workflow.py, "referral."
for the referral's). Fictional people only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    story: str
    profile: str
    exercises: str
    expected: tuple[str, ...]
    case: dict[str, Any] = field(default_factory=dict)
    victims: tuple[dict[str, Any], ...] = ()


VIOLENCE = {"is_violence": True}

CARDS: tuple[Card, ...] = (
    Card(
        key="kdrt-dewasa",
        title="KDRT pada perempuan dewasa, dirujuk ke UPTD PPA",
        story=(
            "Ibu R (34) datang ke Posko dengan memar di lengan. Suaminya memukulnya setelah "
            "bertengkar soal uang. Ia ingin didampingi dan bersedia dirujuk."
        ),
        profile="Perempuan, 34 tahun, ibu rumah tangga, dua anak.",
        exercises="Penerimaan, penugasan pendamping, asesmen, persetujuan, rujukan ke UPTD PPA.",
        expected=(
            "assign",
            "first_contact",
            "assess",
            "consent",
            "complete_assessment",
            "referral.request",
            "referral.approve",
            "referral.send",
            "referral.acknowledge",
        ),
        case={**VIOLENCE, "violence_types": ["physical"], "narrative": "Dipukul suami."},
        victims=({"full_name": "Ibu R (simulasi)", "sex": "F", "estimated_age": 34},),
    ),
    Card(
        key="anak-kekerasan-seksual",
        title="Anak korban kekerasan seksual: tanpa mediasi, persetujuan wali dan pendapat anak",
        story=(
            "Seorang guru melaporkan A (13) yang bercerita dilecehkan tetangga. Tidak ada "
            "mediasi (UU TPKS); wali memberi persetujuan dan pendapat anak didengar."
        ),
        profile="Anak perempuan, 13 tahun, pelajar SMP; dilaporkan guru.",
        exercises="Larangan mediasi, persetujuan wali dan pendapat anak, rujukan ke UPTD PPA.",
        expected=(
            "assign",
            "first_contact",
            "assess",
            "consent",
            "complete_assessment",
            "referral.request",
            "referral.approve",
            "referral.send",
        ),
        case={
            **VIOLENCE,
            "violence_types": ["sexual"],
            "narrative": "Dilecehkan tetangga.",
            "reporter_name": "Guru wali kelas",
        },
        victims=({"full_name": "A (simulasi)", "sex": "F", "estimated_age": 13},),
    ),
    Card(
        key="anak-ayah-pelaku",
        title="Anak dengan ayah sebagai terduga pelaku: kepentingan terbaik anak",
        story=(
            "B (9) sering dipukul ayahnya. Ayah adalah wali, jadi persetujuannya tidak diminta: "
            "keputusan kepentingan terbaik anak dikonfirmasi koordinator; rujukan hanya ke UPTD "
            "PPA."
        ),
        profile="Anak laki-laki, 9 tahun; terduga pelaku ayah kandung.",
        exercises="Keputusan kepentingan terbaik dikonfirmasi koordinator, rujukan UPTD PPA saja.",
        expected=(
            "assign",
            "first_contact",
            "assess",
            "consent",
            "confirm_consent",
            "complete_assessment",
            "referral.request",
            "referral.approve",
            "referral.send",
        ),
        case={**VIOLENCE, "violence_types": ["physical"], "narrative": "Dipukul ayah."},
        victims=({"full_name": "B (simulasi)", "sex": "M", "estimated_age": 9},),
    ),
    Card(
        key="disabilitas-intelektual",
        title="Perempuan dengan disabilitas intelektual: keputusan dengan dukungan",
        story=(
            "Ibu S (27), penyandang disabilitas intelektual, dilaporkan mengalami kekerasan oleh "
            "kakak iparnya. Ia memutuskan sendiri dengan dukungan pendamping dan keluarga yang "
            "ia percaya."
        ),
        profile="Perempuan, 27 tahun, disabilitas intelektual.",
        exercises="Akomodasi, keputusan dengan dukungan (bukan pengganti), persetujuan.",
        expected=("assign", "first_contact", "assess", "consent", "complete_assessment"),
        case={**VIOLENCE, "violence_types": ["psychological"], "narrative": "Dibentak ipar."},
        victims=(
            {
                "full_name": "Ibu S (simulasi)",
                "sex": "F",
                "estimated_age": 27,
                "disability_types": ["intellectual"],
            },
        ),
    ),
    Card(
        key="lansia-terlantar",
        title="Lansia terlantar: perlindungan sosial ke Dinas Sosial dengan cek DTSEN",
        story=(
            "Kakek M (72) tinggal sendiri, bantuan sosialnya berhenti. Tetangga melapor. "
            "Pendamping memeriksa DTSEN lalu merujuk ke Dinas Sosial."
        ),
        profile="Laki-laki, 72 tahun, tinggal sendiri, tidak terdaftar di DTSEN.",
        exercises="Kasus perlindungan sosial, cek DTSEN, rujukan ke Dinas Sosial.",
        expected=(
            "assign",
            "first_contact",
            "assess",
            "consent",
            "complete_assessment",
            "referral.request",
            "referral.approve",
            "referral.send",
        ),
        case={
            "is_violence": False,
            "is_social_protection": True,
            "social_problems": ["neglected_elderly", "not_in_dtsen"],
            "narrative": "Lansia tinggal sendiri.",
        },
        victims=(
            {
                "full_name": "Kakek M (simulasi)",
                "sex": "M",
                "estimated_age": 72,
                "dtsen_status": "no",
            },
        ),
    ),
    Card(
        key="rujukan-darurat-malam",
        title="Rujukan darurat malam hari, diratifikasi keesokan pagi",
        story=(
            "Pukul 23.00 Ibu T (29) datang berdarah setelah dianiaya. Pendamping membuat rujukan "
            "darurat; Kasi Kesra meratifikasinya pagi berikutnya."
        ),
        profile="Perempuan, 29 tahun, luka dan dalam bahaya.",
        exercises="Kontak pertama darurat (jam), rujukan darurat, ratifikasi tepat waktu.",
        expected=("assign", "first_contact", "referral.emergency", "referral.ratify"),
        case={
            **VIOLENCE,
            "violence_types": ["physical"],
            "danger_now": True,
            "injured_needs_care": True,
            "narrative": "Dianiaya, luka.",
        },
        victims=({"full_name": "Ibu T (simulasi)", "sex": "F", "estimated_age": 29},),
    ),
    Card(
        key="tarik-persetujuan",
        title="Korban menarik persetujuan saat rujukan menunggu",
        story=(
            "Ibu U (41) setuju dirujuk, tetapi sebelum surat dikirim ia menarik persetujuannya. "
            "Rujukan yang menunggu harus berhenti."
        ),
        profile="Perempuan, 41 tahun.",
        exercises="Penarikan persetujuan menghentikan rujukan; pesan penolakan.",
        expected=(
            "assign",
            "first_contact",
            "assess",
            "consent",
            "complete_assessment",
            "referral.request",
            "withdraw_consent",
            "referral.cancel",
        ),
        case={**VIOLENCE, "violence_types": ["psychological"], "narrative": "Diancam suami."},
        victims=({"full_name": "Ibu U (simulasi)", "sex": "F", "estimated_age": 41},),
    ),
    Card(
        key="pengaduan-ganda",
        title="Pengaduan ganda yang ditolak",
        story=(
            "Dua warga melaporkan kejadian yang sama pada hari yang sama. Koordinator melihat "
            "tanda duplikat dan menolak pengaduan kedua dengan alasan."
        ),
        profile="Perempuan, 30 tahun (laporan kedua).",
        exercises="Tanda duplikat, penolakan dengan alasan.",
        expected=("decline",),
        case={**VIOLENCE, "violence_types": ["physical"], "narrative": "Laporan kedua."},
        victims=({"full_name": "Ibu V (simulasi)", "sex": "F", "estimated_age": 30},),
    ),
    Card(
        key="serah-terima-penutupan",
        title="Serah terima ke UPTD PPA dan penutupan kasus",
        story=(
            "Kasus Ibu W (38) sudah ditangani UPTD PPA. Pendamping mengusulkan penutupan; "
            "koordinator atau Kasi Kesra menyetujuinya (empat mata)."
        ),
        profile="Perempuan, 38 tahun.",
        exercises="Serah terima, usulan dan persetujuan penutupan (empat mata).",
        expected=(
            "assign",
            "first_contact",
            "assess",
            "consent",
            "complete_assessment",
            "referral.request",
            "referral.approve",
            "referral.send",
            "referral.acknowledge",
            "referral.complete",
            "propose_closure",
            "approve_closure",
        ),
        case={**VIOLENCE, "violence_types": ["physical"], "narrative": "Sudah ditangani."},
        victims=({"full_name": "Ibu W (simulasi)", "sex": "F", "estimated_age": 38},),
    ),
)

BY_KEY = {c.key: c for c in CARDS}


def card(key: str) -> Card | None:
    return BY_KEY.get(key)
