/* The statistics dashboard's charts (ECharts, a custom build, vendored). The figures come from the
   json_script block #chart-data; each .chart element names its series and kind.
   `chartOption` is also exported for Node (tests/grievances/test_dashboard_charts.py draws
   the pies with ECharts' server-side renderer and reads the labels back). */
(function () {
  "use strict";
  // Tooltips drawn on the canvas (richText), not as HTML with style attributes: the CSP
  // refuses inline styles.
  var tooltip = function (trigger) { return {trigger: trigger, renderMode: "richText"}; };

  // A pie's labels whole, in a card as narrow as 288px: ECharts truncates an outside label to
  // the room left beside the pie ("复…" for 复查中), so the pie is small, the name sits above
  // its count, a long name wraps instead of being cut (overflow "break", at most 80px wide:
  // 村（社区） fits on a line, "handed down by the province" takes three) and the legend below
  // names every slice again.
  // Empty slices are left out: their labels would pile up at one angle (the table lists them).
  function pieOption(rows) {
    var shown = rows.filter(function (r) { return r.value > 0; });
    return {
      tooltip: tooltip("item"),
      legend: {bottom: 0, itemWidth: 14, itemHeight: 10, data: shown.map(function (r) { return r.name; })},
      series: [{
        type: "pie", radius: ["16%", "32%"], center: ["50%", "40%"], avoidLabelOverlap: true,
        label: {show: true, position: "outside", formatter: "{b}\n{c}", overflow: "break", width: 80,
                lineHeight: 14},
        labelLine: {show: true, length: 6, length2: 6},
        data: shown
      }]
    };
  }

  function chartOption(kind, key, data) {
    if (kind === "pie") return pieOption(data[key]);
    if (kind === "line") {
      return {tooltip: tooltip("axis"), xAxis: {type: "category", data: data.month.months},
              yAxis: {type: "value", minInterval: 1}, series: [{type: "line", data: data.month.values}]};
    }
    return {tooltip: tooltip("axis"), grid: {left: 90},
            yAxis: {type: "category", data: data[key].map(function (r) { return r.name; })},
            xAxis: {type: "value", minInterval: 1},
            series: [{type: "bar", data: data[key].map(function (r) { return r.value; })}]};
  }

  if (typeof module === "object" && module.exports) {
    module.exports = {chartOption: chartOption};
    return;
  }

  // The library (static/vendor/echarts/echarts.custom.min.js, ~185 KB gzipped) is fetched only
  // when a chart box comes near the screen: the figures and the table under each chart are the
  // page, readable without it; on a slow link they come first. The script tag names the file.
  var library = document.currentScript && document.currentScript.dataset.echarts;

  function draw() {
    var source = document.getElementById("chart-data");
    var data = JSON.parse(source.textContent);
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      echarts.init(el).setOption(chartOption(el.dataset.kind, el.dataset.chart, data));
    });
  }

  var requested = false;
  function load() {
    if (requested) return;
    requested = true;
    if (window.echarts) { draw(); return; }
    var script = document.createElement("script");
    script.src = library;
    script.onload = draw;
    document.head.appendChild(script);
  }

  function start() {
    var boxes = document.querySelectorAll(".chart[data-chart]");
    if (!library || !boxes.length || !document.getElementById("chart-data")) return;
    if (!("IntersectionObserver" in window)) { load(); return; }
    var watch = new IntersectionObserver(function (entries) {
      if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
      watch.disconnect();
      load();
    }, {rootMargin: "200px 0px"});
    boxes.forEach(function (box) { watch.observe(box); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
