"""Demo data for `make run` (`manage.py seed_demo`): the personas of ROLES.md, about 40 fictional
complaints over the two pilot kelurahan, some moved along the procedure, and a few referrals.
Everything is made through the services the pages use, and a rerun adds nothing.

personas.py   the demo people and their password: the one list (the tests use it too)
story.py      a case or a referral taken to a given state through the engine (the test
              factories, tests/factories.py, build on it)
cases.py      the fictional complaints, and which of them move how far along the procedure
referrals.py  the demo referrals: a letter, the approval queue, an agency's inbox

It lives in ops, the app that already depends on all the others (the benchmark data set, backups,
health): the demo needs accounts, cases and referrals together, and none of those apps imports it.
"""
