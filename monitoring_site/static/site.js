/* Draws every chart from the JSON beside it (generated from the marts); the table next to each chart
   holds the same figures. No framework, no network: echarts.min.js is vendored beside this file. */
(function () {
  "use strict";
  var LINE_TYPES = { solid: "solid", dashed: "dashed", dotted: "dotted" };

  function option(spec) {
    var decimals = typeof spec.decimals === "number" ? spec.decimals : 0;
    var fmt = function (v) {
      return v === null || v === undefined ? "—" : Number(v).toLocaleString("zh-CN", {
        minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    };
    return {
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: fmt },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 40, containLabel: true },
      xAxis: { type: "category", data: spec.categories, boundaryGap: spec.type === "bar" },
      yAxis: { type: "value", name: spec.unit || "", scale: spec.type !== "bar" && spec.ymin === undefined,
               min: spec.ymin, max: spec.ymax },
      series: spec.series.map(function (s) {
        var kind = s.kind || spec.type || "line";
        return {
          name: s.name, type: kind, data: s.data, connectNulls: !!s.connect,
          symbolSize: 6, itemStyle: s.color ? { color: s.color } : undefined,
          lineStyle: kind === "line" ? { type: LINE_TYPES[s.style] || "solid", width: 2 } : undefined,
          label: kind === "bar" ? { show: true, position: "right", formatter: function (p) { return fmt(p.value); } } : undefined
        };
      })
    };
  }

  function draw() {
    var nodes = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var source = document.getElementById(node.getAttribute("data-chart"));
      var spec = JSON.parse(source.textContent);
      if (spec.horizontal) {
        var opt = option(spec);
        var cat = opt.xAxis; opt.xAxis = opt.yAxis; opt.yAxis = cat;
        opt.yAxis.inverse = true; opt.xAxis.scale = false;
        echarts.init(node, null, { renderer: "canvas" }).setOption(opt);
      } else {
        echarts.init(node, null, { renderer: "canvas" }).setOption(option(spec));
      }
      node.setAttribute("data-drawn", "1");
    }
    window.addEventListener("beforeprint", function () {
      for (var j = 0; j < nodes.length; j++) { var c = echarts.getInstanceByDom(nodes[j]); if (c) { c.resize(); } }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
