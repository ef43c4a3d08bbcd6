"""Writes ``demo_events.jsonl``: a small, deterministic shop for ``make demo``.

Forty shoppers over ten days in six categories of ten bilingual items each. Every shopper
has two favourite categories and browses in sessions that mostly stay in one of them, so
their interests (and the model's recommendations) have a clear, checkable answer: ``demo-u1``
likes beauty and sports, and has left several items of both untouched. Searches and reviews
are in Chinese; timestamps mix ISO-8601 and epoch milliseconds, as producers do.

Run ``python -m ingest.samples.generate_demo`` to regenerate (same seed, same file).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

CATALOGUE = {
    "audio": ["蓝牙耳机 Bluetooth earbuds", "降噪耳机 Noise-cancelling headphones", "便携音箱 Portable speaker",
              "有线耳机 Wired earphones", "车载蓝牙 Car Bluetooth kit", "耳机收纳盒 Earphone case",
              "智能音箱 Smart speaker", "头戴式耳机 Over-ear headphones", "运动耳机 Sports earbuds",
              "声卡 USB sound card"],
    "phones": ["手机壳 Phone case", "充电器 Fast charger", "数据线 USB-C cable", "充电宝 Power bank",
               "钢化膜 Screen protector", "手机支架 Phone stand", "无线充电器 Wireless charger",
               "自拍杆 Selfie stick", "手机 Smartphone", "车载支架 Car phone mount"],
    "books": ["三体 The Three-Body Problem", "活着 To Live", "百年孤独 One Hundred Years of Solitude",
              "深度学习 Deep Learning", "小王子 The Little Prince", "人类简史 Sapiens", "围城 Fortress Besieged",
              "红楼梦 Dream of the Red Chamber", "算法导论 Introduction to Algorithms", "解忧杂货店 Namiya"],
    "kitchen": ["空气炸锅 Air fryer", "电饭煲 Rice cooker", "咖啡机 Coffee machine", "不粘锅 Non-stick pan",
                "刀具套装 Knife set", "榨汁机 Juicer", "保温杯 Thermos", "微波炉 Microwave oven",
                "电水壶 Electric kettle", "烤箱 Toaster oven"],
    "beauty": ["面霜 Face cream", "防晒霜 Sunscreen", "口红 Lipstick", "洗面奶 Cleanser", "精华液 Serum",
               "香水 Perfume", "面膜 Sheet masks", "眼霜 Eye cream", "卸妆水 Micellar water", "护手霜 Hand cream"],
    "sports": ["跑步鞋 Running shoes", "瑜伽垫 Yoga mat", "哑铃 Dumbbells", "运动手环 Fitness band",
               "篮球 Basketball", "骑行头盔 Cycling helmet", "跳绳 Jump rope", "运动水壶 Sports bottle",
               "护膝 Knee brace", "羽毛球拍 Badminton racket"],
}
PRICE = {"audio": 300, "phones": 120, "books": 60, "kitchen": 400, "beauty": 200, "sports": 180}
QUERIES = {"audio": ["蓝牙耳机", "降噪耳机", "音箱"], "phones": ["手机壳", "充电宝", "快充 charger"],
           "books": ["三体", "小说", "编程书"], "kitchen": ["空气炸锅", "咖啡机", "厨房电器"],
           "beauty": ["防晒", "面霜", "口红"], "sports": ["跑步鞋", "健身", "瑜伽垫"]}
REVIEWS = {5: ["非常好用，推荐购买", "质量很好，物流也快，非常满意"], 4: ["质量不错，物流很快", "还不错，值得买"],
           3: ["一般般，还可以"], 2: ["有点失望，做工粗糙"], 1: ["质量太差，用了两天就坏了"]}
TYPES = (("view", 0.52), ("click", 0.2), ("cart", 0.08), ("purchase", 0.06), ("search", 0.08), ("review", 0.06))
START = datetime(2026, 11, 16, 8, tzinfo=UTC)
USERS = 40
# Every user and item id starts with it, so `make demo` trains on, re-embeds and recommends within
# the demo shop only, even in a database that holds other data.
NAMESPACE = "demo-"
SEED = 11


def items() -> dict[str, tuple[str, str, float]]:
    """item id -> (category, title, price)."""
    out = {}
    n = 0
    for cat, titles in CATALOGUE.items():
        for k, title in enumerate(titles):
            n += 1
            out[f"{NAMESPACE}i{n:03d}"] = (cat, title, round(PRICE[cat] * (0.5 + k / 9), 2))
    return out


def favourites(user: int, rng: np.random.Generator) -> list[str]:
    """A shopper's two favourite categories: beauty and sports for ``demo-u1``, two at random for the rest."""
    if user == 1:
        return ["beauty", "sports"]
    return list(rng.choice(list(CATALOGUE), size=2, replace=False))


def events() -> list[dict]:
    """The demo shop's events, in order, as contract-v1 records; the same on every run."""
    rng = np.random.default_rng(SEED)
    catalogue = items()
    by_cat: dict[str, list[str]] = {}
    for item_id, (cat, _, _) in catalogue.items():
        by_cat.setdefault(cat, []).append(item_id)
    popularity = 1.0 / np.arange(1, 11) ** 0.8
    popularity /= popularity.sum()
    names, probs = zip(*TYPES, strict=True)
    out: list[dict] = []
    for u in range(1, USERS + 1):
        favs = favourites(u, rng)
        cats = list(CATALOGUE)
        rest = 0.0 if u == 1 else 0.15 / 4  # u1 is the demo's clear case: beauty and sports only
        weights = np.array([0.5 if c == favs[0] else 0.35 if c == favs[1] else rest for c in cats])
        t = START.timestamp() + rng.uniform(0, 2 * 86_400)
        for _ in range(int(rng.integers(4, 9))):  # sessions
            cat = str(rng.choice(cats, p=weights / weights.sum()))
            # u1 keeps to the first half of each category's ranking: the rest is left to discover.
            pool = by_cat[cat][:5] if u == 1 else by_cat[cat]
            p = popularity[:len(pool)] / popularity[:len(pool)].sum()
            for _ in range(int(rng.integers(3, 9))):
                t += rng.uniform(20, 600)
                kind = str(rng.choice(names, p=probs))
                rec: dict = {"user_id": f"{NAMESPACE}u{u}", "type": kind}
                if kind == "search":
                    rec["query"] = str(rng.choice(QUERIES[cat]))
                else:
                    item = str(rng.choice(pool, p=p))
                    icat, title, price = catalogue[item]
                    rec["item_id"] = item
                    rec["item"] = {"title": title, "category": icat, "price": price}
                    if kind == "review":
                        rating = int(rng.choice([5, 4, 3, 2, 1], p=[0.45, 0.3, 0.1, 0.08, 0.07]))
                        rec["rating"] = rating
                        rec["text"] = str(rng.choice(REVIEWS[rating]))
                rec["_t"] = t
                out.append(rec)
            t += rng.uniform(3 * 3600, 36 * 3600)  # the next session, hours later
    out.sort(key=lambda r: (r["_t"], r["user_id"]))
    for n, rec in enumerate(out, start=1):
        ms = int(rec.pop("_t") * 1000)
        rec["event_id"] = f"{NAMESPACE}e{n:04d}"
        # Producers send both forms: every third timestamp is ISO-8601.
        rec["ts"] = datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z") if n % 3 == 0 else ms
    return [{k: r[k] for k in ("event_id", "user_id", "ts", "type", "item_id", "item", "query", "rating", "text")
             if k in r} for r in out]


def main() -> None:
    """Write ``demo_events.jsonl`` next to this script."""
    path = Path(__file__).with_name("demo_events.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for rec in events():
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
