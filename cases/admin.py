"""Case content is never registered in the Django admin: the admin sees no case content.

The deadline settings moved to the kelurahan's mechanism (the mechanism app, with its own pages);
the admin keeps only the holiday list there (mechanism/admin.py).
"""
