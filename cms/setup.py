"""Creates the official page tree (home + sections) on a fresh install; never rewrites edited pages."""

from wagtail.models import Page, Site

from .models import HomePage, SectionPage


def ensure_site(city: dict, sections: list[dict]) -> HomePage:
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        # Wagtail's migration leaves a placeholder "Welcome" page: replace it.
        for placeholder in root.get_children().exclude(content_type__model="homepage"):
            Site.objects.filter(root_page=placeholder).delete()
            placeholder.delete()
        home = root.add_child(
            instance=HomePage(title=f"{city['name_ja']} {city['space_ja']}", slug="home", seo_title="")
        )
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home, is_default_site=True, site_name=city["space_ja"]
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    existing = set(SectionPage.objects.child_of(home).values_list("section_key", flat=True))
    for s in sections:
        if s["slug"] in existing:
            continue
        home.add_child(
            instance=SectionPage(title=s["name_ja"], slug=s["slug"], section_key=s["slug"], name_en=s["name_en"])
        )
    return home
