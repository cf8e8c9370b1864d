"""CX metrics as portable Ibis expressions: the query model, metric definitions with honest intervals,
key drivers, pain points and emerging issues. Pure: receives Ibis tables, returns expressions and rows."""

from cxloop.metrics.query import DIMENSIONS, GRAINS, METRICS, MetricQuery, parse_query

__all__ = ["DIMENSIONS", "GRAINS", "METRICS", "MetricQuery", "parse_query"]
