"""One layout function per source: which columns its system exports, in which date style and encoding.

Files (under `<ws>/imports/`):
hotline_calls_2026.csv (GBK, 2026/10/02 11:30), online_chat_sessions.csv (ISO with +08:00),
jd_reviews_export.csv (UTF-8 with BOM, 2026-10-02 11:30:00), tmall_reviews_export.csv (2026年10月3日 09:15),
wechat_messages.jsonl (ISO with +08:00), app_feedback.csv (2026.10.02 11:30), nps_survey_2026.xlsx
(2026/10/02 11:30:05), csat_callback_survey.csv (2026-10-02 11:30), weibo_mentions.csv (2026-10-02 11:30),
field_service_repairs.csv (10/02/2026 11:30, declared in the profile's date_format); the event logs are in
`event_layouts.py`.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cxloop.demo.exports import Builder, Column, Export, RecordView

__all__ = ["RECORD_LAYOUTS"]

C = Column


def _choice(rng: np.random.Generator, values: tuple[str, ...], n: int) -> pa.Array:
    return pa.array(np.array(values, dtype=object)[rng.integers(0, len(values), n)], type=pa.string())


def hotline(v: RecordView, rng: np.random.Generator) -> Export:
    t = v.text
    cols = [C("工单编号", v.codes("GD2026", 8), "source_key"), C("来电时间", v.times("%Y/%m/%d %H:%M"), "occurred_at"),
            C("主叫号码", t("phone"), "phone"), C("通话ID", t("session"), "session_id"),
            C("服务单号", t("case"), "case_id"), C("产品型号", t("product"), "product"),
            C("坐席工号", t("agent"), "agent_id"), C("技能组", t("team"), "team"),
            C("责任部门", t("department"), "department"), C("客户省份", t("region"), "region"),
            C("业务阶段", t("stage"), "journey_stage"), C("通话时长", v.duration(), "duration_seconds"),
            C("处理结果", v.outcome(), "outcome"), C("通话小结", t("text"), "text"),
            C("满意度", v.score("csat"), "csat"), C("设备SN", t("device"), "device")]
    return Export("hotline", "hotline_calls_2026.csv", "csv", "gbk", cols, "hotline", "call", "来电时间",
                  defaults={"touchpoint": "hotline"}, score_columns={"满意度": (1, 5)})


def chat(v: RecordView, rng: np.random.Generator) -> Export:
    t = v.text
    n = len(v.col("ts"))
    cols = [C("会话ID", t("session"), "session_id"), C("开始时间", v.times("%Y-%m-%dT%H:%M:%S+08:00"), "occurred_at"),
            C("访客手机", t("phone"), "phone"), C("访客邮箱", t("email"), "email"),
            C("客服工号", t("agent"), "agent_id"), C("客服组", t("team"), "team"),
            C("咨询产品", t("product"), "product"),
            C("来源页面", _choice(rng, ("官网", "APP", "京东店铺", "天猫店铺"), n)),
            C("解决状态", v.outcome(), "outcome"), C("会话时长(秒)", v.duration(), "duration_seconds"),
            C("会话内容", t("text"), "text"), C("会话评价", v.score("csat"), "csat"),
            C("服务单号", t("case"), "case_id"), C("业务阶段", t("stage"), "journey_stage")]
    return Export("chat", "online_chat_sessions.csv", "csv", "utf-8", cols, "chat", "chat", "开始时间",
                  defaults={"touchpoint": "online_chat"}, score_columns={"会话评价": (1, 5)})


def _review_cols(v: RecordView, rng: np.random.Generator, names: tuple[str, ...], ident: str,
                 pattern: str) -> list[Column]:
    t = v.text
    n = len(v.col("ts"))
    key, order, when, account, title, model, score, text, region = names
    return [C(key, v.codes("", 12, offset=int(rng.integers(10**9, 10**10))), "source_key"),
            C(order, t("order"), "case_id"), C(when, v.times(pattern), "occurred_at"),
            C(account, t(ident), "account"), C(title, t("title")), C(model, t("product"), "product"),
            C(score, v.score("rating"), "rating"), C(text, t("text"), "text"), C(region, t("region"), "region"),
            C("有用数" if ident == "jd" else "追评", v.counts(rng, 2.0) if ident == "jd" else pa.array(
                np.where(rng.random(n) < 0.05, "用了一段时间再来评价，整体还可以", ""), type=pa.string()))]


def jd_reviews(v: RecordView, rng: np.random.Generator) -> Export:
    cols = _review_cols(v, rng, ("评价ID", "订单号", "评价时间", "京东账号", "商品名称", "商品型号", "评分",
                                 "评价内容", "收货地区"), "jd", "%Y-%m-%d %H:%M:%S")
    return Export("jd_reviews", "jd_reviews_export.csv", "csv", "utf-8-sig", cols, "ecommerce_review", "review",
                  "评价时间", account_namespace="jd", defaults={"touchpoint": "jd_store", "journey_stage": "use"},
                  score_columns={"评分": (1, 5)})


def tmall_reviews(v: RecordView, rng: np.random.Generator) -> Export:
    cols = _review_cols(v, rng, ("评论ID", "订单编号", "评论时间", "买家会员名", "宝贝标题", "型号", "评分",
                                 "评论内容", "地区"), "tmall", "%Y年%-m月%-d日 %H:%M")
    return Export("tmall_reviews", "tmall_reviews_export.csv", "csv", "utf-8", cols, "ecommerce_review",
                  "review", "评论时间", account_namespace="tmall",
                  defaults={"touchpoint": "tmall_store", "journey_stage": "use"}, score_columns={"评分": (1, 5)})


def wechat(v: RecordView, rng: np.random.Generator) -> Export:
    t = v.text
    n = len(v.col("ts"))
    cols = [C("msgid", v.codes("wxm", 16, offset=int(rng.integers(10**12, 10**13))), "source_key"),
            C("openid", t("openid"), "openid"), C("create_time", v.times("%Y-%m-%dT%H:%M:%S+08:00"), "occurred_at"),
            C("msg_type", pa.array(np.full(n, "text", dtype=object), type=pa.string())),
            C("content", t("text"), "text"), C("bound_mobile", t("phone"), "phone"),
            C("kf_account", t("agent"), "agent_id"), C("session_id", t("session"), "session_id"),
            C("ticket_id", t("case"), "case_id"), C("product", t("product"), "product")]
    return Export("wechat", "wechat_messages.jsonl", "jsonl", "utf-8", cols, "wechat", "message", "create_time",
                  defaults={"touchpoint": "wechat_oa"})


def app_feedback(v: RecordView, rng: np.random.Generator) -> Export:
    t = v.text
    n = len(v.col("ts"))
    cols = [C("反馈ID", v.codes("FB", 9), "source_key"), C("提交时间", v.times("%Y.%m.%d %H:%M"), "occurred_at"),
            C("用户ID", t("app_uid"), "customer_ref"), C("绑定手机", t("phone"), "phone"),
            C("联系邮箱", t("email"), "email"), C("设备序列号", t("device"), "device"),
            C("设备型号", t("product"), "product"),
            C("APP版本", _choice(rng, ("3.2.0", "3.2.1", "3.3.0", "3.4.2"), n)),
            C("系统", _choice(rng, ("Android 14", "Android 15", "iOS 18", "HarmonyOS 4"), n)),
            C("反馈内容", t("text"), "text"), C("评分", v.score("rating"), "rating")]
    return Export("app_feedback", "app_feedback.csv", "csv", "utf-8", cols, "app", "feedback", "提交时间",
                  account_namespace="app", defaults={"touchpoint": "app", "journey_stage": "use"},
                  score_columns={"评分": (1, 5)})


def nps_survey(v: RecordView, rng: np.random.Generator) -> Export:
    t = v.text
    n = len(v.col("ts"))
    cols = [C("答卷编号", v.codes("Q", 8), "source_key"), C("提交时间", v.times("%Y/%m/%d %H:%M:%S"), "occurred_at"),
            C("手机号", t("phone"), "phone"), C("购买产品", t("product"), "product"), C("省份", t("region"), "region"),
            C("推荐意愿(0-10)", v.score("nps"), "nps"), C("总体满意度(1-5)", v.score("csat"), "csat"),
            C("省心程度(1-7)", v.score("ces"), "ces"), C("原因", t("text"), "text"),
            C("订单号", t("order"), "case_id"), C("渠道来源", _choice(rng, ("短信", "APP推送", "公众号"), n))]
    return Export("nps_survey", "nps_survey_2026.xlsx", "xlsx", "utf-8", cols, "survey", "survey_response",
                  "提交时间", defaults={"touchpoint": "nps_survey"},
                  score_columns={"推荐意愿(0-10)": (0, 10), "总体满意度(1-5)": (1, 5), "省心程度(1-7)": (1, 7)})


def csat_survey(v: RecordView, rng: np.random.Generator) -> Export:
    t = v.text
    n = len(v.col("ts"))
    cols = [C("回访ID", v.codes("HF", 9), "source_key"), C("回访时间", v.times("%Y-%m-%d %H:%M"), "occurred_at"),
            C("手机号", t("phone"), "phone"), C("服务单号", t("case"), "case_id"),
            C("坐席工号", t("agent"), "agent_id"), C("产品", t("product"), "product"),
            C("满意度", v.score("csat"), "csat"),
            C("省力程度", v.score("ces"), "ces"), C("评价内容", t("text"), "text"),
            C("服务类型", _choice(rng, ("热线", "在线客服"), n))]
    return Export("csat_survey", "csat_callback_survey.csv", "csv", "utf-8", cols, "survey", "survey_response",
                  "回访时间", defaults={"touchpoint": "sms_callback", "journey_stage": "service"},
                  score_columns={"满意度": (1, 5), "省力程度": (1, 7)})


def weibo(v: RecordView, rng: np.random.Generator) -> Export:
    t = v.text
    cols = [C("微博ID", v.codes("5", 15, offset=int(rng.integers(10**13, 10**14))), "source_key"),
            C("发布时间", v.times("%Y-%m-%d %H:%M"), "occurred_at"), C("用户昵称", t("weibo"), "account"),
            C("正文", t("text"), "text"), C("转发数", v.counts(rng, 3.0)), C("评论数", v.counts(rng, 5.0)),
            C("点赞数", v.counts(rng, 20.0)), C("提及产品", t("product"), "product"),
            C("IP属地", t("region"), "region")]
    return Export("weibo", "weibo_mentions.csv", "csv", "utf-8", cols, "social", "post", "发布时间",
                  account_namespace="weibo", defaults={"touchpoint": "weibo"})


def field_service(v: RecordView, rng: np.random.Generator) -> Export:
    t = v.text
    cols = [C("维修单号", v.codes("WX", 10), "source_key"), C("报修时间", v.times("%m/%d/%Y %H:%M"), "occurred_at"),
            C("客户电话", t("phone"), "phone"), C("设备SN", t("device"), "device"),
            C("产品型号", t("product"), "product"), C("服务商", t("partner"), "partner"),
            C("工程师", t("agent"), "agent_id"), C("服务团队", t("team"), "team"),
            C("故障描述及处理", t("text"), "text"), C("维修结果", v.outcome(), "outcome"),
            C("上门时长(秒)", v.duration(), "duration_seconds"), C("客户评分", v.score("csat"), "csat"),
            C("省份", t("region"), "region"), C("服务单号", t("case"), "case_id")]
    return Export("field_service", "field_service_repairs.csv", "csv", "utf-8", cols, "field_service", "ticket",
                  "报修时间", date_format="%m/%d/%Y %H:%M",
                  defaults={"touchpoint": "field_repair", "journey_stage": "service", "department": "售后服务部"},
                  score_columns={"客户评分": (1, 5)})


RECORD_LAYOUTS: dict[str, Builder] = {
    "hotline": hotline, "chat": chat, "jd_reviews": jd_reviews, "tmall_reviews": tmall_reviews,
    "wechat": wechat, "app_feedback": app_feedback, "nps_survey": nps_survey, "csat_survey": csat_survey,
    "weibo": weibo, "field_service": field_service,
}
