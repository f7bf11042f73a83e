"""Japanese text for the benchmark: posts assembled from a civic word list."""

import random

PLACES = [
    "熊谷駅前",
    "星川通り",
    "籠原駅",
    "妻沼",
    "大里",
    "江南",
    "荒川の河川敷",
    "中心市街地",
    "商店街",
    "市役所の周り",
    "ラグビー場",
    "熊谷桜堤",
    "八木橋の前",
    "北口のロータリー",
    "市民体育館",
    "図書館",
]
TOPICS = [
    "交通",
    "暑さ対策",
    "子育て支援",
    "防災",
    "にぎわい",
    "空き店舗",
    "自転車の通り道",
    "バスの本数",
    "ベンチと日陰",
    "ごみの分別",
    "公園の遊具",
    "高齢者の見守り",
    "イベントの告知",
    "駐車場",
    "夜の明るさ",
    "市民活動",
    "ワークショップ",
    "観光案内",
]
OPINIONS = [
    "もう少し工夫できる",
    "とても良くなった",
    "市民の声をもっと聞いてほしい",
    "まずは小さく試してみるのが良い",
    "ほかの市の例が参考になる",
    "子どもにも分かりやすくしてほしい",
    "週末だけでも始められる",
    "市民と企業が一緒に取り組める",
    "費用の見通しを知りたい",
    "暑い日の対策が欠かせない",
]
OPENERS = [
    "こんにちは。",
    "いつも拝見しています。",
    "前回のワークショップに参加しました。",
    "通勤で毎日通っている者です。",
    "子育て中の市民です。",
    "商店街で店を営んでいます。",
    "",
    "",
]
SENTENCES = [
    "{place}の{topic}について、{opinion}と思います。",
    "{place}では{topic}が話題になっています。",
    "{topic}は{place}だけでなく市全体の課題だと感じます。",
    "先日{place}を歩いたところ、{topic}が気になりました。",
    "{topic}について、{opinion}のではないでしょうか。",
    "{place}に{topic}の案内があると助かります。",
    "市民として{topic}に関わりたいです。",
    "{place}の{topic}は、夏の暑さを考えると{opinion}と思います。",
]
CLOSERS = [
    "よろしくお願いします。",
    "ご検討いただけると嬉しいです。",
    "皆さんのご意見もお聞かせください。",
    "",
    "次回の会議で話せればと思います。",
]
TITLES = [
    "{place}の{topic}を考える",
    "{topic}についての提案",
    "{place}で{topic}を試してみませんか",
    "{topic}：{place}の場合",
    "【意見募集】{place}の{topic}",
]
PEN_NAME_STEMS = ["まちの声", "くまがや", "星川", "荒川", "さくら", "うちわ", "ラグビー", "妻沼", "籠原", "大里"]


def body(rng: random.Random) -> str:
    parts = [rng.choice(OPENERS)]
    for _ in range(rng.randint(2, 6)):
        parts.append(
            rng.choice(SENTENCES).format(
                place=rng.choice(PLACES), topic=rng.choice(TOPICS), opinion=rng.choice(OPINIONS)
            )
        )
    text = "".join(p for p in parts if p)
    if rng.random() < 0.3:
        points = [f"- {rng.choice(TOPICS)}を{rng.choice(OPINIONS)}" for _ in range(rng.randint(2, 4))]
        text += "\n\n" + "\n".join(points)
    if rng.random() < 0.2:
        text += "\n\n> " + rng.choice(SENTENCES).format(
            place=rng.choice(PLACES), topic=rng.choice(TOPICS), opinion=rng.choice(OPINIONS)
        )
    closer = rng.choice(CLOSERS)
    return text + ("\n\n" + closer if closer else "")


def title(rng: random.Random) -> str:
    return rng.choice(TITLES).format(place=rng.choice(PLACES), topic=rng.choice(TOPICS))[:120]


def bodies(n: int, seed: int = 2024) -> list[str]:
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < n:
        seen.setdefault(body(rng))
    return list(seen)


def titles(n: int, seed: int = 7) -> list[str]:
    """n distinct titles (at most len(TITLES) × len(PLACES) × len(TOPICS))."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < n:
        seen.setdefault(title(rng))
    return list(seen)
