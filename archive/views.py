from django.core.paginator import Paginator
from django.shortcuts import render

from .models import Meeting


def archive_index(request):
    meetings = Meeting.objects.filter(is_public=True).select_related("meeting_type", "department")
    page = Paginator(meetings, 50).get_page(request.GET.get("page"))
    return render(request, "archive/archive_index.html", {"page_obj": page})
