"""Error pages: GOV.UK style for pages, JSON for the API. The same 404 for "missing" and "not yours"."""

from django.http import JsonResponse
from django.shortcuts import render


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    message = str(exception) if exception and str(exception) else "You do not have permission to do this."
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "errors/403.html", {"message": message}, status=403)


def server_error(request):
    if _wants_json(request):
        return JsonResponse({"detail": "Something went wrong on our side. Try again later."}, status=500)
    return render(request, "errors/500.html", status=500)
