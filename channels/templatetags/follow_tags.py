from django import template

from ..models import Follow

register = template.Library()


@register.simple_tag
def follow_of(user, channel=None, thread=None):
    """{% follow_of user channel=channel as f %} or {% follow_of user thread=thread as f %}: the Follow or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    if thread is not None:
        return Follow.objects.filter(user=user, thread=thread).first()
    if channel is not None:
        return Follow.objects.filter(user=user, channel=channel).first()
    return None
