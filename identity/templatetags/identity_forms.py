from django import template

register = template.Library()


@register.filter
def bootstrap_widget(field):
    """A bound field's widget with Bootstrap's class (allauth's forms carry none)."""
    css = "form-check-input" if field.widget_type in ("checkbox", "radio") else "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})
