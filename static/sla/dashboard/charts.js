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

  // Room for about 18 Latin letters; a Chinese character is about twice as wide.
  const LABEL_WIDTH = 18;
  function shortLabel(label) {
    const chars = Array.from(String(label));
    let width = 0;
    for (let i = 0; i < chars.length; i++) {
      width += chars[i].codePointAt(0) >= 0x2e80 ? 2 : 1;
      if (width > LABEL_WIDTH) {
        return chars.slice(0, Math.max(i - 1, 1)).join("") + "…";
      }
    }
    return chars.join("");
  }

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
      options: {
        indexAxis: "y", maintainAspectRatio: false,
        // Every row labelled (no auto-skipping), long names shortened so the narrow chart does not clip them;
        // the tooltip and the table beside the chart give the whole name.
        scales: { x: percentAxis, y: { ticks: { autoSkip: false, callback: function (value) { return shortLabel(this.getLabelForValue(value)); } } } },
        plugins: { tooltip: { callbacks: { title: function (items) { return figures.labels[items[0].dataIndex]; } } } },
      },
    });
  });
})();
