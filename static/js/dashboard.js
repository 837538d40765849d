/* The statistics dashboard's charts (ECharts, vendored). The figures come from the
   json_script block #chart-data; each .chart element names its series and kind. */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("chart-data");
    if (!window.echarts || !source) return;
    var data = JSON.parse(source.textContent);
    // Tooltips drawn on the canvas (richText), not as HTML with style attributes: the CSP
    // refuses inline styles.
    var tooltip = function (trigger) { return {trigger: trigger, renderMode: "richText"}; };
    document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
      var key = el.dataset.chart, kind = el.dataset.kind, option;
      if (kind === "pie") {
        option = {tooltip: tooltip("item"), series: [{type: "pie", radius: ["35%", "65%"], data: data[key]}]};
      } else if (kind === "line") {
        option = {tooltip: tooltip("axis"), xAxis: {type: "category", data: data.month.months},
                  yAxis: {type: "value", minInterval: 1}, series: [{type: "line", data: data.month.values}]};
      } else {
        option = {tooltip: tooltip("axis"), grid: {left: 90},
                  yAxis: {type: "category", data: data[key].map(function (r) { return r.name; })},
                  xAxis: {type: "value", minInterval: 1},
                  series: [{type: "bar", data: data[key].map(function (r) { return r.value; })}]};
      }
      echarts.init(el).setOption(option);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
