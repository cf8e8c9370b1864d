"""Layouts of the event exports: the IVR platform's log (English headers), the CRM case log and the
order/fulfilment log. Rows are written in time order, as the systems log them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cxloop.demo.events import EventTable
from cxloop.demo.exports import Column, Export
from cxloop.demo.strings import format_times, nonempty

__all__ = ["case_export", "ivr_export", "order_export"]

C = Column


def _s(values: np.ndarray) -> pa.Array:
    return nonempty(values)


def _sorted(table: EventTable) -> EventTable:
    order = np.argsort(table["ts"], kind="stable")
    return {k: v[order] for k, v in table.items()}


def ivr_export(table: EventTable) -> Export:
    e = _sorted(table)
    n = len(e["ts"])
    cols = [C("call_id", _s(e["session"]), "session_id"), C("caller", _s(e["caller"]), "phone"),
            C("called", pa.array(np.full(n, "400-880-6666", dtype=object), type=pa.string())),
            C("event", _s(e["event"]), "event_type"), C("node", _s(e["node"])),
            C("node_name", _s(e["node_name"])), C("event_time", format_times(e["ts"], "%Y-%m-%d %H:%M:%S"),
                                                     "occurred_at")]
    return Export("ivr_events", "ivr_events_2026.csv", "csv", "utf-8", cols, "ivr", "event", "event_time",
                  defaults={"touchpoint": "ivr"})


def case_export(table: EventTable) -> Export:
    e = _sorted(table)
    cols = [C("服务单号", _s(e["case"]), "case_id"), C("会话ID", _s(e["session"]), "session_id"),
            C("事件编码", _s(e["event"]), "event_type"),
            C("发生时间", format_times(e["ts"], "%Y/%m/%d %H:%M:%S"), "occurred_at"),
            C("渠道", _s(e["channel"]), "channel"), C("客户手机", _s(e["phone"]), "phone"),
            C("处理人", _s(e["agent"]), "agent_id")]
    return Export("case_events", "crm_case_events.csv", "csv", "utf-8", cols, "hotline", "event", "发生时间",
                  defaults={"journey_stage": "service"})


def order_export(table: EventTable) -> Export:
    e = _sorted(table)
    cols = [C("订单号", _s(e["order"]), "case_id"), C("事件", _s(e["event"]), "event_type"),
            C("事件时间", format_times(e["ts"], "%Y-%m-%dT%H:%M:%S+08:00"), "occurred_at"),
            C("收货人手机", _s(e["phone"]), "phone"), C("商品型号", _s(e["product"]), "product"),
            C("服务商", _s(e["partner"]), "partner"), C("销售渠道", _s(e["store"]), "touchpoint"),
            C("收货省份", _s(e["region"]), "region"), C("环节", _s(e["stage"]), "journey_stage")]
    return Export("order_events", "order_fulfilment_events.csv", "csv", "utf-8", cols, "ecommerce", "event",
                  "事件时间")
