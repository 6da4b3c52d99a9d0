"""Forms for editing calendars (used by the admin site): each day's periods are checked together, as a set."""

from django import forms

from .models import BusinessCalendar, CalendarException, range_errors
from .services import exception_errors


class BusinessCalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone", "description"]


class _RangeSetFormSet(forms.BaseInlineFormSet):
    """An inline formset of time ranges: overlaps are checked among the rows being saved, not against the database."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.checked_as_a_set = True
        return form

    def day_of(self, form):
        return None

    def live_forms(self):
        return [form for form in self.forms
                if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")]

    def clean(self):
        super().clean()
        by_day = {}
        for form in self.live_forms():
            by_day.setdefault(self.day_of(form), []).append(form)
        for forms_of_day in by_day.values():
            ranges = [(form.cleaned_data.get("start_time"), form.cleaned_data.get("end_time")) for form in forms_of_day]
            for index, problem in range_errors(ranges).items():
                for field, message in problem.items():
                    forms_of_day[index].add_error(field, message)


class WorkingPeriodFormSet(_RangeSetFormSet):
    def day_of(self, form):
        return form.cleaned_data.get("weekday")


class ExceptionPeriodFormSet(_RangeSetFormSet):
    """The own periods of an exception; the rules of its kind are checked here, where both are known."""

    def clean(self):
        super().clean()
        exception = self.instance
        periods = [form.cleaned_data for form in self.live_forms()]
        errors = exception_errors(exception.kind, exception.works_like_weekday, periods)
        # Row-by-row problems (a list) are already on the rows; the rest concern the exception as a whole.
        messages = [message for message in errors.values() if not isinstance(message, list)]
        if messages:
            raise forms.ValidationError(messages)


class CalendarExceptionForm(forms.ModelForm):
    class Meta:
        model = CalendarException
        fields = ["calendar", "date", "kind", "name", "works_like_weekday"]
