// Polls the run's status while the allocation runs in the background, then reloads to show results.
(function () {
  'use strict'
  var box = document.getElementById('wave-progress')
  if (!box) { return }
  var text = document.getElementById('wave-progress-text')
  var bar = box.querySelector('progress')
  function poll () {
    fetch(box.dataset.statusUrl, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (response) { return response.json() })
      .then(function (status) {
        if (status.finished) { window.location.reload(); return }
        bar.value = status.progress
        text.textContent = (status.status === 'running' ? 'Running' : 'Waiting to start') + ': ' + status.progress + '% done.'
        window.setTimeout(poll, 1000)
      })
      .catch(function () { window.setTimeout(poll, 3000) })
  }
  window.setTimeout(poll, 500)
})()
