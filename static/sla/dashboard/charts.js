// The SLA dashboard's charts: figures come from the page (json_script "sla-dashboard-charts"), Chart.js is vendored.
(function () {
  "use strict";
  const source = document.getElementById("sla-dashboard-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const colours = { response: "#0d6efd", update: "#fd7e14", resolution: "#198754" };
  const percentAxis = { min: 0, max: 100, title: { display: true, text: data.axis } };

  function datasets(figures, extra) {
    return Object.keys(data.metrics).map(function (metric) {
      return Object.assign({
        label: data.metrics[metric],
        data: figures[metric],
        borderColor: colours[metric],
        backgroundColor: colours[metric],
      }, extra);
    });
  }

  const trend = document.getElementById("chart-trend");
  if (trend) {
    new Chart(trend, {
      type: "line",
      data: { labels: data.trend.labels, datasets: datasets(data.trend, { spanGaps: true, tension: 0.2 }) },
      options: { maintainAspectRatio: false, scales: { y: percentAxis } },
    });
  }
  Object.keys(data.breakdowns).forEach(function (dimension) {
    const canvas = document.getElementById("chart-" + dimension);
    if (!canvas) {
      return;
    }
    const figures = data.breakdowns[dimension];
    new Chart(canvas, {
      type: "bar",
      data: { labels: figures.labels, datasets: datasets(figures, {}) },
      options: { indexAxis: "y", maintainAspectRatio: false, scales: { x: percentAxis } },
    });
  });
})();
