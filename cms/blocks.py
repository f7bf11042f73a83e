"""The one StreamField block library every official page type uses."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock

RICHTEXT_FEATURES = ["bold", "italic", "link", "document-link", "ol", "ul", "hr"]


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("見出し"), max_length=120)
    level = blocks.ChoiceBlock(
        label=_("見出しの階層"),
        choices=[("h2", _("大見出し（h2）")), ("h3", _("中見出し（h3）")), ("h4", _("小見出し（h4）"))],
        default="h2",
    )

    class Meta:
        icon = "title"
        label = _("見出し")
        template = "cms/blocks/heading.html"


class ImageBlock(blocks.StructBlock):
    """An image with required alternative text (read aloud in place of the image)."""

    image = ImageChooserBlock(label=_("画像"))
    alt = blocks.CharBlock(
        label=_("代替テキスト"),
        max_length=250,
        required=True,
        help_text=_(
            "画像を見られない方に読み上げる説明です。必ず入力してください（例：「会場の様子。20人ほどが机を囲んでいます」）。"
        ),
    )
    caption = blocks.CharBlock(label=_("キャプション"), max_length=250, required=False)

    class Meta:
        icon = "image"
        label = _("画像")
        template = "cms/blocks/image.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("ファイル"))
    title = blocks.CharBlock(
        label=_("表示名"), max_length=200, required=False, help_text=_("空欄ならファイル名を表示します。")
    )

    class Meta:
        icon = "doc-full"
        label = _("ファイル")
        template = "cms/blocks/document.html"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("種類"),
        choices=[("info", _("お知らせ")), ("important", _("重要")), ("deadline", _("締切"))],
        default="info",
    )
    heading = blocks.CharBlock(label=_("見出し"), max_length=120, required=False)
    text = blocks.RichTextBlock(label=_("本文"), features=RICHTEXT_FEATURES)

    class Meta:
        icon = "warning"
        label = _("囲み記事")
        template = "cms/blocks/callout.html"


class EmbedWithTitleBlock(blocks.StructBlock):
    embed = EmbedBlock(label=_("埋め込むURL"), help_text=_("YouTube などのURLを入力してください。"))
    title = blocks.CharBlock(label=_("内容の説明"), max_length=200, help_text=_("埋め込む動画などの内容を一言で。"))

    class Meta:
        icon = "media"
        label = _("埋め込み")
        template = "cms/blocks/embed.html"


class BodyBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(label=_("本文"), features=RICHTEXT_FEATURES, template="cms/blocks/paragraph.html")
    heading = HeadingBlock()
    image = ImageBlock()
    document = DocumentBlock()
    embed = EmbedWithTitleBlock()
    callout = CalloutBlock()
    table = TableBlock(
        label=_("表"),
        table_options={"startRows": 3, "startCols": 3, "colHeaders": False, "rowHeaders": False},
        template="cms/blocks/table.html",
        help_text=_(
            "1行目を見出しにするときは「Display the first row as a header」を選んでください。表の説明（キャプション）も入れてください。"
        ),
    )

    class Meta:
        label = _("本文")


# ------------------------------------------------------------ related links
class LinkBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("リンクの名前"), max_length=200)
    page = blocks.PageChooserBlock(label=_("このサイトのページ"), required=False)
    url = blocks.URLBlock(label=_("外部のURL"), required=False)
    description = blocks.CharBlock(label=_("説明"), max_length=300, required=False)

    class Meta:
        icon = "link"
        label = _("リンク")

    def clean(self, value):
        from django.core.exceptions import ValidationError
        from wagtail.blocks import StructBlockValidationError

        result = super().clean(value)
        if not result.get("page") and not result.get("url"):
            raise StructBlockValidationError(
                block_errors={"url": ValidationError(_("ページを選ぶか、URLを入力してください。"))}
            )
        return result


class LinkGroupBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("グループの見出し"), max_length=120)
    scope = blocks.ChoiceBlock(
        label=_("範囲"),
        choices=[("city", _("市全体の取組み")), ("department", _("各課の取組み")), ("external", _("市外・関係機関"))],
        default="department",
        help_text=_("「市全体の取組み」のグループは常に先頭に表示します。"),
    )
    department = blocks.CharBlock(label=_("担当課"), max_length=100, required=False)
    links = blocks.ListBlock(LinkBlock(), label=_("リンク"))

    class Meta:
        icon = "list-ul"
        label = _("リンクのグループ")


SCOPE_ORDER = {"city": 0, "department": 1, "external": 2}


# ------------------------------------------------------------ systems guide
class ToolBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("名称"), max_length=120)
    purpose = blocks.TextBlock(label=_("何に使うか"))
    relation = blocks.TextBlock(label=_("Webコモンスペースとの関係"), required=False)
    url = blocks.URLBlock(label=_("URL"), required=False)

    class Meta:
        icon = "cogs"
        label = _("システム")
