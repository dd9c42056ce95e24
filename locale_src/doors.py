# Indonesian translations of "every rule holds at every door" (kept forms, bad input, letter
# numbers). See scripts/po_fill.py.
T = {
    "Your session has ended. What you typed could not be kept; log in and type it again.": "Sesi Anda telah berakhir. Isian yang Anda ketik tidak dapat disimpan; silakan masuk lalu ketik ulang.",
    "The address cannot be read": "Alamat tidak dapat dibaca",
    "The address or the search you sent contains characters the app cannot accept. Check it, or go back and try again.": "Alamat atau pencarian yang Anda kirim memuat karakter yang tidak dapat diterima aplikasi. Periksa kembali, atau kembali lalu coba lagi.",
}
T.update(
    {
        "Placeholders: %(placeholders)s; only {seq} may have a format such as {seq:03d}. Default: %(default)s, e.g. %(example)s.": "Tempat isian: %(placeholders)s; hanya {seq} yang boleh diberi format seperti {seq:03d}. Bawaan: %(default)s, mis. %(example)s.",
        "%(problem)s Example: %(format)s gives %(example)s.": "%(problem)s Contoh: %(format)s menjadi %(example)s.",
        "The braces do not match: write each placeholder as {name}, and a brace that should be printed as {{ or }}.": "Kurung kurawal tidak berpasangan: tulis setiap tempat isian sebagai {nama}, dan kurung kurawal yang ingin dicetak sebagai {{ atau }}.",
        "Unknown placeholder {%(name)s}. Allowed: %(allowed)s.": "Tempat isian tidak dikenal {%(name)s}. Yang boleh: %(allowed)s.",
        "Placeholder {%(name)s} cannot have a conversion (!).": "Tempat isian {%(name)s} tidak boleh memakai konversi (!).",
        "Only {seq} may have a format such as {seq:03d}; not {%(name)s}.": "Hanya {seq} yang boleh diberi format seperti {seq:03d}; {%(name)s} tidak.",
        "The format of {seq} cannot contain another placeholder.": "Format {seq} tidak boleh memuat tempat isian lain.",
        "The format must contain {seq}, the running number of the letter.": "Format harus memuat {seq}, nomor urut surat.",
        "The format of {seq} is not a number format (e.g. {seq:03d}).": "Format {seq} bukan format angka (mis. {seq:03d}).",
        "Numbers in this format can be longer than %(max)s characters.": "Nomor dengan format ini bisa lebih panjang dari %(max)s karakter.",
        "The letter number format uses {klasifikasi}: fill in the archive classification code.": "Format nomor surat memakai {klasifikasi}: isi kode klasifikasi arsip.",
        "letter number example": "contoh nomor surat",
    }
)
