# Indonesian translations of "every rule holds at every door" (kept forms, bad input, letter
# numbers). See scripts/po_fill.py.
T = {
    "Your session has ended. What you typed could not be kept; log in and type it again.": "Sesi Anda telah berakhir. Isian yang Anda ketik tidak dapat disimpan; silakan masuk lalu ketik ulang.",
    "The address cannot be read": "Alamat tidak dapat dibaca",
    "The address or the search you sent contains characters the app cannot accept. Check it, or go back and try again.": "Alamat atau pencarian yang Anda kirim memuat karakter yang tidak dapat diterima aplikasi. Periksa kembali, atau kembali lalu coba lagi.",
}
