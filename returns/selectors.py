from django.db.models import QuerySet

from pine.models import Partner
from returns.models import ReturnImport


def return_import_list(*, partner: Partner, evaluation=None) -> QuerySet[ReturnImport]:
    imports = ReturnImport.objects.filter(partner=partner).select_related("evaluation", "uploaded_by", "submission")
    if evaluation is not None:
        imports = imports.filter(evaluation=evaluation)
    return imports


def return_import_get(*, partner: Partner, code) -> ReturnImport | None:
    return return_import_list(partner=partner).filter(code=code).first()
