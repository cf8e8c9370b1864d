/* cxloop dashboard charts: every element with data-chart fetches its data-src from the API (same-origin,
   the session cookie) and draws it with the vendored Apache ECharts. The page's tables hold the same
   numbers, so nothing is lost without JavaScript. */
(function () {
  "use strict";
  var zh = document.body.dataset.lang !== "en";
  var L = zh ? { value: "数值", low: "样本不足", sig: "显著变化", ci: "95% 置信区间", records: "条数" }
             : { value: "Value", low: "low n", sig: "significant change", ci: "95% CI", records: "Records" };

  function month(v) { return String(v).slice(0, 7); }

  function trend(data) {
    var rows = data.rows || [];
    var x = rows.map(function (r) { return month(r.month); });
    var low = rows.map(function (r) { return r.ci_low; });
    var band = rows.map(function (r) { return r.ci_high - r.ci_low; });
    var vals = rows.map(function (r) {
      return { value: r.value, n: r.n, itemStyle: { color: r.low_n ? "#9aa3ad" : "#0b57d0" } };
    });
    var marks = rows.filter(function (r) { return r.significant; }).map(function (r) {
      return { coord: [month(r.month), r.value], value: (r.delta > 0 ? "+" : "") + r.delta.toFixed(1) };
    });
    return {
      animation: false,
      tooltip: { trigger: "axis", formatter: function (ps) {
        var p = ps.filter(function (q) { return q.seriesName === L.value; })[0];
        if (!p) { return ""; }
        var r = rows[p.dataIndex];
        return p.axisValue + "<br>" + L.value + " " + r.value.toFixed(1) + " (n = " + r.n + ")<br>" + L.ci + " " +
          r.ci_low.toFixed(1) + " – " + r.ci_high.toFixed(1) + (r.low_n ? "<br>" + L.low : "") +
          (r.significant ? "<br>" + L.sig : "");
      } },
      grid: { left: 44, right: 16, top: 24, bottom: 28 },
      xAxis: { type: "category", data: x, boundaryGap: false },
      yAxis: { type: "value", scale: true },
      series: [
        { name: "lo", type: "line", data: low, stack: "ci", lineStyle: { opacity: 0 }, symbol: "none" },
        { name: L.ci, type: "line", data: band, stack: "ci", lineStyle: { opacity: 0 }, symbol: "none",
          areaStyle: { color: "#0b57d0", opacity: 0.15 } },
        { name: L.value, type: "line", data: vals, symbolSize: 7, lineStyle: { color: "#0b57d0" },
          markPoint: { symbol: "pin", symbolSize: 34, itemStyle: { color: "#a50e0e" }, data: marks } }
      ]
    };
  }

  function volumes(data) {
    var rows = data.rows || [];
    var months = [], channels = [];
    rows.forEach(function (r) {
      if (months.indexOf(r.month) < 0) { months.push(r.month); }
      if (channels.indexOf(r.channel) < 0) { channels.push(r.channel); }
    });
    months.sort();
    var series = channels.map(function (c) {
      return { name: c, type: "bar", stack: "v", data: months.map(function (m) {
        var hit = rows.filter(function (r) { return r.month === m && r.channel === c; })[0];
        return hit ? hit.records : 0;
      }) };
    });
    return { animation: false, tooltip: { trigger: "axis" }, legend: { type: "scroll", top: 0 },
             grid: { left: 54, right: 16, top: 34, bottom: 28 },
             xAxis: { type: "category", data: months }, yAxis: { type: "value" }, series: series };
  }

  function bars(data, el) {
    var key = el.dataset.list, label = el.dataset.label, val = el.dataset.value;
    var rows = (data[key] || []).slice(0, Number(el.dataset.top || 15)).reverse();
    return { animation: false, tooltip: { trigger: "axis" }, grid: { left: 160, right: 24, top: 10, bottom: 24 },
             xAxis: { type: "value" },
             yAxis: { type: "category", data: rows.map(function (r) { return String(r[label]).slice(0, 24); }) },
             series: [{ type: "bar", data: rows.map(function (r) { return r[val]; }),
                        itemStyle: { color: "#0b57d0" } }] };
  }

  function sankey(data, el) {
    /* variants drawn as steps: "1 · hotline" -> "2 · chat" ..., so the graph is acyclic by construction */
    var depth = Number(el.dataset.depth || 4), weights = {}, names = {};
    (data.variants || []).forEach(function (v) {
      var path = Array.isArray(v.path) ? v.path : String(v.path).split(" > ");
      path = path.slice(0, depth);
      for (var i = 0; i < path.length; i++) {
        var a = (i + 1) + " · " + path[i];
        names[a] = 1;
        if (i + 1 < path.length) {
          var b = (i + 2) + " · " + path[i + 1], key = a + "\u0000" + b;
          names[b] = 1;
          weights[key] = (weights[key] || 0) + v.count;
        }
      }
    });
    var links = Object.keys(weights).map(function (k) {
      var ab = k.split("\u0000");
      return { source: ab[0], target: ab[1], value: weights[k] };
    });
    return { animation: false, tooltip: { trigger: "item" },
             series: [{ type: "sankey", data: Object.keys(names).map(function (n) { return { name: n }; }),
                        links: links, emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.4 } }] };
  }

  function heatmap(data, el) {
    var cells = data.cells || [];
    var stages = [], points = [];
    cells.forEach(function (c) {
      if (stages.indexOf(c.stage) < 0) { stages.push(c.stage); }
      if (points.indexOf(c.touchpoint) < 0) { points.push(c.touchpoint); }
    });
    var field = el.dataset.value || "negative_pct";
    var vals = cells.map(function (c) { return [stages.indexOf(c.stage), points.indexOf(c.touchpoint), c[field]]; });
    var nums = vals.map(function (v) { return v[2]; }).filter(function (v) { return v !== null; });
    return { animation: false, tooltip: { position: "top" }, grid: { left: 120, right: 20, top: 10, bottom: 70 },
             xAxis: { type: "category", data: stages, axisLabel: { rotate: 30 } },
             yAxis: { type: "category", data: points },
             visualMap: { min: Math.min.apply(null, nums.concat([0])), max: Math.max.apply(null, nums.concat([1])),
                          calculable: true, orient: "horizontal", left: "center", bottom: 0,
                          inRange: { color: ["#e8f1ff", "#a50e0e"] } },
             series: [{ type: "heatmap", data: vals, label: { show: true } }] };
  }

  var KINDS = { trend: trend, volumes: volumes, bars: bars, sankey: sankey, heatmap: heatmap };

  function draw(el) {
    var kind = KINDS[el.dataset.chart];
    if (!kind || !window.echarts) { return; }
    fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status)); })
      .then(function (data) {
        var chart = window.echarts.init(el, null, { renderer: "svg" });
        chart.setOption(kind(data, el));
        el.dataset.points = String(chart.getOption().series.reduce(function (s, x) {
          return s + ((x.data || x.links || []).length);
        }, 0));
        el.dataset.ready = "1";
        window.addEventListener("resize", function () { chart.resize(); });
      })
      .catch(function (err) { el.dataset.ready = "error"; el.textContent = String(err.message || err); });
  }

  function start() { Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
