"""A person's notifications."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from buddying.http import AuthenticatedHttpRequest
from buddying.models import Notification


def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    items = Paginator(Notification.objects.filter(recipient=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "arrangements/notifications.html", {"page": items})


@require_POST
def notifications_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, "All notifications marked as read")
    return redirect("arrangements:notifications")
