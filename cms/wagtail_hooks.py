"""Wagtail admin for the official range: thread summaries and the thread chooser used by ReportPage."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.views.generic import models as model_views
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet

from channels.models import Thread, Visibility

from .services import do_set_thread_summary


def summary_threads():
    """Threads a report may link to: published, with a published summary."""
    return (
        Thread.objects.filter(visibility=Visibility.PUBLISHED, summary_published=True)
        .select_related("channel")
        .order_by("-last_activity_at", "-id")
    )


class TitleFilterForm(BaseFilterForm):
    q = forms.CharField(label=_("タイトルで探す"), required=False)

    def filter(self, objects):
        q = self.cleaned_data.get("q")
        if q:
            self.is_searching = True
            self.search_query = q
            objects = objects.filter(title__icontains=q)
        return objects


class SummaryThreadChooseMixin:
    filter_form_class = TitleFilterForm

    def get_object_list(self):
        return summary_threads()


class SummaryThreadChooseView(SummaryThreadChooseMixin, chooser_views.ChooseView):
    pass


class SummaryThreadChooseResultsView(SummaryThreadChooseMixin, chooser_views.ChooseResultsView):
    pass


class SummaryThreadChooserViewSet(ChooserViewSet):
    model = Thread
    icon = "comment"
    choose_one_text = _("まとめが公開されたトピックを選ぶ")
    choose_another_text = _("別のトピックを選ぶ")
    choose_view_class = SummaryThreadChooseView
    choose_results_view_class = SummaryThreadChooseResultsView


thread_chooser_viewset = SummaryThreadChooserViewSet("summary_thread_chooser", url_prefix="summary-threads/choose")


@hooks.register("register_admin_viewset")
def register_thread_chooser():
    return thread_chooser_viewset


class ThreadSummaryForm(forms.ModelForm):
    class Meta:
        model = Thread
        fields = ["summary", "summary_published"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 10})}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("summary_published") and not (cleaned.get("summary") or "").strip():
            self.add_error("summary", _("まとめを公開するには、まとめの本文を入力してください。"))
        return cleaned


class ThreadSummaryEditView(model_views.EditView):
    def save_instance(self):
        return do_set_thread_summary(
            actor=self.request.user,
            thread=self.object,
            summary=self.form.cleaned_data["summary"],
            published=self.form.cleaned_data["summary_published"],
        )


class ThreadSummaryViewSet(ModelViewSet):
    """Staff write and publish a thread's summary (まとめ); reports link published ones."""

    model = Thread
    icon = "comment"
    menu_label = _("議論のまとめ")
    menu_order = 350
    add_to_admin_menu = True
    form_fields = ["summary", "summary_published"]
    list_display = ["title", "channel", "summary_published", "last_activity_at"]
    list_filter = ["summary_published", "channel"]
    search_fields = ["title"]
    copy_view_enabled = False
    edit_view_class = ThreadSummaryEditView

    def get_form_class(self, for_update=False):
        return ThreadSummaryForm

    def get_queryset(self, request):
        return Thread.objects.filter(visibility=Visibility.PUBLISHED).select_related("channel")


@hooks.register("register_admin_viewset")
def register_thread_summaries():
    return ThreadSummaryViewSet("thread_summaries", url_prefix="thread-summaries")
