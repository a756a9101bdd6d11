// Runs first in <body> (templates/base.html), before anything is drawn: GOV.UK Frontend styles its
// components for JavaScript only when the body has these classes. A file, not inline, so that the
// Content-Security-Policy can refuse every inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
