/* Draws the console's charts: each element with `data-chart="<id>"` gets the ECharts
   option held as JSON in the <script type="application/json" id="<id>"> the page
   rendered (no inline script runs: the pages' policy allows none). Every chart also has
   its figures in a table beside it, for screen readers and for copying. */
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      if (element.dataset.drawn) { return; }
      var source = document.getElementById(element.dataset.chart);
      if (!source || !window.echarts) { return; }
      var chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(JSON.parse(source.textContent));
      element.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
