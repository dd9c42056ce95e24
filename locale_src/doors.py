# Indonesian translations of "every rule holds at every door" (kept forms, bad input, letter
# numbers). See scripts/po_fill.py.
T = {
    "Your session has ended. What you typed could not be kept; log in and type it again.": "Sesi Anda telah berakhir. Isian yang Anda ketik tidak dapat disimpan; silakan masuk lalu ketik ulang.",
}
