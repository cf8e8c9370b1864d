"""The demo company's world: products, regions, organisation, partners, journey stages, IVR menu.

The company is fictional ("星澜科技 / Xinglan"), a consumer-electronics maker selling ten models through
JD, Tmall and its own app, serving customers through a hotline with IVR, online chat, WeChat, field
engineers and surveys. Everything here is plain data; generation lives in the sibling modules.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BRAND",
    "DEPARTMENTS",
    "INSTALLERS",
    "IVR_NODES",
    "LOGISTICS",
    "PRODUCTS",
    "REGIONS",
    "REPAIR_CENTERS",
    "STAGES",
    "WINDOW_DAYS",
    "WINDOW_START",
    "IvrNode",
    "Product",
]

BRAND = "星澜"
WINDOW_START = "2026-05-01"  # local (Asia/Shanghai) midnight; the demo spans six months
WINDOW_DAYS = 184

STAGES = ("aware", "consider", "purchase", "deliver", "install", "use", "service", "renew")


@dataclass(frozen=True)
class Product:
    """One model: the code written in exports, its category, retail title, how people call it, weight."""

    code: str
    category: str
    title: str
    aliases: tuple[str, ...]
    weight: float
    serial_prefix: str


PRODUCTS: tuple[Product, ...] = (
    Product("X5 Pro", "phone", "星澜X5 Pro 5G手机 12GB+256GB 曜石黑",
            ("X5 Pro", "x5pro", "X5P", "这手机", "新手机", "星澜X5Pro"), 0.13, "XP5"),
    Product("X5", "phone", "星澜X5 5G手机 8GB+256GB 晴空蓝",
            ("X5", "x5", "这台手机", "手机", "星澜X5"), 0.12, "XS5"),
    Product("Note 12", "phone", "星澜Note 12 长续航手机 8GB+128GB",
            ("Note12", "note 12", "手机", "这个手机", "N12"), 0.09, "NT2"),
    Product("Buds Pro 2", "earbuds", "星澜Buds Pro 2 主动降噪真无线蓝牙耳机",
            ("Buds Pro 2", "buds pro2", "耳机", "这副耳机", "降噪耳机", "BudsPro2"), 0.12, "BP2"),
    Product("Buds Air", "earbuds", "星澜Buds Air 半入耳式蓝牙耳机",
            ("Buds Air", "budsair", "耳机", "小耳机"), 0.08, "BAR"),
    Product("Watch S3", "watch", "星澜Watch S3 智能手表 血氧心率监测",
            ("Watch S3", "手表", "S3手表", "这块表"), 0.08, "WS3"),
    Product("Robo V8", "vacuum", "星澜Robo V8 扫拖一体扫地机器人 自动集尘",
            ("Robo V8", "扫地机", "扫地机器人", "V8", "这个扫地机"), 0.10, "RV8"),
    Product("Vision 65", "tv", "星澜Vision 65英寸 4K超清智能电视",
            ("Vision 65", "65寸电视", "电视", "这台电视", "V65"), 0.10, "TV6"),
    Product("Vision 75", "tv", "星澜Vision 75英寸 MiniLED电视",
            ("Vision 75", "75寸电视", "电视", "大电视"), 0.07, "TV7"),
    Product("Router AX6", "router", "星澜AX6 WiFi6 千兆路由器 双频",
            ("AX6", "路由器", "这个路由", "router"), 0.11, "RAX"),
)

# Province-level regions with rough weights (population of online buyers).
REGIONS: tuple[tuple[str, float], ...] = (
    ("广东", 0.14), ("江苏", 0.09), ("浙江", 0.09), ("山东", 0.07), ("北京", 0.07), ("上海", 0.07),
    ("河南", 0.06), ("四川", 0.06), ("湖北", 0.05), ("福建", 0.05), ("湖南", 0.05), ("河北", 0.04),
    ("陕西", 0.04), ("辽宁", 0.04), ("重庆", 0.04), ("安徽", 0.04),
)

# Departments own topics (the owner of a complaint's root cause).
DEPARTMENTS = {
    "service": "客户服务部",
    "aftersales": "售后服务部",
    "delivery": "物流交付部",
    "quality": "产品质量部",
    "ecommerce": "电商运营部",
    "software": "软件产品部",
}

LOGISTICS = ("顺丰速运", "京东物流", "中通快递", "圆通速递")
INSTALLERS = ("安居到家", "万师傅", "鲁班到家")
REPAIR_CENTERS = ("星澜授权服务中心(华南)", "星澜授权服务中心(华东)", "星澜授权服务中心(华北)", "联保快修")


@dataclass(frozen=True)
class IvrNode:
    """One IVR menu node: its id (the key pressed, path-style), its label and its parent."""

    node: str
    label: str
    parent: str | None


IVR_NODES: tuple[IvrNode, ...] = (
    IvrNode("1", "产品咨询与购买", None),
    IvrNode("1-1", "手机与穿戴", "1"),
    IvrNode("1-2", "智能家居与电视", "1"),
    IvrNode("2", "售后服务", None),
    IvrNode("2-1", "维修进度查询", "2"),
    IvrNode("2-2", "预约上门服务", "2"),
    IvrNode("2-3", "退换货", "2"),
    IvrNode("3", "订单与物流", None),
    IvrNode("3-1", "物流查询", "3"),
    IvrNode("3-2", "发票服务", "3"),
    IvrNode("4", "投诉与建议", None),
    IvrNode("0", "人工服务", None),
)
