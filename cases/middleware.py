"""The form token of the request being handled, for the engine's idempotency (cases/engine.py).

Set for every POST by a logged-in user, whatever view handles it: the first step that POST
fires consumes the token, so the same form sent twice (back button, double tap, two tabs, a
POST by hand) makes one record.
"""

from . import engine


class FormOnceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = None
        user = getattr(request, "user", None)
        if request.method == "POST" and user is not None and user.is_authenticated:
            files = sorted((k, f.name, f.size) for k, f in request.FILES.items())
            token = engine.form_token(request.POST, user.pk, request.path, files)
        reset = engine.REQUEST_TOKEN.set(token)
        try:
            return self.get_response(request)
        finally:
            engine.REQUEST_TOKEN.reset(reset)
