// Draws a carpathian-conform HTML report's charts with uPlot: every chart's
// data and look come from the page's chart-data JSON (built in Go); this only
// maps it onto uPlot's options. No network, no other script.
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("chart-data").textContent) || [];
  var dpr = window.devicePixelRatio || 1;

  function trim(v, digits) {
    return String(parseFloat(v.toFixed(digits)));
  }
  function ms(v) {
    if (v == null) return "–";
    if (v === 0) return "0";
    if (v >= 1000) return trim(v / 1000, 2) + " s";
    if (v >= 10) return trim(v, 0) + " ms";
    if (v >= 1) return trim(v, 1) + " ms";
    return trim(v * 1000, 0) + " µs";
  }
  var formats = {
    ms: ms,
    count: function (v) { return v == null ? "–" : trim(v, 2); },
    rate: function (v) { return v == null ? "–" : trim(v, 2) + "/s"; },
    tokens: function (v) { return v == null ? "–" : trim(v, 1) + " tok/s"; },
    seconds: function (v) { return v == null ? "–" : "+" + trim(v, 2) + " s"; },
  };
  function xFormat(spec) {
    if (spec.xFormat === "ticks") {
      return function (v) {
        var i = Math.round(v);
        return v == null || i !== v || !spec.xTicks[i] ? "" : spec.xTicks[i];
      };
    }
    return formats[spec.xFormat] || formats.count;
  }

  function seriesOpts(spec, s, yfmt) {
    var o = { label: s.label, stroke: s.color, width: 2, spanGaps: false,
      value: function (u, v) { return yfmt(v); } };
    switch (s.style) {
    case "step":
      o.paths = uPlot.paths.stepped({ align: 1 });
      break;
    case "dash":
      o.dash = [8, 6];
      o.points = { show: false };
      break;
    case "points":
      o.paths = function () { return null; };
      o.points = { show: true, size: 7, width: 1, fill: s.color, stroke: s.color };
      break;
    case "bars":
    case "bars-left":
    case "bars-right":
      var align = s.style === "bars-left" ? -1 : s.style === "bars-right" ? 1 : 0;
      o.paths = uPlot.paths.bars({ size: [align === 0 ? 0.8 : 0.42, Infinity], align: align });
      o.fill = s.color;
      o.points = { show: false };
      break;
    }
    return o;
  }

  // marks draws the labelled reference lines (a knee, a limit) over the data.
  function marks(spec) {
    return function (u) {
      var ctx = u.ctx, b = u.bbox;
      ctx.save();
      ctx.lineWidth = 1.5 * dpr;
      ctx.setLineDash([6 * dpr, 4 * dpr]);
      ctx.font = (11 * dpr) + "px sans-serif";
      (spec.xMarks || []).forEach(function (m) {
        var x = Math.round(u.valToPos(m.at, "x", true));
        ctx.strokeStyle = ctx.fillStyle = m.color;
        ctx.beginPath(); ctx.moveTo(x, b.top); ctx.lineTo(x, b.top + b.height); ctx.stroke();
        ctx.fillText(m.label, x + 4 * dpr, b.top + 12 * dpr);
      });
      ctx.textAlign = "right"; // the label at the right end, clear of the axis
      (spec.yMarks || []).forEach(function (m) {
        var y = Math.round(u.valToPos(m.at, "y", true));
        ctx.strokeStyle = ctx.fillStyle = m.color;
        ctx.beginPath(); ctx.moveTo(b.left, y); ctx.lineTo(b.left + b.width, y); ctx.stroke();
        ctx.fillText(m.label, b.left + b.width - 4 * dpr, y - 4 * dpr);
      });
      ctx.restore();
    };
  }

  function width(el) { return Math.max(320, el.clientWidth - 10); }

  var drawn = [];
  specs.forEach(function (spec) {
    var el = document.getElementById(spec.id);
    if (!el) throw new Error("chart " + spec.id + ": no element on the page");
    var xfmt = xFormat(spec), yfmt = formats[spec.yFormat] || formats.count;
    var bars = spec.series.some(function (s) { return s.style.indexOf("bars") === 0; });
    var markMax = 0;
    (spec.yMarks || []).forEach(function (m) { markMax = Math.max(markMax, m.at); });
    var series = [{ label: spec.xLabel, value: function (u, v) { return xfmt(v); } }];
    var data = [spec.x];
    spec.series.forEach(function (s) {
      series.push(seriesOpts(spec, s, yfmt));
      data.push(s.values);
    });
    var xs = spec.x, lo = xs[0], hi = xs[xs.length - 1];
    var pad = bars ? 0.5 : spec.xFormat === "rate" ? Math.max((hi - lo) * 0.05, hi * 0.05, 0.5) : 0;
    var opts = {
      title: spec.title,
      width: width(el),
      height: 300,
      series: series,
      scales: {
        x: { time: false, range: function () { return [lo - pad, hi + pad === lo - pad ? hi + 1 : hi + pad]; } },
        y: { range: function (u, min, max) { var top = Math.max(max || 0, markMax); return [0, top > 0 ? top * 1.08 : 1]; } },
      },
      axes: [
        { label: spec.xLabel, values: function (u, splits) { return splits.map(xfmt); },
          incrs: spec.xFormat === "ticks" ? [1, 2, 3, 4, 5, 10, 20, 50, 100] : undefined },
        { label: spec.yLabel, size: 70, values: function (u, splits) { return splits.map(yfmt); } },
      ],
      cursor: { points: { size: 7 } },
      hooks: { draw: [marks(spec)] },
    };
    var u = new uPlot(opts, data, el);
    drawn.push({ id: spec.id, chart: u });
  });

  window.addEventListener("resize", function () {
    drawn.forEach(function (d) {
      d.chart.setSize({ width: width(document.getElementById(d.id)), height: 300 });
    });
  });
  // The browser test reads which charts were drawn.
  window.carpathianCharts = drawn.map(function (d) { return d.id; });
})();
