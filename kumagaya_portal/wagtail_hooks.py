from wagtail import hooks

from . import page_cache

# Innermost on_serve_page wrapper (after Wagtail's view-restriction check).
hooks.register("on_serve_page", page_cache.mark_cacheable, order=1000)
