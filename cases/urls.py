"""URLs of the cases app: records (intake, list, case page, access log) and the procedure."""

from .urls_procedure import urlpatterns as procedure_urls
from .urls_records import urlpatterns as records_urls

app_name = "cases"

urlpatterns = records_urls + procedure_urls
