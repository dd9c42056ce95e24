# Indonesian translations of the accessibility fixes (issue 7). See scripts/po_fill.py.
T = {
    "Save": "Simpan",
}
