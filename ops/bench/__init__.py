"""The benchmark suite of issue 12 (`make bench`): a data-set generator and the measurements.

generate.py   `manage.py bench_data`: writes a realistic data set straight into the tables
story.py      the life of one case as the services would have written it (rows per table);
              story_base.py (registration, helpers), story_referrals.py (referral steps),
              story_clocks.py (the deadline clocks' rows after every step, by the app's rule)
tables.py     one function per table, yielding rows; the writers (COPY / bulk_create)
intake.py     names, victims, perpetrators and intake fields
people.py     the users the data set needs (the demo personas plus bench users)
pages.py      the pages measured and the personas who open them
runner.py     `manage.py bench`: databases, gunicorn, timings, throughput, letters, the table
views.py      the bare view (only when BENCH_VIEWS=true)
bare_letter.py  the letter's HTML rendered by WeasyPrint alone (no Django), for the ratio
"""
