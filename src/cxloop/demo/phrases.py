"""Phrase banks: what customers and agents write about each latent topic.

`colloquial` phrases are what a customer types (reviews, chat, WeChat, app, surveys, Weibo); `formal`
phrases are what an agent or engineer writes in a call summary or repair note. The generator paraphrases
them further (synonym swaps, typos, emoji, English fragments; see `noise.py`), so a detector has to
generalise rather than match these strings. The planted defect and the score-begging phrases are
kept apart (`DEFECT`, `BEGGING`) so tests can check them against the shipped taxonomy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BEGGING", "DEFECT", "HANDLING", "TOPICS", "Topic"]


@dataclass(frozen=True)
class Topic:
    """A latent reason for a contact, with who owns it and how people phrase it."""

    key: str
    valence: str  # neg | neu | pos
    categories: tuple[str, ...] | None  # product categories it applies to; None = all
    stage: str
    department: str  # key of vocab.DEPARTMENTS
    colloquial: tuple[str, ...]
    formal: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic("delivery_slow", "neg", None, "deliver", "delivery", (
        "物流太慢了，下单五天还没到", "快递一直不更新，等得花都谢了", "说好次日达结果拖了4天",
        "发货磨磨蹭蹭的，催了两次才发", "包裹在中转站躺了三天不动", "送货的不送上楼，还让我自己下去搬",
        "配送延误也没人通知一声", "快递慢得离谱",
    ), ("客户反映物流配送延迟，要求催件", "客户催促订单配送进度", "客户投诉快递未按约定时间送达")),
    Topic("install_wait", "neg", ("tv", "vacuum"), "install", "delivery", (
        "约了安装师傅一周了还没人上门", "东西到了一直没人来装，只能放在箱子里", "安装预约改了三次时间",
        "师傅说排期要等到下周才能装", "装个电视等了八天", "打了好几次电话催安装都说在排队",
        "预约的安装时间到了人没来", "送到了不给装，干等",
    ), ("客户反映安装预约迟迟未上门，催促安装", "客户投诉安装师傅爽约", "客户要求尽快安排上门安装")),
    Topic("battery", "neg", ("phone", "earbuds", "watch"), "use", "quality", (
        "续航太拉胯了，一天要充三次", "电池掉电飞快", "待机一晚上掉了20%", "用半天就没电了",
        "续航跟宣传的差太远", "电量显示忽高忽低", "玩一会儿游戏电就没了",
    ), ("客户反映电池续航短、耗电快", "客户反映设备待机耗电异常", "客户咨询电池续航问题，建议检测")),
    Topic("overheating", "neg", ("phone", "tv", "router"), "use", "quality", (
        "玩游戏烫手", "用一会儿就发烫", "机身热得像暖手宝", "背面烫得不敢拿", "夏天放着都热乎乎的",
    ), ("客户反映设备使用中发热严重", "客户反映机身温度过高")),
    Topic("connectivity", "neg", ("earbuds", "router", "watch", "vacuum"), "use", "quality", (
        "蓝牙老是断连", "WiFi动不动就掉线", "连不上手机，配对失败", "信号时有时无",
        "隔一堵墙网速就没了", "左右耳经常断开", "网络一会儿有一会儿没有",
    ), ("客户反映蓝牙/网络连接不稳定", "客户反映设备频繁断连", "客户反映无法配对连接")),
    Topic("screen", "neg", ("phone", "tv", "watch"), "use", "quality", (
        "屏幕有个亮点", "屏幕边上漏光", "画面有拖影", "屏幕有坏点，很影响观感", "屏幕偏黄",
    ), ("客户反映屏幕显示异常（亮点/漏光）", "客户反映屏幕存在坏点")),
    Topic("noise", "neg", ("vacuum",), "use", "quality", (
        "扫地的时候噪音好大", "晚上用吵得睡不着", "有咔咔的异响", "运行起来嗡嗡响", "声音比老款大多了",
    ), ("客户反映扫地机运行噪音大、有异响", "客户反映设备运行异响")),
    Topic("app_bug", "neg", ("phone", "watch", "vacuum", "router", "tv", "earbuds"), "use", "software", (
        "APP老闪退", "配网一直失败", "更新完之后打不开了", "登录不上，一直转圈", "app里设备显示离线",
        "固件升级失败", "同步数据老是出错",
    ), ("客户反映APP闪退/配网失败", "客户反映固件升级失败", "客户反映APP无法登录")),
    Topic("refund", "neg", None, "service", "ecommerce", (
        "退款申请一周了还没到账", "退货被拒，理由莫名其妙", "价保不给处理", "退换货流程太麻烦",
        "说好的赠品一直没发",
    ), ("客户催促退款进度", "客户投诉退货申请被驳回", "客户申请价保未处理")),
    Topic("agent_attitude", "neg", None, "service", "service", (
        "客服态度敷衍", "问了半天答非所问", "机器人客服绕来绕去就是转不了人工", "客服说话很冲",
        "每次都让我重新描述一遍问题", "承诺回电结果没人回",
    ), ("客户投诉客服服务态度", "客户反映客服未按承诺回电", "客户不满客服处理方式")),
    Topic("wait_time", "neg", None, "service", "service", (
        "热线一直打不通", "排队排了40分钟", "转人工要等半天", "电话一直占线", "在线客服半小时没人回",
    ), ("客户反映热线等待时间过长", "客户投诉排队时间长")),
    Topic("repair_quality", "neg", None, "service", "aftersales", (
        "修过一次又坏了", "维修要寄回去等两周", "换了主板还是一样的毛病", "修完回来多了划痕",
        "保修期内还要收钱",
    ), ("客户反映维修后故障复现", "客户投诉维修周期过长", "客户对维修收费有异议")),
    Topic("price", "neg", None, "purchase", "ecommerce", (
        "刚买就降价300", "活动规则看不懂", "比线下贵了不少", "优惠券用不了",
    ), ("客户反映购买后降价，申请价保", "客户咨询优惠券无法使用")),
    Topic("praise_quality", "pos", None, "use", "quality", (
        "质量很好，做工扎实", "用着很顺手", "性价比很高", "效果超出预期", "颜值高，手感好",
        "很好用，推荐", "比之前那款强太多了",
    ), ("客户对产品表示满意",)),
    Topic("praise_service", "pos", None, "service", "service", (
        "客服小姐姐很耐心", "师傅上门准时还帮忙调试", "物流很快，隔天就到", "售后处理很及时",
        "问题一次就解决了，点赞",
    ), ("客户对服务表示认可", "客户表扬处理及时")),
    Topic("so_so", "neu", None, "use", "quality", (
        "一般般吧", "中规中矩，没什么惊喜", "还可以，凑合用", "跟预期差不多", "用着还行，就是有点贵",
        "东西没问题，包装有点简陋",
    ), ("客户反馈产品体验一般",)),
    Topic("howto", "neu", None, "use", "service", (
        "请问怎么恢复出厂设置", "怎么设置定时", "怎么投屏", "怎么改WiFi密码", "怎么连接第二台设备",
        "说明书在哪里下载",
    ), ("客户咨询产品使用方法，已指导", "客户咨询设置步骤，已解答")),
    Topic("product_inquiry", "neu", None, "consider", "ecommerce", (
        "X5 Pro 和 X5 有什么区别", "现在买有没有优惠", "支持以旧换新吗", "有没有现货", "保修多久",
    ), ("客户咨询产品参数与购买优惠", "客户咨询以旧换新政策")),
    Topic("order_status", "neu", None, "purchase", "ecommerce", (
        "我的订单发货了吗", "能帮我改一下收货地址吗", "发票怎么开", "订单显示已签收但我没收到",
    ), ("客户咨询订单状态", "客户申请修改收货地址", "客户咨询开具发票")),
)

# The planted emerging defect (earbuds' case contacts corroding). Its wording must not be among the
# shipped taxonomy's keywords, so a detector finds it as a new cluster, not by lookup.
DEFECT = {
    "key": "case_contacts_green",
    "category": "earbuds",
    "terms": ("触点发绿", "铜绿", "绿锈", "触点氧化", "绿斑"),
    # Two-character stems every defect phrase contains at least one of (typos double a character, which
    # never breaks a two-character substring), and no other phrase of the demo contains.
    "stems": ("触点", "铜绿", "绿锈", "绿斑"),
    "colloquial": (
        "耳机仓里的金属触点发绿了", "仓里两个小金属点长了一层铜绿", "触点上全是绿锈，放进去不亮灯",
        "才用一个月触点就发绿氧化了", "仓内触点有绿斑，左耳时有时无", "contact pin 都绿了，像生了铜绿",
        "金属触点发绿还发黑，放进仓没反应",
    ),
    "formal": (
        "客户反映耳机仓内金属触点发绿氧化", "客户称耳机仓触点出现铜绿，耳机放入无反应",
        "客户反映仓内触点有绿斑，左右耳时断时续",
    ),
}

# Score begging in an agent's chat lines (metric integrity must flag the agent).
BEGGING = (
    "麻烦给个五星好评哦~", "满意请打10分", "待会儿评价记得点非常满意哈", "亲，稍后的评价请给5分哦，谢谢支持",
    "觉得满意的话给个好评呗🙏", "pls 给个满分评价～", "评价的时候帮忙选满意，拜托啦",
)

# What an agent writes after the problem in a call summary.
HANDLING = (
    "已安抚并记录", "已升级至二线处理", "已建议寄修", "已解答，客户表示认可", "已催促相关部门",
    "已提交加急处理", "已转技术支持", "已创建服务单跟进", "已告知处理时效",
)
