"""The forms of the case records: intake.py (the intake form, its edit form, the filters of the
case list and the access log) and procedure.py (the input of each procedure step)."""
