"""Demo data for `make run` (`manage.py seed_demo`)."""
