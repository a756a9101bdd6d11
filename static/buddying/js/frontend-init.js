// Starts GOV.UK Frontend and MOJ Frontend components. templates/base.html loads this as a module and
// gives the two libraries' URLs as data attributes, so they keep their hashed, far-future-cached names.
const script = document.querySelector('script[data-govuk-frontend]')
Promise.all([import(script.dataset.govukFrontend), import(script.dataset.mojFrontend)]).then(function (modules) {
  modules[0].initAll()
  modules[1].initAll()
})
