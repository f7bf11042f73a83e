from django import template

from ..identity import display_author

register = template.Library()


@register.simple_tag
def author_in(user, channel, as_staff=None):
    """{% author_in post.author channel post.author_was_staff as who %}"""
    return display_author(user, channel, as_staff=as_staff)
