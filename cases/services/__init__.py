"""The only code that writes case data (CONVENTIONS.md: services).

intake.py: registering and editing complaints; procedure.py: transitions and procedure events.
"""
