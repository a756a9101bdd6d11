// Draws trusts on a Leaflet map with no tile server: the only background is a simplified
// outline of England served from our own static files, so nothing is fetched from outside.
(function () {
  'use strict'

  function drawTrustMap (container) {
    var markers = JSON.parse(document.getElementById(container.dataset.markersId || 'trust-markers').textContent)
    var map = L.map(container, { zoomSnap: 0.25, minZoom: 5, maxZoom: 12, attributionControl: true })
    map.attributionControl.setPrefix(false)
    map.attributionControl.addAttribution('Locations: NHS ODS and ONS, OGL v3.0')
    map.fitBounds([[49.9, -5.8], [55.9, 1.8]])

    fetch(container.dataset.outlineUrl)
      .then(function (response) { return response.json() })
      .then(function (outline) {
        L.geoJSON(outline, {
          interactive: false,
          style: { color: '#505a5f', weight: 1, fillColor: '#f3f2f1', fillOpacity: 1 }
        }).addTo(map).bringToBack()
      })

    if (container.dataset.linesId) {
      JSON.parse(document.getElementById(container.dataset.linesId).textContent).forEach(function (line) {
        L.polyline(line, { color: '#0b0c0c', weight: 2, opacity: 0.6, interactive: false }).addTo(map)
      })
    }

    var layer = L.featureGroup()
    markers.forEach(function (marker) {
      var circle = L.circleMarker([marker.lat, marker.lng], {
        radius: container.classList.contains('app-map--small') ? 8 : 6,
        color: '#0b0c0c',
        weight: 1,
        fillColor: marker.colour,
        fillOpacity: 0.9
      })
      var popup = document.createElement('div')
      var link = document.createElement('a')
      link.className = 'govuk-link'
      link.href = marker.url
      link.textContent = marker.name
      popup.appendChild(link)
      popup.appendChild(document.createElement('br'))
      popup.appendChild(document.createTextNode(marker.ods_code + ' · ' + marker.status))
      circle.bindPopup(popup)
      // Leaflet sets a string tooltip as HTML: a trust's name goes in as text, never as markup.
      var tooltip = document.createElement('span')
      tooltip.textContent = marker.name
      circle.bindTooltip(tooltip)
      layer.addLayer(circle)
    })
    layer.addTo(map)
    if (markers.length === 1) {
      map.setView([markers[0].lat, markers[0].lng], 8)
    }
    container.dataset.markersDrawn = String(markers.length)
  }

  document.querySelectorAll('[data-outline-url]').forEach(drawTrustMap)
})()
