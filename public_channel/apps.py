from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public complaint channel (issue 19): a short form per kelurahan, no login, no trace on
    the device; submissions wait in the coordinator's "Masuk dari publik" queue until they are
    registered as a case or declined."""

    name = "public_channel"
    # The app label stays "public" (tables public_*, the "public:" URL namespace); the package
    # is not named `public`, which would shadow atpublic's module of that name (aiosmtpd).
    label = "public"
    verbose_name = "Layanan publik"

    def ready(self):
        from cases.views import records

        from . import services, views

        services.connect()
        # The access log's words for the reads of this app.
        from django.utils.translation import gettext_lazy as _

        records.ACTION_LABELS.update(
            {
                "public_queue_view": _("Opened the public submissions queue"),
                "public_submission_view": _("Opened a public submission"),
                "public_submission_act": _("Acted on a public submission"),
            }
        )
        if views.intake_starter not in records.INTAKE_STARTERS:
            records.INTAKE_STARTERS.append(views.intake_starter)
