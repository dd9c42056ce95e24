# Indonesian translations of the multi-node work (sessions on every device). See scripts/po_fill.py.
T = {
    "You have been logged out on every device.": "Anda sudah keluar dari semua perangkat.",
    "Log out on every device": "Keluar dari semua perangkat",
    "Ends every session of your account: on this browser, your phone and any computer where you are still logged in.": "Mengakhiri semua sesi akun Anda: di peramban ini, di ponsel Anda, dan di komputer mana pun yang masih masuk dengan akun Anda.",
}
