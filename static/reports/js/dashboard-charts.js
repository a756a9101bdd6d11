// The dashboard's charts (Chart.js, served from our own static files). Each canvas names the
// <script type="application/json"> holding its [label, value] rows; the table after it shows the
// same numbers. When a chart has drawn, its canvas gets data-chart-ready (the browser tests wait for it).
(function () {
  'use strict'
  // GOV.UK colours with enough contrast against white.
  var PALETTE = ['#1d70b8', '#00703c', '#d4351c', '#f47738', '#4c2c92', '#28a197', '#b58840', '#505a5f']

  function money (value) {
    return '£' + Number(value).toLocaleString('en-GB', { maximumFractionDigits: 0 })
  }

  function draw (canvas) {
    var rows = JSON.parse(document.getElementById(canvas.dataset.chartSource).textContent)
    var type = canvas.dataset.chartType || 'bar'
    var isMoney = canvas.dataset.chartMoney === 'true'
    var options = {
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: type === 'doughnut', labels: { color: '#0b0c0c' } } }
    }
    if (type === 'bar') {
      options.scales = {
        x: { ticks: { color: '#0b0c0c' } },
        y: {
          beginAtZero: true,
          ticks: { color: '#0b0c0c', precision: 0, callback: isMoney ? money : undefined }
        }
      }
    }
    var chart = new Chart(canvas, {
      type: type,
      data: {
        labels: rows.map(function (row) { return row[0] }),
        datasets: [{
          label: canvas.dataset.chartLabel,
          data: rows.map(function (row) { return Number(row[1]) }),
          backgroundColor: type === 'doughnut' ? PALETTE.slice(0, rows.length) : PALETTE[0]
        }]
      },
      options: options
    })
    canvas.dataset.chartReady = String(chart.data.labels.length)
  }

  document.querySelectorAll('canvas[data-chart-source]').forEach(draw)
})()
