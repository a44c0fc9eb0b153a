/* The trends as time series: objects per month by crime type (one region or all, with that
   region's table) and by region,
   and new campaigns per month, drawn with Chart.js (served from Accord's own static files) from
   the figures the page carries in #trends-data. Each chart has the same figures as a table. */
(function () {
  "use strict";
  var source = document.getElementById("trends-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var PALETTE = ["#0b5cad", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#e67700", "#1098ad", "#5c940d",
                 "#495057", "#364fc7", "#a61e4d", "#087f5b"];

  function colour(i) { return PALETTE[i % PALETTE.length]; }

  /* Counts per month of each value of `key` among `rows`, the largest series first. */
  function series(rows, key) {
    var totals = {}, cells = {};
    rows.forEach(function (row) {
      var name = row[key];
      totals[name] = (totals[name] || 0) + row.count;
      cells[row.month + "\u0000" + name] = (cells[row.month + "\u0000" + name] || 0) + row.count;
    });
    var names = Object.keys(totals).sort(function (a, b) { return totals[b] - totals[a] || (a < b ? -1 : 1); });
    return names.map(function (name, i) {
      return {
        label: name,
        data: data.months.map(function (month) { return cells[month + "\u0000" + name] || 0; }),
        backgroundColor: colour(i),
        borderColor: colour(i)
      };
    });
  }

  function stacked(canvas, datasets) {
    return new Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true, title: { display: true, text: "Month" } },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Objects" } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  var crimeCanvas = document.getElementById("chart-crime");
  var regionSelect = document.getElementById("chart-region");
  var crimeChart = crimeCanvas ? stacked(crimeCanvas, series(data.rows, "crime")) : null;
  var crimeTables = document.querySelectorAll("[data-crime-table]");

  /* The table beside the chart is the selected region's (each region's is in the page: read
     without the script, they all show). */
  function showTable(region) {
    Array.prototype.forEach.call(crimeTables, function (table) {
      table.hidden = table.getAttribute("data-region") !== region;
    });
  }
  if (crimeChart && regionSelect) {
    showTable(regionSelect.value);
    regionSelect.addEventListener("change", function () {
      var region = regionSelect.value;
      var rows = data.rows.filter(function (row) { return !region || row.region === region; });
      crimeChart.data.datasets = series(rows, "crime");
      crimeChart.update();
      showTable(region);
    });
  }
  var regionCanvas = document.getElementById("chart-regions");
  if (regionCanvas) { stacked(regionCanvas, series(data.rows, "region")); }
  var campaignCanvas = document.getElementById("chart-campaigns");
  if (campaignCanvas) {
    new Chart(campaignCanvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [{ label: "New campaigns", data: data.campaigns, borderColor: colour(0), backgroundColor: colour(0), tension: 0.2 }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { title: { display: true, text: "Month" } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "Campaigns" } }
        },
        plugins: { legend: { display: false } }
      }
    });
  }
})();
