# Indonesian translations of strings added while integrating the parts (referral tasks...).
T = {
    "Decide on a referral request": "Putuskan permintaan rujukan",
    "Ratify an emergency referral": "Kukuhkan rujukan darurat",
    "Correct a returned referral": "Perbaiki rujukan yang dikembalikan",
    "Follow up: the agency has not confirmed receipt": "Tindak lanjuti: instansi belum mengonfirmasi penerimaan",
}
