def navigation(request):
    """What the header shows: the signed-in user's partners come from the page's own context."""
    user = getattr(request, "user", None)
    return {"is_practice_team": bool(user and user.is_authenticated and user.is_practice_team)}
