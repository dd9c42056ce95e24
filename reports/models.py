"""The monthly figures reports read (reports/figures.py keeps them).

MonthlyCount: per kelurahan, month, series (real or role play), metric and category, how many;
the engine keeps it in the same transaction as every step, registration and edit, so a report
sums a few rows instead of counting cases. CaseFigure: what one case contributes to those rows
now, so a change to the case moves exactly its difference (no recount)."""

from django.db import models

from accounts.models import Kelurahan


class MonthlyCount(models.Model):
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # the first day of the month (WITA)
    is_roleplay = models.BooleanField(default=False)
    metric = models.CharField(max_length=30)
    category = models.CharField(max_length=60)
    # The agency of a referral figure (accounts.Agency id), 0 otherwise: an agency officer's
    # statistics are the rows of their agency.
    agency_key = models.PositiveIntegerField(default=0)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kelurahan", "month", "is_roleplay", "metric", "category", "agency_key"],
                name="monthly_count_unique",
            )
        ]
        indexes = [models.Index(fields=["metric", "month", "kelurahan"], name="monthly_metric")]


class CaseFigure(models.Model):
    """One case's contribution to MonthlyCount (replaced when the case changes)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    kelurahan = models.ForeignKey(Kelurahan, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    metric = models.CharField(max_length=30)
    category = models.CharField(max_length=60)
    agency_key = models.PositiveIntegerField(default=0)
    n = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["case"], name="casefigure_case")]
