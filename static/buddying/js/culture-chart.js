// The culture profile as a horizontal bar chart (Chart.js); the table beside it holds the same data.
(function () {
  'use strict'
  var canvas = document.getElementById('culture-chart')
  if (!canvas) { return }
  var scores = JSON.parse(document.getElementById('culture-scores').textContent)
  var chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: scores.map(function (row) { return row[0] }),
      datasets: [{ label: 'Score out of 10', data: scores.map(function (row) { return row[1] }), backgroundColor: '#1d70b8' }]
    },
    options: {
      indexAxis: 'y',
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { min: 0, max: 10, ticks: { color: '#0b0c0c' } }, y: { ticks: { color: '#0b0c0c' } } },
      plugins: { legend: { display: false } }
    }
  })
  canvas.dataset.chartReady = String(chart.data.labels.length)
})()
